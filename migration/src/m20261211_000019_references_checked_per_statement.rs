//! On PostgreSQL, the references of items and of their unit rows are checked once per statement
//! instead of once per row.
//!
//! A foreign key checks each inserted row with a query of its own (`SELECT 1 FROM parent WHERE
//! id = $1 FOR KEY SHARE`, through the executor each time). An import inserts its items 1,000 a
//! statement, each with four references (city, document, section, leader), and their unit rows
//! 5,000 a statement, each with two (item, unit): of a 10,000-item import's 1.8 s in the
//! database, those 130,000 queries took about 0.4 s. The same guarantees, kept by triggers
//! over each statement's rows:
//!
//! - an insert locks the rows it refers to (`FOR KEY SHARE`, as the foreign key did, so that no
//!   other transaction deletes one before this one commits) and fails with the foreign key's
//!   error (SQLSTATE 23503) when one is missing;
//! - an update that changes a reference checks the new one the same way (a row trigger that
//!   fires only when the column changes, as the foreign key's check did);
//! - deleting a referenced row deletes the rows that refer to it (`cascade`) or fails (`restrict`),
//!   once per statement, after its rows are gone;
//! - changing a referenced row's id fails.
//!
//! Concurrent writers meet as they did with the foreign keys: a deleter waits for the lock of an
//! inserter that refers to the row, and then its own check (a new snapshot, as every statement
//! of the service runs at `READ COMMITTED`) sees the inserter's rows; an inserter that waited for
//! a deleter finds the row gone. The other tables keep their foreign keys: their writes are one
//! row at a time. SQLite keeps every foreign key: its checks are index probes inside the engine.

use sea_orm_migration::prelude::*;

use crate::schema::execute_on_postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What deleting a referenced row does to the rows that refer to it.
#[derive(Clone, Copy)]
enum OnDelete {
    Cascade,
    Restrict,
}

/// `child.column` names a row of `parent` by its id (foreign key `fk_{child}_{column}` before).
struct Reference {
    child: &'static str,
    column: &'static str,
    parent: &'static str,
    on_delete: OnDelete,
}

const REFERENCES: [Reference; 6] = [
    Reference { child: "items", column: "city_id", parent: "cities", on_delete: OnDelete::Restrict },
    Reference { child: "items", column: "document_id", parent: "documents", on_delete: OnDelete::Cascade },
    Reference { child: "items", column: "section_id", parent: "sections", on_delete: OnDelete::Cascade },
    Reference { child: "items", column: "leader_id", parent: "leaders", on_delete: OnDelete::Restrict },
    Reference { child: "item_units", column: "item_id", parent: "items", on_delete: OnDelete::Cascade },
    Reference { child: "item_units", column: "unit_id", parent: "units", on_delete: OnDelete::Restrict },
];

impl Reference {
    /// The name of the foreign key this replaces, which its triggers and functions share.
    fn name(&self) -> String {
        format!("fk_{}_{}", self.child, self.column)
    }

    /// `RAISE`s the foreign key's error, as PostgreSQL words it: `message`, and `detail` with its
    /// `%s` standing for `value` (an SQL expression).
    fn raise(message: &str, detail: &str, value: &str) -> String {
        format!("RAISE foreign_key_violation USING MESSAGE = '{message}', DETAIL = format('{detail}', {value})")
    }

    /// The error about a reference `value` that names no row of the parent.
    fn violation(&self, on: &str, value: &str) -> String {
        let (name, column, parent) = (self.name(), self.column, self.parent);
        let message = format!("{on} violates foreign key constraint \"{name}\"");
        Self::raise(&message, &format!("Key ({column})=(%s) is not present in table \"{parent}\"."), value)
    }

    /// The error about the parent's id `value` that rows of the child still name.
    fn still_referenced(&self, on: &str, value: &str) -> String {
        let (name, child) = (self.name(), self.child);
        let message = format!("{on} violates foreign key constraint \"{name}\" on table \"{child}\"");
        Self::raise(&message, &format!("Key (id)=(%s) is still referenced from table \"{child}\"."), value)
    }

    /// The references of a statement's inserted rows exist: locked first, then looked for.
    fn inserted(&self) -> [String; 2] {
        let (column, parent, child) = (self.column, self.parent, self.child);
        let body = format!(
            "DECLARE missing uuid; BEGIN \
             PERFORM FROM {parent} p WHERE p.id IN (SELECT {column} FROM new_rows) FOR KEY SHARE OF p; \
             SELECT n.{column} INTO missing FROM new_rows n \
             WHERE n.{column} IS NOT NULL AND NOT EXISTS (SELECT FROM {parent} p WHERE p.id = n.{column}) LIMIT 1; \
             IF missing IS NOT NULL THEN {violation}; END IF; RETURN NULL; END",
            violation = self.violation(&format!("insert on table \"{child}\""), "missing"),
        );
        self.trigger(
            "inserted",
            &format!("AFTER INSERT ON {child} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"),
            &body,
        )
    }

    /// A row whose reference changes refers to a row that exists.
    fn updated(&self) -> [String; 2] {
        let (column, parent, child) = (self.column, self.parent, self.child);
        let body = format!(
            "BEGIN IF NEW.{column} IS NOT NULL THEN \
             PERFORM FROM {parent} WHERE id = NEW.{column} FOR KEY SHARE; \
             IF NOT FOUND THEN {violation}; END IF; END IF; RETURN NULL; END",
            violation = self.violation(&format!("update of table \"{child}\""), &format!("NEW.{column}")),
        );
        let event = format!(
            "AFTER UPDATE OF {column} ON {child} FOR EACH ROW WHEN (OLD.{column} IS DISTINCT FROM NEW.{column})"
        );
        self.trigger("updated", &event, &body)
    }

    /// Deleting referenced rows deletes, or refuses to leave behind, the rows that refer to them.
    fn deleted(&self) -> [String; 2] {
        let (column, parent, child) = (self.column, self.parent, self.child);
        let action = match self.on_delete {
            OnDelete::Cascade => format!("DELETE FROM {child} WHERE {column} IN (SELECT id FROM old_rows);"),
            OnDelete::Restrict => format!(
                "SELECT c.{column} INTO kept FROM {child} c WHERE c.{column} IN (SELECT id FROM old_rows) LIMIT 1; \
                 IF kept IS NOT NULL THEN {violation}; END IF;",
                violation = self.still_referenced(&format!("delete on table \"{parent}\""), "kept"),
            ),
        };
        let body = format!("DECLARE kept uuid; BEGIN {action} RETURN NULL; END");
        self.trigger(
            "deleted",
            &format!("AFTER DELETE ON {parent} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"),
            &body,
        )
    }

    /// A referenced row keeps its id.
    fn renamed(&self) -> [String; 2] {
        let (column, parent, child) = (self.column, self.parent, self.child);
        let body = format!(
            "BEGIN PERFORM FROM {child} WHERE {column} = OLD.id; IF FOUND THEN {violation}; END IF; RETURN NULL; END",
            violation = self.still_referenced(&format!("update on table \"{parent}\""), "OLD.id"),
        );
        let event = format!("AFTER UPDATE OF id ON {parent} FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)");
        self.trigger("renamed", &event, &body)
    }

    /// The trigger `{name}_{suffix}` that runs, `event` (its timing, event, table and level), the
    /// PL/pgSQL function of the same name made of `body` (its `DECLARE` and `BEGIN … END`).
    fn trigger(&self, suffix: &str, event: &str, body: &str) -> [String; 2] {
        let name = format!("{}_{suffix}", self.name());
        [
            format!("CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$"),
            format!("CREATE TRIGGER {name} {event} EXECUTE FUNCTION {name}()"),
        ]
    }

    fn up(&self) -> Vec<String> {
        let mut statements = vec![format!("ALTER TABLE {} DROP CONSTRAINT {}", self.child, self.name())];
        statements.extend(self.inserted());
        statements.extend(self.updated());
        statements.extend(self.deleted());
        statements.extend(self.renamed());
        statements
    }

    fn down(&self) -> Vec<String> {
        let name = self.name();
        let mut statements: Vec<String> =
            [(self.child, "inserted"), (self.child, "updated"), (self.parent, "deleted"), (self.parent, "renamed")]
                .iter()
                .flat_map(|(table, event)| {
                    [
                        format!("DROP TRIGGER IF EXISTS {name}_{event} ON {table}"),
                        format!("DROP FUNCTION IF EXISTS {name}_{event}()"),
                    ]
                })
                .collect();
        let on_delete = match self.on_delete {
            OnDelete::Cascade => "CASCADE",
            OnDelete::Restrict => "RESTRICT",
        };
        statements.push(format!(
            "ALTER TABLE {child} ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {parent} (id) \
             ON DELETE {on_delete}",
            child = self.child,
            column = self.column,
            parent = self.parent,
        ));
        statements
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_on_postgres(manager, REFERENCES.iter().flat_map(Reference::up)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_on_postgres(manager, REFERENCES.iter().flat_map(Reference::down)).await
    }
}
