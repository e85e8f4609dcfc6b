//! Progress reports: filing and correcting them, how the item follows its latest report, the
//! lists and their filters, reporters scoped to units, and the change feed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, Reply, TestApp, UserRole},
    on_both_backends,
};

on_both_backends!(
    an_item_follows_its_latest_report_and_a_direct_patch_holds_until_the_next,
    a_correction_is_a_revision_and_needs_the_current_etag,
    a_withdrawn_report_leaves_the_item_on_its_latest_remaining_report,
    a_reporter_of_another_unit_may_not_withdraw_a_report,
    report_lists_filter_by_item_city_unit_document_leader_and_dates,
    bad_reports_are_refused_and_change_nothing,
    a_reporter_of_a_unit_reports_on_its_items_and_on_no_other,
    reporter_accounts_are_made_with_units_of_their_city,
    the_roles_that_let_a_unit_report_are_a_setting,
    reports_reach_the_change_feed_and_replay_to_what_the_api_shows,
    an_item_with_reports_is_deleted_only_with_them,
    missing_reports_for_a_quarter_are_the_units_items_without_one,
    a_citys_reporting_cycle_sets_the_period_its_units_owe_reports_for,
    report_trends_match_counts_made_here,
    trends_by_leader_count_each_item_once_per_quarter_and_split_at_its_first_day,
    trends_stay_exact_through_every_write_that_changes_what_they_count,
    reports_filed_at_once_on_one_item_count_it_once_in_the_tallies,
    reports_come_as_a_json_feed_per_city_or_unit_and_as_csv,
);

/// The reporting unit most tests use, and the city it is in.
const UNIT: &str = "市发改局";
const YUEQING: &str = "330382";

/// Ids of Yueqing's work items with [`UNIT`] on them, and of one without.
struct Items {
    of_unit: Vec<String>,
    other: String,
}

async fn items(app: &TestApp) -> Items {
    let of_unit: Vec<String> = app
        .get_all("/api/v1/work-items", &[("city", YUEQING), ("unit", UNIT)])
        .await
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(of_unit.len() >= 3, "the seed gives {UNIT} several items");
    let all = app.get_all("/api/v1/work-items", &[("city", YUEQING)]).await;
    let other = all
        .iter()
        .find(|item| !of_unit.iter().any(|id| item["id"] == json!(id)))
        .expect("an item without the unit")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    Items { of_unit, other }
}

fn report(as_of: &str, status: &str, progress: i64) -> Value {
    json!({
        "unit": UNIT, "as_of": as_of, "status": status, "progress": progress,
        "text": format!("截至{as_of}，完成{progress}%。"), "problems": null, "help_requested": "请市财政局协调资金。"
    })
}

async fn file(app: &TestApp, token: &str, item: &str, body: Value) -> Reply {
    app.send(Method::POST, &format!("/api/v1/work-items/{item}/reports"), Some(token), Some(body), &[]).await
}

async fn file_ok(app: &TestApp, token: &str, item: &str, body: Value) -> Value {
    file(app, token, item, body).await.expect(StatusCode::CREATED).clone()
}

async fn item(app: &TestApp, id: &str) -> Value {
    app.get_ok(&format!("/api/v1/work-items/{id}"), &[]).await
}

fn status_and_progress(item: &Value) -> (Value, Value) {
    (item["status"].clone(), item["progress"].clone())
}

async fn an_item_follows_its_latest_report_and_a_direct_patch_holds_until_the_next(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    let id = items(&app).await.of_unit[0].clone();

    let first = file_ok(&app, &admin, &id, report("2021-06-30", "in_progress", 40)).await;
    assert_eq!((first["unit"]["name"].clone(), first["item"]["id"].clone()), (json!(UNIT), json!(id)));
    assert_eq!(first["item"]["kind"], "work_item");
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("in_progress"), json!(40)));

    // An earlier report filed later does not take over: the latest by as-of date rules.
    file_ok(&app, &admin, &id, report("2021-03-31", "not_started", 10)).await;
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("in_progress"), json!(40)));

    // A direct PATCH by an editor still works, and is recorded as the editor's.
    let path = format!("/api/v1/work-items/{id}");
    let patched = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 70})), &[]).await;
    assert_eq!(patched.expect(StatusCode::OK)["progress"], 70);
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("in_progress"), json!(70)));

    // The next report overrides it.
    file_ok(&app, &admin, &id, report("2021-09-30", "delayed", 55)).await;
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("delayed"), json!(55)));

    // Two reports of one day: the one filed last rules.
    file_ok(&app, &admin, &id, report("2021-09-30", "in_progress", 60)).await;
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("in_progress"), json!(60)));

    // The item's history names who moved it: the admin's reports and the editor's PATCH.
    let history = app.get_ok(&format!("{path}/revisions"), &[]).await;
    let actors: Vec<&str> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["actor"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(actors.len(), 1 + 4, "the seed, then the first report, the PATCH and two reports: {actors:?}");
    assert_ne!(actors[2], actors[1], "the PATCH is recorded as the editor's");
}

async fn a_correction_is_a_revision_and_needs_the_current_etag(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let id = items(&app).await.of_unit[0].clone();
    let created = file(&app, &admin, &id, report("2021-06-30", "in_progress", 40)).await;
    let etag = created.etag();
    let report_path = created.header("location").expect("a Location").to_owned();
    let filed = created.expect(StatusCode::CREATED).clone();
    assert_eq!(report_path, format!("/api/v1/reports/{}", filed["id"].as_str().expect("id")));

    let correction = json!({"progress": 45, "problems": "用地指标紧张。"});
    let stale =
        app.send(Method::PATCH, &report_path, Some(&admin), Some(correction.clone()), &[("If-Match", "\"0\"")]).await;
    stale.problem(StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.get_ok(&report_path, &[]).await, filed);

    let corrected = app.send(Method::PATCH, &report_path, Some(&admin), Some(correction), &[("If-Match", &etag)]).await;
    let corrected = corrected.expect(StatusCode::OK).clone();
    assert_eq!((corrected["progress"].clone(), corrected["problems"].clone()), (json!(45), json!("用地指标紧张。")));
    assert_eq!(corrected["text"], filed["text"], "fields the correction does not name stay");
    assert_eq!(item(&app, &id).await["progress"], 45, "the item follows the corrected report");

    let revisions = app.get_ok(&format!("{report_path}/revisions"), &[]).await;
    let revisions = revisions["items"].as_array().expect("items");
    let actions: Vec<&str> = revisions.iter().map(|r| r["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["create", "update"]);
    assert_eq!(revisions[1]["changes"]["progress"], json!({"before": 40, "after": 45}));
}

/// The change feed's position after every change so far.
async fn feed_head(app: &TestApp) -> String {
    let mut since =
        app.get_ok("/api/v1/changes", &[("limit", "1000")]).await["next"].as_str().expect("next").to_owned();
    loop {
        let page = app.get_ok("/api/v1/changes", &[("since", &since), ("limit", "1000")]).await;
        if page["has_more"] != true {
            return since;
        }
        since = page["next"].as_str().expect("next").to_owned();
    }
}

async fn a_withdrawn_report_leaves_the_item_on_its_latest_remaining_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let reporter = app.reporter(YUEQING, &[UNIT]).await;
    let id = items(&app).await.of_unit[0].clone();
    let before_any = status_and_progress(&item(&app, &id).await);
    file_ok(&app, &admin, &id, report("2021-03-31", "not_started", 10)).await;
    file_ok(&app, &admin, &id, report("2021-06-30", "in_progress", 40)).await;
    let latest = file(&app, &reporter.token, &id, report("2021-09-30", "delayed", 55)).await;
    let (etag, latest) = (latest.etag(), latest.expect(StatusCode::CREATED)["id"].as_str().expect("id").to_owned());
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("delayed"), json!(55)));
    let path = format!("/api/v1/reports/{latest}");

    // A stale ETag withdraws nothing.
    let revisions = app.revision_count().await;
    app.send(Method::DELETE, &path, Some(&reporter.token), None, &[("If-Match", "\"0\"")])
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    assert_eq!(app.revision_count().await, revisions);

    // The reporter of its unit withdraws it; the item goes back to the latest remaining report.
    let since = feed_head(&app).await;
    app.send(Method::DELETE, &path, Some(&reporter.token), None, &[("If-Match", &etag)])
        .await
        .expect(StatusCode::NO_CONTENT);
    app.get_problem(&path, &[], StatusCode::NOT_FOUND).await;
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("in_progress"), json!(40)));
    assert_eq!(app.count(&format!("/api/v1/work-items/{id}/reports"), &[]).await, 2);

    // Its history ends with the deletion, in the reporter's name; the item's, with the move back.
    let history = app.get_ok(&format!("{path}/revisions"), &[]).await;
    let history = history["items"].as_array().expect("items");
    let actions: Vec<&str> = history.iter().map(|r| r["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["create", "delete"]);
    assert_eq!(history[1]["actor"]["name"], json!(reporter.username));
    let item_history = app.get_ok(&format!("/api/v1/work-items/{id}/revisions"), &[("sort", "-seq")]).await;
    let moved = &item_history["items"][0];
    assert_eq!(moved["changes"]["progress"], json!({"before": 55, "after": 40}));
    assert_eq!(moved["actor"]["name"], json!(reporter.username));

    // The change feed carries the tombstone and the item as it now is.
    let changes = app.get_ok("/api/v1/changes", &[("since", &since)]).await;
    let changes = changes["changes"].as_array().expect("changes");
    let summary: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["resource_type"].as_str().expect("type"), c["action"].as_str().expect("action")))
        .collect();
    assert_eq!(summary.len(), 2, "{summary:?}");
    assert!(summary.contains(&("reports", "delete")) && summary.contains(&("work-items", "update")), "{summary:?}");
    let tombstone = changes.iter().find(|c| c["resource_type"] == "reports").expect("the tombstone");
    assert_eq!(tombstone["resource_id"], json!(latest));
    let moved = changes.iter().find(|c| c["resource_type"] == "work-items").expect("the item");
    assert_eq!(moved["resource"], item(&app, &id).await);

    // With no report left, the item stays as the last one left it.
    for report in app.get_all(&format!("/api/v1/work-items/{id}/reports"), &[]).await {
        let path = format!("/api/v1/reports/{}", report["id"].as_str().expect("id"));
        app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.expect(StatusCode::NO_CONTENT);
    }
    assert_eq!(status_and_progress(&item(&app, &id).await), (json!("not_started"), json!(10)));
    assert_ne!(status_and_progress(&item(&app, &id).await), before_any, "the seed's values do not come back");

    // `/reports/missing` is no report.
    app.send(Method::DELETE, "/api/v1/reports/missing", Some(&admin), None, &[])
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED);
}

async fn a_reporter_of_another_unit_may_not_withdraw_a_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let other_unit = app.reporter(YUEQING, &["市财政局"]).await;
    let other_city = app.token(UserRole::Editor, Some("331083")).await;
    let id = items(&app).await.of_unit[0].clone();
    let filed = file(&app, &admin, &id, report("2021-06-30", "in_progress", 40)).await;
    let etag = filed.etag();
    let filed = filed.expect(StatusCode::CREATED).clone();
    let path = format!("/api/v1/reports/{}", filed["id"].as_str().expect("id"));
    let before = (app.get_ok(&path, &[]).await, item(&app, &id).await, app.revision_count().await);

    for token in [&other_unit.token, &other_city] {
        app.send(Method::DELETE, &path, Some(token), None, &[("If-Match", &etag)]).await.problem(StatusCode::FORBIDDEN);
    }
    app.send(Method::DELETE, &path, None, None, &[]).await.unauthorized();
    assert_eq!((app.get_ok(&path, &[]).await, item(&app, &id).await, app.revision_count().await), before);
}

async fn report_lists_filter_by_item_city_unit_document_leader_and_dates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let of_unit = items(&app).await.of_unit;
    let dates = ["2021-03-31", "2021-06-30", "2021-09-30"];
    // Item i gets the first i + 1 dates: 1 + 2 + 3 reports.
    for (i, id) in of_unit.iter().take(3).enumerate() {
        for date in &dates[..=i] {
            file_ok(&app, &admin, id, report(date, "in_progress", 10)).await;
        }
    }
    // A report on a Yuhuan item, by its first unit.
    let yuhuan = app.get_ok("/api/v1/work-items", &[("city", "331083"), ("limit", "1")]).await["items"][0].clone();
    let mut body = report("2021-06-30", "completed", 100);
    body["unit"] = yuhuan["units"][0]["name"].clone();
    file_ok(&app, &admin, yuhuan["id"].as_str().expect("id"), body).await;

    assert_eq!(app.count("/api/v1/reports", &[]).await, 7);
    assert_eq!(app.count("/api/v1/reports", &[("city", YUEQING)]).await, 6);
    assert_eq!(app.count("/api/v1/reports", &[("city", "331083")]).await, 1);
    assert_eq!(app.count("/api/v1/reports", &[("unit", UNIT), ("city", YUEQING)]).await, 6);
    assert_eq!(app.count("/api/v1/reports", &[("from", "2021-06-01"), ("to", "2021-06-30")]).await, 3);
    assert_eq!(app.count("/api/v1/reports", &[("from", "2021-07-01")]).await, 1);
    let third = &of_unit[2];
    let on_third = app.get_ok(&format!("/api/v1/work-items/{third}/reports"), &[]).await;
    let as_of: Vec<&str> =
        on_third["items"].as_array().expect("items").iter().map(|r| r["as_of"].as_str().expect("as_of")).collect();
    assert_eq!(as_of, ["2021-09-30", "2021-06-30", "2021-03-31"], "latest first");

    // By document and by leader: counted from the items the reports are on.
    let reports = app.get_all("/api/v1/reports", &[("city", YUEQING)]).await;
    let mut by_document = std::collections::HashMap::<String, u64>::new();
    let mut by_leader = std::collections::HashMap::<String, u64>::new();
    for report in &reports {
        let on = item(&app, report["item"]["id"].as_str().expect("id")).await;
        *by_document.entry(on["document_id"].as_str().expect("document").to_owned()).or_default() += 1;
        if let Some(leader) = on["leader"]["name"].as_str() {
            *by_leader.entry(leader.to_owned()).or_default() += 1;
        }
    }
    for (document, expected) in &by_document {
        assert_eq!(app.count("/api/v1/reports", &[("document", document)]).await, *expected);
    }
    for (leader, expected) in &by_leader {
        assert_eq!(app.count("/api/v1/reports", &[("leader", leader), ("city", YUEQING)]).await, *expected);
    }

    // Paging by cursor walks every report once.
    let first = app.get_ok("/api/v1/reports", &[("limit", "4")]).await;
    let cursor = first["next_cursor"].as_str().expect("a cursor");
    let second = app.get_ok("/api/v1/reports", &[("limit", "4"), ("cursor", cursor)]).await;
    let mut ids: Vec<Value> = first["items"].as_array().expect("items").iter().map(|r| r["id"].clone()).collect();
    ids.extend(second["items"].as_array().expect("items").iter().map(|r| r["id"].clone()));
    ids.sort_by_key(|id| id.to_string());
    ids.dedup();
    assert_eq!(ids.len(), 7);

    app.get_problem("/api/v1/reports", &[("from", "2021-07-01"), ("to", "2021-06-30")], StatusCode::BAD_REQUEST).await;
    app.get_problem("/api/v1/reports", &[("from", "yesterday")], StatusCode::BAD_REQUEST).await;
}

async fn bad_reports_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let Items { of_unit, other } = items(&app).await;
    let id = &of_unit[0];
    let before = (item(&app, id).await, item(&app, &other).await, app.revision_count().await);

    let mut too_far = report("2021-06-30", "in_progress", 101);
    too_far["text"] = json!("  ");
    let reply = file(&app, &admin, id, too_far).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["progress", "text"]);
    // A unit of the city that is not on the item.
    file(&app, &admin, &other, report("2021-06-30", "in_progress", 10)).await.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let mut unknown_status = report("2021-06-30", "in_progress", 10);
    unknown_status["status"] = json!("finished");
    file(&app, &admin, id, unknown_status).await.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let mut extra = report("2021-06-30", "in_progress", 10);
    extra["item"] = json!(id);
    let reply = file(&app, &admin, id, extra).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["item"], "the item comes from the URL");
    // No such work item; a livelihood project is not one.
    file(&app, &admin, "0190b7d2-6f1e-7c3a-9a4e-2b5c8d1e3f40", report("2021-06-30", "in_progress", 10))
        .await
        .problem(StatusCode::NOT_FOUND);
    let project = app.get_ok("/api/v1/livelihood-projects", &[("limit", "1")]).await["items"][0]["id"].clone();
    file(&app, &admin, project.as_str().expect("id"), report("2021-06-30", "in_progress", 10))
        .await
        .problem(StatusCode::NOT_FOUND);
    app.get_problem(
        &format!("/api/v1/work-items/{}/reports", project.as_str().expect("id")),
        &[],
        StatusCode::NOT_FOUND,
    )
    .await;

    assert_eq!((item(&app, id).await, item(&app, &other).await, app.revision_count().await), before);
    assert_eq!(app.count("/api/v1/reports", &[]).await, 0);
}

async fn a_reporter_of_a_unit_reports_on_its_items_and_on_no_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let reporter = app.reporter(YUEQING, &[UNIT]).await;
    let Items { of_unit, other } = items(&app).await;
    let id = &of_unit[0];

    let filed = file_ok(&app, &reporter.token, id, report("2021-06-30", "in_progress", 30)).await;
    assert_eq!(filed["filed_by"], json!({"id": reporter.id, "name": reporter.username}));
    assert_eq!(item(&app, id).await["progress"], 30);

    let before = (item(&app, id).await, item(&app, &other).await, app.revision_count().await);
    // Another item, whatever unit it names.
    let other_item = app.get_ok(&format!("/api/v1/work-items/{other}"), &[]).await;
    let mut as_its_unit = report("2021-06-30", "in_progress", 30);
    as_its_unit["unit"] = other_item["units"][0]["name"].clone();
    for body in [report("2021-06-30", "in_progress", 30), as_its_unit] {
        file(&app, &reporter.token, &other, body).await.problem(StatusCode::FORBIDDEN);
    }
    // Its own item, in the name of another of the item's units.
    let own_item = item(&app, id).await;
    let co_unit = own_item["units"].as_array().expect("units").iter().find(|u| u["name"] != UNIT);
    if let Some(co_unit) = co_unit {
        let mut body = report("2021-06-30", "in_progress", 30);
        body["unit"] = co_unit["name"].clone();
        file(&app, &reporter.token, id, body).await.problem(StatusCode::FORBIDDEN);
    }
    // Nothing else: not the item itself, nor a unit, nor another city's report.
    let item_path = format!("/api/v1/work-items/{id}");
    app.send(Method::PATCH, &item_path, Some(&reporter.token), Some(json!({"progress": 90})), &[])
        .await
        .problem(StatusCode::FORBIDDEN);
    let unit = json!({"city": YUEQING, "name": "记者单位"});
    app.send(Method::POST, "/api/v1/units", Some(&reporter.token), Some(unit), &[])
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!((item(&app, id).await, item(&app, &other).await, app.revision_count().await), before);

    // It corrects its unit's reports, whoever filed them, and no other unit's.
    let by_admin = file_ok(&app, &admin, id, report("2021-07-31", "in_progress", 35)).await;
    let path = format!("/api/v1/reports/{}", by_admin["id"].as_str().expect("id"));
    let corrected = app.send(Method::PATCH, &path, Some(&reporter.token), Some(json!({"progress": 38})), &[]).await;
    assert_eq!(corrected.expect(StatusCode::OK)["progress"], 38);
    let other_unit = other_item["units"][0]["name"].clone();
    let mut elsewhere = report("2021-06-30", "in_progress", 20);
    elsewhere["unit"] = other_unit;
    let elsewhere = file_ok(&app, &admin, &other, elsewhere).await;
    let before = app.revision_count().await;
    let path = format!("/api/v1/reports/{}", elsewhere["id"].as_str().expect("id"));
    app.send(Method::PATCH, &path, Some(&reporter.token), Some(json!({"progress": 99})), &[])
        .await
        .problem(StatusCode::FORBIDDEN);
    assert_eq!(app.get_ok(&path, &[]).await, elsewhere);
    assert_eq!(app.revision_count().await, before);
}

async fn reporter_accounts_are_made_with_units_of_their_city(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let new = |username: &str, role: &str, city: Value, units: Value| json!({"username": username, "password": crate::helpers::PASSWORD, "role": role, "city": city, "units": units});
    let created = app
        .send(
            Method::POST,
            "/api/v1/users",
            Some(&admin),
            Some(new("fgj", "reporter", json!(YUEQING), json!([UNIT]))),
            &[],
        )
        .await;
    let created = created.expect(StatusCode::CREATED).clone();
    assert_eq!(created["units"][0]["name"], UNIT);
    assert_eq!(created["role"], "reporter");

    let users_before = app.count_with_token("/api/v1/users", &admin).await;
    for (body, field) in [
        (new("no-units", "reporter", json!(YUEQING), json!([])), "units"),
        (new("no-city", "reporter", Value::Null, json!([UNIT])), "units[0]"),
        (new("editor-units", "editor", json!(YUEQING), json!([UNIT])), "units"),
        (new("wrong-city", "reporter", json!("331083"), json!(["柳市镇"])), "units[0]"),
        (new("twice", "reporter", json!(YUEQING), json!([UNIT, UNIT])), "units[1]"),
    ] {
        let reply = app.send(Method::POST, "/api/v1/users", Some(&admin), Some(body), &[]).await;
        reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.error_fields(), [field]);
    }
    assert_eq!(app.count_with_token("/api/v1/users", &admin).await, users_before);

    // Its units can be replaced; an editor it becomes must give them up.
    let path = format!("/api/v1/users/{}", created["id"].as_str().expect("id"));
    let moved = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"units": ["市财政局"]})), &[]).await;
    assert_eq!(moved.expect(StatusCode::OK)["units"][0]["name"], "市财政局");
    app.send(Method::PATCH, &path, Some(&admin), Some(json!({"role": "editor"})), &[])
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let editor = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"role": "editor", "units": []})), &[]).await;
    assert_eq!(editor.expect(StatusCode::OK)["units"], json!([]));
}

async fn the_roles_that_let_a_unit_report_are_a_setting(backend: Backend) {
    use api::config::Config;
    use entity::item_unit::UnitRole;
    let app = TestApp::spawn_with(backend, true, |config: &mut Config| {
        config.serve.reporter_unit_roles = vec![UnitRole::Lead];
    })
    .await;
    let items = app.get_all("/api/v1/work-items", &[("city", YUEQING), ("unit", UNIT)]).await;
    let role_of = |item: &Value| {
        let unit = item["units"].as_array().expect("units").iter().find(|u| u["name"] == UNIT).expect("the unit");
        unit["role"].as_str().expect("role").to_owned()
    };
    let lead = items.iter().find(|item| role_of(item) == "lead").expect("an item the unit leads");
    let shared = items.iter().find(|item| role_of(item) != "lead").expect("an item the unit shares");
    let reporter = app.reporter(YUEQING, &[UNIT]).await;
    file_ok(&app, &reporter.token, lead["id"].as_str().expect("id"), report("2021-06-30", "in_progress", 20)).await;
    file(&app, &reporter.token, shared["id"].as_str().expect("id"), report("2021-06-30", "in_progress", 20))
        .await
        .problem(StatusCode::FORBIDDEN);
    // An editor of the city is not bound by it.
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    file_ok(&app, &editor, shared["id"].as_str().expect("id"), report("2021-06-30", "in_progress", 20)).await;
}

async fn reports_reach_the_change_feed_and_replay_to_what_the_api_shows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let reporter = app.reporter(YUEQING, &[UNIT]).await;
    let of_unit = items(&app).await.of_unit;
    let since = feed_head(&app).await;

    let first = file_ok(&app, &reporter.token, &of_unit[0], report("2021-06-30", "in_progress", 40)).await;
    file_ok(&app, &admin, &of_unit[1], report("2021-06-30", "delayed", 15)).await;
    let path = format!("/api/v1/reports/{}", first["id"].as_str().expect("id"));
    app.send(Method::PATCH, &path, Some(&admin), Some(json!({"progress": 50})), &[]).await.expect(StatusCode::OK);
    // A unit renamed shows in its reports, and the feed carries them again.
    let unit = app.get_ok("/api/v1/units", &[("city", YUEQING), ("q", UNIT)]).await["items"][0]["id"].clone();
    let unit_path = format!("/api/v1/units/{}", unit.as_str().expect("id"));
    app.send(Method::PATCH, &unit_path, Some(&admin), Some(json!({"name": "市发展改革局"})), &[])
        .await
        .expect(StatusCode::OK);

    // Replay every change after the head into a mirror.
    let mut mirror = std::collections::BTreeMap::<(String, String), Value>::new();
    let changes = app.get_ok("/api/v1/changes", &[("since", &since), ("limit", "1000")]).await;
    let changes = changes["changes"].as_array().expect("changes");
    for change in changes {
        let key = (change["resource_type"].as_str().expect("type").to_owned(), change["resource_id"].to_string());
        match change["action"].as_str().expect("action") {
            "delete" => mirror.remove(&key),
            _ => mirror.insert(key, change["resource"].clone()),
        };
    }
    let report_changes = changes.iter().filter(|c| c["resource_type"] == "reports").count();
    assert_eq!(report_changes, 2 + 1 + 2, "two filings, a correction, two reports renamed");
    // The feed filtered to reports gives the same ones.
    let only_reports =
        app.get_ok("/api/v1/changes", &[("since", &since), ("limit", "1000"), ("resource_type", "reports")]).await;
    let only_reports = only_reports["changes"].as_array().expect("changes");
    assert!(only_reports.iter().all(|c| c["resource_type"] == "reports"));
    assert_eq!(only_reports.len(), report_changes);
    assert!(mirror.keys().any(|(kind, _)| kind == "work-items"), "the items the reports moved are in the feed");
    for ((collection, id), snapshot) in &mirror {
        let id = id.trim_matches('"');
        assert_eq!(&app.get_ok(&format!("/api/v1/{collection}/{id}"), &[]).await, snapshot, "{collection} {id}");
    }
    let report = &mirror[&("reports".to_owned(), first["id"].to_string())];
    assert_eq!((report["progress"].clone(), report["unit"]["name"].clone()), (json!(50), json!("市发展改革局")));
}

async fn an_item_with_reports_is_deleted_only_with_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let id = items(&app).await.of_unit[0].clone();
    let filed = file_ok(&app, &admin, &id, report("2021-06-30", "in_progress", 40)).await;
    let path = format!("/api/v1/work-items/{id}");
    let before = app.revision_count().await;
    app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.problem(StatusCode::CONFLICT);
    assert_eq!(app.revision_count().await, before);
    app.send(Method::DELETE, &format!("{path}?cascade=true"), Some(&admin), None, &[])
        .await
        .expect(StatusCode::NO_CONTENT);
    let report_path = format!("/api/v1/reports/{}", filed["id"].as_str().expect("id"));
    app.get_problem(&report_path, &[], StatusCode::NOT_FOUND).await;
    let history = app.get_ok(&format!("{report_path}/revisions"), &[]).await;
    let actions: Vec<&str> =
        history["items"].as_array().expect("items").iter().map(|r| r["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["create", "delete"]);
}

async fn missing_reports_for_a_quarter_are_the_units_items_without_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    let of_unit = items(&app).await.of_unit;
    let filter = [("city", YUEQING), ("unit", UNIT)];
    let mut owing: Vec<String> = Vec::new();
    for collection in ["work-items", "livelihood-projects"] {
        for item in app.get_all(&format!("/api/v1/{collection}"), &filter).await {
            owing.push(item["id"].as_str().expect("id").to_owned());
        }
    }
    // One item reported on in the quarter, one only before it, one completed.
    file_ok(&app, &admin, &of_unit[0], report("2021-05-15", "in_progress", 20)).await;
    file_ok(&app, &admin, &of_unit[1], report("2021-03-31", "in_progress", 10)).await;
    let path = format!("/api/v1/work-items/{}", of_unit[2]);
    let done = json!({"status": "completed", "progress": 100});
    app.send(Method::PATCH, &path, Some(&editor), Some(done), &[]).await.expect(StatusCode::OK);

    let owed = |period: &'static str| {
        let app = &app;
        async move {
            let mut query = filter.to_vec();
            query.push(("period", period));
            let listed = app.get_all("/api/v1/reports/missing", &query).await;
            for entry in &listed {
                assert_eq!(entry["unit"]["name"], UNIT);
                assert_eq!(entry["city"]["code"], YUEQING);
            }
            let mut ids: Vec<String> =
                listed.iter().map(|entry| entry["item"]["id"].as_str().expect("id").to_owned()).collect();
            ids.sort();
            ids
        }
    };
    let expected = |reported: &str| {
        let mut ids: Vec<String> = owing.iter().filter(|id| **id != reported && **id != of_unit[2]).cloned().collect();
        ids.sort();
        ids
    };
    assert_eq!(owed("2021-Q2").await, expected(&of_unit[0]));
    assert_eq!(owed("2021-Q1").await, expected(&of_unit[1]));
    // By month: the May report covers May only.
    assert_eq!(owed("2021-05").await, expected(&of_unit[0]));
    assert_eq!(owed("2021-06").await.len(), owing.len() - 1);

    app.get_problem("/api/v1/reports/missing", &[("period", "2021-Q5")], StatusCode::BAD_REQUEST).await;
    // No city of the seed sets a reporting cycle: without a period, none owes anything.
    assert_eq!(app.count("/api/v1/reports/missing", &[]).await, 0);
}

/// The day the reporting-cycle test's server takes for today: in May, in the second quarter.
fn a_day_in_may() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2021, 5, 20).expect("a date")
}

async fn a_citys_reporting_cycle_sets_the_period_its_units_owe_reports_for(backend: Backend) {
    use api::config::Config;
    let app =
        TestApp::spawn_with(backend, true, |config: &mut Config| config.serve.clock_date = Some(a_day_in_may())).await;
    let admin = app.admin_token().await;
    let of_unit = items(&app).await.of_unit;
    let city_path =
        format!("/api/v1/cities/{}", app.get_ok("/api/v1/cities/330382", &[]).await["id"].as_str().expect("id"));
    let set_cycle = |cycle: Value| {
        let (app, admin, city_path) = (&app, &admin, &city_path);
        async move {
            let reply =
                app.send(Method::PATCH, city_path, Some(admin), Some(json!({"reporting_cycle": cycle})), &[]).await;
            assert_eq!(reply.expect(StatusCode::OK)["reporting_cycle"], cycle);
        }
    };
    // One item reported on in May, one in April: both in the second quarter.
    file_ok(&app, &admin, &of_unit[0], report("2021-05-10", "in_progress", 20)).await;
    file_ok(&app, &admin, &of_unit[1], report("2021-04-10", "in_progress", 10)).await;
    // The items each list shows, and the period every entry names.
    let owed = |query: Vec<(&'static str, &'static str)>| {
        let (app, of_unit) = (&app, &of_unit);
        async move {
            let mut query = query;
            query.extend([("city", YUEQING), ("unit", UNIT)]);
            let listed = app.get_all("/api/v1/reports/missing", &query).await;
            let mut periods: Vec<&str> = listed.iter().map(|e| e["period"].as_str().expect("period")).collect();
            periods.dedup();
            let periods: Vec<String> = periods.into_iter().map(str::to_owned).collect();
            let ids: Vec<String> = listed.iter().map(|e| e["item"]["id"].as_str().expect("id").to_owned()).collect();
            (periods, ids.contains(&of_unit[0]), ids.contains(&of_unit[1]), ids.len())
        }
    };
    let everything = owed(vec![("period", "2021-03")]).await.3;
    assert!(everything > 2, "the unit owes reports on every active item for March");

    // Monthly: the current month, May; April's report does not count for it.
    set_cycle(json!("monthly")).await;
    assert_eq!(app.get_ok("/api/v1/cities/330382", &[]).await["reporting_cycle"], "monthly");
    assert_eq!(owed(vec![]).await, (vec!["2021-05".to_owned()], false, true, everything - 1));
    // A quarter asked of a monthly city is asked as it is.
    assert_eq!(owed(vec![("period", "2021-Q2")]).await, (vec!["2021-Q2".to_owned()], false, false, everything - 2));

    // Quarterly: the current quarter, and the quarter around an asked month.
    set_cycle(json!("quarterly")).await;
    assert_eq!(owed(vec![]).await, (vec!["2021-Q2".to_owned()], false, false, everything - 2));
    assert_eq!(owed(vec![("period", "2021-04")]).await, (vec!["2021-Q2".to_owned()], false, false, everything - 2));

    // Without `city`, cities without a cycle (Yuhuan) owe nothing; with it, they need a period.
    let all = app.get_all("/api/v1/reports/missing", &[]).await;
    assert!(!all.is_empty() && all.iter().all(|e| e["city"]["code"] == YUEQING && e["period"] == "2021-Q2"));
    let problem = app.get_problem("/api/v1/reports/missing", &[("city", "331083")], StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["errors"][0]["field"], "period");
    assert!(!app.get_all("/api/v1/reports/missing", &[("city", "331083"), ("period", "2021-Q2")]).await.is_empty());

    // A cycle that is not one is refused and changes nothing; `null` clears it.
    let revisions = app.revision_count().await;
    let reply =
        app.send(Method::PATCH, &city_path, Some(&admin), Some(json!({"reporting_cycle": "weekly"})), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["reporting_cycle"]);
    assert_eq!(app.revision_count().await, revisions);
    set_cycle(Value::Null).await;
    app.get_problem("/api/v1/reports/missing", &[("city", YUEQING)], StatusCode::BAD_REQUEST).await;
}

async fn report_trends_match_counts_made_here(backend: Backend) {
    use std::collections::{BTreeMap, BTreeSet};
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let of_2021 = app.get_all("/api/v1/work-items", &[("city", YUEQING), ("unit", UNIT), ("period", "2021")]).await;
    let ids: Vec<&str> = of_2021.iter().take(3).map(|item| item["id"].as_str().expect("id")).collect();
    assert_eq!(ids.len(), 3);
    for (id, as_of, status, progress) in [
        (ids[0], "2021-02-10", "in_progress", 10),
        (ids[0], "2021-05-20", "in_progress", 40),
        (ids[0], "2021-06-30", "completed", 100),
        (ids[1], "2021-06-01", "delayed", 20),
        (ids[1], "2022-01-10", "in_progress", 70),
        (ids[2], "2021-11-30", "in_progress", 55),
    ] {
        file_ok(&app, &admin, id, report(as_of, status, progress)).await;
    }
    let yuhuan = app.get_ok("/api/v1/work-items", &[("city", "331083"), ("limit", "1")]).await["items"][0].clone();
    let mut body = report("2021-05-05", "in_progress", 33);
    body["unit"] = yuhuan["units"][0]["name"].clone();
    file_ok(&app, &admin, yuhuan["id"].as_str().expect("id"), body).await;

    // Counted here from the reports and their items.
    let reports = app.get_all("/api/v1/reports", &[]).await;
    let quarter = |as_of: &str| {
        let month: u32 = as_of[5..7].parse().expect("a month");
        format!("{}-Q{}", &as_of[..4], month.div_ceil(3))
    };
    type Counts = (u64, BTreeSet<String>, i64, BTreeSet<String>, BTreeSet<String>);
    let mut by_unit_quarter: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut by_city_month: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in &reports {
        let as_of = r["as_of"].as_str().expect("as_of");
        let item_id = r["item"]["id"].as_str().expect("id").to_owned();
        let due_on = item(&app, &item_id).await["due_on"].as_str().expect("due_on").to_owned();
        let status = r["status"].as_str().expect("status");
        let entry =
            by_unit_quarter.entry((quarter(as_of), r["unit"]["name"].as_str().expect("unit").to_owned())).or_default();
        entry.0 += 1;
        entry.1.insert(item_id.clone());
        entry.2 += r["progress"].as_i64().expect("progress");
        if status == "completed" {
            entry.3.insert(item_id.clone());
        }
        if as_of > due_on.as_str() && !matches!(status, "completed" | "cancelled") {
            entry.4.insert(item_id);
        }
        *by_city_month
            .entry((as_of[..7].to_owned(), r["city"]["name"].as_str().expect("city").to_owned()))
            .or_default() += 1;
    }

    let trends = app.get_ok("/api/v1/stats/reports", &[("interval", "quarter"), ("group_by", "unit")]).await;
    let buckets = trends["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), by_unit_quarter.len());
    for bucket in buckets {
        let key = (
            bucket["period"].as_str().expect("period").to_owned(),
            bucket["group"]["name"].as_str().expect("name").to_owned(),
        );
        let (reports, items, progress, completed, overdue) = &by_unit_quarter[&key];
        assert_eq!(bucket["reports"], *reports, "{key:?}");
        assert_eq!(bucket["items"], items.len(), "{key:?}");
        let average = (*progress as f64 / *reports as f64 * 10.0).round() / 10.0;
        assert_eq!(bucket["average_progress"].as_f64(), Some(average), "{key:?}");
        assert_eq!(bucket["completed"], completed.len(), "{key:?}");
        assert_eq!(bucket["overdue"], overdue.len(), "{key:?}");
    }
    assert!(buckets.iter().any(|b| b["overdue"] == 1), "the January 2022 report is past its item's due date");

    let trends = app.get_ok("/api/v1/stats/reports", &[("interval", "month"), ("group_by", "city")]).await;
    let counted: BTreeMap<(String, String), u64> =
        trend_buckets(&trends).into_iter().map(|(key, (reports, ..))| (key, reports)).collect();
    assert_eq!(counted, by_city_month);
    let yueqing = app.get_ok("/api/v1/stats/reports", &[("interval", "month"), ("city", YUEQING)]).await;
    assert_eq!(
        yueqing["buckets"].as_array().expect("buckets").len(),
        by_city_month.keys().filter(|(_, c)| c == "乐清市").count()
    );

    app.get_problem("/api/v1/stats/reports", &[("interval", "week")], StatusCode::BAD_REQUEST).await;
    app.get_problem("/api/v1/stats/reports", &[], StatusCode::BAD_REQUEST).await;
}

/// A trend bucket's figures, as `(reports, items, average_progress, completed, overdue)`.
type TrendFigures = (u64, u64, f64, u64, u64);

/// The buckets of a trend, by `(period, group name)`.
fn trend_buckets(trends: &Value) -> std::collections::BTreeMap<(String, String), TrendFigures> {
    trends["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| {
            let key = (
                b["period"].as_str().expect("period").to_owned(),
                b["group"]["name"].as_str().expect("name").to_owned(),
            );
            let count = |field: &str| b[field].as_u64().unwrap_or_else(|| panic!("{field}"));
            let average = b["average_progress"].as_f64().expect("average_progress");
            (key, (count("reports"), count("items"), average, count("completed"), count("overdue")))
        })
        .collect()
}

/// Yueqing's work items of 2021 with [`UNIT`] on them and a leader.
async fn led_items_of_unit(app: &TestApp) -> Vec<Value> {
    app.get_all("/api/v1/work-items", &[("city", YUEQING), ("unit", UNIT), ("period", "2021")])
        .await
        .into_iter()
        .filter(|item| !item["leader"].is_null())
        .collect()
}

async fn trends_by_leader_count_each_item_once_per_quarter_and_split_at_its_first_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let led = led_items_of_unit(&app).await;
    assert!(led.len() >= 2, "the seed gives {UNIT} items with leaders");
    let (first, second) = (led[0]["id"].as_str().expect("id"), led[1]["id"].as_str().expect("id"));
    for (id, as_of, status, progress) in [
        // The last day of a quarter and the first of the next: two buckets.
        (first, "2021-03-31", "in_progress", 30),
        (first, "2021-04-01", "in_progress", 50),
        (first, "2021-06-30", "delayed", 55),
        // Past the due date (2021-12-31), then completed, in one quarter: overdue and completed.
        (second, "2022-01-05", "delayed", 70),
        (second, "2022-03-31", "completed", 100),
    ] {
        file_ok(&app, &admin, id, report(as_of, status, progress)).await;
    }

    let expected = counted_by_quarter(&app, "leader", &[("city", YUEQING)]).await;
    let query = [("interval", "quarter"), ("group_by", "leader"), ("city", YUEQING)];
    let trends = app.get_ok("/api/v1/stats/reports", &query).await;
    assert_eq!(trend_buckets(&trends), expected);
    let periods: Vec<&str> =
        trends["buckets"].as_array().expect("buckets").iter().map(|b| b["period"].as_str().expect("period")).collect();
    assert!(periods.is_sorted(), "by period first: {periods:?}");

    // The figures of the two items' buckets, as filed above (the seed has no reports; the second
    // item has none in 2021, so a leader of both changes nothing there).
    let leader_of = |item: &Value| item["leader"]["name"].as_str().expect("a leader").to_owned();
    let buckets = trend_buckets(&trends);
    assert_eq!(buckets[&("2021-Q1".to_owned(), leader_of(&led[0]))], (1, 1, 30.0, 0, 0));
    assert_eq!(buckets[&("2021-Q2".to_owned(), leader_of(&led[0]))], (2, 1, 52.5, 0, 0));
    assert_eq!(buckets[&("2022-Q1".to_owned(), leader_of(&led[1]))], (2, 1, 85.0, 1, 1));

    // By month, the quarter's last and next first day are apart too.
    let months = app.get_ok("/api/v1/stats/reports", &[("interval", "month"), ("group_by", "leader")]).await;
    let months = trend_buckets(&months);
    assert!(months.contains_key(&("2021-03".to_owned(), leader_of(&led[0]))));
    assert!(months.contains_key(&("2021-04".to_owned(), leader_of(&led[0]))));
}

/// The trend by quarter and `group_by` (`city`, `unit` or `leader`) of the reports `query`
/// lists, counted here from each report and its item's leader and due date.
async fn counted_by_quarter(
    app: &TestApp,
    group_by: &str,
    query: &[(&str, &str)],
) -> std::collections::BTreeMap<(String, String), TrendFigures> {
    use std::collections::{BTreeMap, BTreeSet};
    // Reports, items, progress summed, items completed, items overdue.
    type Counts = (u64, BTreeSet<String>, i64, BTreeSet<String>, BTreeSet<String>);
    let mut counted: BTreeMap<(String, String), Counts> = BTreeMap::new();
    for r in app.get_all("/api/v1/reports", query).await {
        let item_id = r["item"]["id"].as_str().expect("id").to_owned();
        let item = item(app, &item_id).await;
        let group = match group_by {
            "leader" => &item["leader"]["name"],
            _ => &r[group_by]["name"],
        };
        let Some(group) = group.as_str() else { continue };
        let as_of = r["as_of"].as_str().expect("as_of");
        let month: u32 = as_of[5..7].parse().expect("a month");
        let quarter = format!("{}-Q{}", &as_of[..4], month.div_ceil(3));
        let status = r["status"].as_str().expect("status");
        let entry = counted.entry((quarter, group.to_owned())).or_default();
        entry.0 += 1;
        entry.1.insert(item_id.clone());
        entry.2 += r["progress"].as_i64().expect("progress");
        if status == "completed" {
            entry.3.insert(item_id.clone());
        }
        if as_of > item["due_on"].as_str().expect("due_on") && !matches!(status, "completed" | "cancelled") {
            entry.4.insert(item_id);
        }
    }
    counted
        .into_iter()
        .map(|(key, (reports, items, progress, completed, overdue))| {
            let average = (progress as f64 / reports as f64 * 10.0).round() / 10.0;
            (key, (reports, items.len() as u64, average, completed.len() as u64, overdue.len() as u64))
        })
        .collect()
}

/// Checks every trend after a write: the one the tallies answer (a filter they serve) equals,
/// byte for byte, the one counted from the reports (the same filter, widened by a `from` that is
/// not the first day of a bucket, which the tallies cannot serve and which excludes no report),
/// and the quarterly ones equal the counts made here.
async fn assert_trends_exact(app: &TestApp, after: &str) {
    for city in [None, Some(YUEQING)] {
        for group_by in ["city", "unit", "leader"] {
            for interval in ["month", "quarter"] {
                let mut tallied = vec![("interval", interval), ("group_by", group_by)];
                tallied.extend(city.map(|city| ("city", city)));
                let mut counted = tallied.clone();
                counted.push(("from", "1900-01-02"));
                let (tallied_reply, counted_reply) = (app.get(STATS, &tallied).await, app.get(STATS, &counted).await);
                assert_eq!(tallied_reply.status(), StatusCode::OK);
                let tallied_body = tallied_reply.text().await.expect("a body");
                assert_eq!(
                    tallied_body,
                    counted_reply.text().await.expect("a body"),
                    "{group_by} by {interval} in {city:?}, after {after}"
                );
                if interval == "quarter" {
                    let trend: Value = serde_json::from_str(&tallied_body).expect("JSON");
                    let query: Vec<(&str, &str)> = city.map(|city| ("city", city)).into_iter().collect();
                    assert_eq!(
                        trend_buckets(&trend),
                        counted_by_quarter(app, group_by, &query).await,
                        "{group_by} in {city:?}, after {after}"
                    );
                }
            }
        }
    }
}

const STATS: &str = "/api/v1/stats/reports";

async fn trends_stay_exact_through_every_write_that_changes_what_they_count(backend: Backend) {
    use api::config::Config;
    let app = TestApp::spawn_with(backend, true, |config: &mut Config| {
        config.serve.clock_date = chrono::NaiveDate::from_ymd_opt(2022, 1, 15);
    })
    .await;
    let admin = app.admin_token().await;
    let led = led_items_of_unit(&app).await;
    assert!(led.len() >= 3, "the seed gives {UNIT} items with leaders");
    let ids: Vec<&str> = led.iter().take(3).map(|item| item["id"].as_str().expect("id")).collect();
    let mut filed = Vec::new();
    for (id, as_of, status, progress) in [
        (ids[0], "2021-03-31", "in_progress", 30),
        (ids[0], "2021-04-01", "in_progress", 50),
        (ids[0], "2021-06-30", "completed", 100),
        (ids[1], "2021-06-01", "delayed", 20),
        (ids[1], "2022-01-10", "in_progress", 70),
        (ids[2], "2021-11-30", "in_progress", 55),
        (ids[2], "2022-02-01", "delayed", 60),
    ] {
        filed.push(file_ok(&app, &admin, id, report(as_of, status, progress)).await["id"].clone());
        assert_trends_exact(&app, &format!("filing a report of {as_of}")).await;
    }
    let yuhuan = app.get_ok("/api/v1/work-items", &[("city", "331083"), ("limit", "1")]).await["items"][0].clone();
    let mut body = report("2021-05-05", "in_progress", 33);
    body["unit"] = yuhuan["units"][0]["name"].clone();
    file_ok(&app, &admin, yuhuan["id"].as_str().expect("id"), body).await;
    assert_trends_exact(&app, "filing a report in another city").await;
    let yueqing_id = item(&app, ids[0]).await["city"]["id"].as_str().expect("a city").parse().expect("a UUID");
    assert!(tallies_of_city(&app, yueqing_id).await > 0, "the writes keep tallies");

    // Corrected into another quarter and status, then withdrawn.
    let report_path = |n: usize| format!("/api/v1/reports/{}", filed[n].as_str().expect("id"));
    let correction = json!({"as_of": "2021-07-02", "status": "completed", "progress": 100});
    app.send(Method::PATCH, &report_path(3), Some(&admin), Some(correction), &[]).await.expect(StatusCode::OK);
    assert_trends_exact(&app, "correcting a report").await;
    app.send(Method::DELETE, &report_path(1), Some(&admin), None, &[]).await.expect(StatusCode::NO_CONTENT);
    assert_trends_exact(&app, "withdrawing a report").await;

    // The item's leader and due date.
    let other_leader = app
        .get_all("/api/v1/leaders", &[("city", YUEQING)])
        .await
        .into_iter()
        .find(|leader| leader["id"] != led[0]["leader"]["id"])
        .expect("another leader")["name"]
        .clone();
    let item_path = |id: &str| format!("/api/v1/work-items/{id}");
    let patch = json!({"leader": other_leader});
    app.send(Method::PATCH, &item_path(ids[0]), Some(&admin), Some(patch), &[]).await.expect(StatusCode::OK);
    assert_trends_exact(&app, "changing an item's leader").await;
    let patch = json!({"due_on": "2021-05-31"});
    app.send(Method::PATCH, &item_path(ids[0]), Some(&admin), Some(patch), &[]).await.expect(StatusCode::OK);
    assert_trends_exact(&app, "changing an item's due date").await;

    // A re-import that gives a section's groups other leaders and a longer period (and so
    // later default due dates).
    let mut file: Value = serde_json::from_str(api::domain::import::SEED_FILES[0].1).expect("the seed file is JSON");
    let leaders: Vec<Value> = file["leaders"].as_array().expect("leaders").iter().map(|l| l["name"].clone()).collect();
    for section in file["sections"].as_array_mut().expect("sections") {
        if section["period"] == "2021" && section["kind"] == "work_item" {
            section["period"] = json!("2021-2022");
            for (g, group) in section["groups"].as_array_mut().expect("groups").iter_mut().enumerate() {
                group["leader"] = leaders[(g + 1) % leaders.len()].clone();
            }
        }
    }
    let imported = app.send(Method::POST, "/api/v1/imports", Some(&admin), Some(file), &[]).await;
    assert!(imported.expect(StatusCode::OK)["items"]["updated"].as_u64() > Some(0));
    assert_trends_exact(&app, "a re-import").await;

    // The section's period back to one year: default due dates move back, and the report of
    // January 2022 is overdue again.
    let section = item(&app, ids[1]).await["section"]["id"].as_str().expect("a section").to_owned();
    let path = format!("/api/v1/sections/{section}");
    app.send(Method::PATCH, &path, Some(&admin), Some(json!({"period": "2021"})), &[]).await.expect(StatusCode::OK);
    assert_trends_exact(&app, "changing a section's period").await;

    // Deleting an item with its reports, then the document with the rest.
    let path = format!("{}?cascade=true", item_path(ids[2]));
    app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.expect(StatusCode::NO_CONTENT);
    assert_trends_exact(&app, "deleting an item").await;
    let document = item(&app, ids[1]).await["document_id"].as_str().expect("a document").to_owned();
    let path = format!("/api/v1/documents/{document}?cascade=true");
    app.send(Method::DELETE, &path, Some(&admin), None, &[]).await.expect(StatusCode::NO_CONTENT);
    assert_trends_exact(&app, "deleting a document").await;
    let yueqing = app.get_ok(STATS, &[("interval", "quarter"), ("city", YUEQING)]).await;
    assert_eq!(yueqing["buckets"], json!([]), "nothing left of Yueqing's reports");
    let everywhere = app.get_ok(STATS, &[("interval", "quarter")]).await;
    assert_eq!(everywhere["buckets"].as_array().map(Vec::len), Some(1), "Yuhuan's report remains");
    assert_eq!(tallies_of_city(&app, yueqing_id).await, 0, "tallies left with no report are deleted");
}

async fn reports_filed_at_once_on_one_item_count_it_once_in_the_tallies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let led = led_items_of_unit(&app).await;
    let path = format!("/api/v1/work-items/{}/reports", led[0]["id"].as_str().expect("id"));
    // Each would count the item as new to the quarter if it did not see the others' reports.
    let filings: Vec<_> = (1..=6)
        .map(|day| {
            let body = report(&format!("2021-05-{day:02}"), "in_progress", 10 * day);
            app.spawn_send(Method::POST, &path, Some(&admin), Some(body), &[])
        })
        .collect();
    for filing in filings {
        filing.await.expect("the request completes").expect(StatusCode::CREATED);
    }
    assert_trends_exact(&app, "reports filed at once").await;
    let trend = app.get_ok(STATS, &[("interval", "quarter"), ("city", YUEQING)]).await;
    assert_eq!(trend["buckets"][0]["items"], 1, "{trend}");
}

/// How many tallies of report trends the database holds for a city.
async fn tallies_of_city(app: &TestApp, city: uuid::Uuid) -> u64 {
    use entity::report_tally;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    report_tally::Entity::find()
        .filter(report_tally::Column::CityId.eq(city))
        .count(&app.db)
        .await
        .expect("the tallies are counted")
}

async fn reports_come_as_a_json_feed_per_city_or_unit_and_as_csv(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let of_unit = items(&app).await.of_unit;
    let mut ids = Vec::new();
    for (id, as_of) in [(&of_unit[0], "2021-04-30"), (&of_unit[1], "2021-05-31")] {
        ids.push(file_ok(&app, &admin, id, report(as_of, "in_progress", 30)).await["id"].clone());
    }
    let yuhuan = app.get_ok("/api/v1/work-items", &[("city", "331083"), ("limit", "1")]).await["items"][0].clone();
    let mut body = report("2021-05-05", "in_progress", 33);
    body["unit"] = yuhuan["units"][0]["name"].clone();
    file_ok(&app, &admin, yuhuan["id"].as_str().expect("id"), body).await;

    for query in [[("unit", UNIT), ("city", YUEQING)], [("city", YUEQING), ("from", "2021-01-01")]] {
        let response = app.get("/api/v1/feeds/reports", &query).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("application/feed+json"));
        let feed: Value = response.json().await.expect("JSON");
        assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
        let entries = feed["items"].as_array().expect("items");
        // Most recently filed first, each carrying the report as its endpoint shows it.
        let listed: Vec<Value> = entries.iter().map(|e| e["id"].clone()).rev().collect();
        assert_eq!(listed, ids.iter().map(|id| json!(id)).collect::<Vec<_>>(), "{query:?}");
        for entry in entries {
            let id = entry["id"].as_str().expect("id");
            assert!(entry["url"].as_str().expect("url").ends_with(&format!("/api/v1/reports/{id}")));
            assert_eq!(entry["_duban"], app.get_ok(&format!("/api/v1/reports/{id}"), &[]).await);
            assert!(entry["tags"].as_array().expect("tags").contains(&json!(UNIT)));
            assert!(entry["content_text"].as_str().expect("text").contains("需协调事项：请市财政局协调资金。"));
        }
    }

    let response = app.get("/api/v1/reports", &[("city", YUEQING), ("format", "csv"), ("sort", "as_of")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/csv"));
    let body = response.text().await.expect("a body");
    let rows = body.strip_prefix('\u{feff}').expect("a BOM first");
    let mut reader = csv::Reader::from_reader(rows.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(records.len(), 2);
    assert_eq!((&records[0][column("as_of")], &records[0][column("unit")]), ("2021-04-30", UNIT));
    assert_eq!(&records[1][column("id")], ids[1].as_str().expect("id"));
    assert_eq!(&records[1][column("city")], "乐清市");
}
