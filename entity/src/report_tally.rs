//! Report trends counted ahead: per month or quarter, per city, unit or leader, and per document,
//! the figures the trends statement computes from the reports. Every write that changes what the
//! reports count keeps it exact, in its own transaction (`api::domain::trend_tallies`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_tallies")]
pub struct Model {
    /// `month` or `quarter`, as the trends' `interval` is spelled.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_kind: String,
    /// `city`, `unit` or `leader`, as the trends' `group_by` is spelled.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_kind: String,
    /// The reports' city, so that one city's tallies are one index range.
    #[sea_orm(primary_key, auto_increment = false)]
    pub city_id: Uuid,
    /// The first day of the month or quarter.
    #[sea_orm(primary_key, auto_increment = false)]
    pub period_start: Date,
    /// The city, unit or leader counted.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: Uuid,
    /// The items' document: an item is in one, so items counted per document add up exactly.
    #[sea_orm(primary_key, auto_increment = false)]
    pub document_id: Uuid,
    pub reports: i64,
    pub progress_sum: i64,
    /// Items with a report in the bucket.
    pub items: i64,
    /// Items with a report in the bucket that says completed.
    pub completed: i64,
    /// Items with a report in the bucket dated after their due date and not completed or cancelled.
    pub overdue: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
