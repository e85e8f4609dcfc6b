//! Mirroring through the change feed: replaying `/changes` into an empty copy gives what the
//! public lists show, after any mix of writes, and a poller never misses or repeats a change while
//! writers race each other.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, TestApp},
    on_both_backends,
};

on_both_backends!(
    the_seed_reaches_the_feed_as_creations_by_the_system,
    the_feed_takes_since_limit_city_and_resource_type,
    replaying_the_feed_rebuilds_the_source_after_creates_updates_and_deletes,
    renaming_a_city_reaches_every_record_that_shows_it,
    a_poller_sees_every_change_once_in_order_while_writers_race,
);

/// The published collections, as the feed names them.
const COLLECTIONS: [&str; 7] =
    ["cities", "documents", "sections", "leaders", "units", "work-items", "livelihood-projects"];

/// A copy of the data: (resource type, id) → the resource.
type Replica = HashMap<(String, String), Value>;

/// One call of `/changes`.
async fn poll(app: &TestApp, query: &[(&str, &str)]) -> Value {
    app.get_ok("/api/v1/changes", query).await
}

/// Every change after `since`, following `next` until nothing more waits; and the last `next`.
async fn changes_since(app: &TestApp, since: &str, limit: &str) -> (Vec<Value>, String) {
    let mut changes = Vec::new();
    let mut since = since.to_owned();
    loop {
        let batch = poll(app, &[("since", since.as_str()), ("limit", limit)]).await;
        changes.extend(batch["changes"].as_array().expect("changes").iter().cloned());
        since = batch["next"].as_str().expect("next").to_owned();
        if batch["has_more"] == false {
            return (changes, since);
        }
    }
}

fn key(change: &Value) -> (String, String) {
    (
        change["resource_type"].as_str().expect("resource_type").to_owned(),
        change["resource_id"].as_str().expect("resource_id").to_owned(),
    )
}

/// Applies one change to a copy.
fn apply(replica: &mut Replica, change: &Value) {
    let key = key(change);
    match change["action"].as_str().expect("action") {
        "create" | "update" => {
            let resource = &change["resource"];
            assert!(resource.is_object(), "a {} carries the resource: {change}", change["action"]);
            assert_eq!(resource["id"].as_str(), Some(key.1.as_str()));
            replica.insert(key, resource.clone());
        }
        "delete" => {
            assert!(change["resource"].is_null(), "a deletion is a tombstone: {change}");
            replica.remove(&key);
        }
        other => panic!("unknown action {other}: {change}"),
    }
}

fn replay(changes: &[Value]) -> Replica {
    let mut replica = Replica::new();
    for change in changes {
        apply(&mut replica, change);
    }
    replica
}

/// Every published resource, read from the public lists.
async fn source(app: &TestApp) -> Replica {
    let mut all = Replica::new();
    for collection in COLLECTIONS {
        for resource in app.get_all(&format!("/api/v1/{collection}"), &[]).await {
            let id = resource["id"].as_str().expect("id").to_owned();
            all.insert((collection.to_owned(), id), resource);
        }
    }
    all
}

/// Asserts the copy is the source; the message says what differs, per resource type.
fn assert_mirrors(replica: &Replica, source: &Replica) {
    let mut differences: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, resource) in source {
        match replica.get(key) {
            None => differences.entry(key.0.clone()).or_default().push(format!("{} missing", key.1)),
            Some(copy) if copy != resource => {
                let fields: Vec<String> = resource
                    .as_object()
                    .expect("an object")
                    .iter()
                    .filter(|(field, value)| copy.get(*field) != Some(*value))
                    .map(|(field, value)| {
                        format!("{field}: copy {} ≠ source {value}", copy.get(field).unwrap_or(&Value::Null))
                    })
                    .collect();
                differences.entry(key.0.clone()).or_default().push(format!(
                    "{} differs in {}",
                    key.1,
                    fields.join("; ")
                ));
            }
            Some(_) => {}
        }
    }
    for key in replica.keys().filter(|key| !source.contains_key(*key)) {
        differences.entry(key.0.clone()).or_default().push(format!("{} is no longer in the source", key.1));
    }
    let report: Vec<String> = differences
        .iter()
        .map(|(collection, list)| format!("{collection}: {} record(s), e.g. {}", list.len(), list[0]))
        .collect();
    assert!(report.is_empty(), "the replayed copy differs from the source:\n{}", report.join("\n"));
}

/// `method path` as `token`'s user; asserts `status`; returns the body.
async fn write(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: StatusCode,
) -> Value {
    let reply = app.send(method.clone(), path, Some(token), body, &[]).await;
    assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
    reply.body
}

/// Yueqing's sections: (2021 work plan, livelihood projects), and its document.
async fn yueqing(app: &TestApp) -> (String, String, String) {
    let sections = app.get_all("/api/v1/sections", &[("city", "330382")]).await;
    let id = |number: i64| {
        sections.iter().find(|s| s["number"] == number).expect("the section")["id"].as_str().expect("id").to_owned()
    };
    (id(2), id(3), sections[0]["document_id"].as_str().expect("document_id").to_owned())
}

async fn the_seed_reaches_the_feed_as_creations_by_the_system(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (changes, next) = changes_since(&app, "0", "1000").await;
    let mut per_type: BTreeMap<String, usize> = BTreeMap::new();
    for change in &changes {
        assert_eq!(change["action"], "create", "{change}");
        assert_eq!(change["actor"], json!({"id": null, "name": "system"}));
        assert!(change["changed_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{change}");
        *per_type.entry(change["resource_type"].as_str().expect("type").to_owned()).or_default() += 1;
    }
    let source = source(&app).await;
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for (collection, _) in source.keys() {
        *expected.entry(collection.clone()).or_default() += 1;
    }
    assert_eq!(per_type, expected);
    assert_eq!((per_type["work-items"], per_type["livelihood-projects"], per_type["cities"]), (299, 62, 2));
    assert_mirrors(&replay(&changes), &source);
    // Cursors are increasing integers, and `next` is the last one.
    let cursors: Vec<u64> =
        changes.iter().map(|c| c["cursor"].as_str().expect("cursor").parse().expect("a number")).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(next, cursors.last().expect("changes").to_string());
    // Parents come before what they hold.
    let position = |collection: &str| changes.iter().position(|c| c["resource_type"] == collection).expect("present");
    assert!(position("cities") < position("documents") && position("documents") < position("sections"));
    assert!(position("sections") < position("work-items"));
}

async fn the_feed_takes_since_limit_city_and_resource_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = poll(&app, &[]).await;
    assert_eq!(first["changes"].as_array().expect("changes").len(), 100, "100 by default");
    assert_eq!(first["has_more"], true);
    let small = poll(&app, &[("limit", "7")]).await;
    assert_eq!(small["changes"].as_array().expect("changes").len(), 7);
    assert_eq!(small["next"], small["changes"][6]["cursor"]);
    let after = poll(&app, &[("since", small["next"].as_str().expect("next")), ("limit", "3")]).await;
    assert_eq!(after["changes"], Value::Array(first["changes"].as_array().expect("changes")[7..10].to_vec()));

    // At the end: nothing, the same cursor back, nothing more.
    let (all, end) = changes_since(&app, "0", "1000").await;
    let idle = poll(&app, &[("since", end.as_str())]).await;
    assert_eq!(idle, json!({"changes": [], "next": end, "has_more": false}));
    // A write shows up after it, and only it.
    let token = app.admin_token().await;
    let item = &app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0];
    let path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("id"));
    let after_write = write(&app, &token, Method::PATCH, &path, Some(json!({"progress": 30})), StatusCode::OK).await;
    let new = poll(&app, &[("since", end.as_str())]).await;
    let changes = new["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 1, "{new}");
    assert_eq!(changes[0]["action"], "update");
    assert_eq!(changes[0]["resource"], after_write, "the resource as GET shows it after the change");
    assert_ne!(changes[0]["actor"]["name"], "system");
    assert!(changes[0]["actor"]["id"].is_string());
    assert!(
        new["next"].as_str().expect("next").parse::<u64>().expect("a number") > end.parse::<u64>().expect("a number")
    );

    // Filters.
    let yuhuan = poll(&app, &[("city", "331083"), ("limit", "1000")]).await;
    let yuhuan = yuhuan["changes"].as_array().expect("changes");
    assert!(yuhuan.iter().all(|c| c["resource_type"] != "cities"), "cities have no city");
    let yuhuan_items = yuhuan.iter().filter(|c| c["resource_type"] == "work-items").count();
    assert_eq!(yuhuan_items, 134);
    assert!(yuhuan.iter().filter_map(|c| c["resource"]["city"]["code"].as_str()).all(|code| code == "331083"));
    let yuhuan_id = app.get_ok("/api/v1/cities/331083", &[]).await["id"].as_str().expect("id").to_owned();
    let by_id = poll(&app, &[("city", yuhuan_id.as_str()), ("limit", "1000")]).await;
    assert_eq!(by_id["changes"].as_array().expect("changes"), yuhuan, "a city by id or by code");
    let sections = poll(&app, &[("resource_type", "sections"), ("limit", "1000")]).await;
    assert_eq!(sections["changes"].as_array().expect("changes").len(), 5);
    let projects = poll(&app, &[("resource_type", "livelihood-projects"), ("city", "330382"), ("limit", "1000")]).await;
    assert_eq!(projects["changes"].as_array().expect("changes").len(), 48);
    assert_eq!(all.len() + 1, changes_since(&app, "0", "1000").await.0.len());

    for (name, value) in [
        ("since", "-1"),
        ("since", "abc"),
        ("since", "1.5"),
        ("limit", "0"),
        ("limit", "1001"),
        ("resource_type", "users"),
        ("resource_type", "things"),
        ("city", "Yueqing"),
        ("colour", "red"),
    ] {
        let problem = app.get_problem("/api/v1/changes", &[(name, value)], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains(name), "{name}={value}: {problem}");
    }
}

async fn replaying_the_feed_rebuilds_the_source_after_creates_updates_and_deletes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let (work_plan, livelihood, document) = yueqing(&app).await;
    // A mirror that starts from the seed and keeps polling.
    let (seed, mut cursor) = changes_since(&app, "0", "250").await;
    let mut replica = replay(&seed);
    assert_mirrors(&replica, &source(&app).await);

    let items = app.get_all("/api/v1/work-items", &[]).await;
    let item_path = |n: usize| format!("/api/v1/work-items/{}", items[n]["id"].as_str().expect("id"));
    let new_item = json!({
        "section": work_plan, "group": {"number": 1, "heading": null}, "seq": 901, "content": "新增的重点工作。",
        "leader": null, "units": [{"unit": "市发改局", "role": "lead"}], "remarks": null
    });
    let created = write(&app, &token, Method::POST, "/api/v1/work-items", Some(new_item), StatusCode::CREATED).await;
    let created_path = format!("/api/v1/work-items/{}", created["id"].as_str().expect("id"));
    let new_project = json!({
        "section": livelihood, "category": {"number": 10, "name": "农贸市场改造力度提升"}, "seq": 201,
        "sub_seq": null, "content": "新增的民生实事。", "leader": "王烨", "units": [{"unit": "市市场监管局", "role": "lead"}]
    });
    let project =
        write(&app, &token, Method::POST, "/api/v1/livelihood-projects", Some(new_project), StatusCode::CREATED).await;
    let project_path = format!("/api/v1/livelihood-projects/{}", project["id"].as_str().expect("id"));
    write(
        &app,
        &token,
        Method::PATCH,
        &item_path(0),
        Some(json!({"status": "in_progress", "progress": 40})),
        StatusCode::OK,
    )
    .await;
    write(
        &app,
        &token,
        Method::PATCH,
        &item_path(1),
        Some(json!({"status": "completed", "progress": 100})),
        StatusCode::OK,
    )
    .await;
    write(
        &app,
        &token,
        Method::PATCH,
        &created_path,
        Some(json!({"content": "改写的新增工作。", "remarks": "备注"})),
        StatusCode::OK,
    )
    .await;

    // Mid-way, the mirror catches up; then more writes.
    let (batch, next) = changes_since(&app, &cursor, "4").await;
    batch.iter().for_each(|change| apply(&mut replica, change));
    cursor = next;

    write(&app, &token, Method::DELETE, &item_path(2), None, StatusCode::NO_CONTENT).await;
    write(&app, &token, Method::DELETE, &project_path, None, StatusCode::NO_CONTENT).await;
    let leader = write(
        &app,
        &token,
        Method::POST,
        "/api/v1/leaders",
        Some(json!({"city": "330382", "name": "测试领导", "title": "副市长"})),
        StatusCode::CREATED,
    )
    .await;
    let leader_path = format!("/api/v1/leaders/{}", leader["id"].as_str().expect("id"));
    write(&app, &token, Method::PATCH, &leader_path, Some(json!({"title": "常务副市长"})), StatusCode::OK).await;
    write(&app, &token, Method::DELETE, &leader_path, None, StatusCode::NO_CONTENT).await;
    // A leader's and a unit's new names reach the items that show them.
    let he = items.iter().find(|i| i["leader"]["name"] == "何学考").expect("何学考 leads")["leader"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    write(
        &app,
        &token,
        Method::PATCH,
        &format!("/api/v1/leaders/{he}"),
        Some(json!({"title": "市委常委、常务副市长"})),
        StatusCode::OK,
    )
    .await;
    let unit = app.get_all("/api/v1/units", &[("city", "330382"), ("q", "治堵办")]).await;
    let unit_path = format!("/api/v1/units/{}", unit[0]["id"].as_str().expect("id"));
    write(&app, &token, Method::PATCH, &unit_path, Some(json!({"name": "市治堵办公室"})), StatusCode::OK).await;
    write(
        &app,
        &token,
        Method::PATCH,
        &format!("/api/v1/documents/{document}"),
        Some(json!({"cc": "市委办公室"})),
        StatusCode::OK,
    )
    .await;
    // A section of its own: created, renamed, deleted; and a seed section renamed.
    let section =
        json!({"document": document, "number": 9, "kind": "work_item", "title": "测试附件", "period": "2022"});
    let section = write(&app, &token, Method::POST, "/api/v1/sections", Some(section), StatusCode::CREATED).await;
    let section_path = format!("/api/v1/sections/{}", section["id"].as_str().expect("id"));
    write(&app, &token, Method::PATCH, &section_path, Some(json!({"title": "改名的测试附件"})), StatusCode::OK).await;
    write(&app, &token, Method::DELETE, &section_path, None, StatusCode::NO_CONTENT).await;
    write(
        &app,
        &token,
        Method::PATCH,
        &format!("/api/v1/sections/{livelihood}"),
        Some(json!({"title": "2021年民生实事项目"})),
        StatusCode::OK,
    )
    .await;

    let (rest, _) = changes_since(&app, &cursor, "4").await;
    rest.iter().for_each(|change| apply(&mut replica, change));
    let actions: Vec<&str> = batch.iter().chain(&rest).map(|c| c["action"].as_str().expect("action")).collect();
    assert!(["create", "update", "delete"].iter().all(|a| actions.contains(a)), "{actions:?}");
    assert_mirrors(&replica, &source(&app).await);
    // A mirror that starts now, from the beginning, ends the same.
    assert_mirrors(&replay(&changes_since(&app, "0", "1000").await.0), &source(&app).await);
}

async fn renaming_a_city_reaches_every_record_that_shows_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let (seed, cursor) = changes_since(&app, "0", "1000").await;
    let mut replica = replay(&seed);
    let city = app.get_ok("/api/v1/cities/331083", &[]).await;
    let path = format!("/api/v1/cities/{}", city["id"].as_str().expect("id"));
    write(&app, &token, Method::PATCH, &path, Some(json!({"name": "玉环市（测试）"})), StatusCode::OK).await;
    let (changes, _) = changes_since(&app, &cursor, "1000").await;
    changes.iter().for_each(|change| apply(&mut replica, change));
    assert_mirrors(&replica, &source(&app).await);
}

/// A client of the server for a task of its own.
#[derive(Clone)]
struct Writer {
    client: reqwest::Client,
    address: String,
    token: String,
}

impl Writer {
    async fn send(&self, method: Method, path: &str, body: Option<Value>, expected: StatusCode) -> Value {
        let mut request =
            self.client.request(method.clone(), format!("{}{path}", self.address)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("a body");
        assert_eq!(status, expected, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

async fn a_poller_sees_every_change_once_in_order_while_writers_race(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let (work_plan, ..) = yueqing(&app).await;
    let items = app.get_all("/api/v1/work-items", &[]).await;
    let projects = app.get_all("/api/v1/livelihood-projects", &[]).await;

    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let (client, address, done) = (app.client.clone(), app.address.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen: Vec<Value> = Vec::new();
            let mut since = "0".to_owned();
            let mut polls = 0;
            loop {
                // Read `done` before polling: a poll that starts after the writers ended drains all.
                let finished = done.load(Ordering::SeqCst);
                let batch: Value = client
                    .get(format!("{address}/api/v1/changes"))
                    .query(&[("since", since.as_str()), ("limit", "25")])
                    .send()
                    .await
                    .expect("sent")
                    .json()
                    .await
                    .expect("json");
                polls += 1;
                seen.extend(batch["changes"].as_array().expect("changes").iter().cloned());
                since = batch["next"].as_str().expect("next").to_owned();
                if batch["has_more"] == false {
                    if finished {
                        return (seen, polls);
                    }
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
        })
    };

    let writer = Writer { client: app.client.clone(), address: app.address.clone(), token };
    let mut writers = Vec::new();
    for w in 0..4_usize {
        let writer = writer.clone();
        let (work_plan, items, projects) = (work_plan.clone(), items.clone(), projects.clone());
        writers.push(tokio::spawn(async move {
            let mut created: Vec<String> = Vec::new();
            for i in 0..10_usize {
                match i % 3 {
                    0 => {
                        let body = json!({
                            "section": work_plan, "group": {"number": 1, "heading": null}, "seq": 1000 + w * 100 + i,
                            "content": format!("并发写入{w}-{i}。"), "leader": null,
                            "units": [{"unit": "市发改局", "role": "lead"}], "remarks": null
                        });
                        let item =
                            writer.send(Method::POST, "/api/v1/work-items", Some(body), StatusCode::CREATED).await;
                        created.push(item["id"].as_str().expect("id").to_owned());
                    }
                    1 => {
                        let (collection, record) = if i % 2 == 0 {
                            ("livelihood-projects", &projects[w * 10 + i])
                        } else {
                            ("work-items", &items[w * 10 + i])
                        };
                        let path = format!("/api/v1/{collection}/{}", record["id"].as_str().expect("id"));
                        let body = json!({"status": "in_progress", "progress": w * 10 + i});
                        writer.send(Method::PATCH, &path, Some(body), StatusCode::OK).await;
                    }
                    _ => {
                        let id = created.pop().expect("created before");
                        writer
                            .send(Method::DELETE, &format!("/api/v1/work-items/{id}"), None, StatusCode::NO_CONTENT)
                            .await;
                        // And a seed item of this writer's own.
                        let seed = items[200 + w * 10 + i]["id"].as_str().expect("id");
                        writer
                            .send(
                                Method::PATCH,
                                &format!("/api/v1/work-items/{seed}"),
                                Some(json!({"remarks": format!("并发{w}-{i}")})),
                                StatusCode::OK,
                            )
                            .await;
                    }
                }
            }
            created
        }));
    }
    let mut survivors = 0;
    for handle in writers {
        survivors += handle.await.expect("the writer succeeds").len();
    }
    done.store(true, Ordering::SeqCst);
    let (seen, polls) = poller.await.expect("the poller succeeds");
    assert!(polls > 3, "the poller polled while the writers wrote ({polls} polls)");

    let (all, _) = changes_since(&app, "0", "1000").await;
    let cursors = |changes: &[Value]| -> Vec<u64> {
        changes.iter().map(|c| c["cursor"].as_str().expect("cursor").parse().expect("a number")).collect()
    };
    let seen_cursors = cursors(&seen);
    assert!(seen_cursors.windows(2).all(|w| w[0] < w[1]), "the poller's cursors strictly increase");
    let all_cursors = cursors(&all);
    let missed: Vec<&u64> = all_cursors.iter().filter(|c| !seen_cursors.contains(c)).collect();
    assert!(missed.is_empty(), "the poller skipped changes {missed:?}");
    assert_eq!(seen_cursors, all_cursors, "the poller saw every change once, in order");
    assert_eq!(seen, all, "and saw each as the final read shows it");
    // Item writes also update the section and document that count them; count the items' own.
    let is_item = |c: &Value| c["resource_type"] == "work-items" || c["resource_type"] == "livelihood-projects";
    let written = all.iter().filter(|c| c["actor"]["name"] != "system" && is_item(c)).count();
    // 4 writers × (4 creations, 3 patches, 3 × (deletion + patch)).
    assert_eq!(written, 4 * (4 + 3 + 3 * 2));
    assert_eq!(app.count("/api/v1/work-items", &[]).await as usize, 299 + survivors);
    assert_mirrors(&replay(&seen), &source(&app).await);
}
