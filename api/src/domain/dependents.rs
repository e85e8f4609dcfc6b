//! Records that show part of another: an item shows its section's title and its city's name, a
//! section counts its items. When a write changes what such records show, the change feed must
//! carry their new form too, or a mirror drifts. This module names the dependents of a record;
//! [`crate::domain::snapshots`] loads them before and after a write.

use entity::{document, item, item_unit, leader, progress_report, section, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{domain::collection, error::Result};

/// A record by collection and id.
pub type Target = (&'static str, Uuid);

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
    Ok([Some((collection::SECTIONS, section_id)), document.map(|d| (collection::DOCUMENTS, d))]
        .into_iter()
        .flatten()
        .collect())
}

/// The items of a section and its document, which show the section.
pub async fn of_section(db: &impl ConnectionTrait, section_id: Uuid, document_id: Uuid) -> Result<Vec<Target>> {
    let mut targets = items(db, item::Entity::find().filter(item::Column::SectionId.eq(section_id))).await?;
    targets.push((collection::DOCUMENTS, document_id));
    Ok(targets)
}

/// The items a leader leads.
pub async fn of_leader(db: &impl ConnectionTrait, leader_id: Uuid) -> Result<Vec<Target>> {
    items(db, item::Entity::find().filter(item::Column::LeaderId.eq(leader_id))).await
}

/// The items that name a unit, and the unit's progress reports.
pub async fn of_unit(db: &impl ConnectionTrait, unit_id: Uuid) -> Result<Vec<Target>> {
    let item_ids =
        ids(db, item_unit::Entity::find().filter(item_unit::Column::UnitId.eq(unit_id)), item_unit::Column::ItemId)
            .await?;
    let items = item::Entity::find().filter(item::Column::Id.is_in(item_ids));
    let mut targets = self::items(db, items).await?;
    let reports = progress_report::Entity::find().filter(progress_report::Column::UnitId.eq(unit_id));
    targets
        .extend(ids(db, reports, progress_report::Column::Id).await?.into_iter().map(|id| (collection::REPORTS, id)));
    Ok(targets)
}

/// Everything that shows a city: its documents, sections, leaders, units, items and reports.
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
    let mut targets: Vec<Target> = documents.into_iter().map(|id| (collection::DOCUMENTS, id)).collect();
    targets.extend(sections.into_iter().map(|id| (collection::SECTIONS, id)));
    targets.extend(leaders.into_iter().map(|id| (collection::LEADERS, id)));
    targets.extend(units.into_iter().map(|id| (collection::UNITS, id)));
    targets.extend(items(db, item::Entity::find().filter(item::Column::CityId.eq(city_id))).await?);
    let reports = progress_report::Entity::find().filter(progress_report::Column::CityId.eq(city_id));
    targets
        .extend(ids(db, reports, progress_report::Column::Id).await?.into_iter().map(|id| (collection::REPORTS, id)));
    Ok(targets)
}

/// The items `select` finds, each under its own collection.
pub async fn items(db: &impl ConnectionTrait, select: sea_orm::Select<item::Entity>) -> Result<Vec<Target>> {
    let rows: Vec<(Uuid, item::ItemKind)> =
        select.select_only().column(item::Column::Id).column(item::Column::Kind).into_tuple().all(db).await?;
    Ok(rows.into_iter().map(|(id, kind)| (collection::of_item(kind), id)).collect())
}
