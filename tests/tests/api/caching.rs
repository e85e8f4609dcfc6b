//! HTTP caching of reads (`ETag`, `Last-Modified`, `Cache-Control`, 304s) and CORS for browsers.

use std::time::Duration;

use reqwest::{StatusCode, header::HeaderMap};
use sea_orm::prelude::ChronoDateTimeWithTimeZone;
use serde_json::json;

use crate::{
    helpers::{Backend, Method, TestApp},
    on_both_backends,
};

on_both_backends!(
    a_matching_if_none_match_is_a_304_without_a_body,
    if_modified_since_at_or_after_last_modified_is_a_304,
    reads_with_a_token_are_cached_privately,
    a_write_changes_the_etags_of_what_it_affects,
    representations_chosen_by_accept_vary_on_it,
    head_answers_like_get_without_a_body,
    cors_preflight_allows_any_origin_and_the_api_methods,
    cors_exposes_the_headers_clients_read,
);

/// Reads every cacheable kind of answer: a record, lists, feeds, stats, the change feed.
async fn cacheable_paths(app: &TestApp) -> Vec<String> {
    let item =
        app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0]["id"].as_str().expect("id").to_owned();
    vec![
        format!("/api/v1/work-items/{item}"),
        "/api/v1/cities/330382".to_owned(),
        "/api/v1/work-items?city=330382&limit=20".to_owned(),
        "/api/v1/livelihood-projects?format=csv".to_owned(),
        "/api/v1/documents".to_owned(),
        "/api/v1/feeds/work-items?limit=10".to_owned(),
        "/api/v1/feeds/documents".to_owned(),
        "/api/v1/stats/work-items?group_by=status".to_owned(),
        "/api/v1/stats/livelihood-projects?group_by=city&city=330382".to_owned(),
        "/api/v1/changes?limit=5".to_owned(),
    ]
}

/// A read of `path` with `headers`: status, headers, body.
async fn read(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.text().await.expect("a body"))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name} header in {headers:?}"))
}

fn http_date(value: &str) -> ChronoDateTimeWithTimeZone {
    ChronoDateTimeWithTimeZone::parse_from_rfc2822(value).unwrap_or_else(|e| panic!("{value} is not an HTTP date: {e}"))
}

async fn a_matching_if_none_match_is_a_304_without_a_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in cacheable_paths(&app).await {
        let (status, headers, body) = read(&app, &path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        let etag = header(&headers, "etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{path}: a strong, quoted ETag: {etag}"
        );
        assert!(header(&headers, "last-modified").ends_with(" GMT"), "{path}");
        http_date(header(&headers, "last-modified"));
        assert_eq!(header(&headers, "cache-control"), "public, no-cache", "{path}");
        // The same content, the same tag.
        let (_, again, again_body) = read(&app, &path, &[]).await;
        assert_eq!((header(&again, "etag"), &again_body), (etag.as_str(), &body), "{path}");

        let weak = format!("W/{etag}");
        let listed = format!("\"nope\", {etag}");
        for if_none_match in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
            let (status, not_modified, body) = read(&app, &path, &[("if-none-match", if_none_match)]).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{path} with If-None-Match: {if_none_match}");
            assert!(body.is_empty(), "{path}: a 304 has no body: {body}");
            assert_eq!(header(&not_modified, "etag"), etag, "{path}: a 304 names the tag");
            assert_eq!(header(&not_modified, "cache-control"), "public, no-cache");
            assert_eq!(header(&not_modified, "last-modified"), header(&headers, "last-modified"));
        }
        let (status, _, other_body) = read(&app, &path, &[("if-none-match", "\"something-else\"")]).await;
        assert_eq!(status, StatusCode::OK, "{path}: another tag gets the body");
        assert_eq!(other_body, body);
    }
    // Errors are not cached.
    let (status, headers, _) = read(&app, "/api/v1/work-items?colour=red", &[("if-none-match", "*")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(headers.get("etag").is_none());
}

async fn if_modified_since_at_or_after_last_modified_is_a_304(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in cacheable_paths(&app).await {
        let (_, headers, body) = read(&app, &path, &[]).await;
        let last_modified = header(&headers, "last-modified").to_owned();
        let (status, _, empty) = read(&app, &path, &[("if-modified-since", last_modified.as_str())]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{path} since its Last-Modified");
        assert!(empty.is_empty());
        let later = "Fri, 01 Jan 2100 00:00:00 GMT";
        assert_eq!(read(&app, &path, &[("if-modified-since", later)]).await.0, StatusCode::NOT_MODIFIED, "{path}");
        let earlier = "Sat, 01 Jan 2000 00:00:00 GMT";
        let (status, _, full) = read(&app, &path, &[("if-modified-since", earlier)]).await;
        assert_eq!((status, &full), (StatusCode::OK, &body), "{path} since 2000");
        // A date that is not one is ignored; If-None-Match wins over If-Modified-Since.
        assert_eq!(read(&app, &path, &[("if-modified-since", "yesterday")]).await.0, StatusCode::OK);
        let both = [("if-none-match", "\"stale\""), ("if-modified-since", later)];
        assert_eq!(read(&app, &path, &both).await.0, StatusCode::OK, "{path}: a stale tag wins over the date");
    }
}

async fn reads_with_a_token_are_cached_privately(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let bearer = format!("Bearer {token}");
    for path in cacheable_paths(&app).await {
        let (status, public, body) = read(&app, &path, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let (status, private, private_body) = read(&app, &path, &[("authorization", bearer.as_str())]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header(&private, "cache-control"), "private, no-cache", "{path}");
        assert_eq!(header(&public, "cache-control"), "public, no-cache", "{path}");
        assert_eq!((header(&private, "etag"), private_body), (header(&public, "etag"), body), "{path}");
        let etag = header(&private, "etag").to_owned();
        let (status, not_modified, _) =
            read(&app, &path, &[("authorization", bearer.as_str()), ("if-none-match", etag.as_str())]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(header(&not_modified, "cache-control"), "private, no-cache");
    }
}

async fn a_write_changes_the_etags_of_what_it_affects(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let items = app.get_all("/api/v1/work-items", &[("city", "330382")]).await;
    let (changed, untouched) = (items[0]["id"].as_str().expect("id"), items[1]["id"].as_str().expect("id"));
    let affected = [
        format!("/api/v1/work-items/{changed}"),
        "/api/v1/work-items?city=330382&limit=20".to_owned(),
        "/api/v1/work-items?format=ndjson&limit=500".to_owned(),
        "/api/v1/feeds/work-items".to_owned(),
        "/api/v1/stats/work-items?group_by=status".to_owned(),
        "/api/v1/stats/work-items?group_by=leader&city=330382".to_owned(),
        "/api/v1/changes?limit=1000".to_owned(),
    ];
    let unaffected = [
        format!("/api/v1/work-items/{untouched}"),
        "/api/v1/work-items?city=331083&limit=20".to_owned(),
        "/api/v1/stats/livelihood-projects?group_by=status".to_owned(),
    ];
    let mut before = Vec::new();
    for path in affected.iter().chain(&unaffected) {
        let (status, headers, _) = read(&app, path, &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        before.push((header(&headers, "etag").to_owned(), header(&headers, "last-modified").to_owned()));
    }
    // Last-Modified counts whole seconds: let one pass, so that the write's is later.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reply = app
        .send(
            Method::PATCH,
            &format!("/api/v1/work-items/{changed}"),
            Some(&token),
            Some(json!({"status": "in_progress", "progress": 20})),
            &[],
        )
        .await;
    reply.expect(StatusCode::OK);
    let written_tag = reply.etag();

    for (n, path) in affected.iter().chain(&unaffected).enumerate() {
        let (old_tag, old_date) = &before[n];
        let (status, headers, _) = read(&app, path, &[("if-none-match", old_tag.as_str())]).await;
        let is_affected = n < affected.len();
        if is_affected {
            assert_eq!(status, StatusCode::OK, "{path}: the old tag is stale after the write");
            assert_ne!(header(&headers, "etag"), old_tag, "{path}: a new tag");
            // The new tag is good for a 304 in turn.
            let new_tag = header(&headers, "etag").to_owned();
            assert_eq!(read(&app, path, &[("if-none-match", new_tag.as_str())]).await.0, StatusCode::NOT_MODIFIED);
        } else {
            assert_eq!(status, StatusCode::NOT_MODIFIED, "{path}: the write left it as it was");
        }
        let (status, headers, _) = read(&app, path, &[("if-modified-since", old_date.as_str())]).await;
        assert_eq!(status, StatusCode::OK, "{path}: modified since before the write");
        assert!(http_date(header(&headers, "last-modified")) > http_date(old_date), "{path}: Last-Modified moves on");
    }
    // The record's tag is the one the write answered with.
    let (_, headers, _) = read(&app, &affected[0], &[]).await;
    assert_eq!(header(&headers, "etag"), written_tag);
}

async fn representations_chosen_by_accept_vary_on_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = "/api/v1/work-items?city=331083&limit=5";
    let (_, json, json_body) = read(&app, path, &[]).await;
    let (status, csv, csv_body) = read(&app, path, &[("accept", "text/csv")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv_body.starts_with('\u{feff}') && json_body.starts_with('{'));
    // Each representation has a tag of its own, and one does not validate the other.
    let (json_tag, csv_tag) = (header(&json, "etag").to_owned(), header(&csv, "etag").to_owned());
    assert_ne!(json_tag, csv_tag);
    let (status, _, body) = read(&app, path, &[("accept", "text/csv"), ("if-none-match", json_tag.as_str())]).await;
    assert_eq!((status, body), (StatusCode::OK, csv_body));
    let (status, not_modified, _) =
        read(&app, path, &[("accept", "text/csv"), ("if-none-match", csv_tag.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // A shared cache must keep them apart: the answers say they vary by Accept.
    for headers in [&json, &csv, &not_modified] {
        let vary = headers.get("vary").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        assert!(vary.split(',').any(|v| v.trim() == "accept"), "Vary names Accept: {vary:?}");
    }
}

async fn head_answers_like_get_without_a_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in cacheable_paths(&app).await {
        let (_, get, _) = read(&app, &path, &[]).await;
        let response = app.client.head(format!("{}{path}", app.address)).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "HEAD {path}");
        assert_eq!(header(response.headers(), "etag"), header(&get, "etag"), "HEAD {path}");
        assert_eq!(header(response.headers(), "content-type"), header(&get, "content-type"), "HEAD {path}");
        assert!(response.text().await.expect("a body").is_empty());
        let etag = header(&get, "etag").to_owned();
        let response =
            app.client.head(format!("{}{path}", app.address)).header("if-none-match", etag).send().await.expect("sent");
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "HEAD {path} with its tag");
    }
}

async fn cors_preflight_allows_any_origin_and_the_api_methods(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let origin = "https://dashboard.example.gov.cn";
    for (path, method) in [
        ("/api/v1/work-items", "GET"),
        ("/api/v1/work-items/0190a0b0-0000-7000-8000-000000000000", "PATCH"),
        ("/api/v1/documents", "POST"),
        ("/api/v1/units/0190a0b0-0000-7000-8000-000000000000", "DELETE"),
    ] {
        let response = app
            .client
            .request(Method::OPTIONS, format!("{}{path}", app.address))
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "authorization, content-type, if-match, if-none-match")
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "preflight of {method} {path}");
        let headers = response.headers();
        assert_eq!(header(headers, "access-control-allow-origin"), "*");
        let methods = header(headers, "access-control-allow-methods").to_ascii_uppercase();
        for allowed in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            assert!(methods.contains(allowed), "{allowed} in {methods}");
        }
        let allowed_headers = header(headers, "access-control-allow-headers").to_ascii_lowercase();
        for name in ["authorization", "content-type", "if-match", "if-none-match"] {
            assert!(allowed_headers.contains(name), "{name} in {allowed_headers}");
        }
        assert!(header(headers, "access-control-max-age").parse::<u64>().is_ok_and(|age| age > 0));
    }
}

async fn cors_exposes_the_headers_clients_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let origin = ("origin", "https://portal.example.gov.cn");
    let (status, headers, _) = read(&app, "/api/v1/work-items?limit=5", &[origin]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    let exposed: Vec<String> =
        header(&headers, "access-control-expose-headers").split(',').map(|h| h.trim().to_ascii_lowercase()).collect();
    for name in ["etag", "link", "x-total-count", "last-modified"] {
        assert!(exposed.iter().any(|h| h == name), "{name} is exposed: {exposed:?}");
    }
    // A 304 carries them too, or a browser could not use its cached copy.
    let etag = header(&headers, "etag").to_owned();
    let (status, headers, _) =
        read(&app, "/api/v1/work-items?limit=5", &[origin, ("if-none-match", etag.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    // So does a problem.
    let (status, headers, _) = read(&app, "/api/v1/work-items?colour=red", &[origin]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
}
