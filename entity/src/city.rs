//! A county-level city; its natural key is the admin division code.
use sea_orm::entity::prelude::*;

pub use crate::enums::ReportingCycle;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub province: String,
    pub prefecture: String,
    /// How often its units report; `None`: the city sets no cycle.
    pub reporting_cycle: Option<ReportingCycle>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
