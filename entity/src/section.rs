//! One attachment or plan of a document; natural key (document, number).
use sea_orm::entity::prelude::*;

use crate::enums::ItemKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub document_id: Uuid,
    pub number: i32,
    /// Which kind of item the section lists.
    pub kind: ItemKind,
    pub title: String,
    pub period_start: i32,
    pub period_end: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
