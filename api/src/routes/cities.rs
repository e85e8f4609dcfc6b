//! `/api/v1/cities`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::city;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    error::Result,
    query::{ListQuery, Page, Paging},
    routes::{GetErrors, ListErrors},
    services,
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

/// Parameters of the city list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CityListParams {
    /// Page size.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Records to skip.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
    /// `code` (default), `name`, `name_en`, `created_at`, `updated_at`; `-` before a field sorts descending.
    pub sort: Option<String>,
    /// Substring of the Chinese or English name.
    pub q: Option<String>,
}

/// List cities.
#[utoipa::path(
    get,
    path = "/api/v1/cities",
    tag = "cities",
    operation_id = "list_cities",
    params(CityListParams),
    responses((status = 200, description = "A page of cities", body = Page<CityOut>), ListErrors)
)]
#[get("/cities")]
pub async fn list_cities(
    state: web::Data<AppState>,
    ListQuery(params): ListQuery<CityListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let paging = Paging::new(params.limit, params.offset)?;
    let page = services::cities::list(
        &state.db,
        params.q.as_deref(),
        params.sort.as_deref(),
        paging,
    )
    .await?;
    Ok(page.map(CityOut::from).respond(&req))
}

/// Get a city by id or admin division code.
#[utoipa::path(
    get,
    path = "/api/v1/cities/{id}",
    tag = "cities",
    operation_id = "get_city",
    params(("id" = String, Path, description = "The city's id, or its 6-digit admin division code", example = "330382")),
    responses((status = 200, description = "The city", body = CityOut), GetErrors)
)]
#[get("/cities/{id}")]
pub async fn get_city(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<CityOut>> {
    Ok(web::Json(
        services::cities::get(&state.db, &id).await?.into(),
    ))
}
