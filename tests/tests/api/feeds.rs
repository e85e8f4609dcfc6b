//! JSON Feed 1.1 for portals: a valid feed, stable ids, newest change first, `next_url` paging,
//! the list filters, and the documents feed.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use sea_orm::prelude::ChronoDateTimeWithTimeZone;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, TestApp},
    on_both_backends,
};

on_both_backends!(
    the_work_item_feed_is_a_valid_json_feed,
    feed_ids_are_the_resource_ids_and_stay_the_same,
    feed_items_come_newest_change_first,
    next_url_walks_every_item_once,
    a_feed_read_by_cursor_links_its_next_page,
    feeds_filter_by_city_document_and_the_other_list_filters,
    the_documents_feed_lists_documents_with_their_filters,
    feeds_refuse_the_list_options_that_shape_other_formats,
);

/// `GET` of a feed by its full URL: asserts a 200 of `application/feed+json`; returns the body.
async fn feed_at(app: &TestApp, url: &str) -> Value {
    let response = app.client.get(url).send().await.expect("sent");
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.text().await.expect("a body");
    assert_eq!(status, StatusCode::OK, "GET {url}: {body}");
    assert!(content_type.starts_with("application/feed+json"), "GET {url}: {content_type}");
    serde_json::from_str(&body).expect("the feed is JSON")
}

/// `GET path?query` of a feed.
async fn feed(app: &TestApp, path: &str, query: &[(&str, &str)]) -> Value {
    let url = reqwest::Url::parse_with_params(&format!("{}{path}", app.address), query).expect("a URL");
    feed_at(app, url.as_str()).await
}

fn entries(feed: &Value) -> &[Value] {
    feed["items"].as_array().expect("items")
}

fn ids(entries: &[Value]) -> Vec<String> {
    entries.iter().map(|e| e["id"].as_str().expect("id").to_owned()).collect()
}

fn time(value: &Value) -> ChronoDateTimeWithTimeZone {
    ChronoDateTimeWithTimeZone::parse_from_rfc3339(value.as_str().expect("a date"))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
}

/// Every page of a feed, following `next_url`; returns the pages.
async fn walk(app: &TestApp, path: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let mut pages = vec![feed(app, path, query).await];
    while let Some(next) = pages.last().and_then(|p| p["next_url"].as_str()).map(str::to_owned) {
        assert!(next.starts_with(&app.address), "next_url is absolute: {next}");
        pages.push(feed_at(app, &next).await);
        assert!(pages.len() < 100, "the feed does not end");
    }
    pages
}

/// Asserts `feed` has what JSON Feed 1.1 requires and what this API promises of it.
async fn assert_valid_feed(app: &TestApp, feed: &Value, collection: &str) {
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert!(feed["title"].as_str().is_some_and(|t| !t.is_empty()), "a title: {}", feed["title"]);
    for field in ["home_page_url", "feed_url"] {
        let url = feed[field].as_str().unwrap_or_else(|| panic!("{field}"));
        assert!(url.starts_with(&format!("{}/api/v1/", app.address)), "{field} is absolute: {url}");
    }
    assert!(feed["description"].as_str().is_some_and(|d| !d.is_empty()));
    assert_eq!(feed["language"], "zh-CN");
    for entry in entries(feed) {
        // Required: id, and content_html or content_text.
        let id = entry["id"].as_str().expect("an id is a string");
        assert!(!id.is_empty());
        assert!(entry["content_text"].as_str().is_some_and(|t| !t.is_empty()), "{entry}");
        assert!(entry["title"].as_str().is_some_and(|t| !t.is_empty()), "{entry}");
        assert_eq!(entry["url"], format!("{}/api/v1/{collection}/{id}", app.address));
        assert!(time(&entry["date_published"]) <= time(&entry["date_modified"]));
        assert!(entry["tags"].as_array().is_some_and(|tags| tags.iter().all(Value::is_string)));
        assert_eq!(entry["_duban"]["id"], id, "the extension carries the resource");
        assert_eq!(time(&entry["date_modified"]), time(&entry["_duban"]["updated_at"]));
    }
    // The url of an entry is the resource itself.
    if let Some(entry) = entries(feed).first() {
        let url = entry["url"].as_str().expect("url");
        let path = url.strip_prefix(&app.address).expect("on this server");
        assert_eq!(app.get_ok(path, &[]).await, entry["_duban"]);
    }
}

async fn the_work_item_feed_is_a_valid_json_feed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let work_items = feed(&app, "/api/v1/feeds/work-items", &[]).await;
    assert_valid_feed(&app, &work_items, "work-items").await;
    assert_eq!(entries(&work_items).len(), 50, "the default page");
    assert!(work_items["next_url"].is_string());
    assert_eq!(work_items["feed_url"], format!("{}/api/v1/feeds/work-items", app.address));
    assert_eq!(work_items["home_page_url"], format!("{}/api/v1/work-items", app.address));
    let entry = &entries(&work_items)[0];
    let item = &entry["_duban"];
    assert!(entry["content_text"].as_str().expect("text").starts_with(item["content"].as_str().expect("content")));
    let tags: Vec<&str> = entry["tags"].as_array().expect("tags").iter().map(|t| t.as_str().expect("a tag")).collect();
    assert!(tags.contains(&item["city"]["name"].as_str().expect("name")), "{tags:?}");
    assert!(tags.contains(&item["status"].as_str().expect("status")), "{tags:?}");
    assert_eq!(time(&entry["date_published"]), time(&item["created_at"]));

    let projects = feed(&app, "/api/v1/feeds/livelihood-projects", &[("limit", "100")]).await;
    assert_valid_feed(&app, &projects, "livelihood-projects").await;
    assert_eq!(entries(&projects).len(), 62);
    assert!(projects.get("next_url").is_none(), "no next_url on the last page: {}", projects["next_url"]);
    let documents = feed(&app, "/api/v1/feeds/documents", &[]).await;
    assert_valid_feed(&app, &documents, "documents").await;
    // The feed URL is the request's own, with its query.
    let filtered = feed(&app, "/api/v1/feeds/work-items", &[("city", "331083"), ("limit", "5")]).await;
    let feed_url = filtered["feed_url"].as_str().expect("feed_url");
    assert!(feed_url.contains("city=331083") && feed_url.contains("limit=5"), "{feed_url}");
}

async fn feed_ids_are_the_resource_ids_and_stay_the_same(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = walk(&app, "/api/v1/feeds/work-items", &[("limit", "100")]).await;
    let again = walk(&app, "/api/v1/feeds/work-items", &[("limit", "100")]).await;
    let first_ids: Vec<String> = first.iter().flat_map(|p| ids(entries(p))).collect();
    let again_ids: Vec<String> = again.iter().flat_map(|p| ids(entries(p))).collect();
    assert_eq!(first_ids, again_ids, "two reads give the same ids in the same order");
    let unique: BTreeSet<&String> = first_ids.iter().collect();
    assert_eq!(unique.len(), 299, "ids are unique");
    let listed: BTreeSet<String> =
        app.get_all("/api/v1/work-items", &[]).await.iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(unique.into_iter().cloned().collect::<BTreeSet<_>>(), listed, "an entry's id is its resource's");
    // A change keeps the id and moves the entry to the top.
    let token = app.admin_token().await;
    let changed = &first_ids[120];
    let reply = app
        .send(Method::PATCH, &format!("/api/v1/work-items/{changed}"), Some(&token), Some(json!({"progress": 50})), &[])
        .await;
    reply.expect(StatusCode::OK);
    let now = feed(&app, "/api/v1/feeds/work-items", &[("limit", "3")]).await;
    assert_eq!(&ids(entries(&now))[0], changed);
    assert_eq!(entries(&now)[0]["_duban"]["progress"], 50);
}

async fn feed_items_come_newest_change_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let items = app.get_all("/api/v1/work-items", &[]).await;
    let changed: Vec<String> =
        [7, 70, 170, 270].iter().map(|n| items[*n]["id"].as_str().expect("id").to_owned()).collect();
    for (n, id) in changed.iter().enumerate() {
        let body = json!({"status": "in_progress", "progress": 10 * (n + 1)});
        app.send(Method::PATCH, &format!("/api/v1/work-items/{id}"), Some(&token), Some(body), &[])
            .await
            .expect(StatusCode::OK);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let pages = walk(&app, "/api/v1/feeds/work-items", &[("limit", "60")]).await;
    let all: Vec<Value> = pages.iter().flat_map(|p| entries(p).to_vec()).collect();
    assert_eq!(all.len(), 299);
    let dates: Vec<ChronoDateTimeWithTimeZone> = all.iter().map(|e| time(&e["date_modified"])).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "date_modified descends across pages");
    let newest: Vec<String> = ids(&all[..4]);
    let mut expected = changed.clone();
    expected.reverse();
    assert_eq!(newest, expected, "the last change first");
    // The same for livelihood projects, and an explicit sort is honoured.
    let projects = feed(&app, "/api/v1/feeds/livelihood-projects", &[("limit", "100")]).await;
    let dates: Vec<ChronoDateTimeWithTimeZone> = entries(&projects).iter().map(|e| time(&e["date_modified"])).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    let by_progress = feed(&app, "/api/v1/feeds/work-items", &[("sort", "-progress"), ("limit", "4")]).await;
    let progress: Vec<i64> =
        entries(&by_progress).iter().map(|e| e["_duban"]["progress"].as_i64().expect("progress")).collect();
    assert_eq!(progress, [40, 30, 20, 10]);
}

async fn next_url_walks_every_item_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (path, limit, count, filters) in [
        ("/api/v1/feeds/work-items", "37", 299_usize, vec![]),
        ("/api/v1/feeds/work-items", "50", 134, vec![("city", "331083")]),
        ("/api/v1/feeds/livelihood-projects", "10", 62, vec![]),
        ("/api/v1/feeds/livelihood-projects", "7", 48, vec![("city", "330382")]),
    ] {
        let mut query = filters.clone();
        query.push(("limit", limit));
        let pages = walk(&app, path, &query).await;
        let limit: usize = limit.parse().expect("a number");
        assert_eq!(pages.len(), count.div_ceil(limit), "{path} {filters:?}");
        for (n, page) in pages.iter().enumerate() {
            let last = n + 1 == pages.len();
            assert_eq!(page["next_url"].is_string(), !last, "{path}: page {n}");
            if !last {
                assert_eq!(entries(page).len(), limit);
                let next = page["next_url"].as_str().expect("next_url");
                for (key, value) in &filters {
                    assert!(next.contains(&format!("{key}={value}")), "next_url keeps the filters: {next}");
                }
            }
        }
        let all: Vec<String> = pages.iter().flat_map(|p| ids(entries(p))).collect();
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!((all.len(), unique.len()), (count, count), "{path} {filters:?}: each item once");
    }
}

async fn a_feed_read_by_cursor_links_its_next_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A feed sorts by -updated_at: a cursor of the list in that sort continues it.
    let list = app.get_ok("/api/v1/work-items", &[("sort", "-updated_at"), ("limit", "20")]).await;
    let cursor = list["next_cursor"].as_str().expect("a cursor");
    let page = feed(&app, "/api/v1/feeds/work-items", &[("cursor", cursor), ("limit", "20")]).await;
    let offset_page = feed(&app, "/api/v1/feeds/work-items", &[("offset", "20"), ("limit", "20")]).await;
    assert_eq!(ids(entries(&page)), ids(entries(&offset_page)), "the cursor continues after the list's page");
    let next = page["next_url"].as_str().expect("more follow");
    let response = app.client.get(next).send().await.expect("sent");
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert_eq!(status, StatusCode::OK, "GET {next}: {body}");
    let next_page: Value = serde_json::from_str(&body).expect("JSON");
    let third = feed(&app, "/api/v1/feeds/work-items", &[("offset", "40"), ("limit", "20")]).await;
    assert_eq!(ids(entries(&next_page)), ids(entries(&third)), "next_url continues after the cursor's page");
}

async fn feeds_filter_by_city_document_and_the_other_list_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let yuhuan = feed(&app, "/api/v1/feeds/work-items", &[("city", "331083"), ("limit", "500")]).await;
    assert_eq!(entries(&yuhuan).len(), 134);
    assert!(entries(&yuhuan).iter().all(|e| e["_duban"]["city"]["code"] == "331083"));
    assert!(entries(&yuhuan).iter().all(|e| e["tags"].as_array().expect("tags").contains(&json!("玉环市"))));
    let documents = app.get_all("/api/v1/documents", &[]).await;
    for document in &documents {
        let id = document["id"].as_str().expect("id");
        let sections = document["sections"].as_array().expect("sections");
        let count = |kind: &str| -> u64 {
            sections.iter().filter(|s| s["kind"] == kind).map(|s| s["item_count"].as_u64().expect("count")).sum()
        };
        for (path, kind) in
            [("/api/v1/feeds/work-items", "work_item"), ("/api/v1/feeds/livelihood-projects", "livelihood_project")]
        {
            let of_document = feed(&app, path, &[("document", id), ("limit", "500")]).await;
            assert_eq!(entries(&of_document).len() as u64, count(kind), "{path} of {}", document["doc_number"]);
            assert!(entries(&of_document).iter().all(|e| e["_duban"]["document_id"] == id));
        }
    }
    // Any list filter: the feed holds what the list holds.
    for query in [
        vec![("leader", "何学考")],
        vec![("q", "停车")],
        vec![("unit", "市交通运输局"), ("unit_role", "lead")],
        vec![("period", "2021-2025"), ("has_remarks", "true")],
    ] {
        let listed: BTreeSet<String> = app
            .get_all("/api/v1/work-items", &query)
            .await
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_owned())
            .collect();
        let mut with_limit = query.clone();
        with_limit.push(("limit", "500"));
        let fed: BTreeSet<String> =
            ids(entries(&feed(&app, "/api/v1/feeds/work-items", &with_limit).await)).into_iter().collect();
        assert!(!fed.is_empty());
        assert_eq!(fed, listed, "{query:?}");
    }
    let problem = app.get_problem("/api/v1/feeds/work-items", &[("city", "Yueqing")], StatusCode::BAD_REQUEST).await;
    assert!(problem.to_string().contains("city"), "{problem}");
    app.get_problem("/api/v1/feeds/livelihood-projects", &[("colour", "red")], StatusCode::BAD_REQUEST).await;
}

async fn the_documents_feed_lists_documents_with_their_filters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let all = feed(&app, "/api/v1/feeds/documents", &[]).await;
    assert_valid_feed(&app, &all, "documents").await;
    assert_eq!(entries(&all).len(), 2);
    for entry in entries(&all) {
        let id = entry["id"].as_str().expect("id");
        let document = app.get_ok(&format!("/api/v1/documents/{id}"), &[]).await;
        assert_eq!(entry["_duban"], document);
        let title = entry["title"].as_str().expect("title");
        assert!(title.contains(document["doc_number"].as_str().expect("doc_number")), "{title}");
        assert!(entry["tags"].as_array().expect("tags").contains(&document["city"]["name"]));
    }
    // Yuhuan's says when it was published online.
    let yuhuan = entries(&all).iter().find(|e| e["_duban"]["doc_number"] == "玉政办发〔2021〕9号").expect("Yuhuan's");
    assert_eq!(time(&yuhuan["date_published"]), time(&json!("2021-03-16T05:49:00Z")));
    let only = |query: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            let fed = feed(app, "/api/v1/feeds/documents", query).await;
            entries(&fed)
                .iter()
                .map(|e| e["_duban"]["doc_number"].as_str().expect("doc_number").to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only(&[("city", "330382")]).await, ["乐政办函〔2021〕7号"]);
    assert_eq!(only(&[("issued_from", "2021-04-01")]).await, ["乐政办函〔2021〕7号"]);
    assert_eq!(only(&[("issued_to", "2021-03-31")]).await, ["玉政办发〔2021〕9号"]);
    assert_eq!(only(&[("q", "玉政办发")]).await, ["玉政办发〔2021〕9号"]);
    assert!(only(&[("year", "2020")]).await.is_empty());
    let paged = feed(&app, "/api/v1/feeds/documents", &[("limit", "1")]).await;
    assert_eq!(entries(&paged).len(), 1);
    let next = feed_at(&app, paged["next_url"].as_str().expect("next_url")).await;
    assert_eq!(entries(&next).len(), 1);
    assert_ne!(entries(&next)[0]["id"], entries(&paged)[0]["id"]);
    assert!(next.get("next_url").is_none());
}

async fn feeds_refuse_the_list_options_that_shape_other_formats(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/feeds/work-items", "/api/v1/feeds/livelihood-projects", "/api/v1/feeds/documents"] {
        for (name, value) in [("fields", "id"), ("include", "city"), ("format", "csv")] {
            let problem = app.get_problem(path, &[(name, value)], StatusCode::BAD_REQUEST).await;
            assert!(problem.to_string().contains(name), "{path}?{name}: {problem}");
        }
        app.get_problem(path, &[("limit", "0")], StatusCode::BAD_REQUEST).await;
    }
}
