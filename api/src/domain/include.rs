//! `include=`: embedding related resources in full in the records of a page, with one query per
//! kind of relation for the whole page.

use std::collections::{HashMap, HashSet};

use entity::city;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    domain::documents,
    error::{ApiError, Result},
    views::{cities::CityOut, documents::DocumentOut},
};

/// Embeds what `include` names (comma-separated) into `items`, the JSON of a page's records:
/// `city` replaces the city reference, `document` is added beside `document_id`. A name outside
/// `includable` is a 400.
pub async fn embed(
    db: &impl ConnectionTrait,
    items: &mut [Value],
    include: Option<&str>,
    includable: &[&str],
) -> Result<()> {
    // Exactly the names the document lists, comma-separated: an empty name between commas is unknown.
    let wanted: HashSet<&str> = match include.unwrap_or("") {
        "" => HashSet::new(),
        names => names.split(',').collect(),
    };
    if let Some(unknown) = wanted.iter().find(|name| !includable.contains(name)) {
        let allowed = if includable.is_empty() { "nothing".to_owned() } else { includable.join(", ") };
        return Err(ApiError::bad_field("include", format!("cannot include `{unknown}` here; use {allowed}")));
    }
    if wanted.contains("city") {
        let ids = ids_at(items, "/city/id");
        let cities = city::Entity::find().filter(city::Column::Id.is_in(ids)).all(db).await?;
        let full = cities.into_iter().map(|c| (c.id.to_string(), to_json(CityOut::from(c)))).collect();
        replace_at(items, "/city/id", "city", &full);
    }
    if wanted.contains("document") {
        let ids = ids_at(items, "/document_id");
        let full = documents::load_many(db, ids)
            .await?
            .into_iter()
            .map(|d| (d.document.id.to_string(), to_json(DocumentOut::from(d))))
            .collect();
        replace_at(items, "/document_id", "document", &full);
    }
    Ok(())
}

fn to_json(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The ids found at `pointer` in the records.
fn ids_at(items: &[Value], pointer: &str) -> Vec<Uuid> {
    items.iter().filter_map(|item| item.pointer(pointer)?.as_str()?.parse().ok()).collect()
}

/// Sets `field` of every record to the resource whose id is at `pointer`.
fn replace_at(items: &mut [Value], pointer: &str, field: &str, full: &HashMap<String, Value>) {
    for item in items {
        let id = item.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
        if let (Some(id), Some(map)) = (id, item.as_object_mut()) {
            map.insert(field.to_owned(), full.get(&id).cloned().unwrap_or(Value::Null));
        }
    }
}
