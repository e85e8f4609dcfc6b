//! `/api/v1/cities`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::city;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::{
    body::{admin_code, not_blank},
    error::Result,
    listing::{CityListOptions, ListRequest, Page, PageRequest},
    resource::ok_with_etag,
    routes::{GetErrors, ListErrors, list_response},
    services::{self, cities::Cities},
    startup::AppState,
};

/// A county-level city.
#[derive(Debug, Serialize, ToSchema)]
pub struct CityOut {
    pub id: Uuid,
    /// Admin division code.
    #[schema(example = "330382")]
    pub code: String,
    #[schema(example = "乐清市")]
    pub name: String,
    #[schema(example = "Yueqing")]
    pub name_en: String,
    #[schema(example = "浙江省")]
    pub province: String,
    #[schema(example = "温州市")]
    pub prefecture: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<city::Model> for CityOut {
    fn from(c: city::Model) -> Self {
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            name_en: c.name_en,
            province: c.province,
            prefecture: c.prefecture,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A new city, or all of a city's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CityIn {
    /// 6-digit admin division code; unique.
    #[validate(custom(function = "admin_code"))]
    #[schema(example = "330382", pattern = "^[0-9]{6}$")]
    pub code: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(example = "乐清市", min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(example = "Yueqing", min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name_en: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(example = "浙江省", min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub province: String,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(example = "温州市", min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub prefecture: String,
}

/// The city fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CityPatch {
    #[validate(custom(function = "admin_code"))]
    #[schema(pattern = "^[0-9]{6}$")]
    pub code: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub name_en: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub province: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub prefecture: Option<String>,
}

/// Parameters of the city list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityListParams {
    /// Substring of the Chinese or English name.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
}

/// List cities.
#[utoipa::path(
    get,
    path = "/api/v1/cities",
    tag = "cities",
    operation_id = "list_cities",
    params(CityListOptions, CityListParams),
    responses((status = 200, description = "A page of cities", content((Page<CityOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/cities")]
pub async fn list_cities(
    state: web::Data<AppState>,
    ListRequest { options, filters }: ListRequest<CityListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let listing = services::cities::list(&state.db, filters.q.as_deref(), options.sort.as_deref(), &page).await?;
    list_response(&state, &req, &options, listing.map(CityOut::from), &[]).await
}

/// Get a city by id or admin division code.
#[utoipa::path(
    get,
    path = "/api/v1/cities/{id}",
    tag = "cities",
    operation_id = "get_city",
    params(("id" = String, Path, description = "The city's id, or its 6-digit admin division code", example = "330382", pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")),
    responses(
        (status = 200, description = "The city", body = CityOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/cities/{id}")]
pub async fn get_city(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    Ok(ok_with_etag(&CityOut::from(services::cities::get(&state.db, &id).await?)))
}

crate::crud_routes! {
    resource: Cities,
    tag: "cities",
    collection_path: "/api/v1/cities",
    item_path: "/api/v1/cities/{id}",
    revisions_path: "/api/v1/cities/{id}/revisions",
    scope_collection: "/cities",
    scope_item: "/cities/{id}",
    scope_revisions: "/cities/{id}/revisions",
    ids: ["create_city", "replace_city", "patch_city", "delete_city", "list_city_revisions"],
    out: CityOut,
    input: CityIn,
    patch: CityPatch,
}
