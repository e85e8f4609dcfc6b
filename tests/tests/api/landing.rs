//! The landing page at `/`: what the API is and where everything is, as JSON for programs and as
//! HTML for browsers; `/api` and `/api/v1` lead there.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, TestApp},
    on_both_backends,
};

on_both_backends!(
    landing_page_links_the_docs_collections_and_feeds_with_counts,
    browsers_get_the_landing_page_as_html,
    api_base_paths_lead_to_the_landing_page,
    landing_page_counts_follow_writes_and_revalidate,
    problem_types_each_have_a_page_the_registry_lists,
);

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

async fn landing_json(app: &TestApp) -> Value {
    let reply = app.send(Method::GET, "/", None, None, &[("accept", "application/json")]).await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
    reply.expect(StatusCode::OK).clone()
}

async fn landing_page_links_the_docs_collections_and_feeds_with_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let landing = landing_json(&app).await;
    assert_eq!(landing["name"], "Duban API");
    assert!(landing["description"].as_str().is_some_and(|d| d.contains("督办")), "{landing}");
    // The links lead somewhere.
    for link in ["docs", "openapi", "changes"] {
        let href = landing[link].as_str().unwrap_or_else(|| panic!("no {link} in {landing}"));
        assert_eq!(app.get(href, &[]).await.status(), StatusCode::OK, "{link}: {href}");
    }
    let spec = app.get_ok(landing["openapi"].as_str().expect("openapi"), &[]).await;
    assert_eq!(spec["paths"]["/"]["get"]["operationId"], "landing", "the landing page is documented");
    // Every public collection, with the count its list reports.
    let collections = landing["collections"].as_array().expect("collections");
    let names: Vec<&str> = collections.iter().map(|c| c["name"].as_str().expect("a name")).collect();
    assert_eq!(
        names,
        ["cities", "documents", "sections", "leaders", "units", "work-items", "livelihood-projects", "reports"],
        "users are for admins only"
    );
    for collection in collections {
        let href = collection["href"].as_str().expect("href");
        assert_eq!(href, format!("/api/v1/{}", collection["name"].as_str().expect("name")));
        let total = app.count(href, &[]).await;
        // Progress reports are filed by units, not seeded.
        if collection["name"] != "reports" {
            assert!(total > 0, "{href} holds the seed data");
        }
        assert_eq!(collection["count"], total, "{href}");
    }
    // Every feed, which answers a JSON Feed.
    let feeds = landing["feeds"].as_array().expect("feeds");
    assert_eq!(feeds.len(), 4, "{landing}");
    for feed in feeds {
        let response = app.get(feed["href"].as_str().expect("href"), &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
        let media_type = content_type.split(';').next().expect("a media type");
        assert_eq!(media_type, feed["media_type"].as_str().expect("media_type"));
    }
}

async fn browsers_get_the_landing_page_as_html(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let landing = landing_json(&app).await;
    let response =
        app.client.get(format!("{}/", app.address)).header("accept", BROWSER_ACCEPT).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert!(response.headers()["vary"].to_str().expect("ascii").contains("accept"), "caches key on Accept");
    let html = response.text().await.expect("html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    for link in ["docs", "openapi", "changes"] {
        let href = landing[link].as_str().expect("a link");
        assert!(html.contains(&format!("href=\"{href}\"")), "the page links {href}: {html}");
    }
    for entry in landing["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .chain(landing["feeds"].as_array().expect("feeds"))
    {
        let href = entry["href"].as_str().expect("href");
        assert!(html.contains(&format!("href=\"{href}\"")), "the page links {href}: {html}");
    }
    for collection in landing["collections"].as_array().expect("collections") {
        assert!(html.contains(&format!("({} records)", collection["count"])), "the page counts {collection}: {html}");
    }
    // Any other client gets JSON.
    let plain = app.get("/", &[]).await;
    assert_eq!(plain.headers()["content-type"], "application/json");
    let any = app.client.get(format!("{}/", app.address)).header("accept", "*/*").send().await.expect("sent");
    assert_eq!(any.json::<Value>().await.expect("JSON"), landing);
}

async fn api_base_paths_lead_to_the_landing_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let landing = landing_json(&app).await;
    for path in ["/api", "/api/v1"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .header("accept", "application/json")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.url().path(), "/", "{path} leads to the landing page");
        assert_eq!(response.json::<Value>().await.expect("JSON"), landing, "{path}");
    }
}

async fn landing_page_counts_follow_writes_and_revalidate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = app.send(Method::GET, "/", None, None, &[("accept", "application/json")]).await;
    let etag = before.etag();
    let again =
        app.send(Method::GET, "/", None, None, &[("accept", "application/json"), ("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED, "nothing changed");
    let units = |landing: &Value| {
        landing["collections"].as_array().expect("collections").iter().find(|c| c["name"] == "units").expect("units")
            ["count"]
            .as_u64()
            .expect("a count")
    };
    let token = app.admin_token().await;
    app.send(Method::POST, "/api/v1/units", Some(&token), Some(json!({"city": "330382", "name": "市数据局"})), &[])
        .await
        .expect(StatusCode::CREATED);
    let after =
        app.send(Method::GET, "/", None, None, &[("accept", "application/json"), ("if-none-match", &etag)]).await;
    assert_eq!(units(after.expect(StatusCode::OK)), units(&before.body) + 1, "a new unit is counted at once");
    assert_ne!(after.etag(), etag);
}

async fn problem_types_each_have_a_page_the_registry_lists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let registry = app.get_ok("/problems", &[]).await;
    let types = registry.as_array().expect("a list of types");
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    let documented = spec["components"]["schemas"]["Problem"]["properties"]["type"]["enum"].clone();
    let listed: Vec<Value> = types.iter().map(|t| t["type"].clone()).collect();
    assert_eq!(Value::Array(listed), documented, "the document lists the registry's types");
    for kind in types {
        let page = app.get_ok(kind["href"].as_str().expect("href"), &[]).await;
        assert_eq!(&page, kind);
    }
    // The problems the API answers with lead to their page.
    let token = app.admin_token().await;
    let answers = [
        app.send(Method::GET, "/api/v1/cities/999999", None, None, &[]).await,
        app.send(Method::POST, "/api/v1/units", None, Some(json!({})), &[]).await,
        app.send(Method::POST, "/api/v1/units", Some(&token), Some(json!({"city": "330382", "name": ""})), &[]).await,
        app.send(Method::GET, "/api/v1/work-items?limit=0", None, None, &[]).await,
    ];
    for answer in answers {
        let problem = answer.problem(answer.status);
        let slug = problem["type"].as_str().expect("a type").rsplit('/').next().expect("a slug");
        let page = app.get_ok(&format!("/problems/{slug}"), &[]).await;
        assert_eq!(
            (&page["type"], &page["title"], &page["status"]),
            (&problem["type"], &problem["title"], &problem["status"])
        );
    }
    app.get_problem("/problems/no-such-problem", &[], StatusCode::NOT_FOUND).await;
    let html = app
        .client
        .get(format!("{}/problems/conflict", app.address))
        .header("accept", BROWSER_ACCEPT)
        .send()
        .await
        .expect("sent");
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    assert!(html.text().await.expect("html").contains("cascade=true"));
}
