//! How many items of a kind and city each unit has in each role and status, and their progress
//! summed: kept by the database's triggers as items and their units change (migration 12), read
//! by statistics by unit. Never written by the service.
use sea_orm::entity::prelude::*;

pub use crate::enums::{ItemKind, Status, UnitRole};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: ItemKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub city_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: UnitRole,
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: Status,
    /// Items (of this kind and city, this unit in this role, in this status); zero once all left.
    pub items: i64,
    pub progress_sum: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
