//! Substring search over Chinese text: every item keeps the unigrams and bigrams of its content,
//! remarks and unit names in `search_text` (computed by the service). PostgreSQL indexes them with
//! GIN, so one- and two-character queries — most Chinese query words — use an index, which
//! pg_trgm cannot do for patterns shorter than three characters. SQLite scans.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The expression the index is built on and queries must repeat verbatim to use it.
pub const SEARCH_VECTOR: &str = "array_to_tsvector(string_to_array(search_text, ' '))";

/// The index's name (PostgreSQL).
pub const SEARCH_INDEX: &str = "ix_items_search";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("items").add_column(text("search_text").default("")).take()).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(&format!("CREATE INDEX {SEARCH_INDEX} ON items USING GIN (({SEARCH_VECTOR}))"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {SEARCH_INDEX}")).await?;
        }
        manager.alter_table(Table::alter().table("items").drop_column("search_text").take()).await
    }
}
