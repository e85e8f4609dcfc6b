//! A smaller pending list for the search index (PostgreSQL).
//!
//! GIN puts new entries in a pending list, merged into the index when the list passes
//! `gin_pending_list_limit` (4 MB by default), and every search reads the whole list. Edits to
//! items fill it: after about 1,900 edits on the 1M-item benchmark it held 271 pages (2 MB),
//! and a four-character search took 121 ms at p50 instead of 66 ms after a VACUUM had emptied
//! it. At 1 MB the list costs a search at most a quarter of that; a 10,000-item import, which
//! now merges it more often, took 3.57–3.70 s against 3.45–3.59 s with the default (256 kB cost
//! it 0.75 s).

use sea_orm_migration::prelude::*;

use crate::schema::execute_on_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // In kilobytes.
        execute_on_postgres(manager, ["ALTER INDEX ix_items_search SET (gin_pending_list_limit = 1024)"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_on_postgres(manager, ["ALTER INDEX ix_items_search RESET (gin_pending_list_limit)"]).await
    }
}
