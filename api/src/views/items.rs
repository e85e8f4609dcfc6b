//! Key work items and livelihood projects as they cross the wire.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{item::Status, item_unit::UnitRole};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::views::{
    CityRef, LeaderRef, UnitRoleOut,
    documents::DocumentOut,
    values::{NonBlank, double_option},
};

/// The fields work items and livelihood projects share.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemFields {
    pub id: Uuid,
    pub document_id: Uuid,
    /// Lists with `include=document` only: the item's document in full. (Left out otherwise.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Box<DocumentOut>>,
    /// With `include=city` (lists), the city in full: a `CityOut`, which has every field of this.
    pub city: CityRef,
    pub section: SectionRef,
    /// `YYYY` or `YYYY-YYYY`.
    #[schema(example = "2021")]
    pub period: String,
    /// When the item is due: the end of its period unless set otherwise. It is overdue after this
    /// day while neither completed nor cancelled (see the `overdue` filter).
    pub due_on: NaiveDate,
    /// 序号 as written.
    pub seq: i32,
    pub content: String,
    /// The leader who leads the item, where the source names one.
    pub leader: Option<LeaderRef>,
    /// Units in the order the source lists them, with their roles.
    pub units: Vec<UnitRoleOut>,
    /// Dated milestones (节点目标), in the order they were given. One past its `due_on` and not done
    /// makes the item overdue (see the `overdue` filter).
    pub milestones: Vec<MilestoneOut>,
    /// 备注 as written.
    pub remarks: Option<String>,
    pub status: Status,
    /// 0–100.
    #[schema(minimum = 0, maximum = 100)]
    pub progress: i32,
    pub progress_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A dated step of an item.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"title": "完成项目选址", "due_on": "2021-06-30", "done_on": "2021-06-18"}))]
pub struct MilestoneOut {
    pub title: String,
    /// When it is due.
    pub due_on: NaiveDate,
    /// When it was done; `null` while it is not.
    pub done_on: Option<NaiveDate>,
}

/// The section an item is listed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionRef {
    pub id: Uuid,
    /// 附件 number within the document.
    pub number: i32,
    pub title: String,
}

/// A leader group of a work plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    /// 一 → 1.
    pub number: i32,
    /// As written, e.g. 何学考常务副市长牵头重点工作; null where the source has no heading.
    pub heading: Option<String>,
}

/// A livelihood project's category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryOut {
    /// 一 → 1.
    pub number: i32,
    /// 项目名称, e.g. 公共卫生服务能力提升.
    pub name: String,
}

/// A key work item (重点工作).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItemOut {
    #[serde(flatten)]
    pub item: ItemFields,
    /// The leader group the item is listed under.
    pub group: GroupOut,
}

/// A livelihood project (民生实事项目).
#[derive(Debug, Serialize, ToSchema)]
pub struct LivelihoodProjectOut {
    #[serde(flatten)]
    pub item: ItemFields,
    /// The sub-item number where a project is split (1., 2.), else null.
    pub sub_seq: Option<i32>,
    /// Null where the document has no categories.
    pub category: Option<CategoryOut>,
}

/// An id, or an exact name; comma-separated for several.
#[derive(Deserialize, ToSchema)]
#[schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
pub struct NameOrId(pub String);

/// One leader or unit (id or exact name), or several, the parameter repeated. (The schema of the
/// `leader` and `unit` filters: a generated client takes one value as it is.)
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum NameOrIdFilter {
    One(NameOrId),
    Many(Vec<NameOrId>),
}

/// One status, or several, the parameter repeated. (The schema of the `status` filter: a
/// generated client takes one value as it is.)
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StatusFilter {
    One(Status),
    Many(Vec<Status>),
}

/// Parameters of the work item and livelihood project lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Document id.
    pub document: Option<Uuid>,
    /// Section id.
    pub section: Option<Uuid>,
    /// Leader id or exact name, e.g. `何学考`; repeat or comma-separate for any of several.
    // No `example`: Swagger UI would prefill it, and prefilled filters together match nothing.
    #[serde(default)]
    #[param(value_type = NameOrIdFilter)]
    pub leader: Vec<String>,
    /// Unit id or exact name, e.g. `市发改局`; repeat or comma-separate for any of several.
    #[serde(default)]
    #[param(value_type = NameOrIdFilter)]
    pub unit: Vec<String>,
    /// Only where the unit (or any unit, without `unit`) has this role.
    pub unit_role: Option<UnitRole>,
    /// Status, e.g. `in_progress`; repeat (or comma-separate) for any of several.
    #[serde(default)]
    #[param(value_type = StatusFilter)]
    pub status: Vec<String>,
    /// Exactly this period: `YYYY` or `YYYY-YYYY`, e.g. `2021-2025`.
    #[param(pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: Option<String>,
    /// Items whose period covers this year, e.g. `2021`.
    pub year: Option<i32>,
    /// Group number, or exact leader-group heading / livelihood category name, e.g. `公共卫生服务能力提升`.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub category: Option<String>,
    /// Substring of the content, the remarks or a unit's name (Chinese text of any length), e.g. `停车`.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
    /// Items changed at or after this time (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Items changed before this time (RFC 3339).
    pub updated_before: Option<DateTime<Utc>>,
    /// `true`: only items with remarks (备注); `false`: only items without.
    pub has_remarks: Option<bool>,
    /// Progress at least this (0–100).
    #[param(minimum = 0, maximum = 100)]
    pub progress_min: Option<i32>,
    /// Progress at most this (0–100).
    #[param(minimum = 0, maximum = 100)]
    pub progress_max: Option<i32>,
    /// `true`: only items that are neither completed nor cancelled and are past their due date, or
    /// past the due date of a milestone not done (before today, China Standard Time); `false`: only
    /// the others. Derived when asked, never stored.
    pub overdue: Option<bool>,
    /// Items due before this day (exclusive), e.g. `2022-01-01`.
    pub due_before: Option<NaiveDate>,
    /// Items due after this day (exclusive), e.g. `2021-06-30`.
    pub due_after: Option<NaiveDate>,
    /// Items with no progress report as of the last N days (none with `as_of` after today − N),
    /// never-reported items included; e.g. `90`.
    #[param(minimum = 1, maximum = 36500)]
    pub stale_days: Option<i64>,
}

/// A unit's part in an item, as written.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"unit": "市发改局", "role": "lead", "note": null}))]
pub struct UnitAssignmentIn {
    /// The unit's id, or its exact name in the item's city.
    #[validate(nested)]
    #[schema(inline)]
    pub unit: NonBlank<100>,
    pub role: UnitRole,
    /// What the source adds in brackets for this item.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*$")]
    pub note: Option<String>,
}

/// A dated step of an item, as a write gives it.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "完成项目选址", "due_on": "2021-06-30", "done_on": null}))]
pub struct MilestoneIn {
    #[validate(nested)]
    #[schema(inline)]
    pub title: NonBlank<200>,
    /// When it is due.
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub due_on: NaiveDate,
    /// When it was done; absent or `null` while it is not.
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub done_on: Option<NaiveDate>,
}

/// The leader group a work item is listed under.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"number": 2, "heading": "何学考常务副市长牵头重点工作"}))]
pub struct GroupIn {
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: i32,
    #[validate(nested)]
    #[schema(inline)]
    pub heading: Option<NonBlank<200>>,
}

/// A livelihood project's category.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"number": 1, "name": "公共卫生服务能力提升"}))]
pub struct CategoryIn {
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: i32,
    #[validate(nested)]
    #[schema(inline)]
    pub name: NonBlank<200>,
}

/// Declares the body of a new item (or of a PUT): its own fields, which say where it is listed,
/// then the fields that work items and livelihood projects share, declared once here. (serde's
/// `flatten` would share them too, but cannot be combined with `deny_unknown_fields`.)
macro_rules! item_input {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($own)*
            #[validate(nested)]
            #[schema(inline)]
            pub content: NonBlank<5000>,
            /// The leader's id, or their exact name in the item's city; null for none.
            #[validate(length(min = 1, max = 50))]
            #[schema(min_length = 1, max_length = 50, pattern = "^[^\\u0000]*$")]
            pub leader: Option<String>,
            /// In the order the source lists them; each unit once.
            #[validate(length(max = 100), nested)]
            #[schema(max_items = 100)]
            pub units: Vec<UnitAssignmentIn>,
            #[validate(length(max = 1000))]
            #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
            pub remarks: Option<String>,
            /// Defaults to the end of the period on creation; kept on PUT when absent.
            #[validate(custom(function = "crate::views::values::valid_date"))]
            pub due_on: Option<NaiveDate>,
            /// Dated milestones, in order; none on creation and kept on PUT when absent.
            #[validate(length(max = 50), nested)]
            #[schema(max_items = 50)]
            pub milestones: Option<Vec<MilestoneIn>>,
            /// Defaults to `not_started` on creation; kept on PUT when absent.
            pub status: Option<Status>,
            /// 0–100; defaults to 0 on creation; kept on PUT when absent.
            #[validate(range(min = 0, max = 100))]
            #[schema(minimum = 0, maximum = 100)]
            pub progress: Option<i32>,
            #[validate(length(max = 1000))]
            #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
            pub progress_note: Option<String>,
        }
    };
}

item_input! {
    /// A new work item, or all of a work item's fields (PUT).
    #[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[schema(example = json!({"section": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f40", "group": {"number": 2, "heading": "何学考常务副市长牵头重点工作"}, "seq": 40, "content": "推进城市停车设施建设，新增公共停车泊位2000个。", "leader": "何学考", "units": [{"unit": "市综合执法局", "role": "lead"}, {"unit": "市交通运输局", "role": "responsible"}], "remarks": null, "status": "in_progress", "progress": 40, "progress_note": "已完成选址"}))]
    pub struct WorkItemIn {
        /// The section's id (a section of work items). It cannot change.
        pub section: Uuid,
        #[validate(nested)]
        pub group: GroupIn,
        /// 序号, unique within the group.
        #[validate(range(min = 1, max = 100000))]
        #[schema(minimum = 1, maximum = 100000)]
        pub seq: i32,
    }
}

item_input! {
    /// A new livelihood project, or all of its fields (PUT).
    #[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
    #[serde(deny_unknown_fields)]
    #[schema(example = json!({"section": "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f41", "category": {"number": 1, "name": "公共卫生服务能力提升"}, "seq": 1, "sub_seq": null, "content": "建成投用乐清市人民医院二期。", "leader": null, "units": [{"unit": "市卫生健康局", "role": "lead"}], "remarks": null}))]
    pub struct LivelihoodProjectIn {
        /// The section's id (a section of livelihood projects). It cannot change.
        pub section: Uuid,
        /// Null where the document has no categories.
        #[validate(nested)]
        pub category: Option<CategoryIn>,
        /// Project number; with `sub_seq`, unique within the section.
        #[validate(range(min = 1, max = 100000))]
        #[schema(minimum = 1, maximum = 100000)]
        pub seq: i32,
        /// The sub-item number where a project is split (1., 2.).
        #[validate(range(min = 1, max = 1000))]
        #[schema(minimum = 1, maximum = 1000)]
        pub sub_seq: Option<i32>,
    }
}

/// The fields of a work item or livelihood project to change: typically its status and
/// progress. `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"progress": 60}))]
pub struct ItemPatch {
    #[validate(nested)]
    #[schema(inline)]
    pub content: Option<NonBlank<5000>>,
    /// The leader's id or exact name; null for none.
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 50))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50, pattern = "^[^\\u0000]*$")]
    pub leader: Option<Option<String>>,
    /// Replaces the whole list.
    #[validate(length(max = 100), nested)]
    #[schema(max_items = 100)]
    pub units: Option<Vec<UnitAssignmentIn>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub remarks: Option<Option<String>>,
    /// When the item is due.
    #[validate(custom(function = "crate::views::values::valid_date"))]
    pub due_on: Option<NaiveDate>,
    /// Replaces the whole list; `[]` removes every milestone.
    #[validate(length(max = 50), nested)]
    #[schema(max_items = 50)]
    pub milestones: Option<Vec<MilestoneIn>>,
    pub status: Option<Status>,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub progress_note: Option<Option<String>>,
}
