//! Snapshots of records as the API shows them, loaded a collection at a time, and the updates the
//! revision log lacks for records a write changed indirectly (see [`crate::domain::dependents`]).

use std::collections::BTreeMap;

use entity::{city, leader, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        dependents::Target,
        documents, items,
        journal::{self, Action, Change},
        people::{leader_out, unit_out, with_cities},
        reports,
        resource::snapshot,
        sections,
    },
    error::Result,
    views::{cities::CityOut, documents::DocumentOut},
};

/// What the API shows of each target that exists, with its city.
pub type Snapshots = BTreeMap<Target, (Option<Uuid>, Value)>;

/// Snapshots of the targets that exist, loaded a collection at a time (a few queries whatever
/// their number).
pub async fn snapshots(db: &impl ConnectionTrait, targets: &[Target]) -> Result<Snapshots> {
    let of = |wanted: &str| -> Vec<Uuid> { targets.iter().filter(|(c, _)| *c == wanted).map(|(_, id)| *id).collect() };
    let mut all = Snapshots::new();
    let item_ids: Vec<Uuid> = targets.iter().filter(|(c, _)| collection::is_items(c)).map(|(_, id)| *id).collect();
    for (collection, id, city, json) in items::write::item_snapshots(db, item_ids).await? {
        all.insert((collection, id), (Some(city), json));
    }
    for record in documents::load_many(db, of(collection::DOCUMENTS)).await? {
        let out = DocumentOut::from(record);
        all.insert((collection::DOCUMENTS, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    for out in sections::load_many(db, of(collection::SECTIONS)).await? {
        all.insert((collection::SECTIONS, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    for city in city::Entity::find().filter(city::Column::Id.is_in(of(collection::CITIES))).all(db).await? {
        // A city belongs to no city: only admins write it.
        all.insert((collection::CITIES, city.id), (None, snapshot(&CityOut::from(city))?));
    }
    let leaders = leader::Entity::find().filter(leader::Column::Id.is_in(of(collection::LEADERS))).all(db).await?;
    for out in with_cities(db, leaders, |l| l.city_id, leader_out).await? {
        all.insert((collection::LEADERS, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    for out in reports::load_many(db, of(collection::REPORTS)).await? {
        all.insert((collection::REPORTS, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    let units = unit::Entity::find().filter(unit::Column::Id.is_in(of(collection::UNITS))).all(db).await?;
    for out in with_cities(db, units, |u| u.city_id, unit_out).await? {
        all.insert((collection::UNITS, out.id), (Some(out.city.id), snapshot(&out)?));
    }
    Ok(all)
}

/// Updates for the targets that still exist and no longer look as the revision log last recorded
/// them. Call it after [`journal::serialize`]: then every earlier writer has committed, what
/// is read here includes their changes, and the last recorded form is the one a mirror holds — so
/// concurrent writers to the same section cannot leave its item count stale in the feed.
pub async fn unrecorded_updates(db: &impl ConnectionTrait, targets: &[Target]) -> Result<Vec<Change>> {
    let now = snapshots(db, targets).await?;
    let recorded = journal::last_recorded(db, targets).await?;
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
