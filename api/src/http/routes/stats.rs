//! `/api/v1/stats/…`: aggregates over the same filters as the item lists.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, get};
use entity::item::ItemKind;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    domain::{items::read::ItemFilter, stats},
    error::{ApiError, Result},
    http::{
        extract::reading::ReadState,
        extract::{list::split_params, query::parse_query},
        routes::docs::ListErrors,
        state::AppState,
    },
    views::{
        items::ItemListParams,
        stats::{GroupBy, Stats},
    },
};

/// How to group.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsOptions {
    /// The dimension to group by.
    #[param(example = "status")]
    pub group_by: GroupBy,
}

/// A stats request: the grouping and the item filters.
pub struct StatsRequest {
    pub group_by: GroupBy,
    pub filters: ItemListParams,
}

impl FromRequest for StatsRequest {
    type Error = ApiError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let (options, filters) = split_params(req.query_string(), &["group_by"])?;
            if options.is_empty() {
                return Err(ApiError::bad_field("group_by", "is required"));
            }
            let options: StatsOptions = parse_query(&options)?;
            Ok(StatsRequest { group_by: options.group_by, filters: parse_query(&filters)? })
        })())
    }
}

async fn respond(state: &AppState, kind: ItemKind, request: StatsRequest) -> Result<HttpResponse> {
    let filter = ItemFilter::from_params(&request.filters, state.clock.today())?;
    Ok(HttpResponse::Ok().json(stats::stats(&state.db, kind, &filter, request.group_by).await?))
}

/// Statistics of key work items
///
/// Counts, counts per status and average progress of the items matching the list's filters, grouped by `group_by`;
/// the answer's shape follows `group_by` (a `oneOf` discriminated by it). E.g. how many 2021 items each Yueqing unit
/// leads, and how many are completed: `?group_by=unit&city=330382&year=2021&unit_role=lead`. Anyone may read it.
/// Costs two aggregate queries over the matching items.
#[utoipa::path(
    get,
    path = "/api/v1/stats/work-items",
    tag = "stats",
    operation_id = "work_item_stats",
    params(StatsOptions, ItemListParams),
    responses((status = 200, description = "The groups, largest first", body = Stats), ListErrors)
)]
#[get("/stats/work-items")]
pub async fn work_item_stats(ReadState(state): ReadState, request: StatsRequest) -> Result<HttpResponse> {
    respond(&state, ItemKind::WorkItem, request).await
}

/// Statistics of livelihood projects
///
/// Counts, counts per status and average progress of the items matching the list's filters, grouped by `group_by`;
/// the answer's shape follows `group_by` (a `oneOf` discriminated by it). E.g. how many 2021 items each Yueqing unit
/// leads, and how many are completed: `?group_by=unit&city=330382&year=2021&unit_role=lead`. Anyone may read it.
/// Costs two aggregate queries over the matching items.
#[utoipa::path(
    get,
    path = "/api/v1/stats/livelihood-projects",
    tag = "stats",
    operation_id = "livelihood_project_stats",
    params(StatsOptions, ItemListParams),
    responses((status = 200, description = "The groups, largest first", body = Stats), ListErrors)
)]
#[get("/stats/livelihood-projects")]
pub async fn livelihood_project_stats(ReadState(state): ReadState, request: StatsRequest) -> Result<HttpResponse> {
    respond(&state, ItemKind::LivelihoodProject, request).await
}
