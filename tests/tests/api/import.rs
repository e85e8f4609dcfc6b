//! Importing document files: idempotent, atomic, and precise about what is wrong.

use api::{
    domain::{
        generate,
        import::{SEED_FILES, import_document},
        journal::Actor,
        overlap,
        resource::Trusted,
    },
    views::import::DocumentFile,
};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
};

on_both_backends!(
    importing_into_an_empty_database_creates_everything_once,
    importing_the_same_file_twice_changes_nothing,
    reimporting_a_changed_file_updates_only_what_changed,
    a_file_that_fails_midway_leaves_the_database_unchanged,
    revisions_are_stored_in_the_form_the_log_has_always_had,
    a_large_import_is_found_by_search_at_once,
    a_large_import_over_a_pool_of_one_connection_merges_its_search_entries,
    statements_built_ahead_stop_at_the_first_that_fails,
);

fn seed(index: usize) -> Value {
    serde_json::from_str(SEED_FILES[index].1).expect("the seed file is JSON")
}

fn parse(value: &Value) -> DocumentFile {
    DocumentFile::from_json(value.to_string().as_bytes()).expect("a valid document file")
}

/// Everything the public API shows, for comparing before and after.
async fn snapshot(app: &TestApp) -> Vec<Vec<Value>> {
    let mut all = Vec::new();
    for path in ["cities", "documents", "leaders", "units", "work-items", "livelihood-projects"] {
        all.push(app.get_all(&format!("/api/v1/{path}"), &[]).await);
    }
    all
}

async fn importing_into_an_empty_database_creates_everything_once(backend: Backend) {
    let app = TestApp::spawn_empty(backend).await;
    assert_eq!(app.count("/api/v1/work-items", &[]).await, 0);
    let summary =
        import_document(&app.db, &parse(&seed(0)), &Trusted(Actor::system())).await.expect("the import succeeds");
    assert_eq!(summary.cities.created, 1);
    assert_eq!(summary.documents.created, 1);
    assert_eq!(summary.sections.created, 3);
    assert_eq!(summary.leaders.created, 7);
    assert_eq!(summary.items.created, 36 + 129 + 48);
    assert_eq!(app.count("/api/v1/work-items", &[]).await, 165);
    assert_eq!(app.count("/api/v1/livelihood-projects", &[]).await, 48);
    let units = app.count("/api/v1/units", &[]).await;
    assert_eq!(u64::from(summary.units.created), units);
}

async fn importing_the_same_file_twice_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = snapshot(&app).await;
    for index in 0..SEED_FILES.len() {
        let summary = import_document(&app.db, &parse(&seed(index)), &Trusted(Actor::system()))
            .await
            .expect("the import succeeds");
        assert!(summary.is_noop(), "{summary:?}");
        assert_eq!(summary.items_left, 0);
    }
    assert_eq!(snapshot(&app).await, before, "ids, timestamps and content are all unchanged");
}

async fn reimporting_a_changed_file_updates_only_what_changed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut file = seed(1);
    let item = &mut file["sections"][0]["groups"][0]["items"][0];
    item["remarks"] = json!("测试备注");
    item["units"].as_array_mut().expect("units").push(json!({"name": "市新设单位", "role": "cooperating"}));
    item["status"] = json!("in_progress");
    item["progress"] = json!(40);
    let summary =
        import_document(&app.db, &parse(&file), &Trusted(Actor::system())).await.expect("the import succeeds");
    assert_eq!((summary.items.created, summary.items.updated), (0, 1));
    assert_eq!(summary.units.created, 1);
    assert_eq!(summary.documents.updated, 0);

    let changed = app.get_ok("/api/v1/work-items", &[("city", "331083"), ("limit", "1")]).await["items"][0].clone();
    assert_eq!(changed["remarks"], "测试备注");
    assert_eq!(changed["status"], "in_progress");
    assert_eq!(changed["progress"], 40);
    assert_eq!(changed["units"].as_array().expect("units").last().expect("a unit")["name"], "市新设单位");
    assert!(changed["updated_at"].as_str() > changed["created_at"].as_str());

    // Re-importing the original file keeps tracked progress: the file does not state it.
    let summary =
        import_document(&app.db, &parse(&seed(1)), &Trusted(Actor::system())).await.expect("the import succeeds");
    assert_eq!(summary.items.updated, 1);
    let item = app.get_ok(&format!("/api/v1/work-items/{}", changed["id"].as_str().expect("id")), &[]).await;
    assert_eq!(item["remarks"], Value::Null);
    assert_eq!(item["status"], "in_progress");
    assert_eq!(item["progress"], 40);
}

async fn a_file_that_fails_midway_leaves_the_database_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = snapshot(&app).await;
    // Valid as a file, but its last section contradicts the stored one (livelihood projects
    // cannot become work items): the import fails after writing the city, leaders, units and
    // document changes, which must all roll back.
    let mut file = seed(0);
    file["city"]["name_en"] = json!("Yueqing City");
    file["leaders"].as_array_mut().expect("leaders").push(json!({"name": "新领导", "title": "副市长"}));
    file["sections"][0]["groups"][0]["items"][0]["content"] = json!("改写的内容");
    file["sections"][0]["groups"][0]["items"][0]["units"] = json!([{"name": "市新单位", "role": "lead"}]);
    file["sections"][2]["kind"] = json!("work_item");
    let error = import_document(&app.db, &parse(&file), &Trusted(Actor::system())).await.expect_err("the import fails");
    assert!(error.to_string().contains("another kind"), "{error}");
    assert_eq!(snapshot(&app).await, before);

    // Invalid files name the item and field at fault, and write nothing either.
    let mut file = seed(0);
    file["sections"][1]["groups"][3]["items"][17]["units"][0]["role"] = json!("boss");
    let error = DocumentFile::from_json(file.to_string().as_bytes()).expect_err("rejected");
    let problem = error.problem();
    assert_eq!(problem.errors[0].field, "sections[1].groups[3].items[17].units[0].role");
    let mut file = seed(0);
    file["sections"][1]["groups"][3]["items"][17]["leader"] = json!("无此人");
    file["sections"][0]["groups"][0]["items"][0]["content"] = json!("  ");
    let error = DocumentFile::from_json(file.to_string().as_bytes()).expect_err("rejected");
    let fields: Vec<String> = error.problem().errors.into_iter().map(|e| e.field).collect();
    assert_eq!(fields, ["sections[0].groups[0].items[0].content", "sections[1].groups[3].items[17].leader"]);
    assert_eq!(error.problem().status, StatusCode::UNPROCESSABLE_ENTITY.as_u16());
    assert_eq!(snapshot(&app).await, before);
}

/// The importer writes the revision log's JSON as text it prepares itself: on PostgreSQL, in the
/// form `jsonb` prints (keys shortest first, `", "` and `": "`), which the `json` columns have
/// always held; on SQLite, as serde writes it. Escapes, non-BMP characters and nesting included.
async fn revisions_are_stored_in_the_form_the_log_has_always_had(backend: Backend) {
    let app = TestApp::spawn_empty(backend).await;
    let mut file = seed(0);
    let item = &mut file["sections"][0]["groups"][0]["items"][0];
    item["remarks"] = json!("引号\"、反斜杠\\、换行\n、制表\t、控制\u{1}\u{1f}、𝄞 and /");
    item["units"][0]["note"] = json!("{\"不是\": [JSON]}");
    import_document(&app.db, &parse(&file), &Trusted(Actor::system())).await.expect("the import succeeds");

    let sql = match backend {
        Backend::Postgres => {
            "SELECT changes::text AS changes, snapshot::text AS snapshot, \
             changes::jsonb::text AS changes_form, snapshot::jsonb::text AS snapshot_form FROM revisions"
        }
        Backend::Sqlite => "SELECT changes, snapshot, NULL AS changes_form, NULL AS snapshot_form FROM revisions",
    };
    let rows = app.db.query_all_raw(Statement::from_string(app.db.get_database_backend(), sql)).await.expect("rows");
    assert!(rows.len() > 200, "{} revisions", rows.len());
    let mut escapes_seen = false;
    for row in rows {
        for column in ["changes", "snapshot"] {
            let text: String = row.try_get("", column).expect("JSON text");
            let expected = match backend {
                Backend::Postgres => row.try_get("", &format!("{column}_form")).expect("its jsonb form"),
                Backend::Sqlite => serde_json::from_str::<Value>(&text).expect("JSON").to_string(),
            };
            assert_eq!(text, expected);
            escapes_seen |= text.contains(r#"\u0001\u001f"#);
        }
    }
    assert!(escapes_seen, "the item with control characters is among the revisions");
}

/// An import of thousands of items writes them while it builds its next statements, and on
/// PostgreSQL lets the search index's pending list grow in its own transaction, merging it once
/// before it commits: every item is found at once, and nothing is left pending for searches to
/// read (the service's sessions merge at 1 MB). Each creation's revision shows the item's fields.
async fn a_large_import_is_found_by_search_at_once(backend: Backend) {
    let app = TestApp::spawn_empty(backend).await;
    let admin = app.admin_token().await;
    let file = serde_json::to_value(generate::document_file(1_500, 7).expect("a document")).expect("JSON");
    let reply = app.send(Method::POST, "/api/v1/imports", Some(&admin), Some(file.clone()), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["items"]["created"], 1_500);

    let items =
        file["sections"].as_array().expect("sections").iter().flat_map(|s| s["groups"].as_array().expect("groups"));
    let last = items.flat_map(|g| g["items"].as_array().expect("items")).last().expect("an item");
    let content: Vec<char> = last["content"].as_str().expect("content").chars().collect();
    for len in [1, 2, 4] {
        let q: String = content[content.len() - len - 1..content.len() - 1].iter().collect();
        let found = app.get_all("/api/v1/work-items", &[("q", q.as_str())]).await;
        assert!(found.iter().any(|item| item["content"] == last["content"]), "{q} finds the last item");
    }

    let found = app.get_ok("/api/v1/work-items", &[("sort", "-seq"), ("limit", "1")]).await["items"][0].clone();
    let history = app.get_ok(&format!("/api/v1/work-items/{}/revisions", found["id"].as_str().expect("id")), &[]).await;
    let created = &history["items"][0];
    assert_eq!(created["action"], "create");
    assert_eq!(created["changes"]["content"], json!({"before": null, "after": found["content"]}));
    assert_eq!(created["changes"]["units"], json!({"before": null, "after": found["units"]}));

    if backend == Backend::Postgres {
        assert_eq!(app.merge_search_index().await, 0, "nothing left pending");
    }
}

/// A large import merges its search entries on another connection of its pool while its own
/// transaction goes on; a pool of one connection has no other, and the import merges them itself.
async fn a_large_import_over_a_pool_of_one_connection_merges_its_search_entries(backend: Backend) {
    // The server's background merge off: what is merged is the import's doing.
    let app = TestApp::spawn_with(backend, false, |config| config.serve.search_merge_interval_ms = 0).await;
    let mut config = api::config::DatabaseConfig::for_url(app.database_url());
    config.database_max_connections = 1;
    let pool = api::db::connect(&config, app.database_url()).await.expect("a pool of one connection");
    let file = generate::document_file(1_200, 11).expect("a document");
    let summary = import_document(&pool, &file, &Trusted(Actor::system())).await.expect("the import succeeds");
    assert_eq!(summary.items.created, 1_200);
    let listed = app.count("/api/v1/work-items", &[]).await + app.count("/api/v1/livelihood-projects", &[]).await;
    assert_eq!(listed, 1_200);
    if backend == Backend::Postgres {
        assert_eq!(app.merge_search_index().await, 0, "nothing left pending");
    }
}

/// An import's statements are built on another thread while its connection runs those before.
/// The first that fails ends the run with its own error, and the builder is told to stop rather
/// than build the rest.
async fn statements_built_ahead_stop_at_the_first_that_fails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let txn = app.db.begin().await.expect("a transaction");
    let db_backend = txn.get_database_backend();
    let (report, sent) = std::sync::mpsc::channel();
    let outcome = overlap::run_while_built(&txn, move |out| {
        let mut sent = 0;
        for n in 0..1_000 {
            let sql = if n == 3 { "SELECT missing FROM no_such_table" } else { "SELECT 1" };
            if out.send(Statement::from_string(db_backend, sql)).is_err() {
                break;
            }
            sent += 1;
        }
        report.send(sent).expect("the test listens");
        Ok(())
    })
    .await;
    let error = outcome.expect_err("the fourth statement fails");
    assert!(format!("{error:?}").contains("no_such_table"), "{error:?}");
    let sent = sent.recv_timeout(std::time::Duration::from_secs(10)).expect("the builder stops");
    assert!((4..=20).contains(&sent), "the builder stopped a few statements past the failure, not after {sent}");
    txn.rollback().await.expect("rolled back");

    // Without a failure, the builder's result comes back once every statement ran.
    let txn = app.db.begin().await.expect("a transaction");
    let sent = overlap::run_while_built(&txn, move |out| {
        for _ in 0..20 {
            out.send(Statement::from_string(db_backend, "SELECT 1"))?;
        }
        Ok(20)
    })
    .await
    .expect("every statement runs");
    assert_eq!(sent, 20);
    txn.commit().await.expect("committed");
}
