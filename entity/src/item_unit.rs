//! A unit's part in an item, with its role; one row per (item, unit).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A unit's role in an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[serde(rename_all = "snake_case")]
pub enum UnitRole {
    /// Leads the item (牵头单位, or marked `*`).
    #[sea_orm(string_value = "lead")]
    Lead,
    /// Shares the item without leading it.
    #[sea_orm(string_value = "responsible")]
    Responsible,
    /// Cooperates with the lead unit (配合单位).
    #[sea_orm(string_value = "cooperating")]
    Cooperating,
}
