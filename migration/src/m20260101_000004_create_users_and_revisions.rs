//! Accounts, failed-login counters, and the revision log (which is also the change feed).

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
                    .foreign_key(&mut foreign_key("users", "city_id", "cities", ForeignKeyAction::Restrict))
                    .take(),
            )
            .await?;
        // Counted per username in the database, not in memory, so that every replica slows down
        // the same guesser.
        manager
            .create_table(
                Table::create()
                    .table("login_attempts")
                    .col(string("username").primary_key())
                    .col(integer("failures"))
                    .col(timestamp_with_time_zone("last_failed_at"))
                    .take(),
            )
            .await?;
        create_table_with_indexes(
            manager,
            Table::create()
                .table("revisions")
                .col(pk_uuid("id"))
                // Commit order: taken under a lock that serialises writers (see `api::journal`).
                .col(big_integer_uniq("seq"))
                .col(string("resource_type"))
                .col(uuid("resource_id"))
                .col(string("action"))
                .col(uuid_null("actor_id"))
                .col(string("actor_name"))
                .col(json("changes"))
                .col(json_null("snapshot"))
                .col(uuid_null("city_id"))
                .col(timestamp_with_time_zone("created_at"))
                .take(),
            // A resource's history in order, and its latest revision (read on every write that
            // changes what other records show).
            vec![index("revisions", &["resource_id", "seq"], false)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["revisions", "login_attempts", "users"]).await
    }
}
