//! Accounts and the revision log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::{create_table_with_indexes, drop_tables, entity_table, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("users")
                    .col(string_uniq("username"))
                    .col(string("password_hash"))
                    .col(string("role"))
                    .col(uuid_null("city_id"))
                    .col(boolean("disabled").default(false))
                    .col(timestamp_with_time_zone("password_changed_at"))
                    .foreign_key(&mut foreign_key(
                        "users",
                        "city_id",
                        "cities",
                        ForeignKeyAction::Restrict,
                    ))
                    .take(),
            )
            .await?;
        create_table_with_indexes(
            manager,
            Table::create()
                .table("revisions")
                .col(pk_uuid("id"))
                .col(string("resource_type"))
                .col(uuid("resource_id"))
                .col(string("action"))
                .col(uuid_null("actor_id"))
                .col(string("actor_name"))
                .col(json("changes"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            vec![index("revisions", &["resource_type", "resource_id"], false)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["revisions", "users"]).await
    }
}
