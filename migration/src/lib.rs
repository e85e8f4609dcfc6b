//! Duban's schema migrations, in order. Each file holds one migration; every one runs on SQLite
//! and on PostgreSQL.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20260101_000001_create_places;
mod m20260101_000002_create_documents;
mod m20260101_000003_create_items;
mod m20260101_000004_create_users_and_revisions;
pub mod m20260101_000005_add_item_search;
mod m20261201_000006_item_order_indexes;
mod m20261202_000007_progress_reports;
mod m20261206_000008_reporting_cycles_and_milestones;
mod m20261206_000009_tally_indexes;
mod m20261206_000010_report_trend_indexes;
mod m20261206_000012_unit_tallies;
mod m20261206_000013_page_key_indexes;
mod m20261207_000014_report_tallies;
mod m20261207_000015_search_pending_list;
mod m20261208_000016_bulk_write_storage;
mod m20261209_000017_unit_rows_in_item_order;
mod m20261210_000018_items_by_change;
mod m20261211_000019_references_checked_per_statement;
mod m20261211_000020_unit_tallies_probe_items;
mod schema;

/// Runs Duban's migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_places::Migration),
            Box::new(m20260101_000002_create_documents::Migration),
            Box::new(m20260101_000003_create_items::Migration),
            Box::new(m20260101_000004_create_users_and_revisions::Migration),
            Box::new(m20260101_000005_add_item_search::Migration),
            Box::new(m20261201_000006_item_order_indexes::Migration),
            Box::new(m20261202_000007_progress_reports::Migration),
            Box::new(m20261206_000008_reporting_cycles_and_milestones::Migration),
            Box::new(m20261206_000009_tally_indexes::Migration),
            Box::new(m20261206_000010_report_trend_indexes::Migration),
            Box::new(m20261206_000012_unit_tallies::Migration),
            Box::new(m20261206_000013_page_key_indexes::Migration),
            Box::new(m20261207_000014_report_tallies::Migration),
            Box::new(m20261207_000015_search_pending_list::Migration),
            Box::new(m20261208_000016_bulk_write_storage::Migration),
            Box::new(m20261209_000017_unit_rows_in_item_order::Migration),
            Box::new(m20261210_000018_items_by_change::Migration),
            Box::new(m20261211_000019_references_checked_per_statement::Migration),
            Box::new(m20261211_000020_unit_tallies_probe_items::Migration),
        ]
    }
}
