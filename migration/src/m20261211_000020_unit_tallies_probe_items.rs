//! The unit tallies' trigger on PostgreSQL reads each unit row's item by key.
//!
//! A statement's unit rows are joined with their items, for the city, status and progress they
//! are tallied by (migration 12). PostgreSQL's planner, which costs a probe of an index as a read
//! from disk, chose to hash every item instead whenever the table was small enough: in a fresh
//! database a 10,000-item import scanned all its items again for each of its ten statements of
//! unit rows (the trigger 34 of a statement's 80 ms, 19 by key). The rows a statement changes
//! are few beside a platform's items, and their items are in the buffer cache a moment after
//! they were written: probing by key is the plan whatever the sizes, so the function plans
//! without hash and merge joins.

use sea_orm_migration::prelude::*;

use crate::schema::execute_on_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FUNCTION: &str = "unit_tallies_of_unit_rows()";

async fn alter(manager: &SchemaManager<'_>, settings: &str) -> Result<(), DbErr> {
    execute_on_postgres(manager, [format!("ALTER FUNCTION {FUNCTION} {settings}")]).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "SET enable_hashjoin = off SET enable_mergejoin = off").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter(manager, "RESET enable_hashjoin RESET enable_mergejoin").await
    }
}
