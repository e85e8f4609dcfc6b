//! Optimistic concurrency: ETags, `If-Match`, and writers racing each other.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, Reply, TestApp, UserRole},
    on_both_backends,
};

on_both_backends!(
    a_stale_if_match_is_a_412_that_changes_nothing,
    a_current_tag_a_star_or_no_if_match_lets_the_write_through,
    etags_are_strong_and_follow_every_change,
    of_two_concurrent_updates_with_one_tag_exactly_one_wins,
    concurrent_writes_without_if_match_all_land_in_the_log,
);

/// A work item as PUT takes it, from how GET shows it.
pub(crate) fn work_item_input(item: &Value) -> Value {
    let units: Vec<Value> = item["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| json!({"unit": u["id"], "role": u["role"], "note": u["note"]}))
        .collect();
    json!({
        "section": item["section"]["id"], "group": item["group"], "seq": item["seq"], "content": item["content"],
        "leader": item["leader"]["id"], "units": units, "remarks": item["remarks"], "status": item["status"],
        "progress": item["progress"], "progress_note": item["progress_note"]
    })
}

/// The first record of a list, as `/api/v1/{collection}/{id}`.
async fn first(app: &TestApp, collection: &str, query: &[(&str, &str)]) -> String {
    let mut query = query.to_vec();
    query.push(("limit", "1"));
    let page = app.get_ok(&format!("/api/v1/{collection}"), &query).await;
    format!("/api/v1/{collection}/{}", page["items"][0]["id"].as_str().expect("id"))
}

/// A record and its history as an admin sees them.
async fn state(app: &TestApp, token: &str, path: &str) -> (Value, String, Value) {
    let reply = app.send(Method::GET, path, Some(token), None, &[]).await;
    let history = app.send(Method::GET, &format!("{path}/revisions"), Some(token), None, &[]).await;
    (reply.expect(StatusCode::OK).clone(), reply.etag(), history.expect(StatusCode::OK)["total"].clone())
}

fn if_match(tag: &str) -> [(&str, &str); 1] {
    [("if-match", tag)]
}

async fn a_stale_if_match_is_a_412_that_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let viewer = app.session(UserRole::Viewer, None).await;
    let yueqing = app.get_ok("/api/v1/cities/330382", &[]).await["id"].as_str().expect("id").to_owned();
    let records: Vec<(String, Value, Value)> = vec![
        (first(&app, "work-items", &[("city", "330382")]).await, json!({"progress": 10}), json!({"progress": 20})),
        (first(&app, "livelihood-projects", &[]).await, json!({"status": "delayed"}), json!({"status": "cancelled"})),
        (first(&app, "documents", &[]).await, json!({"cc": "甲"}), json!({"cc": "乙"})),
        (first(&app, "sections", &[]).await, json!({"title": "甲"}), json!({"title": "乙"})),
        (first(&app, "leaders", &[]).await, json!({"title": "甲"}), json!({"title": "乙"})),
        (first(&app, "units", &[]).await, json!({"name": "测试甲"}), json!({"name": "测试乙"})),
        (format!("/api/v1/cities/{yueqing}"), json!({"name_en": "A"}), json!({"name_en": "B"})),
        (format!("/api/v1/users/{}", viewer.id), json!({"role": "editor"}), json!({"disabled": true})),
    ];
    for (path, first_change, second_change) in records {
        let (_, read_tag, _) = state(&app, &admin, &path).await;
        let reply = app.send(Method::PATCH, &path, Some(&admin), Some(first_change), &if_match(&read_tag)).await;
        reply.expect(StatusCode::OK);
        let current = reply.etag();
        assert_ne!(current, read_tag, "{path}: the change made a new version");
        let before = state(&app, &admin, &path).await;
        assert_eq!((&before.0, &before.1), (&reply.body, &current), "{path}: the answer is what GET shows");

        // Every write based on the version read before is refused, and changes nothing.
        let stale = if_match(&read_tag);
        let mut refused = vec![
            app.send(Method::PATCH, &path, Some(&admin), Some(second_change.clone()), &stale).await,
            app.send(Method::DELETE, &path, Some(&admin), None, &stale).await,
            app.send(Method::DELETE, &format!("{path}?cascade=true"), Some(&admin), None, &stale).await,
        ];
        if path.contains("/work-items/") {
            let body = work_item_input(&before.0);
            refused.push(app.send(Method::PUT, &path, Some(&admin), Some(body), &stale).await);
        }
        for reply in refused {
            assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED, "{path}: {}", reply.body);
            reply.problem(StatusCode::PRECONDITION_FAILED);
        }
        assert_eq!(state(&app, &admin, &path).await, before, "{path}: a 412 changes nothing");

        // Based on the current version, the same change goes through.
        let reply = app.send(Method::PATCH, &path, Some(&admin), Some(second_change), &if_match(&current)).await;
        reply.expect(StatusCode::OK);
        assert_ne!(reply.etag(), current);
    }
}

async fn a_current_tag_a_star_or_no_if_match_lets_the_write_through(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some("331083")).await;
    let path = first(&app, "work-items", &[("city", "331083")]).await;
    let (_, tag, _) = state(&app, &editor, &path).await;

    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 10})), &if_match("*")).await;
    assert_eq!(reply.expect(StatusCode::OK)["progress"], 10);
    // `*` matches whatever the version, even one this client never saw.
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 20})), &if_match("*")).await;
    assert_eq!(reply.expect(StatusCode::OK)["progress"], 20);
    // No If-Match: the write is not conditional.
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 30})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["progress"], 30);
    let current = reply.etag();
    // A list of tags matches when one of them is current.
    let list = format!("{tag}, {current}");
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 40})), &if_match(&list)).await;
    assert_eq!(reply.expect(StatusCode::OK)["progress"], 40);
    let current = reply.etag();
    // If-Match compares strongly: a weak form of the current tag does not match.
    let weak = format!("W/{current}");
    for tag in [weak.as_str(), "\"\""] {
        let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 50})), &if_match(tag)).await;
        assert_eq!(reply.status, StatusCode::PRECONDITION_FAILED, "If-Match: {tag}: {}", reply.body);
        reply.problem(StatusCode::PRECONDITION_FAILED);
    }
    // Nor does a tag without its quotes, which is no entity tag at all (a 400 or a 412).
    let unquoted = current.trim_matches('"');
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"progress": 50})), &if_match(unquoted)).await;
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::PRECONDITION_FAILED].contains(&reply.status),
        "If-Match: {unquoted}: {}",
        reply.body
    );
    reply.problem(reply.status);
    assert_eq!(app.get_ok(&path, &[]).await["progress"], 40);

    // DELETE with the current tag, and with `*`.
    let reply = app.send(Method::DELETE, &path, Some(&editor), None, &if_match(&current)).await;
    reply.expect(StatusCode::NO_CONTENT);
    app.get_problem(&path, &[], StatusCode::NOT_FOUND).await;
    let other = first(&app, "livelihood-projects", &[("city", "331083")]).await;
    app.send(Method::DELETE, &other, Some(&editor), None, &if_match("*")).await.expect(StatusCode::NO_CONTENT);
    app.get_problem(&other, &[], StatusCode::NOT_FOUND).await;
}

async fn etags_are_strong_and_follow_every_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    for collection in ["work-items", "livelihood-projects", "documents", "sections", "leaders", "units", "cities"] {
        let path = first(&app, collection, &[]).await;
        let a = app.get(&path, &[]).await;
        let b = app.get(&path, &[]).await;
        let (a, b) = (header(&a, "etag"), header(&b, "etag"));
        assert_eq!(a, b, "{path}: the same version has the same tag");
        assert!(!a.starts_with("W/") && a.starts_with('"') && a.ends_with('"'), "{path}: a strong tag: {a}");
    }
    // A change shows in the tag; changing it back gives back the old tag, as the same content.
    let path = first(&app, "leaders", &[]).await;
    let (original, tag, _) = state(&app, &admin, &path).await;
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"title": "临时"})), &[]).await;
    assert_ne!(reply.etag(), tag);
    let reply = app.send(Method::PATCH, &path, Some(&admin), Some(json!({"title": original["title"]})), &[]).await;
    let (now, now_tag, _) = state(&app, &admin, &path).await;
    assert_eq!(reply.etag(), now_tag);
    assert_eq!(now["title"], original["title"]);
    // The user list and a user carry tags too.
    let someone = app.session(UserRole::Viewer, None).await;
    let reply = app.send(Method::GET, &format!("/api/v1/users/{}", someone.id), Some(&admin), None, &[]).await;
    assert!(reply.expect(StatusCode::OK).is_object());
    assert!(reply.etag().starts_with('"'));
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("no {name}")).to_owned()
}

/// Sends two writes at the same time, and returns their answers.
async fn race(
    app: &TestApp,
    token: &str,
    path: &str,
    tag: &str,
    first: (Method, Value),
    second: (Method, Value),
) -> (Reply, Reply) {
    let headers = if_match(tag);
    let a = app.spawn_send(first.0, path, Some(token), Some(first.1), &headers);
    let b = app.spawn_send(second.0, path, Some(token), Some(second.1), &headers);
    let (a, b) = tokio::join!(a, b);
    (a.expect("the first write ran"), b.expect("the second write ran"))
}

/// Asserts exactly one of two raced writes won, that the record is the winner's, and that the
/// race recorded one revision; returns the winner's answer.
async fn assert_one_winner(
    app: &TestApp,
    token: &str,
    path: &str,
    before: &(Value, String, Value),
    replies: (Reply, Reply),
) {
    let mut statuses = [replies.0.status, replies.1.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::PRECONDITION_FAILED],
        "{path}: {} and {}",
        replies.0.body,
        replies.1.body
    );
    let (winner, loser) = if replies.0.status == StatusCode::OK { replies } else { (replies.1, replies.0) };
    loser.problem(StatusCode::PRECONDITION_FAILED);
    let after = state(app, token, path).await;
    assert_eq!((&after.0, &after.1), (&winner.body, &winner.etag()), "{path}: the record is the winner's");
    let revisions = |s: &(Value, String, Value)| s.2.as_u64().expect("total");
    assert_eq!(revisions(&after), revisions(before) + 1, "{path}: only the winner left a revision");
}

async fn of_two_concurrent_updates_with_one_tag_exactly_one_wins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some("330382")).await;
    let path = first(&app, "work-items", &[("city", "330382")]).await;
    for round in 0..5 {
        let before = state(&app, &editor, &path).await;
        let a = json!({"progress": 10 + round, "progress_note": format!("甲{round}")});
        let b = json!({"progress": 60 + round, "progress_note": format!("乙{round}")});
        let replies = race(&app, &editor, &path, &before.1, (Method::PATCH, a), (Method::PATCH, b)).await;
        assert_one_winner(&app, &editor, &path, &before, replies).await;
    }

    // A replacement racing a patch: the same.
    for round in 0..3 {
        let before = state(&app, &editor, &path).await;
        let mut put = work_item_input(&before.0);
        put["remarks"] = json!(format!("整体替换{round}"));
        let patch = json!({"status": "delayed", "progress": 90 - round});
        let replies = race(&app, &editor, &path, &before.1, (Method::PUT, put), (Method::PATCH, patch)).await;
        assert_one_winner(&app, &editor, &path, &before, replies).await;
    }

    // And on a record of another kind.
    let leader = first(&app, "leaders", &[("city", "330382")]).await;
    for round in 0..3 {
        let before = state(&app, &editor, &leader).await;
        let a = json!({"title": format!("甲{round}")});
        let b = json!({"title": format!("乙{round}")});
        let replies = race(&app, &editor, &leader, &before.1, (Method::PATCH, a), (Method::PATCH, b)).await;
        assert_one_winner(&app, &editor, &leader, &before, replies).await;
    }
}

async fn concurrent_writes_without_if_match_all_land_in_the_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.token(UserRole::Editor, Some("330382")).await;
    let paths = app.work_item_paths(&[("city", "330382"), ("limit", "8")]).await;
    let revisions = app.revision_count().await;

    // Eight items at once, and two fields of one more item by two writers at once.
    let mut handles: Vec<_> = paths
        .iter()
        .zip(1..)
        .map(|(path, n)| app.spawn_send(Method::PATCH, path, Some(&editor), Some(json!({"progress": n * 10})), &[]))
        .collect();
    let shared = &paths[0];
    handles.push(app.spawn_send(Method::PATCH, shared, Some(&editor), Some(json!({"remarks": "并发备注"})), &[]));
    handles.push(app.spawn_send(Method::PATCH, shared, Some(&editor), Some(json!({"status": "in_progress"})), &[]));
    for reply in futures::future::join_all(handles).await {
        let reply = reply.expect("the write ran");
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    for (path, n) in paths.iter().zip(1..) {
        assert_eq!(app.get_ok(path, &[]).await["progress"], n * 10, "{path}");
    }
    let item = app.get_ok(shared, &[]).await;
    assert_eq!(
        (&item["remarks"], &item["status"]),
        (&json!("并发备注"), &json!("in_progress")),
        "neither write was lost"
    );
    assert_eq!(app.revision_count().await, revisions + 10, "one revision per write");

    // The log is numbered without gaps or repeats, as a change feed must be.
    use sea_orm::{EntityTrait, QueryOrder};
    let log = entity::revision::Entity::find()
        .order_by_asc(entity::revision::Column::Seq)
        .all(&app.db)
        .await
        .expect("the log is read");
    let seqs: Vec<i64> = log.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
}
