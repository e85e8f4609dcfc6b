//! `/api/v1/changes`: every creation, update and deletion in commit order, for mirroring.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::revision;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    error::{ApiError, Result},
    query::{IdOrName, QueryParams},
    routes::{ListErrors, revisions::ActorOut},
    services::cities::resolve_city,
    startup::AppState,
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
    #[param(pattern = "^(cities|documents|sections|leaders|units|work-items|livelihood-projects)$")]
    pub resource_type: Option<String>,
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeOut {
    /// Position in commit order; resume after it with `since`.
    pub cursor: String,
    /// The collection, e.g. `work-items`.
    pub resource_type: String,
    pub resource_id: Uuid,
    /// `create`, `update` or `delete` (a tombstone: `resource` is null).
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

const COLLECTIONS: [&str; 8] =
    ["cities", "documents", "sections", "leaders", "units", "work-items", "livelihood-projects", "users"];

/// Creations, updates and deletions across all resources in commit order. A portal mirrors the
/// data exactly by applying them in order and polling with `since=next`; no change committed after
/// a poll can appear before its cursor. User changes are left out (accounts are not published).
#[utoipa::path(
    get,
    path = "/api/v1/changes",
    tag = "changes",
    operation_id = "list_changes",
    params(ChangesParams),
    responses((status = 200, description = "The next changes in commit order", body = ChangesOut), ListErrors)
)]
#[get("/changes")]
pub async fn list_changes(
    state: web::Data<AppState>,
    QueryParams(params): QueryParams<ChangesParams>,
) -> Result<HttpResponse> {
    let since = match params.since.as_deref() {
        None | Some("") => 0,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| ApiError::bad_field("since", "is not a cursor from this feed"))?,
    };
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_field("limit", "must be between 1 and 1000"));
    }
    let mut select = revision::Entity::find()
        .filter(revision::Column::Seq.gt(since))
        .filter(revision::Column::ResourceType.ne("users"))
        .order_by_asc(revision::Column::Seq);
    if let Some(city) = params.city.as_deref() {
        IdOrName::parse_city(city)?;
        // A well-formed city that does not exist simply has no changes.
        let city_id = resolve_city(&state.db, city, "city").await.ok().unwrap_or_default();
        select = select.filter(revision::Column::CityId.eq(city_id));
    }
    if let Some(collection) = params.resource_type.as_deref() {
        if !COLLECTIONS.contains(&collection) || collection == "users" {
            return Err(ApiError::bad_field("resource_type", "names no published collection"));
        }
        select = select.filter(revision::Column::ResourceType.eq(collection));
    }
    let mut rows = select.limit(limit as u64 + 1).all(&state.db).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = rows.last().map_or(since, |r| r.seq).to_string();
    let changes = rows
        .into_iter()
        .map(|r| ChangeOut {
            cursor: r.seq.to_string(),
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            action: r.action,
            changed_at: r.created_at,
            actor: ActorOut { id: r.actor_id, name: r.actor_name },
            resource: r.snapshot,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ChangesOut { changes, next, has_more }))
}
