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

/// Counts of one group, or of all matches.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Tally {
    /// Items in the group.
    pub count: i64,
    /// Items per status; every status is present.
    #[schema(value_type = Object, example = json!({"not_started": 3, "in_progress": 1, "completed": 0, "delayed": 0, "cancelled": 0}))]
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

/// One group: what identifies it, and its counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// The group's identity: `{id, code, name}` for a city, `{id, doc_number, title}` for a
    /// document, `{id, name, title}` for a leader (null for items with none), `{id, name, role}`
    /// for a unit, `{status}`, `{period}`, `{number, name}` for a category.
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
