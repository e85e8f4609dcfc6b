//! Supervision: dated progress reports by units on items, the units a reporter account speaks
//! for, and items' due dates.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::{create_table_with_indexes, drop_tables, entity_table, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table_with_indexes(
            manager,
            entity_table("progress_reports")
                .col(uuid("item_id"))
                .col(uuid("unit_id"))
                .col(uuid("city_id"))
                .col(date("as_of"))
                .col(string("status"))
                .col(integer("progress"))
                .col(text("text"))
                .col(text_null("problems"))
                .col(text_null("help_requested"))
                .col(uuid_null("filed_by_id"))
                .col(string("filed_by_name"))
                // An item's reports go with it; the deleting write records their tombstones.
                .foreign_key(&mut foreign_key("progress_reports", "item_id", "items", ForeignKeyAction::Cascade))
                .foreign_key(&mut foreign_key("progress_reports", "unit_id", "units", ForeignKeyAction::Restrict))
                .foreign_key(&mut foreign_key("progress_reports", "city_id", "cities", ForeignKeyAction::Restrict))
                .check(Expr::col("progress").between(0, 100))
                .take(),
            vec![
                // An item's latest report (which its status follows), and its history.
                index("progress_reports", &["item_id", "as_of", "created_at"], false),
                // A city's or a unit's reports in a date range.
                index("progress_reports", &["city_id", "as_of"], false),
                index("progress_reports", &["unit_id", "as_of"], false),
            ],
        )
        .await?;
        create_table_with_indexes(
            manager,
            Table::create()
                .table("user_units")
                .col(uuid("user_id"))
                .col(uuid("unit_id"))
                .primary_key(Index::create().col("user_id").col("unit_id"))
                .foreign_key(&mut foreign_key("user_units", "user_id", "users", ForeignKeyAction::Cascade))
                .foreign_key(&mut foreign_key("user_units", "unit_id", "units", ForeignKeyAction::Restrict))
                .take(),
            vec![index("user_units", &["unit_id"], false)],
        )
        .await?;
        // SQLite adds a NOT NULL column only with a constant default; every write sets it, and
        // existing items get the end of their period.
        manager
            .alter_table(Table::alter().table("items").add_column(date("due_on").default("1970-01-01")).take())
            .await?;
        let end_of_period = match manager.get_database_backend() {
            sea_orm::DbBackend::Postgres => "make_date(period_end, 12, 31)",
            _ => "printf('%04d-12-31', period_end)",
        };
        manager.get_connection().execute_unprepared(&format!("UPDATE items SET due_on = {end_of_period}")).await?;
        // Overdue and due-date filters within a city.
        manager.create_index(index("items", &["city_id", "due_on"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_items_city_id_due_on").table("items").to_owned()).await?;
        manager.alter_table(Table::alter().table("items").drop_column("due_on").take()).await?;
        drop_tables(manager, &["user_units", "progress_reports"]).await
    }
}
