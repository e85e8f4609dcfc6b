//! An issued notice; natural key (city, doc number).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub city_id: Uuid,
    pub doc_number: String,
    pub title: String,
    pub issuer: String,
    pub issued_on: Date,
    pub published_at: Option<DateTimeUtc>,
    pub recipients: Option<String>,
    pub cc: Option<String>,
    pub disclosure: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
