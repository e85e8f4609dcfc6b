//! What an import touches, as the API shows it, before and after: the difference is what the
//! revision log records, so imported records reach the change feed like any other write.

use std::collections::HashMap;

use chrono::{DateTime, Timelike, Utc};
use entity::{city, document, item, item_unit, leader, section, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Select};
use uuid::Uuid;

use super::Parents;
use crate::{
    domain::{
        collection,
        dependents::{self, Target},
        items::{
            read::{ItemRecord, ItemRow},
            write::item_snapshot,
        },
        journal::{Action, Change},
        snapshots::{Snapshots, snapshots},
    },
    error::Result,
    views::UnitRoleOut,
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
/// sections and items; those in `known` as given there, the others as read.
pub async fn of_document(
    db: &impl ConnectionTrait,
    code: &str,
    doc_number: &str,
    known: Snapshots,
) -> Result<Snapshots> {
    let Some(city) = city::Entity::find().filter(city::Column::Code.eq(code)).one(db).await? else {
        return Ok(known);
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
    all.retain(|target| !known.contains_key(target));
    let mut found = snapshots(db, &all).await?;
    found.extend(known);
    Ok(found)
}

/// What the items an import creates show of their parents, owned: they are shown on another
/// thread while they are written.
pub(super) struct Embedded {
    city: city::Model,
    sections: HashMap<Uuid, section::Model>,
    leaders: HashMap<Uuid, leader::Model>,
    unit_names: HashMap<Uuid, String>,
}

impl Embedded {
    pub(super) fn of(parents: &Parents) -> Self {
        Self {
            city: parents.city.clone(),
            sections: parents.sections.iter().map(|s| (s.id, s.clone())).collect(),
            leaders: parents.leaders.clone(),
            unit_names: parents.unit_ids.iter().map(|(name, id)| (*id, name.clone())).collect(),
        }
    }
}

/// The items an import creates, as the API shows them once written: built from the rows it
/// writes, as [`snapshots`] would read them back (10,000 items on a first import of a large
/// document; reading them cost more than writing them).
///
/// PostgreSQL keeps timestamps to the microsecond (the driver drops the rest), so they are shown
/// so here; SQLite keeps what it is given.
pub(super) fn of_created(
    backend: DbBackend,
    embedded: &Embedded,
    items: &[item::Model],
    units: &[item_unit::Model],
) -> Result<Snapshots> {
    let mut units_of: HashMap<Uuid, Vec<UnitRoleOut>> = HashMap::new();
    // The rows of each item are in its order already (`position`).
    for row in units {
        units_of.entry(row.item_id).or_default().push(UnitRoleOut {
            id: row.unit_id,
            name: embedded.unit_names[&row.unit_id].clone(),
            role: row.role,
            note: row.note.clone(),
        });
    }
    let stored = |at: DateTime<Utc>| match backend {
        DbBackend::Postgres => at.with_nanosecond(at.nanosecond() / 1_000 * 1_000).unwrap_or(at),
        _ => at,
    };
    let mut all = Snapshots::new();
    for item in items {
        let mut row = ItemRow::of(
            item,
            &embedded.city,
            &embedded.sections[&item.section_id],
            item.leader_id.map(|id| &embedded.leaders[&id]),
        );
        (row.created_at, row.updated_at) = (stored(row.created_at), stored(row.updated_at));
        let record =
            ItemRecord { item: row, units: units_of.remove(&item.id).unwrap_or_default(), milestones: Vec::new() };
        let (collection, id, city, json) = item_snapshot(record)?;
        all.insert((collection, id), (Some(city), json));
    }
    Ok(all)
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
