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
