//! Indexes that match how dashboards read items at national scale.
//!
//! A page in document order (the default sort: document, section number, group, seq, sub-seq)
//! could not use an index while the section number lived only in `sections`: every page sorted
//! all its matches. Items now carry their section's number (`section_number`, kept equal to it
//! by every write), so an index walks document order and a page stops after its 51st row. A
//! second index serves the feeds and "recently changed" pages of a city.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Document order, within a kind and a city, and within a kind over all cities.
const DOCUMENT_ORDER: [&str; 7] = ["document_id", "section_number", "group_number", "seq", "sub_seq", "id", "kind"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("items").add_column(integer("section_number").default(0)).take())
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE items SET section_number = (SELECT number FROM sections WHERE sections.id = items.section_id)",
            )
            .await?;
        let mut by_city = vec!["city_id"];
        by_city.extend(DOCUMENT_ORDER);
        manager.create_index(index("items", &by_city, false)).await?;
        manager.create_index(index("items", &DOCUMENT_ORDER, false)).await?;
        manager.create_index(index("items", &["city_id", "updated_at", "id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut by_city = vec!["city_id"];
        by_city.extend(DOCUMENT_ORDER);
        for columns in [by_city.as_slice(), DOCUMENT_ORDER.as_slice(), &["city_id", "updated_at", "id"]] {
            manager
                .drop_index(Index::drop().name(format!("ix_items_{}", columns.join("_"))).table("items").to_owned())
                .await?;
        }
        manager.alter_table(Table::alter().table("items").drop_column("section_number").take()).await
    }
}
