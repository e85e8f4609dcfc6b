//! Key work items and livelihood projects (one table, told apart by `kind`) and their units.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::{create_table_with_indexes, drop_tables, entity_table, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table_with_indexes(
            manager,
            entity_table("items")
                .col(string("kind"))
                .col(uuid("city_id"))
                .col(uuid("document_id"))
                .col(uuid("section_id"))
                .col(integer("group_number"))
                .col(text_null("group_heading"))
                .col(integer("seq"))
                .col(integer("sub_seq").default(0))
                .col(text("content"))
                .col(uuid_null("leader_id"))
                .col(text_null("remarks"))
                .col(integer("period_start"))
                .col(integer("period_end"))
                .col(string("status"))
                .col(integer("progress").default(0))
                .col(text_null("progress_note"))
                .foreign_key(&mut foreign_key("items", "city_id", "cities", ForeignKeyAction::Restrict))
                .foreign_key(&mut foreign_key("items", "document_id", "documents", ForeignKeyAction::Cascade))
                .foreign_key(&mut foreign_key("items", "section_id", "sections", ForeignKeyAction::Cascade))
                .foreign_key(&mut foreign_key("items", "leader_id", "leaders", ForeignKeyAction::Restrict))
                .check(Expr::col("progress").between(0, 100))
                .take(),
            vec![
                index("items", &["section_id", "group_number", "seq", "sub_seq"], true),
                index("items", &["kind", "city_id"], false),
                index("items", &["document_id"], false),
                index("items", &["leader_id"], false),
                index("items", &["kind", "status"], false),
                index("items", &["updated_at"], false),
            ],
        )
        .await?;
        create_table_with_indexes(
            manager,
            Table::create()
                .table("item_units")
                .col(uuid("item_id"))
                .col(uuid("unit_id"))
                .col(string("role"))
                .col(string_null("note"))
                .col(integer("position"))
                .primary_key(Index::create().col("item_id").col("unit_id"))
                .foreign_key(&mut foreign_key("item_units", "item_id", "items", ForeignKeyAction::Cascade))
                .foreign_key(&mut foreign_key("item_units", "unit_id", "units", ForeignKeyAction::Restrict))
                .take(),
            vec![index("item_units", &["unit_id", "role"], false)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["item_units", "items"]).await
    }
}
