//! Due dates, and the overdue, due-date and stale filters, on a clock fixed by the test
//! (`CLOCK_DATE`): nothing here waits for a day to pass.

use api::config::Config;
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, TestApp, UserRole},
    on_both_backends,
};

on_both_backends!(
    items_are_due_at_the_end_of_their_period_unless_set,
    overdue_and_due_date_filters_match_a_count_made_here,
    stale_items_are_those_without_a_recent_report,
    milestones_are_part_of_an_item_and_one_late_makes_it_overdue,
    milestones_of_a_livelihood_project_make_it_overdue_as_a_work_items_do,
    bad_milestones_are_422s_that_name_each_field_and_change_nothing,
);

const YUEQING: &str = "330382";

/// The day the tests' server takes for today.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 15).expect("a date")
}

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, true, |config: &mut Config| config.serve.clock_date = Some(today())).await
}

fn date(item: &Value) -> NaiveDate {
    item["due_on"].as_str().expect("due_on").parse().expect("a date")
}

async fn items_are_due_at_the_end_of_their_period_unless_set(backend: Backend) {
    let app = spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    for item in app.get_all("/api/v1/work-items", &[("city", YUEQING)]).await {
        let period = item["period"].as_str().expect("period");
        let last_year = period.rsplit('-').next().expect("a year");
        assert_eq!(item["due_on"], json!(format!("{last_year}-12-31")), "{period}");
    }
    let id = app.get_ok("/api/v1/work-items", &[("city", YUEQING), ("limit", "1")]).await["items"][0]["id"].clone();
    let path = format!("/api/v1/work-items/{}", id.as_str().expect("id"));
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"due_on": "2021-09-30"})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["due_on"], "2021-09-30");
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"due_on": "2021-02-30"})), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get_ok(&path, &[]).await["due_on"], "2021-09-30");
}

async fn overdue_and_due_date_filters_match_a_count_made_here(backend: Backend) {
    let app = spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    let ids: Vec<String> = app.get_all("/api/v1/work-items", &[("city", YUEQING), ("period", "2021")]).await[..3]
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect();
    // Of three items due 2021-12-31: one completed, one cancelled, one given more time.
    for (id, patch) in ids.iter().zip([
        json!({"status": "completed", "progress": 100}),
        json!({"status": "cancelled"}),
        json!({"due_on": "2022-03-31"}),
    ]) {
        let path = format!("/api/v1/work-items/{id}");
        app.send(Method::PATCH, &path, Some(&editor), Some(patch), &[]).await.expect(StatusCode::OK);
    }

    let all = app.get_all("/api/v1/work-items", &[("city", YUEQING)]).await;
    let is_overdue =
        |item: &&Value| date(item) < today() && !matches!(item["status"].as_str(), Some("completed" | "cancelled"));
    let overdue: Vec<&Value> = all.iter().filter(is_overdue).collect();
    assert!(!overdue.is_empty() && overdue.len() < all.len(), "the seed has items due in 2021 and in 2025");
    let listed = app.get_all("/api/v1/work-items", &[("city", YUEQING), ("overdue", "true")]).await;
    let mut listed_ids: Vec<&Value> = listed.iter().map(|item| &item["id"]).collect();
    let mut expected_ids: Vec<&Value> = overdue.iter().map(|item| &item["id"]).collect();
    listed_ids.sort_by_key(|id| id.to_string());
    expected_ids.sort_by_key(|id| id.to_string());
    assert_eq!(listed_ids, expected_ids);
    for id in &ids {
        assert!(!listed.iter().any(|item| item["id"] == json!(id)), "{id} is not overdue");
    }
    let not_overdue = app.count("/api/v1/work-items", &[("city", YUEQING), ("overdue", "false")]).await;
    assert_eq!(not_overdue as usize, all.len() - overdue.len());

    for (parameter, bound) in [("due_before", "2022-01-01"), ("due_after", "2021-12-31"), ("due_before", "2025-12-31")]
    {
        let bound: NaiveDate = bound.parse().expect("a date");
        let expected = all
            .iter()
            .filter(|item| if parameter == "due_before" { date(item) < bound } else { date(item) > bound })
            .count();
        let counted = app.count("/api/v1/work-items", &[("city", YUEQING), (parameter, &bound.to_string())]).await;
        assert_eq!(counted as usize, expected, "{parameter}={bound}");
    }
    // Overdue items sorted by due date, soonest first.
    let sorted = app.get_ok("/api/v1/work-items", &[("overdue", "true"), ("sort", "due_on"), ("limit", "500")]).await;
    let dates: Vec<NaiveDate> = sorted["items"].as_array().expect("items").iter().map(date).collect();
    assert!(dates.windows(2).all(|pair| pair[0] <= pair[1]));

    app.get_problem("/api/v1/work-items", &[("overdue", "maybe")], StatusCode::BAD_REQUEST).await;
    app.get_problem("/api/v1/work-items", &[("due_before", "2021-13-01")], StatusCode::BAD_REQUEST).await;
}

async fn stale_items_are_those_without_a_recent_report(backend: Backend) {
    let app = spawn(backend).await;
    let admin = app.admin_token().await;
    let items = app.get_all("/api/v1/work-items", &[("city", YUEQING), ("unit", "市发改局")]).await;
    let (fresh, stale) = (&items[0], &items[1]);
    for (item, as_of) in [(fresh, "2022-01-10"), (stale, "2021-11-30")] {
        let body = json!({
            "unit": "市发改局", "as_of": as_of, "status": "in_progress", "progress": 50, "text": "按计划推进。"
        });
        let path = format!("/api/v1/work-items/{}/reports", item["id"].as_str().expect("id"));
        app.send(Method::POST, &path, Some(&admin), Some(body), &[]).await.expect(StatusCode::CREATED);
    }
    let total = app.count("/api/v1/work-items", &[("city", YUEQING)]).await;
    // Thirty days before 2022-01-15 is 2021-12-16: only the report of 2022-01-10 is recent.
    let listed = app.get_all("/api/v1/work-items", &[("city", YUEQING), ("stale_days", "30")]).await;
    assert_eq!(listed.len() as u64, total - 1);
    assert!(!listed.iter().any(|item| item["id"] == fresh["id"]));
    assert!(listed.iter().any(|item| item["id"] == stale["id"]));
    // Over 60 days both reports are recent.
    assert_eq!(app.count("/api/v1/work-items", &[("city", YUEQING), ("stale_days", "60")]).await, total - 2);
    app.get_problem("/api/v1/work-items", &[("stale_days", "0")], StatusCode::BAD_REQUEST).await;
}

/// An item of Yueqing due in 2025: not overdue on [`today`] by its own due date.
async fn item_due_in_2025(app: &TestApp) -> Value {
    let items = app.get_ok("/api/v1/work-items", &[("city", YUEQING), ("period", "2021-2025"), ("limit", "1")]).await;
    let item = items["items"][0].clone();
    assert_eq!(item["due_on"], "2025-12-31");
    item
}

fn is_listed_overdue(listed: &[Value], id: &Value) -> bool {
    listed.iter().any(|item| item["id"] == *id)
}

async fn milestones_are_part_of_an_item_and_one_late_makes_it_overdue(backend: Backend) {
    let app = spawn(backend).await;
    let item = item_due_in_2025(&app).await;
    let new_item = json!({
        "section": item["section"]["id"], "group": {"number": 8, "heading": "其他重点工作"}, "seq": 1000,
        "content": "新增的重点工作。", "leader": null, "units": []
    });
    one_late_milestone_makes_an_item_overdue(&app, "/api/v1/work-items", item, new_item).await;
}

async fn milestones_of_a_livelihood_project_make_it_overdue_as_a_work_items_do(backend: Backend) {
    let app = spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    let collection = "/api/v1/livelihood-projects";
    let projects = app.get_all(collection, &[("city", YUEQING)]).await;
    let project =
        projects.iter().find(|p| p["status"] != "completed" && p["status"] != "cancelled").expect("an open project");
    // Due after today, so that only its milestones can make it overdue.
    let path = format!("{collection}/{}", project["id"].as_str().expect("id"));
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"due_on": "2025-12-31"})), &[]).await;
    let project = reply.expect(StatusCode::OK).clone();
    // Yueqing's projects are of 2021, due at its end, before today: the new one is due later too.
    let new_project = json!({
        "section": project["section"]["id"], "category": null, "seq": 1000, "sub_seq": null,
        "content": "新增的民生实事。", "leader": null, "units": [], "due_on": "2025-12-31"
    });
    one_late_milestone_makes_an_item_overdue(&app, collection, project, new_project).await;
}

/// The life of an item's milestones in `collection`: `item` is due after today and not overdue;
/// `new_item` is a body that creates another item there.
async fn one_late_milestone_makes_an_item_overdue(app: &TestApp, collection: &str, item: Value, mut new_item: Value) {
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    let id = item["id"].clone();
    let path = format!("{collection}/{}", id.as_str().expect("id"));
    assert_eq!(item["milestones"], json!([]), "items have none until given");
    let overdue = || app.get_all(collection, &[("city", YUEQING), ("overdue", "true")]);
    assert!(!is_listed_overdue(&overdue().await, &id));

    // Two milestones, the first due before today and not done: the item is overdue.
    let etag = app.send(Method::GET, &path, None, None, &[]).await.etag();
    let milestones = json!([
        {"title": "完成项目选址", "due_on": "2021-12-31"},
        {"title": "开工建设", "due_on": "2022-06-30", "done_on": null}
    ]);
    let reply = app
        .send(Method::PATCH, &path, Some(&editor), Some(json!({"milestones": milestones})), &[("If-Match", &etag)])
        .await;
    let shown = reply.expect(StatusCode::OK).clone();
    assert_eq!(
        shown["milestones"],
        json!([
            {"title": "完成项目选址", "due_on": "2021-12-31", "done_on": null},
            {"title": "开工建设", "due_on": "2022-06-30", "done_on": null}
        ])
    );
    assert_eq!(app.get_ok(&path, &[]).await, shown, "a GET shows what the PATCH answered");
    assert!(is_listed_overdue(&overdue().await, &id));
    let not_overdue = app.get_all(collection, &[("city", YUEQING), ("overdue", "false")]).await;
    assert!(!is_listed_overdue(&not_overdue, &id));
    let listed = app.get_all(collection, &[("city", YUEQING)]).await;
    assert_eq!(listed.iter().find(|i| i["id"] == id).expect("listed")["milestones"], shown["milestones"]);

    // Done, it no longer counts; the change is a revision of the item.
    let done = json!({"milestones": [
        {"title": "完成项目选址", "due_on": "2021-12-31", "done_on": "2021-12-20"},
        {"title": "开工建设", "due_on": "2022-06-30"}
    ]});
    app.send(Method::PATCH, &path, Some(&editor), Some(done), &[]).await.expect(StatusCode::OK);
    assert!(!is_listed_overdue(&overdue().await, &id));
    let history = app.get_ok(&format!("{path}/revisions"), &[("sort", "-seq")]).await;
    let changed = &history["items"][0]["changes"]["milestones"];
    assert_eq!(changed["before"][0]["done_on"], Value::Null);
    assert_eq!(changed["after"][0]["done_on"], "2021-12-20");

    // A completed item is not overdue, whatever its milestones.
    let late_again = json!({"milestones": [{"title": "完成项目选址", "due_on": "2021-12-31"}], "status": "completed"});
    app.send(Method::PATCH, &path, Some(&editor), Some(late_again), &[]).await.expect(StatusCode::OK);
    assert!(!is_listed_overdue(&overdue().await, &id));

    // A new item may come with milestones, and `[]` removes them.
    new_item["milestones"] = json!([{"title": "完成立项", "due_on": "2021-10-31"}]);
    let created = app.send(Method::POST, collection, Some(&editor), Some(new_item), &[]).await;
    let created = created.expect(StatusCode::CREATED).clone();
    assert_eq!(created["milestones"][0]["title"], "完成立项");
    assert!(is_listed_overdue(&overdue().await, &created["id"]));
    let created_path = format!("{collection}/{}", created["id"].as_str().expect("id"));
    let cleared = app.send(Method::PATCH, &created_path, Some(&editor), Some(json!({"milestones": []})), &[]).await;
    assert_eq!(cleared.expect(StatusCode::OK)["milestones"], json!([]));
    assert!(!is_listed_overdue(&overdue().await, &created["id"]));
}

async fn bad_milestones_are_422s_that_name_each_field_and_change_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some(YUEQING)).await;
    let item = item_due_in_2025(&app).await;
    let path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("id"));
    let before = (app.get_ok(&path, &[]).await, app.revision_count().await);
    for (milestones, fields) in [
        (json!([{"title": "  ", "due_on": "2021-06-30"}]), vec!["milestones[0].title"]),
        (json!([{"title": "开工", "due_on": "2021-06-30"}, {"due_on": "2021-06-30"}]), vec!["milestones[1].title"]),
        (json!([{"title": "开工", "due_on": "2021-02-30"}]), vec!["milestones[0].due_on"]),
        (json!([{"title": "开工", "due_on": "2021-06-30", "done": true}]), vec!["milestones[0].done"]),
    ] {
        let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"milestones": milestones})), &[]).await;
        reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.error_fields(), fields);
    }
    let too_many: Vec<Value> = (0..51).map(|n| json!({"title": format!("节点{n}"), "due_on": "2021-06-30"})).collect();
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"milestones": too_many})), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["milestones"]);
    assert_eq!((app.get_ok(&path, &[]).await, app.revision_count().await), before);
}
