//! Indexes that let report trends and the list of missing reports read indexes instead of tables.
//!
//! Trends group every matching report with its item's due date (and leader): on the 1M-item
//! benchmark (2.6M reports) the trends statement read the reports of one city from their table
//! and their items from the 1 GB items table (a sequential scan): 1.1 s. With the reports' counted
//! columns in the indexes that already begin with (city_id, as_of) and (item_id, as_of,
//! created_at), and the items' (id, due_on, leader_id) in an index of their own, the database
//! answers from indexes alone: 0.4 s for one city, and over all cities a merge join of two
//! index-only scans in item order that needs no sort of the reports (9.6 s → 5 s; times on a
//! shared, loaded 2-core machine). The two report indexes are widened rather than added beside
//! the old ones, whose queries their leading columns still serve.
//!
//! Missing reports are listed in item order within a city: with (city_id, id) on items the
//! first page of one city reads that city's items in order (30–50 ms) instead of walking the
//! primary key of every city's items until enough of its own turn up (770 ms).

use sea_orm_migration::prelude::*;

use crate::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REPORTS_BY_ITEM: [&str; 3] = ["item_id", "as_of", "created_at"];
const REPORTS_BY_ITEM_WIDE: [&str; 7] = ["item_id", "as_of", "created_at", "unit_id", "city_id", "status", "progress"];
const REPORTS_BY_CITY: [&str; 2] = ["city_id", "as_of"];
const REPORTS_BY_CITY_WIDE: [&str; 6] = ["city_id", "as_of", "item_id", "unit_id", "status", "progress"];
const ITEM_DUE_DATES: [&str; 3] = ["id", "due_on", "leader_id"];
const ITEMS_BY_CITY: [&str; 2] = ["city_id", "id"];

fn drop(table: &str, columns: &[&str]) -> IndexDropStatement {
    Index::drop().name(format!("ix_{table}_{}", columns.join("_"))).table(Alias::new(table)).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(index("progress_reports", &REPORTS_BY_ITEM_WIDE, false)).await?;
        manager.drop_index(drop("progress_reports", &REPORTS_BY_ITEM)).await?;
        manager.create_index(index("progress_reports", &REPORTS_BY_CITY_WIDE, false)).await?;
        manager.drop_index(drop("progress_reports", &REPORTS_BY_CITY)).await?;
        manager.create_index(index("items", &ITEM_DUE_DATES, false)).await?;
        manager.create_index(index("items", &ITEMS_BY_CITY, false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(drop("items", &ITEMS_BY_CITY)).await?;
        manager.drop_index(drop("items", &ITEM_DUE_DATES)).await?;
        manager.create_index(index("progress_reports", &REPORTS_BY_CITY, false)).await?;
        manager.drop_index(drop("progress_reports", &REPORTS_BY_CITY_WIDE)).await?;
        manager.create_index(index("progress_reports", &REPORTS_BY_ITEM, false)).await?;
        manager.drop_index(drop("progress_reports", &REPORTS_BY_ITEM_WIDE)).await
    }
}
