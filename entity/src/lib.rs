//! Duban's storage model: one sea-orm entity per table, plus the string enums they share.
//!
//! Key work items and livelihood projects live in one table, `items`, told apart by
//! [`item::ItemKind`]: they share every column that dashboards filter on (city, document, leader,
//! units, status, progress, period), so one query layer serves both collections.

pub mod city;
pub mod document;
pub mod enums;
pub mod item;
pub mod item_unit;
pub mod leader;
pub mod login_attempt;
pub mod milestone;
pub mod progress_report;
pub mod report_tally;
pub mod revision;
pub mod section;
pub mod unit;
pub mod unit_tally;
pub mod user;
pub mod user_unit;

pub mod prelude {
    //! The entities under short names.
    pub use crate::{
        city::Entity as City, document::Entity as Document, item::Entity as Item, item_unit::Entity as ItemUnit,
        leader::Entity as Leader, login_attempt::Entity as LoginAttempt, milestone::Entity as Milestone,
        progress_report::Entity as ProgressReport, report_tally::Entity as ReportTally, revision::Entity as Revision,
        section::Entity as Section, unit::Entity as Unit, unit_tally::Entity as UnitTally, user::Entity as User,
        user_unit::Entity as UserUnit,
    };
}
