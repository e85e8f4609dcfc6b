//! What an import touches, as the API shows it, before and after: the difference is what the
//! revision log records, so imported records reach the change feed like any other write.

use std::collections::BTreeMap;

use entity::{city, document, item, leader, section, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::Result,
    journal::{Action, Change},
    resource::{Resource, snapshot},
    services::{
        cities::Cities,
        documents::Documents,
        items::item_snapshots,
        people::{Leaders, Units, leader_out, unit_out, with_cities},
        sections::Sections,
    },
};

/// Records by (collection, id): their city and their JSON.
pub type Snapshots = BTreeMap<(&'static str, Uuid), (Option<Uuid>, Value)>;

/// The city with `code`, its leaders and units, and the document `doc_number` of it with its
/// sections and items.
pub async fn of_document(db: &impl ConnectionTrait, code: &str, doc_number: &str) -> Result<Snapshots> {
    let mut all = Snapshots::new();
    let Some(city) = city::Entity::find().filter(city::Column::Code.eq(code)).one(db).await? else {
        return Ok(all);
    };
    all.insert((Cities::COLLECTION, city.id), (None, snapshot(&Cities::load(db, city.id).await?)?));

    let leaders = leader::Entity::find().filter(leader::Column::CityId.eq(city.id)).all(db).await?;
    for out in with_cities(db, leaders, |l| l.city_id, leader_out).await? {
        all.insert((Leaders::COLLECTION, out.id), (Some(city.id), snapshot(&out)?));
    }
    let units = unit::Entity::find().filter(unit::Column::CityId.eq(city.id)).all(db).await?;
    for out in with_cities(db, units, |u| u.city_id, unit_out).await? {
        all.insert((Units::COLLECTION, out.id), (Some(city.id), snapshot(&out)?));
    }

    let found = document::Entity::find()
        .filter(document::Column::CityId.eq(city.id))
        .filter(document::Column::DocNumber.eq(doc_number))
        .one(db)
        .await?;
    let Some(document) = found else { return Ok(all) };
    all.insert(
        (Documents::COLLECTION, document.id),
        (Some(city.id), snapshot(&Documents::load(db, document.id).await?)?),
    );
    let section_ids: Vec<Uuid> = section::Entity::find()
        .select_only()
        .column(section::Column::Id)
        .filter(section::Column::DocumentId.eq(document.id))
        .into_tuple()
        .all(db)
        .await?;
    for id in section_ids {
        all.insert((Sections::COLLECTION, id), (Some(city.id), snapshot(&Sections::load(db, id).await?)?));
    }
    let item_ids: Vec<Uuid> = item::Entity::find()
        .select_only()
        .column(item::Column::Id)
        .filter(item::Column::DocumentId.eq(document.id))
        .into_tuple()
        .all(db)
        .await?;
    for (collection, id, city_id, json) in item_snapshots(db, item_ids).await? {
        all.insert((collection, id), (Some(city_id), json));
    }
    Ok(all)
}

/// The creations and updates that turn `before` into `after`, parents first. An import never
/// deletes, so records only in `before` cannot occur.
pub fn changes_between(before: Snapshots, mut after: Snapshots) -> Vec<Change> {
    const ORDER: [&str; 7] =
        ["cities", "leaders", "units", "documents", "sections", "work-items", "livelihood-projects"];
    let mut changes = Vec::new();
    for collection in ORDER {
        let keys: Vec<(&'static str, Uuid)> = after.keys().filter(|(c, _)| *c == collection).copied().collect();
        for key in keys {
            let Some((city_id, now)) = after.remove(&key) else { continue };
            let old = before.get(&key).map(|(_, json)| json.clone());
            if old.as_ref() == Some(&now) {
                continue;
            }
            changes.push(Change {
                resource_type: key.0,
                resource_id: key.1,
                city_id,
                action: if old.is_some() { Action::Update } else { Action::Create },
                before: old,
                after: Some(now),
            });
        }
    }
    changes
}
