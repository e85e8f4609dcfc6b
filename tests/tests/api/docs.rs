//! The OpenAPI document, the interactive docs and the health endpoints.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    helpers::{Backend, TestApp},
    on_both_backends,
};

on_both_backends!(
    served_openapi_document_equals_the_committed_one,
    interactive_docs_are_served_from_the_binary,
    health_endpoints_answer,
    requests_are_counted_under_their_route_pattern,
);

async fn served_openapi_document_equals_the_committed_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let served = app.get_ok("/api-docs/openapi.json", &[]).await;
    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(committed_path).expect("openapi/openapi.json exists"))
            .expect("the committed document is JSON");
    assert!(served == committed, "openapi/openapi.json is stale: run `cargo run -p openapi` and commit the result");
    assert_eq!(served["openapi"], "3.1.0");
    for path in ["/api/v1/work-items", "/api/v1/work-items/{id}", "/api/v1/livelihood-projects", "/api/v1/cities/{id}"]
    {
        assert!(served["paths"][path]["get"].is_object(), "{path} is documented");
    }
}

async fn interactive_docs_are_served_from_the_binary(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app.get("/docs/", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    let script = app.get("/docs/swagger-initializer.js", &[]).await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.text().await.expect("js").contains("/api-docs/openapi.json"));
    let bundle = app.get("/docs/swagger-ui-bundle.js", &[]).await;
    assert_eq!(bundle.status(), StatusCode::OK);
    let redirect = app.client.get(format!("{}/docs", app.address)).send().await.expect("sent");
    assert_eq!(redirect.url().path(), "/docs/");
}

async fn health_endpoints_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get_ok("/health/live", &[]).await["status"], "ok");
    assert_eq!(app.get_ok("/health/ready", &[]).await["status"], "ok");
    let response = app.get("/api/v1/cities", &[]).await;
    let request_id = response.headers().get("x-request-id").expect("a request id").to_str().expect("ascii").to_owned();
    assert!(!request_id.is_empty());
    let metrics = app.get("/metrics", &[]).await.text().await.expect("text");
    assert!(
        metrics.contains("duban_http_requests_total{method=\"GET\",route=\"/api/v1/cities\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("duban_database_up 1"), "{metrics}");
}

/// A request is counted under the pattern of its route, whether the router answered it (one item,
/// by id) or the caching middleware did before routing (a 304 revalidation of a list), and
/// whatever path it came by.
async fn requests_are_counted_under_their_route_pattern(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let list = "/api/v1/livelihood-projects?limit=2";
    let page = app.send(Method::GET, list, None, None, &[]).await;
    let etag = page.header("etag").expect("a list tag").to_owned();
    for _ in 0..2 {
        app.send(Method::GET, list, None, None, &[("if-none-match", &etag)]).await.expect(StatusCode::NOT_MODIFIED);
    }
    let id = page.expect(StatusCode::OK)["items"][0]["id"].as_str().expect("a project").to_owned();
    app.send(Method::GET, &format!("/api/v1/livelihood-projects/{id}"), None, None, &[]).await.expect(StatusCode::OK);
    let metrics = app.get("/metrics", &[]).await.text().await.expect("text");
    for (route, status) in [("/api/v1/livelihood-projects", 304), ("/api/v1/livelihood-projects/{id}", 200)] {
        let sample = format!("duban_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"{status}\"}}");
        assert!(metrics.contains(&sample), "{sample} in\n{metrics}");
    }
    assert!(!metrics.contains(&format!("route=\"/api/v1/livelihood-projects/{id}\"")), "ids are no labels");
}
