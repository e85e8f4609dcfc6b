//! `/api/v1/leaders` and `/api/v1/units`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::{
    body::{double_option, not_blank},
    error::Result,
    listing::{ListRequest, NamedListOptions, Page, PageRequest},
    query::IdOrName,
    resource,
    routes::{CityRef, GetErrors, ListErrors, list_response},
    services::{
        self,
        people::{Leaders, NamedFilter, Units, leader_out, unit_out, with_cities},
    },
    startup::AppState,
};

/// A city leader.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderOut {
    pub id: Uuid,
    pub city: CityRef,
    #[schema(example = "何学考")]
    pub name: String,
    #[schema(example = "常务副市长")]
    pub title: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A responsible body.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitOut {
    pub id: Uuid,
    pub city: CityRef,
    #[schema(example = "市发改局")]
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new leader, or all of a leader's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderIn {
    /// The city: its id or admin division code. It cannot change.
    #[validate(custom(function = "crate::body::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: String,
    /// Unique within the city.
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(example = "何学考", min_length = 1, max_length = 50, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name: String,
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(
        example = "常务副市长",
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub title: Option<String>,
}

/// The leader fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderPatch {
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 50, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name: Option<String>,
    /// Null removes the title.
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(min = 1, max = 50), custom(function = "not_blank"))]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 50, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: Option<Option<String>>,
}

/// A new unit, or all of a unit's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitIn {
    /// The city: its id or admin division code. It cannot change.
    #[validate(custom(function = "crate::body::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: String,
    /// Unique within the city.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        example = "市发改局",
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub name: String,
}

/// The unit fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name: Option<String>,
}

/// Parameters of the leader and unit lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NamedListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Substring of the name.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
}

impl NamedListParams {
    fn filter(&self) -> Result<NamedFilter> {
        Ok(NamedFilter { city: self.city.as_deref().map(IdOrName::parse_city).transpose()?, q: self.q.clone() })
    }
}

/// List leaders.
#[utoipa::path(
    get,
    path = "/api/v1/leaders",
    tag = "leaders",
    operation_id = "list_leaders",
    params(NamedListOptions, NamedListParams),
    responses((status = 200, description = "A page of leaders", content((Page<LeaderOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/leaders")]
pub async fn list_leaders(
    state: web::Data<AppState>,
    ListRequest { options, filters }: ListRequest<NamedListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let mut listing =
        services::people::list_leaders(&state.db, &filters.filter()?, options.sort.as_deref(), &page).await?;
    let outs = with_cities(&state.db, std::mem::take(&mut listing.items), |r| r.city_id, leader_out).await?;
    list_response(&state, &req, &options, listing.with_items(outs), &["city"]).await
}

/// Get a leader.
#[utoipa::path(
    get,
    path = "/api/v1/leaders/{id}",
    tag = "leaders",
    operation_id = "get_leader",
    params(("id" = Uuid, Path, description = "The leader's id")),
    responses(
        (status = 200, description = "The leader", body = LeaderOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/leaders/{id}")]
pub async fn get_leader(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse> {
    resource::get::<Leaders>(&state, *id).await
}

/// List units.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "units",
    operation_id = "list_units",
    params(NamedListOptions, NamedListParams),
    responses((status = 200, description = "A page of units", content((Page<UnitOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    ListRequest { options, filters }: ListRequest<NamedListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let mut listing =
        services::people::list_units(&state.db, &filters.filter()?, options.sort.as_deref(), &page).await?;
    let outs = with_cities(&state.db, std::mem::take(&mut listing.items), |r| r.city_id, unit_out).await?;
    list_response(&state, &req, &options, listing.with_items(outs), &["city"]).await
}

/// Get a unit.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    tag = "units",
    operation_id = "get_unit",
    params(("id" = Uuid, Path, description = "The unit's id")),
    responses(
        (status = 200, description = "The unit", body = UnitOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/units/{id}")]
pub async fn get_unit(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse> {
    resource::get::<Units>(&state, *id).await
}

/// Writes to `/api/v1/leaders`.
pub mod leader_writes {
    use super::{LeaderIn, LeaderOut, LeaderPatch, Leaders};

    crate::crud_routes! {
        resource: Leaders,
        tag: "leaders",
        collection_path: "/api/v1/leaders",
        item_path: "/api/v1/leaders/{id}",
        revisions_path: "/api/v1/leaders/{id}/revisions",
        scope_collection: "/leaders",
        scope_item: "/leaders/{id}",
        scope_revisions: "/leaders/{id}/revisions",
        ids: ["create_leader", "replace_leader", "patch_leader", "delete_leader", "list_leader_revisions"],
        out: LeaderOut,
        input: LeaderIn,
        patch: LeaderPatch,
    }
}

/// Writes to `/api/v1/units`.
pub mod unit_writes {
    use super::{UnitIn, UnitOut, UnitPatch, Units};

    crate::crud_routes! {
        resource: Units,
        tag: "units",
        collection_path: "/api/v1/units",
        item_path: "/api/v1/units/{id}",
        revisions_path: "/api/v1/units/{id}/revisions",
        scope_collection: "/units",
        scope_item: "/units/{id}",
        scope_revisions: "/units/{id}/revisions",
        ids: ["create_unit", "replace_unit", "patch_unit", "delete_unit", "list_unit_revisions"],
        out: UnitOut,
        input: UnitIn,
        patch: UnitPatch,
    }
}
