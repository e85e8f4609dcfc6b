//! The change feed as it crosses the wire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::views::{
    collection::Collection,
    revisions::{Action, ActorOut},
};

/// Where to read the change feed from.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesParams {
    /// The `next` cursor of the previous call; omit it to start from the beginning.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub since: Option<String>,
    /// Changes per call.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// Only changes to this city's records (id or admin code). Cities and users have no city and
    /// are left out by this filter.
    #[param(pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")]
    pub city: Option<String>,
    /// Only changes to this collection.
    #[param(pattern = "^(cities|documents|sections|leaders|units|work-items|livelihood-projects|reports)$")]
    pub resource_type: Option<String>,
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// Position in commit order; resume after it with `since`.
    pub cursor: String,
    /// The collection, e.g. `work-items`.
    #[schema(value_type = Collection)]
    pub resource_type: String,
    pub resource_id: Uuid,
    /// `delete` is a tombstone: `resource` is null.
    #[schema(value_type = Action)]
    pub action: String,
    pub changed_at: DateTime<Utc>,
    pub actor: ActorOut,
    /// The resource as its own endpoint showed it after the change; null after a deletion.
    #[schema(value_type = Option<Object>)]
    pub resource: Option<serde_json::Value>,
}

/// A batch of changes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesOut {
    pub changes: Vec<ChangeOut>,
    /// Pass as `since` for the next batch (the same cursor when there was nothing new).
    pub next: String,
    /// Whether more changes are waiting right now.
    pub has_more: bool,
}
