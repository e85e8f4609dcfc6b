//! Report trends counted ahead, so that dashboards do not group every report on each request.
//!
//! `report_tallies` holds, per month and per quarter, per city, unit and leader, and per document,
//! what the trends statement counts from the reports: reports, their progress summed, items, items
//! completed, items overdue. Kept per document because an item is in one document: items counted
//! per document add up to the items of a bucket without counting one twice. The writes keep it
//! exact in their own transaction (`api::domain::trend_tallies`); this migration fills it from the
//! reports there are, with the trends statement of the day written out per backend.

use sea_orm_migration::{prelude::*, schema::*};

use crate::schema::create_table_with_indexes;

#[derive(DeriveMigrationName)]
pub struct Migration;

const KEY: [&str; 6] = ["period_kind", "group_kind", "city_id", "period_start", "group_id", "document_id"];

/// The first day of the month or quarter of `r.as_of`.
fn period_start(backend: sea_orm::DbBackend, period_kind: &str) -> String {
    match (backend, period_kind) {
        (sea_orm::DbBackend::Postgres, kind) => {
            format!("CAST(date_trunc('{kind}', CAST(r.as_of AS timestamp)) AS date)")
        }
        (_, "month") => "date(r.as_of, 'start of month')".to_owned(),
        _ => {
            "date(r.as_of, 'start of month', '-' || ((CAST(strftime('%m', r.as_of) AS INTEGER) - 1) % 3) || ' months')"
                .to_owned()
        }
    }
}

/// Counts every report into the tallies of one period kind and one group kind: per item first
/// (so that an item counts once per bucket), then per bucket, group, city and document.
fn backfill(backend: sea_orm::DbBackend, period_kind: &str, group_kind: &str) -> String {
    let period = period_start(backend, period_kind);
    let group = match group_kind {
        "city" => "r.city_id",
        "unit" => "r.unit_id",
        _ => "i.leader_id",
    };
    format!(
        "INSERT INTO report_tallies ({key}, reports, progress_sum, items, completed, overdue) \
         SELECT '{period_kind}', '{group_kind}', city_id, period_start, group_id, document_id, \
           CAST(SUM(reports) AS bigint), CAST(SUM(progress_sum) AS bigint), CAST(COUNT(*) AS bigint), \
           CAST(SUM(completed) AS bigint), CAST(SUM(overdue) AS bigint) \
         FROM (SELECT {period} AS period_start, {group} AS group_id, r.item_id, r.city_id, i.document_id, \
             COUNT(*) AS reports, SUM(r.progress) AS progress_sum, \
             MAX(CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END) AS completed, \
             MAX(CASE WHEN r.as_of > i.due_on AND r.status NOT IN ('completed', 'cancelled') THEN 1 ELSE 0 END) \
               AS overdue \
           FROM progress_reports r INNER JOIN items i ON r.item_id = i.id \
           WHERE {group} IS NOT NULL \
           GROUP BY r.item_id, {period}, {group}, r.city_id, i.document_id) per_item \
         GROUP BY period_start, group_id, city_id, document_id",
        key = KEY.join(", "),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut primary_key = Index::create();
        for column in KEY {
            primary_key.col(column);
        }
        create_table_with_indexes(
            manager,
            Table::create()
                .table("report_tallies")
                .col(string("period_kind"))
                .col(string("group_kind"))
                .col(uuid("city_id"))
                .col(date("period_start"))
                .col(uuid("group_id"))
                .col(uuid("document_id"))
                .col(big_integer("reports"))
                .col(big_integer("progress_sum"))
                .col(big_integer("items"))
                .col(big_integer("completed"))
                .col(big_integer("overdue"))
                .primary_key(&mut primary_key)
                .take(),
            Vec::new(),
        )
        .await?;
        let db = manager.get_connection();
        // The rows a write emptied, which it deletes: few or none, found without a scan of the
        // table (a partial index, on both backends).
        db.execute_unprepared(
            "CREATE INDEX ix_report_tallies_emptied ON report_tallies (period_kind) WHERE reports = 0",
        )
        .await?;
        let backend = manager.get_database_backend();
        for period_kind in ["month", "quarter"] {
            for group_kind in ["city", "unit", "leader"] {
                db.execute_unprepared(&backfill(backend, period_kind, group_kind)).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("report_tallies").take()).await
    }
}
