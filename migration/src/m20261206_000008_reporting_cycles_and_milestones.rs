//! Supervision, continued: a city's reporting cycle, and items' dated milestones.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::{create_table_with_indexes, drop_tables, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `monthly`, `quarterly`, or none: which period `/reports/missing` asks about by default.
        manager.alter_table(Table::alter().table("cities").add_column(string_null("reporting_cycle")).take()).await?;
        create_table_with_indexes(
            manager,
            Table::create()
                .table("milestones")
                .col(pk_uuid("id"))
                .col(uuid("item_id"))
                // The milestone's place in the item's list, as the writer gave it.
                .col(integer("position"))
                .col(text("title"))
                .col(date("due_on"))
                .col(date_null("done_on"))
                // An item's milestones are part of it: they go with it.
                .foreign_key(&mut foreign_key("milestones", "item_id", "items", ForeignKeyAction::Cascade))
                .take(),
            // An item's milestones in order; the overdue filter's look-up of open ones by due date.
            vec![
                index("milestones", &["item_id", "position"], true),
                index("milestones", &["item_id", "due_on"], false),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["milestones"]).await?;
        manager.alter_table(Table::alter().table("cities").drop_column("reporting_cycle").take()).await
    }
}
