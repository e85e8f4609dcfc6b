//! Items in the order they last changed, within their kind: the order of a feed.
//!
//! A feed lists one kind newest change first, ties (every item an import writes shares its
//! `updated_at`) broken by id. The index on `updated_at` alone served neither the kind nor the
//! tie-break: SQLite read every item of the kind and sorted the page's wide rows (a fifth of the
//! seed-sized feed's time), and PostgreSQL sorted the whole of a tie. `(kind, updated_at, id)`
//! walks that order and stops after the page; it replaces the index on `updated_at`, which
//! every filter on `updated_at` (a list's `updated_since` and `updated_before`, always of one
//! kind) can use in its place.

use sea_orm_migration::prelude::*;

use crate::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: [&str; 1] = ["updated_at"];
const NEW: [&str; 3] = ["kind", "updated_at", "id"];

async fn replace(manager: &SchemaManager<'_>, old: &[&'static str], new: &[&'static str]) -> Result<(), DbErr> {
    manager.create_index(index("items", new, false)).await?;
    manager.drop_index(Index::drop().name(format!("ix_items_{}", old.join("_"))).table("items").to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, &OLD, &NEW).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, &NEW, &OLD).await
    }
}
