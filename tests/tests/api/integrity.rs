//! The database's own guard on references: whatever writes the tables (the API, an import, a
//! script with SQL), an item names a city, document, section and leader that exist, and a unit
//! row an item and a unit that exist. PostgreSQL keeps these references with triggers over each
//! statement (migration 19), SQLite with its foreign keys; both refuse the same writes with the
//! same error, and a refused write changes nothing.

use std::time::Duration;

use api::error::breaks_a_reference;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, Statement, TransactionTrait, Value};
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::{Backend, Method, TestApp},
    on_both_backends,
};

on_both_backends!(the_database_keeps_the_references_of_items_and_their_unit_rows);

/// `sql` with its parameters written `$1`, `$2`… (SQLite takes them as `?1`, `?2`…) and bound to
/// `values`, for `db`'s backend.
fn statement(db: &impl ConnectionTrait, sql: &str, values: &[Uuid]) -> Statement {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            (1..=values.len()).rev().fold(sql.to_owned(), |sql, n| sql.replace(&format!("${n}"), &format!("?{n}")))
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values.iter().map(|id| Value::from(*id)))
}

async fn run(db: &impl ConnectionTrait, sql: &str, values: &[Uuid]) -> Result<ExecResult, DbErr> {
    db.execute_raw(statement(db, sql, values)).await
}

/// Whether `result` is the refusal of a write that would break a reference (what the API answers
/// with a 409).
fn refused(result: &Result<ExecResult, DbErr>) -> bool {
    result.as_ref().is_err_and(breaks_a_reference)
}

/// One statement that writes, for each unit in `$3`, `$4`…, a unit row naming the item `$1`, at
/// the place in document order of the item `$2` (the same item, but for a row naming none).
fn unit_rows_of(units: usize) -> String {
    let units: Vec<String> = (3..units + 3).map(|n| format!("SELECT ${n} AS id")).collect();
    format!(
        "INSERT INTO item_units \
         (item_id, unit_id, role, note, position, kind, document_id, section_number, group_number, seq, sub_seq) \
         SELECT $1, u.id, 'cooperating', NULL, 90, i.kind, i.document_id, i.section_number, i.group_number, \
         i.seq, i.sub_seq FROM items i, ({}) u WHERE i.id = $2",
        units.join(" UNION ALL ")
    )
}

async fn unit_rows(app: &TestApp, item: Uuid) -> usize {
    let select = statement(&app.db, "SELECT unit_id FROM item_units WHERE item_id = $1", &[item]);
    app.db.query_all_raw(select).await.expect("the unit rows are read").len()
}

fn id(value: &serde_json::Value) -> Uuid {
    value.as_str().and_then(|id| id.parse().ok()).unwrap_or_else(|| panic!("an id: {value}"))
}

async fn the_database_keeps_the_references_of_items_and_their_unit_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let shown = app.get_ok("/api/v1/work-items", &[("city", "330382"), ("limit", "1")]).await["items"][0].clone();
    let path = format!("/api/v1/work-items/{}", shown["id"].as_str().expect("id"));
    let item = id(&shown["id"]);
    let (unit, leader, section) =
        (id(&shown["units"][0]["id"]), id(&shown["leader"]["id"]), id(&shown["section"]["id"]));
    let city = id(&app.get_ok("/api/v1/cities/330382", &[]).await["id"]);
    // A unit of the city the item does not name yet, and an id nothing has.
    let units = app.get_ok("/api/v1/units", &[("city", "330382"), ("limit", "100")]).await;
    let named: Vec<Uuid> = shown["units"].as_array().expect("units").iter().map(|u| id(&u["id"])).collect();
    let other_unit =
        units["items"].as_array().expect("units").iter().map(|u| id(&u["id"])).find(|u| !named.contains(u));
    let other_unit = other_unit.expect("a unit the item does not name");
    let nowhere = Uuid::now_v7();
    let rows_before = unit_rows(&app, item).await;

    let (two_rows, one_row) = (unit_rows_of(2), unit_rows_of(1));
    let writes: [(&str, &str, Vec<Uuid>); 9] = [
        ("unit rows, one naming no unit", &two_rows, vec![item, item, other_unit, nowhere]),
        ("a unit row of no item", &one_row, vec![nowhere, item, other_unit]),
        (
            "a unit row moved to no unit",
            "UPDATE item_units SET unit_id = $1 WHERE item_id = $2 AND unit_id = $3",
            vec![nowhere, item, unit],
        ),
        ("an item led by no leader", "UPDATE items SET leader_id = $1 WHERE id = $2", vec![nowhere, item]),
        ("an item moved to no section", "UPDATE items SET section_id = $1 WHERE id = $2", vec![nowhere, item]),
        ("a unit items name, deleted", "DELETE FROM units WHERE id = $1", vec![unit]),
        ("a leader items name, deleted", "DELETE FROM leaders WHERE id = $1", vec![leader]),
        ("a city items name, deleted", "DELETE FROM cities WHERE id = $1", vec![city]),
        ("an item's id changed under its unit rows", "UPDATE items SET id = $1 WHERE id = $2", vec![nowhere, item]),
    ];
    for (what, sql, values) in writes {
        let result = run(&app.db, sql, &values).await;
        assert!(refused(&result), "{what}: {result:?}");
    }
    assert_eq!(app.get_ok(&path, &[]).await, shown, "a refused write changed the item");
    assert_eq!(unit_rows(&app, item).await, rows_before, "a refused write changed the unit rows");

    // What exists may be named.
    run(&app.db, &one_row, &[item, item, other_unit]).await.expect("a unit row naming what exists is written");
    assert_eq!(unit_rows(&app, item).await, rows_before + 1);

    // A section deleted takes its items, and an item its unit rows.
    run(&app.db, "DELETE FROM sections WHERE id = $1", &[section]).await.expect("the section is deleted");
    app.get_problem(&path, &[], StatusCode::NOT_FOUND).await;
    assert_eq!(unit_rows(&app, item).await, 0, "the deleted item's unit rows are gone");

    if backend == Backend::Postgres {
        a_unit_deleted_while_another_transaction_names_it_stays(&app, &admin).await;
    }
}

/// A deleter waits for a writer that names the row it deletes, then sees the writer's rows and
/// fails (SQLite has one writer at a time: no such race there).
async fn a_unit_deleted_while_another_transaction_names_it_stays(app: &TestApp, admin: &str) {
    let body = json!({"city": "330382", "name": "竞争测试局"});
    let created = app.send(Method::POST, "/api/v1/units", Some(admin), Some(body), &[]).await;
    let unit = id(&created.expect(StatusCode::CREATED)["id"]);
    let item = id(&app.get_ok("/api/v1/work-items", &[("city", "330382"), ("limit", "1")]).await["items"][0]["id"]);

    let writer = app.db.begin().await.expect("a transaction");
    run(&writer, &unit_rows_of(1), &[item, item, unit]).await.expect("the writer names the unit");
    let deleter = tokio::spawn({
        let db = app.db.clone();
        async move { run(&db, "DELETE FROM units WHERE id = $1", &[unit]).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!deleter.is_finished(), "the delete waits for the writer's lock on the unit");
    writer.commit().await.expect("the writer commits");
    let result = deleter.await.expect("the deleter ran");
    assert!(refused(&result), "the delete after the writer's commit: {result:?}");
    app.get_ok(&format!("/api/v1/units/{unit}"), &[]).await;
}
