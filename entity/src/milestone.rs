//! A dated milestone of an item (节点目标): a step with its own due date, done on a day or not yet.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    /// Its place in the item's list, as the writer gave it.
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub due_on: Date,
    /// When it was done; `None` while it is not.
    pub done_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::item::Entity", from = "Column::ItemId", to = "super::item::Column::Id")]
    Item,
}

impl ActiveModelBehavior for ActiveModel {}
