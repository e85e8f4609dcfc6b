//! The OpenAPI document against the live server: every documented operation is served, every other
//! method on a documented path is a 405 naming the documented ones, and the document carries what
//! client generators need.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
};

on_both_backends!(
    every_documented_operation_is_served_and_nothing_else_is,
    a_method_missing_reports_do_not_take_is_a_405_naming_get_only,
);

async fn a_method_missing_reports_do_not_take_is_a_405_naming_get_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    for method in [Method::PATCH, Method::PUT, Method::DELETE] {
        let url = format!("{}/api/v1/reports/missing", app.address);
        let response = app.client.request(method.clone(), url).bearer_auth(&token).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(response.headers()["allow"], "GET", "{method}: only GET is served at /reports/missing");
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A concrete URL for a documented path: ids that name nothing (a 404 from the handler, not the
/// router), the city by its code.
fn concrete(path: &str) -> String {
    path.replace("/cities/{id}", "/cities/330382").replace("{id}", "01900000-0000-7000-8000-000000000000")
}

async fn every_documented_operation_is_served_and_nothing_else_is(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() > 30, "the document lists the API");
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        let documented: BTreeSet<&str> = METHODS.iter().copied().filter(|m| item.get(*m).is_some()).collect();
        for method in METHODS {
            let url = format!("{}{}", app.address, concrete(path));
            let method_upper: Method = method.to_uppercase().parse().expect("a method");
            let response = app.client.request(method_upper.clone(), &url).send().await.expect("sent");
            let status = response.status();
            let allow = response.headers().get("allow").map(|v| v.to_str().expect("ascii").to_owned());
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if documented.contains(method) {
                // Served: the handler answered (a 404 for an unknown id says which resource).
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but not served");
                let unrouted = body["detail"].as_str().is_some_and(|d| d.starts_with("no resource at"));
                assert!(!unrouted, "{method} {path} is documented but no route takes it: {body}");
                let operation = &item[method];
                let id =
                    operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                assert!(operation_ids.insert(id.to_owned()), "operationId {id} is used twice");
                assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{id} has no summary");
                assert!(operation["tags"].as_array().is_some_and(|t| !t.is_empty()), "{id} has no tag");
                check_responses(id, operation, method != "get");
                if status.is_client_error() || status.is_server_error() {
                    let code = status.as_u16().to_string();
                    assert!(
                        operation["responses"].get(&code).is_some(),
                        "{method} {path} answered {code}, which it does not document: {body}"
                    );
                }
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is not documented but answered");
                let allowed: BTreeSet<String> =
                    allow.unwrap_or_default().split(", ").map(str::to_lowercase).filter(|m| !m.is_empty()).collect();
                let expected: BTreeSet<String> = documented.iter().map(|m| (*m).to_owned()).collect();
                assert_eq!(allowed, expected, "Allow of {path}");
            }
        }
    }
    // What generators and readers need beyond the operations.
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["info"]["license"]["name"].is_string() && spec["info"]["contact"]["url"].is_string());
    assert!(spec["servers"].as_array().is_some_and(|s| !s.is_empty()));
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // A path no one documented is a 404, whatever the method.
    for method in [Method::GET, Method::POST] {
        let response =
            app.client.request(method, format!("{}/api/v1/nowhere", app.address)).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}

/// Every error response is problem+json; every write needs the bearer token and documents 401.
fn check_responses(id: &str, operation: &Value, write: bool) {
    let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{id} has no responses"));
    for (code, response) in responses {
        // One schema per operation and status: a generated client then types the body as one type.
        let media_types = response["content"].as_object().map_or(0, serde_json::Map::len);
        assert!(media_types <= 1, "{id}: {code} has {media_types} media types");
        if code.starts_with('4') || code.starts_with('5') {
            assert!(response["content"].get("application/problem+json").is_some(), "{id}: {code} is not problem+json");
        }
    }
    let secured = operation["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
    let public_write = id == "create_token";
    if write && !public_write {
        assert!(secured, "{id} writes but does not name the bearer scheme");
        assert!(responses.contains_key("401") && responses.contains_key("403"), "{id} does not document 401/403");
    }
}

/// What a reader of the document sees per operation: a one-line summary that renders as text, a
/// description, `cascade` only where a deletion can cascade, and write ids that say whose they are.
#[test]
fn operations_have_plain_summaries_descriptions_and_their_own_parameters() {
    let spec: Value = serde_json::from_str(api::http::openapi::json()).expect("the document is JSON");
    let resolve = |parameter: &Value| -> Value {
        match parameter["$ref"].as_str() {
            Some(reference) => {
                spec["components"]["parameters"][reference.trim_start_matches("#/components/parameters/")].clone()
            }
            None => parameter.clone(),
        }
    };
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let id = operation["operationId"].as_str().expect("an operationId");
            let summary = operation["summary"].as_str().expect("a summary");
            assert!(!summary.contains('`') && !summary.contains('\n'), "{id}: summary {summary:?}");
            assert!(operation["description"].as_str().is_some_and(|d| d.len() > 40), "{id} has no description");
            let parameters: Vec<Value> =
                operation["parameters"].as_array().into_iter().flatten().map(&resolve).collect();
            let cascades = parameters.iter().any(|p| p["name"] == "cascade");
            let may_cascade = ["delete_document", "delete_section"].contains(&id);
            assert_eq!(cascades, may_cascade, "{method} {path}: cascade");
            if method != "get" && path.ends_with("{id}") {
                let described = parameters.iter().find(|p| p["name"] == "id").expect("an id")["description"].clone();
                let one = id.split_once('_').expect("verb_resource").1.replace('_', " ");
                assert!(
                    described.as_str().is_some_and(|d| d.starts_with(&format!("The {one}'s id"))),
                    "{id}: id described as {described}"
                );
            }
        }
    }
    let create_city = spec["paths"]["/api/v1/cities"]["post"]["description"].as_str().expect("a description");
    assert!(create_city.contains("Admins only") && !create_city.contains("editor"), "{create_city}");
}

/// Each list answers its 200 as one JSON page, and its CSV, NDJSON and partial JSON are operations of
/// their own beside it, each with its one media type; `fields` names the record's properties.
#[test]
fn lists_answer_one_json_page_and_serve_their_other_representations_beside_it() {
    let spec: Value = serde_json::from_str(api::http::openapi::json()).expect("the document is JSON");
    let paths = spec["paths"].as_object().expect("paths");
    let mut lists = 0;
    for (path, item) in paths {
        let ok = &item["get"]["responses"]["200"];
        let Some(page) = ok["content"]["application/json"]["schema"]["$ref"].as_str() else { continue };
        let Some(record) = page.strip_prefix("#/components/schemas/Page_") else { continue };
        lists += 1;
        assert_eq!(ok["content"].as_object().map(serde_json::Map::len), Some(1), "{path}");
        let description = item["get"]["description"].as_str().expect("a description");
        for (suffix, media_type) in [
            (".csv", "text/csv"),
            (".ndjson", "application/x-ndjson"),
            (".partial.json", "application/vnd.duban.partial+json"),
        ] {
            let sibling = &paths[&format!("{path}{suffix}")]["get"];
            let content = sibling["responses"]["200"]["content"].as_object().expect("content");
            assert_eq!(content.keys().collect::<Vec<_>>(), [media_type], "{path}{suffix}");
            assert!(description.contains(&format!("{path}{suffix}")), "{path} does not point to {suffix}");
        }
        let partial = &paths[&format!("{path}.partial.json")]["get"];
        let schema = partial["responses"]["200"]["content"]["application/vnd.duban.partial+json"]["schema"]["$ref"]
            .as_str()
            .expect("a partial page");
        let name = schema.trim_start_matches("#/components/schemas/");
        assert_eq!(name, format!("PartialPage_{record}"));
        let items = &spec["components"]["schemas"][name]["properties"]["items"]["items"];
        let properties = items["properties"].as_object().expect("the record's properties");
        assert!(properties.len() > 2, "{name}: the items are typed");
        let resolve = |parameter: &Value| match parameter["$ref"].as_str() {
            Some(reference) => {
                spec["components"]["parameters"][reference.trim_start_matches("#/components/parameters/")].clone()
            }
            None => parameter.clone(),
        };
        let parameters: Vec<Value> =
            partial["parameters"].as_array().expect("parameters").iter().map(resolve).collect();
        let fields = parameters.iter().find(|p| p["name"] == "fields").expect("fields");
        assert_eq!(fields["required"], true);
        assert_eq!((fields["style"].as_str(), fields["explode"].as_bool()), (Some("form"), Some(false)));
        let names: Vec<&str> =
            fields["schema"]["items"]["enum"].as_array().expect("an enum").iter().filter_map(Value::as_str).collect();
        assert_eq!(names, properties.keys().map(String::as_str).collect::<Vec<_>>(), "{path}: fields");
    }
    assert!(lists >= 16, "{lists} lists");
    // `sort` and `include` are arrays of the values a list takes.
    let sort = &spec["components"]["parameters"]
        .as_object()
        .expect("parameters")
        .iter()
        .find(|(name, p)| {
            name.starts_with("sort.")
                && p["schema"]["items"]["enum"].as_array().is_some_and(|e| e.contains(&Value::from("-progress")))
        })
        .expect("an item list's sort")
        .1;
    assert_eq!(sort["schema"]["type"], "array");
    assert_eq!((sort["style"].as_str(), sort["explode"].as_bool()), (Some("form"), Some(false)));
}

/// The fixed values and the headers a client can count on are in the document: the token type, a
/// changed field's values, `ETag` and `Location` where the server always sends them.
#[test]
fn fixed_values_and_headers_always_sent_are_documented_as_such() {
    let spec: Value = serde_json::from_str(api::http::openapi::json()).expect("the document is JSON");
    let schemas = &spec["components"]["schemas"];
    assert_eq!(schemas["TokenOut"]["properties"]["token_type"]["$ref"], "#/components/schemas/TokenType");
    assert_eq!(schemas["TokenType"]["enum"], serde_json::json!(["Bearer"]));
    for side in ["before", "after"] {
        let types = &schemas["FieldChange"]["properties"][side]["oneOf"];
        assert_eq!(types.as_array().map(Vec::len), Some(6), "FieldChange.{side}: one of every JSON type");
    }
    let header = |path: &str, method: &str, status: &str, name: &str| {
        spec["paths"][path][method]["responses"][status]["headers"][name]["required"].clone()
    };
    for (path, method, status) in [
        ("/api/v1/work-items/{id}", "get", "200"),
        ("/api/v1/work-items/{id}", "patch", "200"),
        ("/api/v1/work-items/{id}", "put", "200"),
        ("/api/v1/work-items", "post", "201"),
        ("/api/v1/reports/{id}", "patch", "200"),
        ("/api/v1/cities/{id}", "get", "200"),
    ] {
        assert_eq!(header(path, method, status, "ETag"), true, "{method} {path} {status}: ETag");
    }
    for path in ["/api/v1/work-items", "/api/v1/documents", "/api/v1/work-items/{id}/reports"] {
        assert_eq!(header(path, "post", "201", "Location"), true, "POST {path}: Location");
    }
}

/// The main operations show what they answer, per status, from the seed data: the list, one
/// item, a PATCH of the progress alone (Swagger UI's "Try it out" fills in the first example), a
/// create, stats, the feed, the change feed, and each error its own problem. (`.ci/contract` checks
/// every example against its schema.)
#[test]
fn main_operations_show_an_example_per_status() {
    let spec: Value = serde_json::from_str(api::http::openapi::json()).expect("the document is JSON");
    let example = |path: &str, method: &str, status: &str| -> Value {
        let content = spec["paths"][path][method]["responses"][status]["content"].as_object().cloned();
        let media = content.and_then(|c| c.into_iter().next()).map(|(_, media)| media).unwrap_or_default();
        let examples = media["examples"].as_object().cloned().unwrap_or_default();
        examples.into_iter().next().map(|(_, e)| e["value"].clone()).unwrap_or_default()
    };
    let mut problems = Vec::new();
    for (path, method, statuses) in [
        ("/api/v1/work-items", "get", &["200", "400"][..]),
        ("/api/v1/work-items/{id}", "get", &["200", "404"]),
        ("/api/v1/work-items/{id}", "patch", &["200", "401", "403", "412", "422"]),
        ("/api/v1/work-items", "post", &["201", "422"]),
        ("/api/v1/stats/work-items", "get", &["200"]),
        ("/api/v1/feeds/work-items", "get", &["200"]),
        ("/api/v1/changes", "get", &["200"]),
    ] {
        for status in statuses {
            let value = example(path, method, status);
            assert!(value.is_object(), "{method} {path} {status} has no example");
            if status.starts_with('4') {
                assert_eq!(value["status"], status.parse::<u16>().expect("a status"), "{method} {path} {status}");
                problems.push(value);
            }
        }
    }
    let kinds: BTreeSet<String> = problems.iter().map(|p| p["type"].to_string()).collect();
    assert!(kinds.len() >= 6, "each error has its own example: {kinds:?}");
    let fields = &example("/api/v1/work-items/{id}", "patch", "422")["errors"][0]["field"];
    assert_eq!(fields, "units[0].unit", "a 422 names the field's path");
    let first_body =
        spec["paths"]["/api/v1/work-items/{id}"]["patch"]["requestBody"]["content"]["application/json"]["examples"]
            .as_object()
            .and_then(|examples| examples.values().next().cloned())
            .expect("a PATCH example");
    assert_eq!(first_body["value"], serde_json::json!({ "progress": 40 }), "the first PATCH changes the progress only");
    let page = example("/api/v1/work-items", "get", "200");
    assert_eq!(page["items"][0]["city"]["code"], "331083", "seed data: {page}");
}

/// Every operation shows, from the seed data, an answer for each success it documents with a body
/// and an example of each request body it takes; every problem example carries the status it is
/// shown under; the first example of every PATCH changes one field only (Swagger UI's "Try it out"
/// sends it); the stats examples cover every `group_by`. (`.ci/contract examples` checks that each
/// example validates against its schema.)
#[test]
fn every_operation_shows_its_successes_and_request_bodies_by_example() {
    let spec: Value = serde_json::from_str(api::http::openapi::json()).expect("the document is JSON");
    let examples_of = |media: &Value| -> Vec<Value> {
        media["examples"].as_object().into_iter().flatten().map(|(_, example)| example["value"].clone()).collect()
    };
    let mut missing = Vec::new();
    let mut groupings = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let id = operation["operationId"].as_str().expect("an operationId");
            for (status, response) in operation["responses"].as_object().expect("responses") {
                for (media_type, media) in response["content"].as_object().into_iter().flatten() {
                    let shown = examples_of(media);
                    if status.starts_with('2') && shown.is_empty() {
                        missing.push(format!("{id} {status} {media_type}"));
                    }
                    for value in &shown {
                        if status.starts_with('4') || status.starts_with('5') {
                            assert_eq!(value["status"].to_string(), *status, "{id} {status}: {value}");
                        }
                        if path.starts_with("/api/v1/stats/") && status == "200" {
                            groupings.insert(format!("{path} {}", value["group_by"]));
                        }
                    }
                }
            }
            for (media_type, media) in operation["requestBody"]["content"].as_object().into_iter().flatten() {
                let bodies = examples_of(media);
                if bodies.is_empty() {
                    missing.push(format!("{id} request {media_type}"));
                }
                if method == "patch" {
                    let first = bodies.first().and_then(Value::as_object).map(serde_json::Map::len);
                    assert_eq!(first, Some(1), "{id}: the first PATCH example changes one field: {bodies:?}");
                }
            }
        }
    }
    assert!(missing.is_empty(), "no example for: {missing:#?}");
    let group_by = spec["components"]["schemas"]["GroupBy"]["enum"].as_array().expect("the groupings");
    for value in group_by {
        assert!(
            groupings.iter().any(|shown| shown.ends_with(&format!(" {value}"))),
            "no stats example grouped by {value}: {groupings:?}"
        );
    }
}
