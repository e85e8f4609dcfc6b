//! `/api/v1/work-items` and `/api/v1/livelihood-projects`: one query layer, two shapes.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::{
    item::{ItemKind, Status},
    item_unit::UnitRole,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use validator::Validate;

use crate::{
    body::{double_option, not_blank},
    error::{ApiError, Result},
    import::format::{format_period, parse_period},
    listing::{ItemListOptions, ListRequest, Page, PageRequest},
    query::{IdOrName, split_values},
    resource,
    routes::{CityRef, GetErrors, LeaderRef, ListErrors, UnitRoleOut, list_response},
    services::{
        self,
        items::{ItemFilter, ItemRecord, LivelihoodProjects, WorkItems},
    },
    startup::AppState,
};

/// The fields work items and livelihood projects share.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemFields {
    pub id: Uuid,
    pub document_id: Uuid,
    pub city: CityRef,
    pub section: SectionRef,
    /// `YYYY` or `YYYY-YYYY`.
    #[schema(example = "2021")]
    pub period: String,
    /// 序号 as written.
    pub seq: i32,
    pub content: String,
    /// The leader who leads the item, where the source names one.
    pub leader: Option<LeaderRef>,
    /// Units in the order the source lists them, with their roles.
    pub units: Vec<UnitRoleOut>,
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

impl From<ItemRecord> for ItemFields {
    fn from(r: ItemRecord) -> Self {
        let i = r.item;
        Self {
            id: i.id,
            document_id: i.document_id,
            city: CityRef::from(&r.city),
            section: SectionRef { id: r.section.id, number: r.section.number, title: r.section.title },
            period: format_period(i.period_start, i.period_end),
            seq: i.seq,
            content: i.content,
            leader: r.leader.as_ref().map(LeaderRef::from),
            units: r.units.iter().map(UnitRoleOut::from).collect(),
            remarks: i.remarks,
            status: i.status,
            progress: i.progress,
            progress_note: i.progress_note,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

impl From<ItemRecord> for WorkItemOut {
    fn from(record: ItemRecord) -> Self {
        let group = GroupOut { number: record.item.group_number, heading: record.item.group_heading.clone() };
        Self { item: record.into(), group }
    }
}

impl From<ItemRecord> for LivelihoodProjectOut {
    fn from(record: ItemRecord) -> Self {
        let sub_seq = (record.item.sub_seq > 0).then_some(record.item.sub_seq);
        let category =
            record.item.group_heading.clone().map(|name| CategoryOut { number: record.item.group_number, name });
        Self { item: record.into(), sub_seq, category }
    }
}

/// An id, or an exact name; comma-separated for several.
#[derive(ToSchema)]
#[schema(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
pub struct NameOrId(pub String);

/// Statuses, comma-separated.
#[derive(ToSchema)]
#[schema(
    pattern = "^(not_started|in_progress|completed|delayed|cancelled)(,(not_started|in_progress|completed|delayed|cancelled))*$"
)]
pub struct StatusList(pub String);

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
    /// Leader id or exact name; repeat or comma-separate for any of several.
    #[serde(default)]
    #[param(example = json!(["何学考"]), value_type = Vec<NameOrId>)]
    pub leader: Vec<String>,
    /// Unit id or exact name; repeat or comma-separate for any of several.
    #[serde(default)]
    #[param(example = json!(["市发改局"]), value_type = Vec<NameOrId>)]
    pub unit: Vec<String>,
    /// Only where the unit (or any unit, without `unit`) has this role.
    pub unit_role: Option<UnitRole>,
    /// Status; comma-separate for any of several.
    #[serde(default)]
    #[param(example = json!(["in_progress,delayed"]), value_type = Vec<StatusList>)]
    pub status: Vec<String>,
    /// Exactly this period: `YYYY` or `YYYY-YYYY`.
    #[param(example = "2021-2025", pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: Option<String>,
    /// Items whose period covers this year.
    #[param(example = 2021)]
    pub year: Option<i32>,
    /// Group number, or exact leader-group heading / livelihood category name.
    #[param(example = "公共卫生服务能力提升", pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub category: Option<String>,
    /// Substring of the content, the remarks or a unit's name (Chinese text of any length).
    #[param(example = "停车", pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
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
}

impl ItemListParams {
    pub fn filter(&self) -> Result<ItemFilter> {
        let statuses = split_values(&self.status)
            .into_iter()
            .map(|s| {
                serde_json::from_value::<Status>(serde_json::Value::String(s.to_owned())).map_err(|_| {
                    ApiError::bad_field(
                        "status",
                        format!("unknown status `{s}`; use not_started, in_progress, completed, delayed or cancelled"),
                    )
                })
            })
            .collect::<Result<_>>()?;
        for (field, value) in [("progress_min", self.progress_min), ("progress_max", self.progress_max)] {
            if value.is_some_and(|p| !(0..=100).contains(&p)) {
                return Err(ApiError::bad_field(field, "must be between 0 and 100"));
            }
        }
        let period = self
            .period
            .as_deref()
            .map(|p| parse_period(p).ok_or_else(|| ApiError::bad_field("period", "must be YYYY or YYYY-YYYY")))
            .transpose()?;
        Ok(ItemFilter {
            city: self.city.as_deref().map(IdOrName::parse_city).transpose()?,
            document: self.document,
            section: self.section,
            leaders: split_values(&self.leader).into_iter().map(IdOrName::parse).collect(),
            units: split_values(&self.unit).into_iter().map(IdOrName::parse).collect(),
            unit_role: self.unit_role,
            statuses,
            period,
            year: self.year,
            category: self.category.clone(),
            q: self.q.clone(),
            updated_since: self.updated_since,
            updated_before: self.updated_before,
            has_remarks: self.has_remarks,
            progress: (self.progress_min.is_some() || self.progress_max.is_some())
                .then(|| (self.progress_min.unwrap_or(0), self.progress_max.unwrap_or(100))),
        })
    }
}

async fn list<T: Serialize + From<ItemRecord>>(
    state: &AppState,
    kind: ItemKind,
    request: ListRequest<ItemListParams>,
    req: &HttpRequest,
) -> Result<HttpResponse> {
    let ListRequest { options, filters } = request;
    let page = PageRequest::from_options(&options)?;
    let listing = services::items::list(&state.db, kind, &filters.filter()?, options.sort.as_deref(), &page).await?;
    list_response(state, req, &options, listing.map(T::from), &["city", "document"]).await
}

/// List key work items.
#[utoipa::path(
    get,
    path = "/api/v1/work-items",
    tag = "work-items",
    operation_id = "list_work_items",
    params(ItemListOptions, ItemListParams),
    responses((status = 200, description = "A page of work items", content((Page<WorkItemOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/work-items")]
pub async fn list_work_items(
    state: web::Data<AppState>,
    request: ListRequest<ItemListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    list::<WorkItemOut>(&state, ItemKind::WorkItem, request, &req).await
}

/// Get a key work item.
#[utoipa::path(
    get,
    path = "/api/v1/work-items/{id}",
    tag = "work-items",
    operation_id = "get_work_item",
    params(("id" = Uuid, Path, description = "The work item's id")),
    responses(
        (status = 200, description = "The work item", body = WorkItemOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/work-items/{id}")]
pub async fn get_work_item(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse> {
    resource::get::<WorkItems>(&state, *id).await
}

/// List livelihood projects.
#[utoipa::path(
    get,
    path = "/api/v1/livelihood-projects",
    tag = "livelihood-projects",
    operation_id = "list_livelihood_projects",
    params(ItemListOptions, ItemListParams),
    responses((status = 200, description = "A page of livelihood projects", content((Page<LivelihoodProjectOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/livelihood-projects")]
pub async fn list_livelihood_projects(
    state: web::Data<AppState>,
    request: ListRequest<ItemListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    list::<LivelihoodProjectOut>(&state, ItemKind::LivelihoodProject, request, &req).await
}

/// Get a livelihood project.
#[utoipa::path(
    get,
    path = "/api/v1/livelihood-projects/{id}",
    tag = "livelihood-projects",
    operation_id = "get_livelihood_project",
    params(("id" = Uuid, Path, description = "The livelihood project's id")),
    responses(
        (status = 200, description = "The livelihood project", body = LivelihoodProjectOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/livelihood-projects/{id}")]
pub async fn get_livelihood_project(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse> {
    resource::get::<LivelihoodProjects>(&state, *id).await
}

/// A unit's part in an item, as written.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitAssignmentIn {
    /// The unit's id, or its exact name in the item's city.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        example = "市发改局",
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub unit: String,
    pub role: UnitRole,
    /// What the source adds in brackets for this item.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*$")]
    pub note: Option<String>,
}

/// The leader group a work item is listed under.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: i32,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        example = "何学考常务副市长牵头重点工作",
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub heading: Option<String>,
}

/// A livelihood project's category.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: i32,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        example = "公共卫生服务能力提升",
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
}

/// A new work item, or all of a work item's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkItemIn {
    /// The section's id (a section of work items). It cannot change.
    pub section: Uuid,
    #[validate(nested)]
    pub group: GroupIn,
    /// 序号, unique within the group.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub seq: i32,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub content: String,
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

/// A new livelihood project, or all of its fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
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
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub content: String,
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

/// The fields of a work item or livelihood project to change: typically its status and
/// progress. `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 5000, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub content: Option<String>,
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
    pub status: Option<Status>,
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    pub progress: Option<i32>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub progress_note: Option<Option<String>>,
}

/// Writes to `/api/v1/work-items`.
pub mod work_item_writes {
    use super::{ItemPatch, WorkItemIn, WorkItemOut, WorkItems};

    crate::crud_routes! {
        resource: WorkItems,
        tag: "work-items",
        collection_path: "/api/v1/work-items",
        item_path: "/api/v1/work-items/{id}",
        revisions_path: "/api/v1/work-items/{id}/revisions",
        scope_collection: "/work-items",
        scope_item: "/work-items/{id}",
        scope_revisions: "/work-items/{id}/revisions",
        ids: ["create_work_item", "replace_work_item", "patch_work_item", "delete_work_item", "list_work_item_revisions"],
        out: WorkItemOut,
        input: WorkItemIn,
        patch: ItemPatch,
    }
}

/// Writes to `/api/v1/livelihood-projects`.
pub mod livelihood_project_writes {
    use super::{ItemPatch, LivelihoodProjectIn, LivelihoodProjectOut, LivelihoodProjects};

    crate::crud_routes! {
        resource: LivelihoodProjects,
        tag: "livelihood-projects",
        collection_path: "/api/v1/livelihood-projects",
        item_path: "/api/v1/livelihood-projects/{id}",
        revisions_path: "/api/v1/livelihood-projects/{id}/revisions",
        scope_collection: "/livelihood-projects",
        scope_item: "/livelihood-projects/{id}",
        scope_revisions: "/livelihood-projects/{id}/revisions",
        ids: [
            "create_livelihood_project",
            "replace_livelihood_project",
            "patch_livelihood_project",
            "delete_livelihood_project",
            "list_livelihood_project_revisions"
        ],
        out: LivelihoodProjectOut,
        input: LivelihoodProjectIn,
        patch: ItemPatch,
    }
}
