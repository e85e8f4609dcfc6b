//! A dated progress report by a unit on an item: what the unit says the item's status and
//! progress were on the as-of date, what it met and what help it asks for.
use sea_orm::entity::prelude::*;

pub use crate::enums::Status;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "progress_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub item_id: Uuid,
    /// The unit that reports: one of the item's units when it was filed.
    pub unit_id: Uuid,
    /// The item's city, kept here so that a city's reports are one index range.
    pub city_id: Uuid,
    /// The day the report speaks for.
    pub as_of: Date,
    pub status: Status,
    pub progress: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// 存在问题: what the unit met.
    pub problems: Option<String>,
    /// 需协调事项: what the unit cannot solve alone and asks help for.
    pub help_requested: Option<String>,
    /// The account that filed it, as it was named then (a report is a record of that moment).
    pub filed_by_id: Option<Uuid>,
    pub filed_by_name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::item::Entity", from = "Column::ItemId", to = "super::item::Column::Id")]
    Item,
    #[sea_orm(belongs_to = "super::unit::Entity", from = "Column::UnitId", to = "super::unit::Column::Id")]
    Unit,
    #[sea_orm(belongs_to = "super::city::Entity", from = "Column::CityId", to = "super::city::Column::Id")]
    City,
}

impl ActiveModelBehavior for ActiveModel {}
