//! Bad input gets a 400 (or 404) problem, never a 5xx.

use reqwest::StatusCode;

use crate::{
    helpers::{Backend, TestApp, assert_problem},
    on_both_backends,
};

on_both_backends!(
    malformed_parameters_are_bad_requests_that_name_the_parameter,
    unknown_ids_are_not_found,
    malformed_ids_are_bad_requests,
    unknown_routes_and_methods_are_problems,
);

/// A request path, its query, and the parameter the answer must name.
type Case = (&'static str, &'static [(&'static str, &'static str)], &'static str);

async fn malformed_parameters_are_bad_requests_that_name_the_parameter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases: &[Case] = &[
        ("/api/v1/work-items", &[("limit", "0")], "limit"),
        ("/api/v1/work-items", &[("limit", "100000")], "limit"),
        ("/api/v1/work-items", &[("limit", "abc")], "limit"),
        ("/api/v1/work-items", &[("offset", "-1")], "offset"),
        ("/api/v1/work-items", &[("offset", "x")], "offset"),
        ("/api/v1/work-items", &[("sort", "colour")], "sort"),
        ("/api/v1/work-items", &[("sort", "-content")], "sort"),
        ("/api/v1/work-items", &[("colour", "red")], "colour"),
        ("/api/v1/work-items", &[("city", "yueqing")], "city"),
        ("/api/v1/work-items", &[("document", "not-a-uuid")], "document"),
        ("/api/v1/work-items", &[("section", "42")], "section"),
        ("/api/v1/work-items", &[("status", "finished")], "status"),
        ("/api/v1/work-items", &[("status", "in_progress,finished")], "status"),
        ("/api/v1/work-items", &[("unit_role", "boss")], "unit_role"),
        ("/api/v1/work-items", &[("period", "2021-2020")], "period"),
        ("/api/v1/work-items", &[("period", "next year")], "period"),
        ("/api/v1/work-items", &[("year", "twenty")], "year"),
        ("/api/v1/work-items", &[("updated_since", "yesterday")], "updated_since"),
        ("/api/v1/livelihood-projects", &[("limit", "501")], "limit"),
        ("/api/v1/livelihood-projects", &[("category", "1"), ("bogus", "1")], "bogus"),
        ("/api/v1/cities", &[("city", "330382")], "city"),
        ("/api/v1/cities", &[("sort", "province")], "sort"),
        ("/api/v1/documents", &[("year", "1e9")], "year"),
        ("/api/v1/documents", &[("year", "300000")], "year"),
        // Years chrono reads but PostgreSQL's dates cannot hold (schemathesis found a 500 here).
        ("/api/v1/documents", &[("year", "-78187")], "year"),
        ("/api/v1/documents", &[("issued_from", "+10000-01-01")], "issued_from"),
        ("/api/v1/feeds/documents", &[("issued_to", "-0100-01-01")], "issued_to"),
        ("/api/v1/documents", &[("city", "33038")], "city"),
        ("/api/v1/leaders", &[("offset", "-5")], "offset"),
        ("/api/v1/units", &[("limit", "-1")], "limit"),
        ("/api/v1/units", &[("unit", "市发改局")], "unit"),
    ];
    for (path, query, field) in cases {
        let problem = app.get_problem(path, query, StatusCode::BAD_REQUEST).await;
        let errors = problem["errors"].as_array().unwrap_or_else(|| panic!("{path} {query:?}: no errors in {problem}"));
        assert_eq!(errors[0]["field"], *field, "{path} {query:?}: {problem}");
        assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

async fn unknown_ids_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let unknown = "01900000-0000-7000-8000-000000000000";
    for collection in ["documents", "leaders", "units", "work-items", "livelihood-projects", "cities"] {
        let problem = app.get_problem(&format!("/api/v1/{collection}/{unknown}"), &[], StatusCode::NOT_FOUND).await;
        assert!(problem["detail"].as_str().expect("detail").contains(unknown));
    }
    app.get_problem("/api/v1/cities/110101", &[], StatusCode::NOT_FOUND).await;
}

async fn malformed_ids_are_bad_requests(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for collection in ["documents", "leaders", "units", "work-items", "livelihood-projects", "cities"] {
        let problem = app.get_problem(&format!("/api/v1/{collection}/not-an-id"), &[], StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["errors"][0]["field"], "id");
    }
    app.get_problem("/api/v1/work-items/12345", &[], StatusCode::BAD_REQUEST).await;
}

async fn unknown_routes_and_methods_are_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get_problem("/api/v1/nothing-here", &[], StatusCode::NOT_FOUND).await;
    let response = app.client.delete(format!("{}/api/v1/work-items", app.address)).send().await.expect("sent");
    let allow = response.headers().get("allow").map(|v| v.to_str().expect("ascii").to_owned());
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(allow.as_deref(), Some("GET, POST"));
    let response = app.client.post(format!("{}/health/live", app.address)).send().await.expect("sent");
    let allow = response.headers().get("allow").map(|v| v.to_str().expect("ascii").to_owned());
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(allow.as_deref(), Some("GET"));
}
