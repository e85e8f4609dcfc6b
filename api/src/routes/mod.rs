//! HTTP handlers and the DTOs they speak. Handlers extract, call a service and map the result.

pub mod cities;
pub mod crud;
pub mod documents;
pub mod health;
pub mod imports;
pub mod items;
pub mod people;
pub mod revisions;
pub mod sections;
pub mod users;

use actix_web::web;
use chrono::{DateTime, Utc};
use entity::{city, item_unit, item_unit::UnitRole, leader, unit};
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};
use uuid::Uuid;

use crate::error::Problem;

/// Registers every `/api/v1` route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(cities::list_cities)
        .service(cities::get_city)
        .service(cities::create)
        .service(cities::replace)
        .service(cities::patch)
        .service(cities::delete)
        .service(cities::revisions)
        .service(people::leader_writes::create)
        .service(people::leader_writes::replace)
        .service(people::leader_writes::patch)
        .service(people::leader_writes::delete)
        .service(people::leader_writes::revisions)
        .service(people::unit_writes::create)
        .service(people::unit_writes::replace)
        .service(people::unit_writes::patch)
        .service(people::unit_writes::delete)
        .service(people::unit_writes::revisions)
        .service(documents::create)
        .service(documents::replace)
        .service(documents::patch)
        .service(documents::delete)
        .service(documents::revisions)
        .service(sections::list_sections)
        .service(sections::get_section)
        .service(sections::create)
        .service(sections::replace)
        .service(sections::patch)
        .service(sections::delete)
        .service(sections::revisions)
        .service(items::work_item_writes::create)
        .service(items::work_item_writes::replace)
        .service(items::work_item_writes::patch)
        .service(items::work_item_writes::delete)
        .service(items::work_item_writes::revisions)
        .service(items::livelihood_project_writes::create)
        .service(items::livelihood_project_writes::replace)
        .service(items::livelihood_project_writes::patch)
        .service(items::livelihood_project_writes::delete)
        .service(items::livelihood_project_writes::revisions)
        .service(users::create_token)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::create_user)
        .service(users::replace_user)
        .service(users::patch_user)
        .service(users::delete_user)
        .service(users::list_user_revisions)
        .service(imports::create_import)
        .service(documents::list_documents)
        .service(documents::get_document)
        .service(people::list_leaders)
        .service(people::get_leader)
        .service(people::list_units)
        .service(people::get_unit)
        .service(items::list_work_items)
        .service(items::get_work_item)
        .service(items::list_livelihood_projects)
        .service(items::get_livelihood_project);
}

/// The errors a list can answer with.
#[derive(IntoResponses)]
pub enum ListErrors {
    /// A parameter is unknown or malformed, or out of range.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// The errors a single-resource read can answer with.
#[derive(IntoResponses)]
pub enum GetErrors {
    /// The id is malformed.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(#[to_schema] Problem),
    /// No resource has this id.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(#[to_schema] Problem),
    /// The server failed; the detail never says why.
    #[response(status = 500, content_type = "application/problem+json")]
    Internal(#[to_schema] Problem),
}

/// A city, as other resources embed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CityRef {
    pub id: Uuid,
    #[schema(example = "330382")]
    pub code: String,
    #[schema(example = "乐清市")]
    pub name: String,
}

impl From<&city::Model> for CityRef {
    fn from(city: &city::Model) -> Self {
        Self { id: city.id, code: city.code.clone(), name: city.name.clone() }
    }
}

/// A leader, as items embed them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaderRef {
    pub id: Uuid,
    #[schema(example = "何学考")]
    pub name: String,
    #[schema(example = "常务副市长")]
    pub title: Option<String>,
}

impl From<&leader::Model> for LeaderRef {
    fn from(leader: &leader::Model) -> Self {
        Self { id: leader.id, name: leader.name.clone(), title: leader.title.clone() }
    }
}

/// A unit's part in an item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRoleOut {
    /// The unit's id.
    pub id: Uuid,
    #[schema(example = "市交通运输局")]
    pub name: String,
    pub role: UnitRole,
    /// What the source adds in brackets for this item, e.g. 数据监测.
    pub note: Option<String>,
}

impl From<&(item_unit::Model, unit::Model)> for UnitRoleOut {
    fn from((row, unit): &(item_unit::Model, unit::Model)) -> Self {
        Self { id: unit.id, name: unit.name.clone(), role: row.role, note: row.note.clone() }
    }
}

/// Timestamps every stored resource has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Timestamps {
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
