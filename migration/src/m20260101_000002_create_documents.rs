//! Documents and their sections (attachments, plans).

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::{create_table_with_indexes, drop_tables, entity_table, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table_with_indexes(
            manager,
            entity_table("documents")
                .col(uuid("city_id"))
                .col(string("doc_number"))
                .col(text("title"))
                .col(string("issuer"))
                .col(date("issued_on"))
                .col(timestamp_with_time_zone_null("published_at"))
                .col(text_null("recipients"))
                .col(text_null("cc"))
                .col(string_null("disclosure"))
                .foreign_key(&mut foreign_key("documents", "city_id", "cities", ForeignKeyAction::Restrict))
                .take(),
            vec![index("documents", &["city_id", "doc_number"], true), index("documents", &["issued_on"], false)],
        )
        .await?;
        create_table_with_indexes(
            manager,
            entity_table("sections")
                .col(uuid("document_id"))
                .col(integer("number"))
                .col(string("kind"))
                .col(text("title"))
                .col(integer("period_start"))
                .col(integer("period_end"))
                .foreign_key(&mut foreign_key("sections", "document_id", "documents", ForeignKeyAction::Cascade))
                .take(),
            vec![index("sections", &["document_id", "number"], true)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["sections", "documents"]).await
    }
}
