//! HTTP handlers and the DTOs they speak. Handlers extract, call a service and map the result.

pub mod changes;
pub mod cities;
pub mod crud;
pub mod documents;
pub mod feeds;
pub mod health;
pub mod imports;
pub mod items;
pub mod people;
pub mod revisions;
pub mod sections;
pub mod stats;
pub mod users;

use std::collections::{HashMap, HashSet};

use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use entity::{city, item_unit, item_unit::UnitRole, leader, unit};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoResponses, ToSchema};
use uuid::Uuid;

use crate::{
    error::{ApiError, Problem, Result},
    listing::{ListOptions, Listing},
    startup::AppState,
};

/// Responds with a list: records serialised, `include`d resources embedded in full (`city`
/// replaces the city reference, `document` is added beside `document_id`), then
/// [`Listing::respond`].
pub async fn list_response<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    options: &ListOptions,
    listing: Listing<T>,
    includable: &[&str],
) -> Result<HttpResponse> {
    let mut listing = listing.map(|item| serde_json::to_value(item).unwrap_or(Value::Null));
    let wanted: HashSet<&str> =
        options.include.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = wanted.iter().find(|name| !includable.contains(name)) {
        let allowed = if includable.is_empty() { "nothing".to_owned() } else { includable.join(", ") };
        return Err(ApiError::bad_field("include", format!("cannot include `{unknown}` here; use {allowed}")));
    }
    let ids_at = |items: &[Value], pointer: &str| -> Vec<Uuid> {
        items.iter().filter_map(|item| item.pointer(pointer)?.as_str()?.parse().ok()).collect()
    };
    if wanted.contains("city") {
        let ids = ids_at(&listing.items, "/city/id");
        let cities = city::Entity::find().filter(city::Column::Id.is_in(ids)).all(&state.db).await?;
        let full: HashMap<String, Value> = cities
            .into_iter()
            .map(|c| (c.id.to_string(), serde_json::to_value(cities::CityOut::from(c)).unwrap_or(Value::Null)))
            .collect();
        for item in &mut listing.items {
            let id = item.pointer("/city/id").and_then(Value::as_str).map(str::to_owned);
            if let (Some(id), Some(map)) = (id, item.as_object_mut()) {
                map.insert("city".to_owned(), full.get(&id).cloned().unwrap_or(Value::Null));
            }
        }
    }
    if wanted.contains("document") {
        let ids = ids_at(&listing.items, "/document_id");
        let documents = crate::services::documents::load_many(&state.db, ids).await?;
        let full: HashMap<String, Value> = documents
            .into_iter()
            .map(|d| {
                (
                    d.document.id.to_string(),
                    serde_json::to_value(documents::DocumentOut::from(d)).unwrap_or(Value::Null),
                )
            })
            .collect();
        for item in &mut listing.items {
            let id = item.pointer("/document_id").and_then(Value::as_str).map(str::to_owned);
            if let (Some(id), Some(map)) = (id, item.as_object_mut()) {
                map.insert("document".to_owned(), full.get(&id).cloned().unwrap_or(Value::Null));
            }
        }
    }
    Ok(listing.respond(req, options))
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
