//! What an import touches, as the API shows it, before and after: the difference is what the
//! revision log records, so imported records reach the change feed like any other write.

use entity::{city, document, item, leader, section, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        dependents::{self, Target},
        journal::{Action, Change},
        snapshots::{Snapshots, snapshots},
    },
    error::Result,
};

/// The ids `select` finds, as targets of `collection`.
async fn targets<E: EntityTrait>(
    db: &impl ConnectionTrait,
    collection: &'static str,
    select: Select<E>,
    id: E::Column,
) -> Result<Vec<Target>> {
    let ids: Vec<Uuid> = select.select_only().column(id).into_tuple().all(db).await?;
    Ok(ids.into_iter().map(|id| (collection, id)).collect())
}

/// The city with `code`, its leaders and units, and the document `doc_number` of it with its
/// sections and items.
pub async fn of_document(db: &impl ConnectionTrait, code: &str, doc_number: &str) -> Result<Snapshots> {
    let Some(city) = city::Entity::find().filter(city::Column::Code.eq(code)).one(db).await? else {
        return Ok(Snapshots::new());
    };
    let mut all = vec![("cities", city.id)];
    all.extend(
        targets(db, "leaders", leader::Entity::find().filter(leader::Column::CityId.eq(city.id)), leader::Column::Id)
            .await?,
    );
    all.extend(
        targets(db, "units", unit::Entity::find().filter(unit::Column::CityId.eq(city.id)), unit::Column::Id).await?,
    );
    let found = document::Entity::find()
        .filter(document::Column::CityId.eq(city.id))
        .filter(document::Column::DocNumber.eq(doc_number))
        .one(db)
        .await?;
    if let Some(document) = found {
        all.push(("documents", document.id));
        let sections = section::Entity::find().filter(section::Column::DocumentId.eq(document.id));
        all.extend(targets(db, "sections", sections, section::Column::Id).await?);
        let items = item::Entity::find().filter(item::Column::DocumentId.eq(document.id));
        all.extend(dependents::items(db, items).await?);
    }
    snapshots(db, &all).await
}

/// The creations and updates that turn `before` into `after`, parents first. An import never
/// deletes, so records only in `before` cannot occur.
pub fn changes_between(before: Snapshots, mut after: Snapshots) -> Vec<Change> {
    const ORDER: [&str; 7] = [
        collection::CITIES,
        collection::LEADERS,
        collection::UNITS,
        collection::DOCUMENTS,
        collection::SECTIONS,
        collection::WORK_ITEMS,
        collection::LIVELIHOOD_PROJECTS,
    ];
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
