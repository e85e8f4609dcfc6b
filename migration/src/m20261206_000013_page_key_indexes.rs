//! Indexes that let a page of items matched through their units be chosen from indexes alone.
//!
//! `unit=…` finds an item through its unit rows, so its matches come in no index's order: the
//! database read every match's unit row (its table: the unit index lacked the item id) and every
//! match's item row (1 KB, for its city, kind and sort keys) before it could count them and pick
//! the first page. On the 1M-item benchmark, a city's 市发改局 (1,208 unit rows) cost 60 ms to
//! count and 50 ms to page, nearly all of it reading 2,000 table pages. The unit index now ends
//! with the item id, and items have an index from their id to what a count and a sort need
//! (kind, city, and the document order): the count reads two indexes (12 ms cold), and the page
//! picks its 50 ids from them before it reads 50 items (`domain/items/read.rs::list`).

use sea_orm_migration::prelude::*;

use crate::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UNIT_ROWS: [&str; 2] = ["unit_id", "role"];
const UNIT_ROWS_WITH_ITEM: [&str; 3] = ["unit_id", "role", "item_id"];
/// Named by hand: the columns' names would pass PostgreSQL's 63 characters.
const ITEM_KEYS: &str = "ix_items_id_page_keys";

fn drop(table: &'static str, name: String) -> IndexDropStatement {
    Index::drop().name(name).table(table).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("item_units", &UNIT_ROWS_WITH_ITEM, false)).await?;
        manager.drop_index(drop("item_units", format!("ix_item_units_{}", UNIT_ROWS.join("_")))).await?;
        let mut keys = Index::create();
        keys.name(ITEM_KEYS).table("items");
        for column in ["id", "kind", "city_id", "document_id", "section_number", "group_number", "seq", "sub_seq"] {
            keys.col(column);
        }
        manager.create_index(keys).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(drop("items", ITEM_KEYS.to_owned())).await?;
        manager.create_index(index("item_units", &UNIT_ROWS, false)).await?;
        manager.drop_index(drop("item_units", format!("ix_item_units_{}", UNIT_ROWS_WITH_ITEM.join("_")))).await
    }
}
