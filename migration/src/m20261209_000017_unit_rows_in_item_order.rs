//! Unit rows that carry their item's place in document order, so that a unit's items are paged
//! from one index.
//!
//! `unit=…` finds items through their unit rows, which knew only the item's id: to count a city's
//! 市发改局 (1,208 unit rows of the 1M-item benchmark) and pick its first page in document order,
//! the database probed an index of the items once per unit row for the item's kind and sort keys
//! (migration 13), 4 ms of its CPU per page, and the page stayed under 300 a second at c16. Each
//! unit row now holds its item's kind and document-order keys (document, section number, group
//! number, seq, sub_seq), and one index of them under the unit answers the count and the page by
//! itself, in order (`domain/items/read.rs::unit_page`).
//!
//! The writes that insert unit rows fill the copy from the item they belong to; a trigger moves it
//! when an item's place changes, whatever path the change takes. The index replaces the unit
//! index of migration 13, whose columns it holds (the role as an included column on PostgreSQL).

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use crate::schema::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The item's columns the unit rows copy, as PostgreSQL types them.
const PLACE: [(&str, &str); 6] = [
    ("kind", "varchar"),
    ("document_id", "uuid"),
    ("section_number", "integer"),
    ("group_number", "integer"),
    ("seq", "integer"),
    ("sub_seq", "integer"),
];

const OLD_INDEX: &str = "ix_item_units_unit_id_role_item_id";
const INDEX: &str = "ix_item_units_unit_id_item_order";

fn names() -> Vec<&'static str> {
    PLACE.iter().map(|(name, _)| *name).collect()
}

/// `prefix.kind, prefix.document_id, …`.
fn place_of(prefix: &str) -> String {
    names().iter().map(|name| format!("{prefix}.{name}")).collect::<Vec<_>>().join(", ")
}

/// `kind = NEW.kind, …`.
fn assign_from(prefix: &str) -> String {
    names().iter().map(|name| format!("{name} = {prefix}.{name}")).collect::<Vec<_>>().join(", ")
}

fn postgres_up() -> Vec<String> {
    let add = PLACE.iter().map(|(name, kind)| format!("ADD COLUMN {name} {kind}")).collect::<Vec<_>>().join(", ");
    let not_null = names().iter().map(|name| format!("ALTER COLUMN {name} SET NOT NULL")).collect::<Vec<_>>();
    let columns = names().join(", ");
    vec![
        format!("ALTER TABLE item_units {add}"),
        // The copy changes no tally: the tallies' statement trigger would re-add every row to
        // its own tally, which for a national platform is minutes of nothing.
        "ALTER TABLE item_units DISABLE TRIGGER unit_tallies_update".to_owned(),
        format!("UPDATE item_units iu SET {} FROM items i WHERE i.id = iu.item_id", assign_from("i")),
        "ALTER TABLE item_units ENABLE TRIGGER unit_tallies_update".to_owned(),
        format!("ALTER TABLE item_units {}", not_null.join(", ")),
        format!("CREATE INDEX {INDEX} ON item_units (unit_id, {columns}, item_id) INCLUDE (role)"),
        format!("DROP INDEX {OLD_INDEX}"),
        format!(
            "CREATE FUNCTION item_units_follow_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             UPDATE item_units SET {} WHERE item_id = NEW.id; RETURN NULL; END $$",
            assign_from("NEW")
        ),
        format!(
            "CREATE TRIGGER item_units_follow_item AFTER UPDATE ON items FOR EACH ROW \
             WHEN (({}) IS DISTINCT FROM ({})) EXECUTE FUNCTION item_units_follow_item()",
            place_of("OLD"),
            place_of("NEW")
        ),
    ]
}

fn sqlite_up() -> Vec<String> {
    let columns = names().join(", ");
    let mut statements: Vec<String> =
        PLACE.iter().map(|(name, kind)| format!("ALTER TABLE item_units ADD COLUMN {name} {kind}")).collect();
    statements.extend([
        format!(
            "UPDATE item_units SET ({columns}) = (SELECT {columns} FROM items WHERE items.id = item_units.item_id)"
        ),
        format!("CREATE INDEX {INDEX} ON item_units (unit_id, {columns}, item_id, role)"),
        format!("DROP INDEX {OLD_INDEX}"),
        format!(
            "CREATE TRIGGER item_units_follow_item AFTER UPDATE OF {columns} ON items FOR EACH ROW \
             WHEN ({}) IS NOT ({}) BEGIN UPDATE item_units SET {} WHERE item_id = NEW.id; END",
            place_of("OLD"),
            place_of("NEW"),
            assign_from("NEW")
        ),
    ]);
    statements
}

fn down(backend: DbBackend) -> Vec<String> {
    let mut statements = vec![
        "DROP TRIGGER IF EXISTS item_units_follow_item".to_owned()
            + if backend == DbBackend::Postgres { " ON items" } else { "" },
        format!("CREATE INDEX {OLD_INDEX} ON item_units (unit_id, role, item_id)"),
        format!("DROP INDEX {INDEX}"),
    ];
    if backend == DbBackend::Postgres {
        statements.push("DROP FUNCTION IF EXISTS item_units_follow_item()".to_owned());
    }
    statements.extend(names().iter().map(|name| format!("ALTER TABLE item_units DROP COLUMN {name}")));
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, down(manager.get_database_backend())).await
    }
}
