//! `/api/v1/leaders` and `/api/v1/units`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::{city, leader, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    error::Result,
    query::{IdOrName, ListQuery, Page, Paging},
    routes::{CityRef, GetErrors, ListErrors},
    services::{self, items::by_id, people::NamedFilter},
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

/// Parameters of the leader and unit lists.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NamedListParams {
    /// Page size.
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// Records to skip.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
    /// `name` (default) or `created_at`; `-` sorts descending.
    pub sort: Option<String>,
    /// City id or admin division code.
    #[param(example = "330382")]
    pub city: Option<String>,
    /// Substring of the name.
    pub q: Option<String>,
}

impl NamedListParams {
    fn filter(&self) -> Result<NamedFilter> {
        Ok(NamedFilter {
            city: self.city.as_deref().map(IdOrName::parse_city).transpose()?,
            q: self.q.clone(),
        })
    }
}

/// The cities of `city_ids`, for embedding.
async fn cities_of(
    db: &impl ConnectionTrait,
    city_ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, CityRef>> {
    let cities = city::Entity::find()
        .filter(city::Column::Id.is_in(city_ids))
        .all(db)
        .await?;
    Ok(by_id(cities, |c| c.id)
        .into_iter()
        .map(|(id, c)| (id, CityRef::from(&c)))
        .collect())
}

fn leader_out(l: leader::Model, city: CityRef) -> LeaderOut {
    LeaderOut {
        id: l.id,
        city,
        name: l.name,
        title: l.title,
        created_at: l.created_at,
        updated_at: l.updated_at,
    }
}

fn unit_out(u: unit::Model, city: CityRef) -> UnitOut {
    UnitOut {
        id: u.id,
        city,
        name: u.name,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

/// Embeds each record's city, which every record has (the foreign key guarantees it).
async fn with_cities<M, T>(
    db: &impl ConnectionTrait,
    page: Page<M>,
    city_id: impl Fn(&M) -> Uuid,
    out: impl Fn(M, CityRef) -> T,
) -> Result<Page<T>> {
    let cities = cities_of(db, page.items.iter().map(&city_id)).await?;
    let items = page
        .items
        .into_iter()
        .map(|m| {
            let city = cities
                .get(&city_id(&m))
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("a record's city is missing"))?;
            Ok(out(m, city))
        })
        .collect::<Result<Vec<T>>>()?;
    Ok(Page {
        items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// List leaders.
#[utoipa::path(
    get,
    path = "/api/v1/leaders",
    tag = "leaders",
    operation_id = "list_leaders",
    params(NamedListParams),
    responses((status = 200, description = "A page of leaders", body = Page<LeaderOut>), ListErrors)
)]
#[get("/leaders")]
pub async fn list_leaders(
    state: web::Data<AppState>,
    ListQuery(params): ListQuery<NamedListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let paging = Paging::new(params.limit, params.offset)?;
    let page = services::people::list_leaders(
        &state.db,
        &params.filter()?,
        params.sort.as_deref(),
        paging,
    )
    .await?;
    Ok(with_cities(&state.db, page, |l| l.city_id, leader_out)
        .await?
        .respond(&req))
}

/// Get a leader.
#[utoipa::path(
    get,
    path = "/api/v1/leaders/{id}",
    tag = "leaders",
    operation_id = "get_leader",
    params(("id" = Uuid, Path, description = "The leader's id")),
    responses((status = 200, description = "The leader", body = LeaderOut), GetErrors)
)]
#[get("/leaders/{id}")]
pub async fn get_leader(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<LeaderOut>> {
    let leader = services::people::get_leader(&state.db, *id).await?;
    let page = Page {
        items: vec![leader],
        total: 1,
        limit: 1,
        offset: 0,
    };
    let mut page = with_cities(&state.db, page, |l| l.city_id, leader_out).await?;
    Ok(web::Json(page.items.remove(0)))
}

/// List units.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "units",
    operation_id = "list_units",
    params(NamedListParams),
    responses((status = 200, description = "A page of units", body = Page<UnitOut>), ListErrors)
)]
#[get("/units")]
pub async fn list_units(
    state: web::Data<AppState>,
    ListQuery(params): ListQuery<NamedListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let paging = Paging::new(params.limit, params.offset)?;
    let page =
        services::people::list_units(&state.db, &params.filter()?, params.sort.as_deref(), paging)
            .await?;
    Ok(with_cities(&state.db, page, |u| u.city_id, unit_out)
        .await?
        .respond(&req))
}

/// Get a unit.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    tag = "units",
    operation_id = "get_unit",
    params(("id" = Uuid, Path, description = "The unit's id")),
    responses((status = 200, description = "The unit", body = UnitOut), GetErrors)
)]
#[get("/units/{id}")]
pub async fn get_unit(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<UnitOut>> {
    let unit = services::people::get_unit(&state.db, *id).await?;
    let page = Page {
        items: vec![unit],
        total: 1,
        limit: 1,
        offset: 0,
    };
    let mut page = with_cities(&state.db, page, |u| u.city_id, unit_out).await?;
    Ok(web::Json(page.items.remove(0)))
}
