//! Aggregates for dashboards as they cross the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// What the items are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    City,
    Document,
    Leader,
    /// Each unit with its role: an item counts once for every unit it names.
    Unit,
    Status,
    Period,
    /// The leader group (work items) or category (livelihood projects).
    Category,
}

/// How many items have each status; every status is present. (The schema of
/// [`Tally::by_status`], which is kept as a map so the statuses come in one order.)
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the shape of a map; never built")]
pub struct StatusCounts {
    #[schema(minimum = 0)]
    cancelled: i64,
    #[schema(minimum = 0)]
    completed: i64,
    #[schema(minimum = 0)]
    delayed: i64,
    #[schema(minimum = 0)]
    in_progress: i64,
    #[schema(minimum = 0)]
    not_started: i64,
}

/// Counts of one group, or of all matches.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Tally {
    /// Items in the group.
    pub count: i64,
    /// Items per status; every status is present.
    #[schema(value_type = StatusCounts, example = json!({"not_started": 3, "in_progress": 1, "completed": 0, "delayed": 0, "cancelled": 0}))]
    pub by_status: BTreeMap<String, i64>,
    /// Mean progress (0–100) of the group's items, to one decimal; null for an empty group.
    pub average_progress: Option<f64>,
    #[serde(skip)]
    progress_sum: i64,
}

impl Tally {
    pub(crate) fn add(&mut self, status: &str, count: i64, progress_sum: i64) {
        self.count += count;
        self.progress_sum += progress_sum;
        *self.by_status.entry(status.to_owned()).or_default() += count;
    }

    pub(crate) fn finish(mut self) -> Self {
        for status in ["not_started", "in_progress", "completed", "delayed", "cancelled"] {
            self.by_status.entry(status.to_owned()).or_default();
        }
        self.average_progress =
            (self.count > 0).then(|| (self.progress_sum as f64 / self.count as f64 * 10.0).round() / 10.0);
        self
    }
}

/// The key of a group of `group_by=city`.
#[derive(ToSchema)]
pub struct CityKey {
    pub id: uuid::Uuid,
    #[schema(example = "330382")]
    pub code: String,
    #[schema(example = "乐清市")]
    pub name: String,
}

/// The key of a group of `group_by=document`.
#[derive(ToSchema)]
pub struct DocumentKey {
    pub id: uuid::Uuid,
    #[schema(example = "乐政办函〔2021〕7号")]
    pub doc_number: String,
    pub title: String,
}

/// The key of a group of `group_by=leader` (null for the items that have no leader).
#[derive(ToSchema)]
pub struct LeaderKey {
    pub id: uuid::Uuid,
    #[schema(example = "何学考")]
    pub name: String,
    #[schema(example = "常务副市长")]
    pub title: Option<String>,
}

/// The key of a group of `group_by=unit`: the unit in one role.
#[derive(ToSchema)]
pub struct UnitKey {
    pub id: uuid::Uuid,
    #[schema(example = "市发改局")]
    pub name: String,
    pub role: entity::item_unit::UnitRole,
}

/// The key of a group of `group_by=status`.
#[derive(ToSchema)]
pub struct StatusKey {
    pub status: entity::item::Status,
}

/// The key of a group of `group_by=period`.
#[derive(ToSchema)]
pub struct PeriodKey {
    #[schema(example = "2021-2025", pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: String,
}

/// The key of a group of `group_by=category`: the leader group (work items) or category
/// (livelihood projects).
#[derive(ToSchema)]
pub struct CategoryKey {
    pub number: i32,
    /// Null for a leader group without a heading.
    pub name: Option<String>,
}

impl GroupBy {
    /// Every grouping.
    pub const ALL: [GroupBy; 7] = [
        GroupBy::City,
        GroupBy::Document,
        GroupBy::Leader,
        GroupBy::Unit,
        GroupBy::Status,
        GroupBy::Period,
        GroupBy::Category,
    ];

    /// The component schema of its groups' keys, and whether a key may be null (the items
    /// without a leader), for the document's `oneOf` of [`Stats`].
    pub fn key_schema(self) -> (&'static str, bool) {
        match self {
            GroupBy::City => ("CityKey", false),
            GroupBy::Document => ("DocumentKey", false),
            GroupBy::Leader => ("LeaderKey", true),
            GroupBy::Unit => ("UnitKey", false),
            GroupBy::Status => ("StatusKey", false),
            GroupBy::Period => ("PeriodKey", false),
            GroupBy::Category => ("CategoryKey", false),
        }
    }
}

/// One group: what identifies it, and its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// The group's identity: `{id, code, name}` for a city, `{id, doc_number, title}` for a
    /// document, `{id, name, title}` for a leader (null for items with none), `{id, name, role}`
    /// for a unit, `{status}`, `{period}`, `{number, name}` for a category. The document types
    /// it per `group_by` (`Stats` is a `oneOf`).
    #[schema(value_type = Option<Object>)]
    pub key: Value,
    #[serde(flatten)]
    pub tally: Tally,
}

/// The aggregate of a filtered set of items.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub group_by: GroupBy,
    /// All matching items (with `group_by=unit`, each counted once).
    pub total: Tally,
    /// Largest groups first.
    pub groups: Vec<Group>,
}
