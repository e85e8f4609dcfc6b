//! Records that show part of another: an item shows its section's title and its city's name, a
//! section counts its items. When a write changes what such records show, the change feed must
//! carry their new form too, or a mirror drifts. This module names the dependents of a record and
//! snapshots them before and after a write.

use std::collections::BTreeMap;

use entity::{city, document, item, item_unit, leader, section, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::Result,
    journal::{Action, Change},
    resource::{Resource, snapshot},
    routes::cities::CityOut,
    services::{
        cities::Cities,
        documents::{Documents, load_many},
        item_writes::item_snapshots,
        people::{Leaders, Units, leader_out, unit_out, with_cities},
        sections::{self, Sections},
    },
};

/// A record by collection and id.
pub type Target = (&'static str, Uuid);

/// What the API shows of each target that exists, with its city.
pub type Snapshots = BTreeMap<Target, (Option<Uuid>, Value)>;

async fn ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: sea_orm::Select<E>,
    column: E::Column,
) -> Result<Vec<Uuid>> {
    Ok(select.select_only().column(column).into_tuple().all(db).await?)
}

/// The section and document an item is counted in.
pub async fn of_item_section(db: &impl ConnectionTrait, section_id: Uuid) -> Result<Vec<Target>> {
    let document = section::Entity::find_by_id(section_id).one(db).await?.map(|s| s.document_id);
    Ok([Some((Sections::COLLECTION, section_id)), document.map(|d| (Documents::COLLECTION, d))]
        .into_iter()
        .flatten()
        .collect())
}

/// The items of a section and its document, which show the section.
pub async fn of_section(db: &impl ConnectionTrait, section_id: Uuid, document_id: Uuid) -> Result<Vec<Target>> {
    let mut targets = items(db, item::Entity::find().filter(item::Column::SectionId.eq(section_id))).await?;
    targets.push((Documents::COLLECTION, document_id));
    Ok(targets)
}

/// The items a leader leads.
pub async fn of_leader(db: &impl ConnectionTrait, leader_id: Uuid) -> Result<Vec<Target>> {
    items(db, item::Entity::find().filter(item::Column::LeaderId.eq(leader_id))).await
}

/// The items that name a unit.
pub async fn of_unit(db: &impl ConnectionTrait, unit_id: Uuid) -> Result<Vec<Target>> {
    let item_ids =
        ids(db, item_unit::Entity::find().filter(item_unit::Column::UnitId.eq(unit_id)), item_unit::Column::ItemId)
            .await?;
    let items = item::Entity::find().filter(item::Column::Id.is_in(item_ids));
    self::items(db, items).await
}

/// Everything that shows a city: its documents, sections, leaders, units and items.
pub async fn of_city(db: &impl ConnectionTrait, city_id: Uuid) -> Result<Vec<Target>> {
    let documents =
        ids(db, document::Entity::find().filter(document::Column::CityId.eq(city_id)), document::Column::Id).await?;
    let sections = ids(
        db,
        section::Entity::find().filter(section::Column::DocumentId.is_in(documents.clone())),
        section::Column::Id,
    )
    .await?;
    let leaders =
        ids(db, leader::Entity::find().filter(leader::Column::CityId.eq(city_id)), leader::Column::Id).await?;
    let units = ids(db, unit::Entity::find().filter(unit::Column::CityId.eq(city_id)), unit::Column::Id).await?;
    let mut targets: Vec<Target> = documents.into_iter().map(|id| (Documents::COLLECTION, id)).collect();
    targets.extend(sections.into_iter().map(|id| (Sections::COLLECTION, id)));
    targets.extend(leaders.into_iter().map(|id| (Leaders::COLLECTION, id)));
    targets.extend(units.into_iter().map(|id| (Units::COLLECTION, id)));
    targets.extend(items(db, item::Entity::find().filter(item::Column::CityId.eq(city_id))).await?);
    Ok(targets)
}

/// The items `select` finds, each under its own collection.
pub async fn items(db: &impl ConnectionTrait, select: sea_orm::Select<item::Entity>) -> Result<Vec<Target>> {
    let rows: Vec<(Uuid, item::ItemKind)> =
        select.select_only().column(item::Column::Id).column(item::Column::Kind).into_tuple().all(db).await?;
    Ok(rows.into_iter().map(|(id, kind)| (crate::services::items::resource_name(kind), id)).collect())
}

/// Snapshots of the targets that exist, loaded a collection at a time (a few queries whatever
/// their number).
pub async fn snapshots(db: &impl ConnectionTrait, targets: &[Target]) -> Result<Snapshots> {
    let of = |collection: &str| -> Vec<Uuid> {
        targets.iter().filter(|(c, _)| *c == collection).map(|(_, id)| *id).collect()
    };
    let mut all = Snapshots::new();
    let item_ids: Vec<Uuid> =
        targets.iter().filter(|(c, _)| *c == "work-items" || *c == "livelihood-projects").map(|(_, id)| *id).collect();
    for (collection, id, city, json) in item_snapshots(db, item_ids).await? {
        all.insert((collection, id), (Some(city), json));
    }
    for record in load_many(db, of(Documents::COLLECTION)).await? {
        let out = crate::routes::documents::DocumentOut::from(record);
        all.insert((Documents::COLLECTION, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    for out in sections::load_many(db, of(Sections::COLLECTION)).await? {
        all.insert((Sections::COLLECTION, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    for city in city::Entity::find().filter(city::Column::Id.is_in(of(Cities::COLLECTION))).all(db).await? {
        // A city belongs to no city: only admins write it.
        all.insert((Cities::COLLECTION, city.id), (None, snapshot(&CityOut::from(city))?));
    }
    let leaders = leader::Entity::find().filter(leader::Column::Id.is_in(of(Leaders::COLLECTION))).all(db).await?;
    for out in with_cities(db, leaders, |l| l.city_id, leader_out).await? {
        all.insert((Leaders::COLLECTION, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    let units = unit::Entity::find().filter(unit::Column::Id.is_in(of(Units::COLLECTION))).all(db).await?;
    for out in with_cities(db, units, |u| u.city_id, unit_out).await? {
        all.insert((Units::COLLECTION, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    Ok(all)
}

/// Updates for the targets that still exist and no longer look as the revision log last recorded
/// them. Call it after [`crate::journal::serialize`]: then every earlier writer has committed, what
/// is read here includes their changes, and the last recorded form is the one a mirror holds — so
/// concurrent writers to the same section cannot leave its item count stale in the feed.
pub async fn unrecorded_updates(db: &impl ConnectionTrait, targets: &[Target]) -> Result<Vec<Change>> {
    let now = snapshots(db, targets).await?;
    let recorded = crate::journal::last_recorded(db, targets).await?;
    Ok(now
        .into_iter()
        .filter_map(|((collection, id), (city, new))| {
            let old = recorded.get(&(collection.to_owned(), id)).cloned().flatten();
            (old.as_ref() != Some(&new)).then_some(Change {
                resource_type: collection,
                resource_id: id,
                city_id: city,
                action: Action::Update,
                before: old,
                after: Some(new),
            })
        })
        .collect())
}
