//! A key work item or a livelihood project.
//!
//! Natural key: (section, group number, seq, sub seq). Yueqing restarts its numbering in every
//! leader group, so the group is part of the key; `sub_seq` is 0 for an item that is not split
//! (NULL would defeat the unique index, where NULLs never collide).
use sea_orm::entity::prelude::*;

pub use crate::enums::{ItemKind, Status};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: ItemKind,
    pub city_id: Uuid,
    pub document_id: Uuid,
    pub section_id: Uuid,
    /// The section's number, kept equal to it by every write, so that an index can walk items
    /// in document order.
    pub section_number: i32,
    /// Leader group (work items) or category (livelihood projects) number within the section.
    pub group_number: i32,
    /// Leader group heading or category name, as written.
    pub group_heading: Option<String>,
    pub seq: i32,
    pub sub_seq: i32,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub leader_id: Option<Uuid>,
    pub remarks: Option<String>,
    pub period_start: i32,
    pub period_end: i32,
    /// When the item is due: by default the end of its period ([`end_of_period`]); editable.
    pub due_on: Date,
    pub status: Status,
    pub progress: i32,
    pub progress_note: Option<String>,
    /// Unigrams and bigrams of the content, remarks and unit names, space-separated, for search
    /// (see `api::search`).
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::section::Entity", from = "Column::SectionId", to = "super::section::Column::Id")]
    Section,
    #[sea_orm(belongs_to = "super::city::Entity", from = "Column::CityId", to = "super::city::Column::Id")]
    City,
    #[sea_orm(belongs_to = "super::leader::Entity", from = "Column::LeaderId", to = "super::leader::Column::Id")]
    Leader,
}

impl Related<super::section::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Section.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// The default due date of an item whose period ends in `last_year`: 31 December of that year
/// (2021 → 2021-12-31, 2021–2025 → 2025-12-31).
pub fn end_of_period(last_year: i32) -> Date {
    Date::from_ymd_opt(last_year, 12, 31).unwrap_or(Date::MAX)
}
