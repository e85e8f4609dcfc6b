//! What crosses the wire: request bodies (`*In`, `*Patch`), query parameters, responses
//! (`*Out`, `*Ref`, `Page<T>`), the problem document, and the conversions from stored records.
//! Nothing here reads the database or knows HTTP.
//!
//! The JSON of these types is also domain data: ETags hash it, revisions store it, cursors read
//! it by JSON pointer. Change a field only on purpose (see `ARCHITECTURE.md`).

pub mod changes;
pub mod cities;
pub mod collection;
pub mod documents;
pub mod feeds;
pub mod health;
pub mod import;
pub mod items;
pub mod landing;
pub mod notice;
pub mod page;
pub mod people;
pub mod problem;
pub mod reports;
pub mod revisions;
pub mod sections;
pub mod stats;
pub mod users;
pub mod values;

use entity::{city, item_unit, item_unit::UnitRole, leader, unit};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

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

/// The one rule for absent versus `null` in responses, stated in the OpenAPI document's
/// description and applied to its schemas: every property of a response is always sent, `null`
/// when it has no value; only the properties listed in [`OMITTED_WHEN_EMPTY`] are left out instead
/// (and are then never `null`).
pub const ABSENT_OR_NULL: &str = "Absent or null: every property of a response is always present, and is `null` \
     when it has no value. The only exceptions are left out when they have nothing to say, and are never `null`: \
     `links.prev` and `links.next` of a page, `next_url` of a feed, `errors` of a problem, and the resources that \
     `include=` adds or `fields=` leaves out. A request may leave out any property that is not required.";

/// The response properties (schema, property) that are left out when empty instead of sent as
/// `null` (serde's `skip_serializing_if`); see [`ABSENT_OR_NULL`].
pub const OMITTED_WHEN_EMPTY: [(&str, &str); 5] = [
    ("PageLinks", "prev"),
    ("PageLinks", "next"),
    ("JsonFeed", "next_url"),
    ("Problem", "errors"),
    ("ItemFields", "document"),
];
