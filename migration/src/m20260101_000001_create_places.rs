//! Cities, and the leaders and units that belong to one.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::{create_table_with_indexes, drop_tables, entity_table, foreign_key, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                entity_table("cities")
                    .col(string_uniq("code"))
                    .col(string("name"))
                    .col(string("name_en"))
                    .col(string("province"))
                    .col(string("prefecture"))
                    .take(),
            )
            .await?;
        create_table_with_indexes(
            manager,
            entity_table("leaders")
                .col(uuid("city_id"))
                .col(string("name"))
                .col(string_null("title"))
                .foreign_key(&mut foreign_key("leaders", "city_id", "cities", ForeignKeyAction::Restrict))
                .take(),
            vec![index("leaders", &["city_id", "name"], true)],
        )
        .await?;
        create_table_with_indexes(
            manager,
            entity_table("units")
                .col(uuid("city_id"))
                .col(string("name"))
                .foreign_key(&mut foreign_key("units", "city_id", "cities", ForeignKeyAction::Restrict))
                .take(),
            vec![index("units", &["city_id", "name"], true)],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["units", "leaders", "cities"]).await
    }
}
