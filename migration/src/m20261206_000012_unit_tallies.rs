//! Per-unit tallies that the database keeps as items and their units change.
//!
//! Statistics by unit count, per unit and role, the items of each status and sum their progress.
//! Counted from the items, one city of the 1M-item benchmark is a join of 50,000 items with
//! 225,000 unit rows: 220–280 ms however it is indexed (with the item's status copied into an
//! index of the unit rows, 90–120 ms), and every city 2 s. `unit_tallies` holds those sums per
//! (kind, city, unit, role, status): 1,600 rows for a city, 32,000 for all.
//!
//! Triggers keep it exact in the same transaction as every write, whatever path the write takes
//! (the API, an import, the generator, a document deleted with its items by a cascade):
//! - a unit row inserted or deleted adds or takes away its item's tally (the item as it is then);
//! - an item whose kind, city, status or progress changes moves its unit rows' tallies;
//! - an item about to be deleted takes its tallies away before its unit rows go; the cascade
//!   that then deletes them finds no item and changes nothing.
//!
//! PostgreSQL tallies per statement (transition tables: one grouped upsert for an import's
//! thousands of rows, in key order so that concurrent writers lock rows in one order), except for
//! deleted items (per row: before the cascade). SQLite, which has only row triggers, per row.
//! Rows that fall to zero items stay (as zeros, which readers skip): a delete would need a pass of
//! its own, and a unit's tally in a status comes back soon.

use sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const KEY: &str = "kind, city_id, unit_id, role, status";

/// The triggers, on both backends, and their tables.
const TRIGGERS: [(&str, &str); 5] = [
    ("unit_tallies_insert", "item_units"),
    ("unit_tallies_delete", "item_units"),
    ("unit_tallies_update", "item_units"),
    ("unit_tallies_items_update", "items"),
    ("unit_tallies_items_delete", "items"),
];

/// Adds the rows an `INSERT … SELECT` gives to the tallies of their keys.
fn upsert(select: &str) -> String {
    format!(
        "INSERT INTO unit_tallies ({KEY}, items, progress_sum) {select} \
         ON CONFLICT ({KEY}) DO UPDATE SET items = unit_tallies.items + excluded.items, \
         progress_sum = unit_tallies.progress_sum + excluded.progress_sum"
    )
}

/// PostgreSQL: one grouped upsert of `rows` (kind, city_id, unit_id, role, status, sign, progress).
fn grouped_upsert(rows: &str) -> String {
    upsert(&format!(
        "SELECT kind, city_id, unit_id, role, status, sum(sign), sum(sign * progress) FROM ({rows}) AS d \
         GROUP BY {KEY} ORDER BY {KEY}"
    ))
}

fn postgres_statements() -> Vec<String> {
    let unit_rows = |table: &str, sign: i32| {
        format!(
            "SELECT i.kind, i.city_id, r.unit_id, r.role, i.status, {sign} AS sign, i.progress \
             FROM {table} r JOIN items i ON i.id = r.item_id"
        )
    };
    // An item's unit rows, with the item as it was (-1) and as it is (+1), when it changed.
    let moved = |item: &str, sign: i32| {
        format!(
            "SELECT {item}.kind, {item}.city_id, iu.unit_id, iu.role, {item}.status, {sign} AS sign, {item}.progress \
             FROM new_items n JOIN old_items o ON o.id = n.id JOIN item_units iu ON iu.item_id = n.id \
             WHERE (n.kind, n.city_id, n.status, n.progress) IS DISTINCT FROM (o.kind, o.city_id, o.status, o.progress)"
        )
    };
    let moved_items = format!("{} UNION ALL {}", moved("n", 1), moved("o", -1));
    vec![
        function(
            "unit_tallies_of_unit_rows",
            &format!(
                "IF TG_OP = 'INSERT' THEN {inserted}; ELSIF TG_OP = 'DELETE' THEN {deleted}; ELSE {updated}; END IF",
                inserted = grouped_upsert(&unit_rows("new_rows", 1)),
                deleted = grouped_upsert(&unit_rows("old_rows", -1)),
                updated =
                    grouped_upsert(&format!("{} UNION ALL {}", unit_rows("new_rows", 1), unit_rows("old_rows", -1))),
            ),
            "NULL",
        ),
        statement_trigger(
            "unit_tallies_insert",
            "INSERT",
            "item_units",
            "NEW TABLE AS new_rows",
            "unit_tallies_of_unit_rows",
        ),
        statement_trigger(
            "unit_tallies_delete",
            "DELETE",
            "item_units",
            "OLD TABLE AS old_rows",
            "unit_tallies_of_unit_rows",
        ),
        statement_trigger(
            "unit_tallies_update",
            "UPDATE",
            "item_units",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "unit_tallies_of_unit_rows",
        ),
        function("unit_tallies_of_items", &grouped_upsert(&moved_items), "NULL"),
        statement_trigger(
            "unit_tallies_items_update",
            "UPDATE",
            "items",
            "OLD TABLE AS old_items NEW TABLE AS new_items",
            "unit_tallies_of_items",
        ),
        function(
            "unit_tallies_of_deleted_item",
            &upsert(
                "SELECT OLD.kind, OLD.city_id, unit_id, role, OLD.status, -1, -OLD.progress \
                 FROM item_units WHERE item_id = OLD.id ORDER BY unit_id",
            ),
            "OLD",
        ),
        "CREATE TRIGGER unit_tallies_items_delete BEFORE DELETE ON items \
         FOR EACH ROW EXECUTE FUNCTION unit_tallies_of_deleted_item()"
            .to_owned(),
    ]
}

/// A PostgreSQL trigger function that runs `body` and returns `returns`.
fn function(name: &str, body: &str, returns: &str) -> String {
    format!("CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN {returns}; END $$")
}

/// A PostgreSQL trigger that runs `function` once per statement, over the rows it changed.
fn statement_trigger(name: &str, event: &str, table: &str, referencing: &str, function: &str) -> String {
    format!(
        "CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} \
         FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )
}

fn sqlite_statements() -> Vec<String> {
    // `WHERE` after each `SELECT`: SQLite needs it to tell an upsert from a join's `ON`.
    let unit_row = |row: &str, sign: i32| {
        upsert(&format!(
            "SELECT kind, city_id, {row}.unit_id, {row}.role, status, {sign}, {sign} * progress \
             FROM items WHERE id = {row}.item_id"
        ))
    };
    let item_rows = |row: &str, sign: i32| {
        upsert(&format!(
            "SELECT {row}.kind, {row}.city_id, unit_id, role, {row}.status, {sign}, {sign} * {row}.progress \
             FROM item_units WHERE item_id = {row}.id"
        ))
    };
    vec![
        format!("CREATE TRIGGER unit_tallies_insert AFTER INSERT ON item_units BEGIN {}; END", unit_row("NEW", 1)),
        format!("CREATE TRIGGER unit_tallies_delete AFTER DELETE ON item_units BEGIN {}; END", unit_row("OLD", -1)),
        format!(
            "CREATE TRIGGER unit_tallies_update AFTER UPDATE OF item_id, unit_id, role ON item_units BEGIN {}; {}; END",
            unit_row("OLD", -1),
            unit_row("NEW", 1)
        ),
        format!(
            "CREATE TRIGGER unit_tallies_items_update AFTER UPDATE OF kind, city_id, status, progress ON items \
             WHEN OLD.kind IS NOT NEW.kind OR OLD.city_id IS NOT NEW.city_id OR OLD.status IS NOT NEW.status \
               OR OLD.progress IS NOT NEW.progress \
             BEGIN {}; {}; END",
            item_rows("OLD", -1),
            item_rows("NEW", 1)
        ),
        format!("CREATE TRIGGER unit_tallies_items_delete BEFORE DELETE ON items BEGIN {}; END", item_rows("OLD", -1)),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("unit_tallies")
                    .col(string("kind"))
                    .col(uuid("city_id"))
                    .col(uuid("unit_id"))
                    .col(string("role"))
                    .col(string("status"))
                    .col(big_integer("items"))
                    .col(big_integer("progress_sum"))
                    .primary_key(Index::create().col("kind").col("city_id").col("unit_id").col("role").col("status"))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        // What the items hold now; from here on the triggers keep it.
        db.execute_unprepared(&format!(
            "INSERT INTO unit_tallies ({KEY}, items, progress_sum) \
             SELECT i.kind, i.city_id, iu.unit_id, iu.role, i.status, count(*), sum(i.progress) \
             FROM item_units iu JOIN items i ON i.id = iu.item_id GROUP BY i.kind, i.city_id, iu.unit_id, iu.role, i.status"
        ))
        .await?;
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_statements(),
            _ => sqlite_statements(),
        };
        crate::schema::execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (trigger, table) in TRIGGERS {
            let on = if postgres { format!(" ON {table}") } else { String::new() };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}")).await?;
        }
        if postgres {
            for function in ["unit_tallies_of_unit_rows", "unit_tallies_of_items", "unit_tallies_of_deleted_item"] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()")).await?;
            }
        }
        manager.drop_table(Table::drop().table("unit_tallies").take()).await
    }
}
