//! A unit's part in an item, with its role; one row per (item, unit).
use std::collections::HashMap;

use sea_orm::entity::prelude::*;

pub use crate::enums::{ItemKind, UnitRole};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "item_units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    pub role: UnitRole,
    /// A parenthetical the source attaches to the unit for this item, e.g. 数据监测.
    pub note: Option<String>,
    /// Order in which the source lists the unit.
    pub position: i32,
    // The item's kind and place in document order, copied from it, so that an index of the unit
    // rows pages a unit's items in order without reading the items (migration 17). Every insert
    // fills them from the item ([`Model::of`]); a trigger moves them when the item moves.
    pub kind: ItemKind,
    pub document_id: Uuid,
    pub section_number: i32,
    pub group_number: i32,
    pub seq: i32,
    pub sub_seq: i32,
}

impl Model {
    /// `unit_id`'s row of `item`, listed `position`th, with its `note`.
    pub fn of(item: &super::item::Model, unit_id: Uuid, role: UnitRole, note: Option<String>, position: i32) -> Self {
        Self {
            item_id: item.id,
            unit_id,
            role,
            note,
            position,
            kind: item.kind,
            document_id: item.document_id,
            section_number: item.section_number,
            group_number: item.group_number,
            seq: item.seq,
            sub_seq: item.sub_seq,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::unit::Entity", from = "Column::UnitId", to = "super::unit::Column::Id")]
    Unit,
    #[sea_orm(belongs_to = "super::item::Entity", from = "Column::ItemId", to = "super::item::Column::Id")]
    Item,
}

impl ActiveModelBehavior for ActiveModel {}

/// The unit rows of the given items, by item id, each item's in the order the source lists them.
pub async fn load_by_items(
    db: &impl ConnectionTrait,
    item_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Vec<Model>>, DbErr> {
    let ids: Vec<Uuid> = item_ids.into_iter().collect();
    let mut by_item: HashMap<Uuid, Vec<Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in Entity::find().filter(Column::ItemId.is_in(chunk.iter().copied())).all(db).await? {
            by_item.entry(row.item_id).or_default().push(row);
        }
    }
    for rows in by_item.values_mut() {
        rows.sort_by_key(|row| row.position);
    }
    Ok(by_item)
}
