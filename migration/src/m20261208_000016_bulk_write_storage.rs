//! Storage that costs an import less on PostgreSQL (a 10,000-item document spent about 2 s in
//! the database, most of it in the search index, the unit rows and the revisions).
//!
//! - The search index's pending list takes its limit from the session again, not from the index:
//!   the service's sessions keep it at 1 MB (migration 15 explains why; `db::session_settings`),
//!   and an import that creates many items raises it in its own transaction and merges the list
//!   once before it commits (`search::BulkEntries`). Merged once, a 10,000-item import's entries
//!   cost 0.2 s; merged at every megabyte, 0.6 s. An index's own setting would win over the
//!   session's, and changing it takes a lock that stops every search.
//! - Revisions' JSON is compressed with LZ4 instead of pglz: each revision of a created item is
//!   about 3 kB, over the 2 kB at which PostgreSQL compresses a row, and inserting 10,000 of them
//!   took 0.37–0.43 s with pglz, 0.19–0.21 s with LZ4 (the same text, in one statement). Rows
//!   written before keep pglz; both read back alike. A server built without LZ4 keeps pglz.
//! - The unit rows' primary key carries the role, which makes the index of (item, unit, role)
//!   that let statistics by unit read only an index (migration 9) redundant: one index fewer to
//!   write for each of an import's 40,000 unit rows (0.06–0.14 s).

use sea_orm_migration::prelude::*;

use crate::schema::execute_on_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: [&str; 4] = [
    "ALTER INDEX ix_items_search RESET (gin_pending_list_limit)",
    "DO $$ BEGIN \
         ALTER TABLE revisions ALTER COLUMN changes SET COMPRESSION lz4, ALTER COLUMN snapshot SET COMPRESSION lz4; \
     EXCEPTION WHEN feature_not_supported THEN \
         RAISE NOTICE 'this PostgreSQL has no LZ4: revisions stay compressed with pglz'; \
     END $$",
    "ALTER TABLE item_units DROP CONSTRAINT item_units_pkey, \
     ADD CONSTRAINT item_units_pkey PRIMARY KEY (item_id, unit_id) INCLUDE (role)",
    "DROP INDEX ix_item_units_item_id_unit_id_role",
];

const DOWN: [&str; 4] = [
    "CREATE INDEX ix_item_units_item_id_unit_id_role ON item_units (item_id, unit_id, role)",
    "ALTER TABLE item_units DROP CONSTRAINT item_units_pkey, \
     ADD CONSTRAINT item_units_pkey PRIMARY KEY (item_id, unit_id)",
    "ALTER TABLE revisions ALTER COLUMN changes SET COMPRESSION pglz, ALTER COLUMN snapshot SET COMPRESSION pglz",
    "ALTER INDEX ix_items_search SET (gin_pending_list_limit = 1024)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_on_postgres(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_on_postgres(manager, DOWN).await
    }
}
