//! `/api/v1/changes`: every creation, update and deletion in commit order, for mirroring.

use actix_web::{HttpResponse, get, web};

use crate::{
    domain,
    error::Result,
    http::{extract::query::QueryParams, routes::docs::ListErrors, state::AppState},
    views::changes::{ChangesOut, ChangesParams},
};

/// List changes in commit order
///
/// Creations, updates and deletions across all resources in commit order. A portal mirrors the data exactly by
/// applying them in order and polling with `since=next`; no change committed after a poll can appear before its
/// cursor. User changes are left out (accounts are not published). Each change's `resource` has the shape its
/// `resource_type` names (a `oneOf` discriminated by it); null for a deletion. Anyone may read it. Costs one indexed
/// query per batch.
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
    Ok(HttpResponse::Ok().json(domain::changes::list(&state.db, &params).await?))
}
