//! Indexes that let statistics read an index instead of the items.
//!
//! Statistics count items and sum their progress per status, grouped by leader, by unit or by
//! nothing, within a kind and usually a city. With every column they read in one index, the
//! database answers from the index alone (an index-only scan of 50,000 narrow entries for a city
//! of the 1M-item benchmark, 6 ms, instead of 6,000 heap pages, 60 ms; over all cities 170 ms
//! instead of a sequential scan of the 1 GB table, 730 ms). The index on units per item carries
//! the unit's role so that grouping by unit never visits `item_units` itself (1.1 s → 0.26 s).
//! The new items index begins with (kind, city_id), which makes the old index on those two
//! columns redundant: it is dropped.

use sea_orm_migration::prelude::*;

use crate::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ITEM_TALLY: [&str; 6] = ["kind", "city_id", "status", "leader_id", "progress", "id"];
const UNIT_TALLY: [&str; 3] = ["item_id", "unit_id", "role"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("items", &ITEM_TALLY, false)).await?;
        manager.create_index(index("item_units", &UNIT_TALLY, false)).await?;
        manager.drop_index(Index::drop().name("ix_items_kind_city_id").table("items").to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("items", &["kind", "city_id"], false)).await?;
        manager
            .drop_index(
                Index::drop().name(format!("ix_item_units_{}", UNIT_TALLY.join("_"))).table("item_units").to_owned(),
            )
            .await?;
        manager
            .drop_index(Index::drop().name(format!("ix_items_{}", ITEM_TALLY.join("_"))).table("items").to_owned())
            .await
    }
}
