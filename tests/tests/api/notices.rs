//! Imports of notice text and dry runs over HTTP: `POST /api/v1/imports` with `text/plain`, and
//! `?dry_run=true` with either body, which lists what would change and writes nothing.

use std::path::Path;

use api::domain::import::SEED_FILES;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, TestApp, UserRole},
    on_both_backends,
};

on_both_backends!(
    a_dry_run_of_a_changed_file_lists_the_changes_and_writes_nothing,
    a_dry_run_of_a_new_document_lists_every_record_as_created_and_writes_nothing,
    a_notice_imports_like_its_committed_file,
    a_notice_needs_a_city_the_database_holds,
    bad_notice_bodies_are_problems_and_write_nothing,
);

const IMPORTS: &str = "/api/v1/imports";
const DRY_RUN: &str = "/api/v1/imports?dry_run=true";

fn seed(index: usize) -> Value {
    serde_json::from_str(SEED_FILES[index].1).expect("the seed file is JSON")
}

fn notice(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/notices").join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Everything a write could touch: every record as the API shows it, the number of revisions,
/// and the change feed's position.
async fn state(app: &TestApp) -> (Vec<Vec<Value>>, u64, Value) {
    let mut records = Vec::new();
    for path in ["cities", "documents", "sections", "leaders", "units", "work-items", "livelihood-projects"] {
        records.push(app.get_all(&format!("/api/v1/{path}"), &[]).await);
    }
    let mut since = "0".to_owned();
    loop {
        let batch = app.get_ok("/api/v1/changes", &[("since", since.as_str()), ("limit", "1000")]).await;
        since = batch["next"].as_str().expect("a cursor").to_owned();
        if batch["has_more"] != json!(true) {
            break;
        }
    }
    (records, app.revision_count().await, Value::String(since))
}

/// The `created`, `updated` and `unchanged` tallies of a summary, summed over its record kinds.
fn totals(summary: &Value) -> (u64, u64, u64) {
    let mut totals = (0, 0, 0);
    for what in ["cities", "documents", "sections", "leaders", "units", "items"] {
        totals.0 += summary[what]["created"].as_u64().expect("created");
        totals.1 += summary[what]["updated"].as_u64().expect("updated");
        totals.2 += summary[what]["unchanged"].as_u64().expect("unchanged");
    }
    totals
}

fn list<'a>(preview: &'a Value, which: &str) -> &'a Vec<Value> {
    preview[which].as_array().unwrap_or_else(|| panic!("no {which} in {preview}"))
}

async fn a_dry_run_of_a_changed_file_lists_the_changes_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = state(&app).await;

    let mut file = seed(0);
    let row = &mut file["sections"][0]["groups"][0]["items"][0];
    row["remarks"] = json!("预演的备注");
    row["units"].as_array_mut().expect("units").push(json!({"name": "市新设单位", "role": "cooperating"}));
    let reply = app.send(Method::POST, DRY_RUN, Some(&admin), Some(file.clone()), &[]).await;
    let preview = reply.expect(StatusCode::OK).clone();
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["notice"], Value::Null);
    assert_eq!(preview["summary"]["items"], json!({"created": 0, "updated": 1, "unchanged": 212}));
    assert_eq!(preview["summary"]["units"]["created"], 1);

    let created = list(&preview, "created");
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["resource_type"], "units");
    assert_eq!(created[0]["after"]["name"], "市新设单位");
    assert_eq!(created[0]["after"]["id"], created[0]["resource_id"]);

    let updated = list(&preview, "updated");
    let item = updated.iter().find(|u| u["resource_type"] == "work-items").expect("the changed item");
    assert_eq!(item["before"]["remarks"], Value::Null);
    assert_eq!(item["after"]["remarks"], "预演的备注");
    assert_eq!(item["before"]["id"], item["resource_id"]);
    // Only the item and the records that show it (its document and section count it) change.
    for record in updated {
        assert!(["work-items", "documents", "sections"].contains(&record["resource_type"].as_str().expect("a type")));
    }

    // Every record the file names is listed once: created, updated or unchanged.
    let unchanged = list(&preview, "unchanged");
    assert!(unchanged.iter().all(|u| u["resource_id"] != item["resource_id"]));
    assert_eq!(unchanged.iter().filter(|u| u["resource_type"] == "work-items").count(), 165 - 1);
    assert_eq!(unchanged.iter().filter(|u| u["resource_type"] == "livelihood-projects").count(), 48);
    assert_eq!(state(&app).await, before, "the dry run wrote nothing: records, revisions and feed");

    // The real import then does what the dry run said.
    let reply = app.send(Method::POST, IMPORTS, Some(&admin), Some(file), &[]).await;
    let summary = reply.expect(StatusCode::OK).clone();
    assert_eq!(summary, preview["summary"]);
    assert_eq!(
        app.get_ok(&format!("/api/v1/work-items/{}", item["resource_id"].as_str().expect("id")), &[]).await["remarks"],
        "预演的备注"
    );

    // An editor of another city may not even preview an import into this one.
    let editor = app.token(UserRole::Editor, Some("331083")).await;
    app.send(Method::POST, DRY_RUN, Some(&editor), Some(seed(0)), &[]).await.problem(StatusCode::FORBIDDEN);
}

async fn a_dry_run_of_a_new_document_lists_every_record_as_created_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn_empty(backend).await;
    let admin = app.admin_token().await;
    let before = state(&app).await;
    let reply = app.send(Method::POST, DRY_RUN, Some(&admin), Some(seed(1)), &[]).await;
    let preview = reply.expect(StatusCode::OK).clone();
    let (created, updated, unchanged) = totals(&preview["summary"]);
    assert_eq!((updated, unchanged), (0, 0));
    assert_eq!(list(&preview, "created").len() as u64, created);
    assert!(list(&preview, "updated").is_empty());
    assert!(list(&preview, "unchanged").is_empty());
    // Parents first, as the change feed would list them.
    let kinds: Vec<&str> =
        list(&preview, "created").iter().map(|c| c["resource_type"].as_str().expect("a type")).collect();
    assert_eq!(kinds[0], "cities");
    assert!(kinds.windows(2).all(|w| !(w[0] == "work-items" && w[1] == "units")));
    assert_eq!(state(&app).await, before, "nothing was written to the empty database");
    assert_eq!(app.count("/api/v1/cities", &[]).await, 0);
}

async fn a_notice_imports_like_its_committed_file(backend: Backend) {
    // The database holds both seeds, imported from their JSON files: the notice of Yuhuan,
    // parsed for its city, must change nothing at all.
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = state(&app).await;
    let text = notice("yuhuan-2021-9.txt");

    let reply =
        app.send_raw(Method::POST, DRY_RUN, Some(&admin), Some("text/plain; charset=utf-8"), text.clone()).await;
    let preview = reply.expect(StatusCode::OK).clone();
    assert!(list(&preview, "created").is_empty(), "{}", preview["created"]);
    assert!(list(&preview, "updated").is_empty(), "{}", preview["updated"]);
    assert_eq!(list(&preview, "unchanged").len() as u64, totals(&preview["summary"]).2);
    assert_eq!(preview["notice"]["layout"], "cells");
    let warnings = list(&preview["notice"], "warnings");
    for kind in ["doc_number_repaired", "date_repaired", "dropped_first_char", "missing_city_prefix"] {
        assert!(warnings.iter().any(|w| w["kind"] == kind), "{kind} missing from {warnings:?}");
    }
    // The city came from the issuer's name, and its units are known.
    let units = list(&preview["notice"], "units");
    assert!(units.iter().all(|u| u["how"] == "exact"), "{units:?}");

    // Imported for real, with the city named: nothing changes either.
    let path = format!("{IMPORTS}?city=331083");
    let reply = app.send_raw(Method::POST, &path, Some(&admin), Some("text/plain"), text).await;
    let answer = reply.expect(StatusCode::OK).clone();
    assert_eq!(totals(&answer["summary"]).0 + totals(&answer["summary"]).1, 0, "{answer}");
    assert_eq!(answer["notice"]["layout"], "cells");
    assert_eq!(state(&app).await, before);

    // The Yueqing notice, dry-run for its city named by code.
    let path = format!("{DRY_RUN}&city=330382&layout=tabbed");
    let reply = app.send_raw(Method::POST, &path, Some(&admin), Some("text/plain"), notice("yueqing-2021-7.txt")).await;
    let preview = reply.expect(StatusCode::OK).clone();
    assert!(list(&preview, "created").is_empty() && list(&preview, "updated").is_empty(), "{preview}");
    let near_misses = list(&preview["notice"], "warnings").iter().filter(|w| w["kind"] == "unit_near_miss").count();
    assert!(near_misses > 0, "市人社局 / 市人力社保局 are reported, not merged");
    assert_eq!(state(&app).await, before);
}

async fn a_notice_needs_a_city_the_database_holds(backend: Backend) {
    let app = TestApp::spawn_empty(backend).await;
    let admin = app.admin_token().await;
    let before = state(&app).await;
    let text = notice("yuhuan-2021-9.txt");
    for path in [IMPORTS, DRY_RUN] {
        let reply = app.send_raw(Method::POST, path, Some(&admin), Some("text/plain"), text.clone()).await;
        let problem = reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(problem["detail"].as_str().expect("detail").contains("no city named 玉环市"), "{problem}");
        assert_eq!(reply.error_fields(), ["city"]);
    }
    let reply = app
        .send_raw(Method::POST, &format!("{IMPORTS}?city=999999"), Some(&admin), Some("text/plain"), text.clone())
        .await;
    let problem = reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem["detail"].as_str().expect("detail").contains("no city has the admin code 999999"), "{problem}");
    assert_eq!(state(&app).await, before);

    // Once the city exists (its first document imported as JSON), the notice goes in.
    app.send(Method::POST, IMPORTS, Some(&admin), Some(seed(1)), &[]).await.expect(StatusCode::OK);
    let reply = app.send_raw(Method::POST, IMPORTS, Some(&admin), Some("text/plain"), text).await;
    reply.expect(StatusCode::OK);
}

async fn bad_notice_bodies_are_problems_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = state(&app).await;
    let send = |content_type: Option<&'static str>, body: Vec<u8>, path: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move { app.send_raw(Method::POST, path, Some(&admin), content_type, body).await }
    };
    let detail = |reply: &crate::helpers::Reply| reply.body["detail"].as_str().expect("a detail").to_owned();

    let reply = send(Some("text/plain"), Vec::new(), IMPORTS).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&reply), "the notice cannot be parsed: the notice is empty");

    let text = String::from_utf8(notice("yuhuan-2021-9.txt")).expect("UTF-8");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let reply = send(Some("text/plain"), gbk.into_owned(), DRY_RUN).await;
    reply.problem(StatusCode::BAD_REQUEST);
    assert!(detail(&reply).contains("it looks like GBK"), "{}", detail(&reply));

    let utf16: Vec<u8> = [0xff, 0xfe].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let reply = send(Some("text/plain"), utf16, IMPORTS).await;
    reply.problem(StatusCode::BAD_REQUEST);
    assert!(detail(&reply).contains("UTF-16"), "{}", detail(&reply));

    let prose =
        "测政办函〔2022〕1号\n关于印发工作要点的通知\n各单位：\n请认真贯彻执行。\n玉环市人民政府办公室\n2022年1月5日\n";
    let reply = send(Some("text/plain"), prose.as_bytes().to_vec(), IMPORTS).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail(&reply).contains("no tables"), "{}", detail(&reply));

    let markdown = "关于印发重点工作的通知\n\n| 序号 | 重点工作 | 责任单位 | 备注 |\n| 1 | 推进工作 | 市发改局 | |\n";
    let reply = send(Some("text/plain"), markdown.as_bytes().to_vec(), IMPORTS).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail(&reply).contains("line 3 looks like a table"), "{}", detail(&reply));

    let missing_column = text.replacen("牵头单位\n", "", 1).replacen("配合单位\n", "", 1);
    let reply = send(Some("text/plain"), missing_column.into_bytes(), IMPORTS).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail(&reply).contains("column"), "{}", detail(&reply));

    let reply = send(Some("text/plain"), text.clone().into_bytes(), "/api/v1/imports?layout=tabbed").await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(detail(&reply), "the notice cannot be parsed: no table in the tabbed layout was found");

    // Media types: another one, or none, is a 415; notice options do not apply to JSON.
    let reply = send(Some("text/csv"), b"a,b".to_vec(), IMPORTS).await;
    reply.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(detail(&reply).contains("text/csv"), "{}", detail(&reply));
    send(None, text.clone().into_bytes(), IMPORTS).await.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let reply = send(Some("application/json"), seed(1).to_string().into_bytes(), "/api/v1/imports?layout=cells").await;
    reply.problem(StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_fields(), ["layout"]);
    let reply = send(Some("text/plain"), text.into_bytes(), "/api/v1/imports?dry_run=maybe").await;
    reply.problem(StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_fields(), ["dry_run"]);

    // Without a token nothing is read at all.
    app.send_raw(Method::POST, IMPORTS, None, Some("text/plain"), b"x".to_vec()).await.unauthorized();
    assert_eq!(state(&app).await, before);
}
