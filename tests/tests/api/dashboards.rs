//! What dashboards ask of the lists and aggregates: the multi-value and range filters, Chinese
//! search and its index, sorting on several fields, picked fields and embedded resources, skipped
//! counts, keyset paging while others write, CSV and NDJSON exports, and every aggregate checked
//! against counts made here from the JSON lists.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait, prelude::ChronoDateTimeWithTimeZone};
use serde_json::{Value, json};

use crate::{
    concurrency::work_item_input,
    helpers::{Backend, Method, TestApp, UserRole},
    on_both_backends,
    writes::{Fixture, Kind},
};

on_both_backends!(
    status_leader_and_unit_filters_take_any_of_several_values,
    updated_since_and_updated_before_bracket_a_write,
    has_remarks_splits_the_items_in_two,
    progress_min_and_max_bound_the_progress,
    documents_filter_by_issue_date_range,
    filters_combine_as_all_of,
    q_finds_chinese_substrings_of_any_length_in_content_remarks_and_unit_names,
    two_character_search_is_exact_and_uses_the_gin_index_on_postgres,
    one_character_search_finds_a_character_that_only_ends_a_text,
    the_search_index_merges_edits_at_a_small_pending_list_on_postgres,
    edits_reach_the_search_index_in_the_background_not_in_the_write,
    sort_orders_by_several_fields_in_turn,
    sort_takes_only_what_the_document_lists,
    fields_keep_only_the_named_fields_and_the_id,
    include_embeds_the_full_document_and_city,
    count_none_skips_the_total_and_its_header,
    cursor_paging_sees_every_lasting_row_once_while_others_are_inserted_and_deleted,
    cursor_paging_gives_the_offset_order_for_every_sort,
    a_units_items_come_in_document_order_and_follow_an_item_that_moves,
    cursors_belong_to_their_sort_and_skip_with_offsets,
    csv_export_reads_back_as_the_json_rows,
    ndjson_lines_parse_to_the_json_items,
    every_list_answers_the_same_rows_at_its_csv_ndjson_and_partial_json_paths,
    partial_json_needs_fields_that_the_record_has,
    stats_of_every_grouping_match_counts_made_from_the_lists,
    stats_of_units_with_filters_count_only_the_matching_rows,
    stats_follow_status_and_progress_changes,
    unit_stats_from_tallies_follow_every_kind_of_write,
    stats_need_a_known_group_by,
);

const STATUSES: [&str; 5] = ["not_started", "in_progress", "completed", "delayed", "cancelled"];

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect()
}

fn id_set(items: &[Value]) -> BTreeSet<String> {
    ids(items).into_iter().collect()
}

/// The ids of `items` that `keep` accepts.
fn ids_where(items: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    items.iter().filter(|i| keep(i)).map(|i| i["id"].as_str().expect("id").to_owned()).collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

fn units_of(item: &Value) -> &[Value] {
    item["units"].as_array().map_or(&[], Vec::as_slice)
}

fn time(value: &Value) -> ChronoDateTimeWithTimeZone {
    ChronoDateTimeWithTimeZone::parse_from_rfc3339(value.as_str().expect("a time"))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
}

/// `(first year, last year)` of a `period`.
fn years(period: &Value) -> (i64, i64) {
    let text = period.as_str().expect("a period");
    let (first, last) = text.split_once('-').unwrap_or((text, text));
    (first.parse().expect("a year"), last.parse().expect("a year"))
}

/// `PATCH /api/v1/{collection}/{id}` as an admin; returns the new record.
async fn patch(app: &TestApp, token: &str, collection: &str, id: &str, body: Value) -> Value {
    let reply = app.send(Method::PATCH, &format!("/api/v1/{collection}/{id}"), Some(token), Some(body), &[]).await;
    reply.expect(StatusCode::OK).clone()
}

/// The id of a section of Yueqing's document: `number` 2 is the 2021 work plan, 3 the
/// livelihood projects.
async fn yueqing_section(app: &TestApp, number: i64) -> String {
    let sections = app.get_all("/api/v1/sections", &[("city", "330382")]).await;
    let section = sections.iter().find(|s| s["number"] == number).expect("the section");
    section["id"].as_str().expect("id").to_owned()
}

/// `rel` → URL of a `Link` header.
fn link_rels(header: &str) -> BTreeMap<String, String> {
    header
        .split(", ")
        .map(|part| {
            let (url, rel) = part.split_once(">; rel=\"").unwrap_or_else(|| panic!("a link: {part}"));
            (rel.trim_end_matches('"').to_owned(), url.trim_start_matches('<').to_owned())
        })
        .collect()
}

/// Asserts the `Link` header names the same pages as the body's `links`.
fn assert_link_header_matches_body(header: &str, body: &Value) {
    let body_links: BTreeMap<String, String> = body["links"]
        .as_object()
        .expect("links")
        .iter()
        .map(|(rel, url)| (rel.clone(), url.as_str().expect("a URL").to_owned()))
        .collect();
    assert_eq!(link_rels(header), body_links, "Link: {header}");
}

async fn status_leader_and_unit_filters_take_any_of_several_values(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let (a, b, c) = (
        all[3]["id"].as_str().expect("id"),
        all[150]["id"].as_str().expect("id"),
        all[298]["id"].as_str().expect("id"),
    );
    patch(&app, &token, "work-items", a, json!({"status": "in_progress"})).await;
    patch(&app, &token, "work-items", b, json!({"status": "completed"})).await;
    patch(&app, &token, "work-items", c, json!({"status": "delayed"})).await;

    let both = app.get_all("/api/v1/work-items", &[("status", "in_progress,completed")]).await;
    assert_eq!(id_set(&both), BTreeSet::from([a.to_owned(), b.to_owned()]));
    let repeated = app.get_all("/api/v1/work-items", &[("status", "in_progress"), ("status", "completed")]).await;
    assert_eq!(id_set(&repeated), id_set(&both));
    assert_eq!(app.count("/api/v1/work-items", &[("status", "completed,delayed,cancelled")]).await, 2);
    assert_eq!(app.count("/api/v1/work-items", &[("status", "not_started")]).await, 296);
    app.get_problem("/api/v1/work-items", &[("status", "in_progress,finished")], StatusCode::BAD_REQUEST).await;

    // Leaders: names and ids mixed, any of them.
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let led_by = |names: &[&str]| ids_where(&all, |i| names.contains(&text(&i["leader"]["name"])));
    let zhou = all.iter().find(|i| i["leader"]["name"] == "周阳").expect("周阳 leads")["leader"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let by_names = app.get_all("/api/v1/work-items", &[("leader", "何学考,周阳,陈康")]).await;
    assert_eq!(id_set(&by_names), led_by(&["何学考", "周阳", "陈康"]));
    let mixed =
        app.get_all("/api/v1/work-items", &[("leader", "何学考"), ("leader", zhou.as_str()), ("leader", "陈康")]).await;
    assert_eq!(id_set(&mixed), id_set(&by_names));
    assert_eq!(
        app.count("/api/v1/work-items", &[("leader", "何学考,无此人")]).await,
        led_by(&["何学考"]).len() as u64,
        "an unknown name adds nothing"
    );

    // Units: any of several, in a role.
    let names_unit = |i: &Value, names: &[&str], role: Option<&str>| {
        units_of(i).iter().any(|u| names.contains(&text(&u["name"])) && role.is_none_or(|r| u["role"] == r))
    };
    let units = ["市发改局", "市交通运输局"];
    let any = app.get_all("/api/v1/work-items", &[("unit", "市发改局,市交通运输局")]).await;
    assert_eq!(id_set(&any), ids_where(&all, |i| names_unit(i, &units, None)));
    let repeated = app.get_all("/api/v1/work-items", &[("unit", "市发改局"), ("unit", "市交通运输局")]).await;
    assert_eq!(id_set(&repeated), id_set(&any));
    let leading = app.get_all("/api/v1/work-items", &[("unit", "市发改局,市交通运输局"), ("unit_role", "lead")]).await;
    assert_eq!(id_set(&leading), ids_where(&all, |i| names_unit(i, &units, Some("lead"))));
    assert!(!leading.is_empty() && leading.len() < any.len());
    let projects = app.get_all("/api/v1/livelihood-projects", &[]).await;
    let either = app.get_all("/api/v1/livelihood-projects", &[("unit", "市卫生健康局,市市场监管局")]).await;
    assert_eq!(id_set(&either), ids_where(&projects, |i| names_unit(i, &["市卫生健康局", "市市场监管局"], None)));
    assert!(!either.is_empty());
}

async fn updated_since_and_updated_before_bracket_a_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let seeded_last = all.iter().map(|i| time(&i["updated_at"])).max().expect("items");
    // The writes come strictly after the seed, whatever the clock's resolution.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let first = patch(&app, &token, "work-items", all[10]["id"].as_str().expect("id"), json!({"progress": 5})).await;
    let second = patch(&app, &token, "work-items", all[200]["id"].as_str().expect("id"), json!({"progress": 6})).await;
    let changed =
        BTreeSet::from([first["id"].as_str().expect("id").to_owned(), second["id"].as_str().expect("id").to_owned()]);
    let since = first["updated_at"].as_str().expect("updated_at");
    assert!(time(&first["updated_at"]) > seeded_last);

    let recent = app.get_all("/api/v1/work-items", &[("updated_since", since)]).await;
    assert_eq!(id_set(&recent), changed, "updated_since is inclusive");
    let older = app.get_all("/api/v1/work-items", &[("updated_before", since)]).await;
    assert_eq!(older.len(), 297, "updated_before is exclusive");
    assert!(older.iter().all(|i| !changed.contains(i["id"].as_str().expect("id"))));
    let second_at = second["updated_at"].as_str().expect("updated_at");
    let window = app.get_all("/api/v1/work-items", &[("updated_since", since), ("updated_before", second_at)]).await;
    assert_eq!(ids(&window), [first["id"].as_str().expect("id")]);
    // An offset other than Z means the same instant.
    let seed_time = all[0]["updated_at"].as_str().expect("updated_at");
    let shifted = time(&all[0]["updated_at"])
        .with_timezone(&sea_orm::sqlx::types::chrono::FixedOffset::east_opt(8 * 3600).expect("an offset"))
        .to_rfc3339();
    assert_eq!(
        app.count("/api/v1/work-items", &[("updated_since", shifted.as_str())]).await,
        app.count("/api/v1/work-items", &[("updated_since", seed_time)]).await
    );
    app.get_problem("/api/v1/work-items", &[("updated_since", "yesterday")], StatusCode::BAD_REQUEST).await;
    app.get_problem("/api/v1/livelihood-projects", &[("updated_before", "2021-13-01")], StatusCode::BAD_REQUEST).await;
}

async fn has_remarks_splits_the_items_in_two(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/work-items", "/api/v1/livelihood-projects"] {
        let all = app.get_all(path, &[]).await;
        let with = app.get_all(path, &[("has_remarks", "true")]).await;
        let without = app.get_all(path, &[("has_remarks", "false")]).await;
        assert_eq!(id_set(&with), ids_where(&all, |i| !text(&i["remarks"]).is_empty()), "{path}");
        assert_eq!(id_set(&without), ids_where(&all, |i| text(&i["remarks"]).is_empty()), "{path}");
        assert_eq!(with.len() + without.len(), all.len(), "{path}");
    }
    assert!(app.count("/api/v1/work-items", &[("has_remarks", "true")]).await > 0);
    // Clearing remarks moves an item from one side to the other.
    let token = app.admin_token().await;
    let with = app.get_all("/api/v1/work-items", &[("has_remarks", "true")]).await;
    patch(&app, &token, "work-items", with[0]["id"].as_str().expect("id"), json!({"remarks": null})).await;
    assert_eq!(app.count("/api/v1/work-items", &[("has_remarks", "true")]).await, with.len() as u64 - 1);
    app.get_problem("/api/v1/work-items", &[("has_remarks", "maybe")], StatusCode::BAD_REQUEST).await;
}

async fn progress_min_and_max_bound_the_progress(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let id = |n: usize| all[n]["id"].as_str().expect("id").to_owned();
    for (n, progress, status) in
        [(0, 10, "in_progress"), (1, 40, "in_progress"), (2, 100, "completed"), (3, 40, "delayed")]
    {
        patch(&app, &token, "work-items", &id(n), json!({"progress": progress, "status": status})).await;
    }
    let set = |ns: &[usize]| ns.iter().map(|n| id(*n)).collect::<BTreeSet<_>>();
    let found = |query: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move { id_set(&app.get_all("/api/v1/work-items", query).await) }
    };
    assert_eq!(found(&[("progress_min", "40")]).await, set(&[1, 2, 3]));
    assert_eq!(found(&[("progress_min", "41")]).await, set(&[2]));
    assert_eq!(found(&[("progress_min", "1"), ("progress_max", "40")]).await, set(&[0, 1, 3]));
    assert_eq!(found(&[("progress_min", "40"), ("progress_max", "40")]).await, set(&[1, 3]), "both bounds inclusive");
    assert_eq!(found(&[("progress_min", "40"), ("status", "in_progress")]).await, set(&[1]));
    assert_eq!(app.count("/api/v1/work-items", &[("progress_max", "0")]).await, 295);
    assert_eq!(app.count("/api/v1/work-items", &[("progress_min", "60"), ("progress_max", "50")]).await, 0);
    for bad in [("progress_min", "-1"), ("progress_max", "101"), ("progress_min", "half")] {
        let problem = app.get_problem("/api/v1/work-items", &[bad], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains(bad.0), "{problem}");
    }
}

async fn documents_filter_by_issue_date_range(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let numbers = |query: &'static [(&'static str, &'static str)]| {
        let app = &app;
        async move {
            let mut numbers: Vec<String> = app
                .get_all("/api/v1/documents", query)
                .await
                .iter()
                .map(|d| d["doc_number"].as_str().expect("doc_number").to_owned())
                .collect();
            numbers.sort();
            numbers
        }
    };
    let (yueqing, yuhuan) = ("乐政办函〔2021〕7号", "玉政办发〔2021〕9号");
    assert_eq!(numbers(&[("issued_from", "2021-04-01")]).await, [yueqing]);
    assert_eq!(numbers(&[("issued_to", "2021-03-31")]).await, [yuhuan]);
    // Both ends are inclusive: 2021-03-12 and 2021-04-27.
    assert_eq!(numbers(&[("issued_from", "2021-03-12"), ("issued_to", "2021-03-12")]).await, [yuhuan]);
    assert_eq!(numbers(&[("issued_from", "2021-04-27")]).await, [yueqing]);
    assert_eq!(numbers(&[("issued_from", "2021-03-12"), ("issued_to", "2021-04-27")]).await, [yueqing, yuhuan]);
    assert!(numbers(&[("issued_from", "2021-03-13"), ("issued_to", "2021-04-26")]).await.is_empty());
    assert_eq!(numbers(&[("issued_from", "2021-01-01"), ("city", "330382"), ("q", "乐政办函")]).await, [yueqing]);
    for bad in [("issued_from", "2021-02-30"), ("issued_to", "27/04/2021")] {
        let problem = app.get_problem("/api/v1/documents", &[bad], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains(bad.0), "{problem}");
    }
}

async fn filters_combine_as_all_of(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let all = app.get_all("/api/v1/work-items", &[]).await;
    // Give a few Yueqing items progress, so that the progress filter has something to cut.
    let yueqing: Vec<&Value> = all.iter().filter(|i| i["city"]["code"] == "330382").collect();
    for (n, item) in yueqing.iter().enumerate().step_by(7) {
        let progress = (n % 100) as i64;
        patch(
            &app,
            &token,
            "work-items",
            item["id"].as_str().expect("id"),
            json!({"progress": progress, "status": "in_progress"}),
        )
        .await;
    }
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let query = [
        ("city", "330382"),
        ("year", "2021"),
        ("unit_role", "lead"),
        ("has_remarks", "false"),
        ("status", "in_progress,not_started"),
        ("progress_max", "50"),
        ("leader", "何学考,郑巨化,吴振弟"),
    ];
    let found = app.get_all("/api/v1/work-items", &query).await;
    let expected = ids_where(&all, |i| {
        let (first, last) = years(&i["period"]);
        i["city"]["code"] == "330382"
            && first <= 2021
            && 2021 <= last
            && units_of(i).iter().any(|u| u["role"] == "lead")
            && text(&i["remarks"]).is_empty()
            && ["in_progress", "not_started"].contains(&text(&i["status"]))
            && i["progress"].as_i64().expect("progress") <= 50
            && ["何学考", "郑巨化", "吴振弟"].contains(&text(&i["leader"]["name"]))
    });
    assert!(!expected.is_empty());
    assert_eq!(id_set(&found), expected);
    // Adding a search narrows further, to items that also mention it.
    let mut narrower = query.to_vec();
    narrower.push(("q", "建设"));
    let found = app.get_all("/api/v1/work-items", &narrower).await;
    let mentioning: BTreeSet<String> = expected
        .iter()
        .filter(|id| {
            let item = all.iter().find(|i| i["id"] == id.as_str()).expect("the item");
            mentions(item, "建设")
        })
        .cloned()
        .collect();
    assert_eq!(id_set(&found), mentioning);
    assert!(found.len() < expected.len());
}

/// Whether an item holds `q` in its content, remarks or a unit's name.
fn mentions(item: &Value, q: &str) -> bool {
    text(&item["content"]).contains(q)
        || text(&item["remarks"]).contains(q)
        || units_of(item).iter().any(|u| text(&u["name"]).contains(q))
}

/// The ids of the items of `all` that contain `q` in their content, remarks or a unit's name.
fn containing(all: &[Value], q: &str) -> BTreeSet<String> {
    ids_where(all, |i| mentions(i, q))
}

async fn q_finds_chinese_substrings_of_any_length_in_content_remarks_and_unit_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/work-items", "/api/v1/livelihood-projects"] {
        let all = app.get_all(path, &[]).await;
        for q in ["停", "港", "停车", "医疗", "停车场", "智慧停车系统", "治堵办", "根据市委工作安排", "发改"]
        {
            let found = app.get_all(path, &[("q", q)]).await;
            assert_eq!(id_set(&found), containing(&all, q), "{path}?q={q}");
        }
    }
    let work_items = app.get_all("/api/v1/work-items", &[]).await;
    // 停车 finds the parking items of both cities.
    let parking = app.get_all("/api/v1/work-items", &[("q", "停车")]).await;
    let cities: BTreeSet<&str> = parking.iter().map(|i| text(&i["city"]["code"])).collect();
    assert_eq!(cities, BTreeSet::from(["330382", "331083"]));
    assert!(parking.len() >= 2);
    assert_eq!(app.count("/api/v1/work-items", &[("q", "智慧停车系统")]).await, 1);
    // A unit's name alone is enough: 市治堵办 is named by items whose text never mentions it.
    let by_unit = app.get_all("/api/v1/work-items", &[("q", "治堵办")]).await;
    assert!(
        by_unit.iter().any(|i| !text(&i["content"]).contains("治堵办") && !text(&i["remarks"]).contains("治堵办")),
        "some item is found by its unit only"
    );
    // Filters still apply, and a query no text holds finds nothing.
    let in_yuhuan = app.get_all("/api/v1/work-items", &[("q", "停车"), ("city", "331083")]).await;
    assert_eq!(
        id_set(&in_yuhuan),
        ids_where(&work_items, |i| i["city"]["code"] == "331083" && text(&i["content"]).contains("停车"))
    );
    assert_eq!(app.count("/api/v1/work-items", &[("q", "停车港")]).await, 0);
    assert_eq!(app.count("/api/v1/work-items", &[("q", "鼹")]).await, 0);
}

/// A one-character query finds a character wherever it stands. The search text keeps bigrams and
/// the last character of each text, not every character, so one that only ends a text, or is the
/// whole text, must be found as well as one that begins a bigram.
async fn one_character_search_finds_a_character_that_only_ends_a_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let editor = app.token(UserRole::Editor, Some("330382")).await;
    let mut body = Kind::WorkItem.new_body(&fx, 1);
    // Neither character is in the seed documents.
    body["content"] = json!("推进测试工作鼹");
    body["remarks"] = json!("鼷");
    let reply = app.send(Method::POST, "/api/v1/work-items", Some(&editor), Some(body), &[]).await;
    let id = reply.expect(StatusCode::CREATED)["id"].clone();
    for q in ["鼹", "鼷", "作鼹", "工作鼹", "鼹鼷"] {
        let found = app.get_all("/api/v1/work-items", &[("q", q)]).await;
        let ids: Vec<&Value> = found.iter().map(|item| &item["id"]).collect();
        let expected: Vec<&Value> = if q == "鼹鼷" { vec![] } else { vec![&id] };
        assert_eq!(ids, expected, "q={q}");
    }
    // A full stop ends most contents of the seed documents and stands within some too.
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let found = app.get_all("/api/v1/work-items", &[("q", "。")]).await;
    assert_eq!(id_set(&found), containing(&all, "。"));
    assert!(found.len() > 1);
}

async fn two_character_search_is_exact_and_uses_the_gin_index_on_postgres(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let found = app.get_all("/api/v1/work-items", &[("q", "停车")]).await;
    assert_eq!(id_set(&found), containing(&all, "停车"));
    assert!(!found.is_empty());
    if backend == Backend::Postgres {
        let txn = app.db.begin().await.expect("a transaction");
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await.expect("the setting is taken");
        let rows = txn
            .query_all_raw(Statement::from_string(
                DbBackend::Postgres,
                "EXPLAIN SELECT id FROM items \
                 WHERE array_to_tsvector(string_to_array(search_text, ' ')) @@ CAST('''停车''' AS tsquery)",
            ))
            .await
            .expect("EXPLAIN runs");
        let plan: Vec<String> =
            rows.iter().map(|row| row.try_get::<String>("", "QUERY PLAN").expect("a plan line")).collect();
        txn.rollback().await.expect("the transaction ends");
        let plan = plan.join("\n");
        assert!(plan.contains("ix_items_search"), "the search is not indexed:\n{plan}");
    }
}

/// Every search reads the GIN index's pending list of entries not yet merged, and edits fill it:
/// the service's sessions keep it at 1 MB instead of PostgreSQL's 4 MB (migrations 15 and 16). On
/// both backends an edit's words are found at once.
async fn the_search_index_merges_edits_at_a_small_pending_list_on_postgres(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let item = &app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0];
    let path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("an id"));
    assert_eq!(app.count("/api/v1/work-items", &[("q", "鼹鼠")]).await, 0);
    let edit = json!({"content": "鼹鼠洞口整治"});
    app.send(Method::PATCH, &path, Some(&token), Some(edit), &[("if-match", "*")]).await.expect(StatusCode::OK);
    let found = app.get_all("/api/v1/work-items", &[("q", "鼹鼠")]).await;
    assert_eq!(found.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(), [item["id"].clone()]);
    if backend == Backend::Postgres {
        // The limit is the session's (an import raises it in its own transaction): the index
        // sets none, and the service's sessions merge at 1 MB rather than PostgreSQL's 4 MB.
        let service = api::db::connect_and_migrate(app.database_url()).await.expect("the service's pool");
        let row = service
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT current_setting('gin_pending_list_limit') AS session_limit, \
                 (SELECT reloptions IS NULL FROM pg_class WHERE relname = 'ix_items_search') AS index_sets_none",
            ))
            .await
            .expect("the catalog answers")
            .expect("a row");
        assert_eq!(row.try_get::<String>("", "session_limit").expect("a limit"), "1MB");
        assert!(row.try_get::<bool>("", "index_sets_none").expect("the search index exists"));
        service.close().await.expect("closed");
    }
}

/// An edit's search entries wait in the index's pending list (every search reads it) until the
/// service merges the list in the background, every `SEARCH_MERGE_INTERVAL_MS`; with 0 the list
/// is left to the writers, which merge it only once it passes 1 MB. Either way the edit is
/// found at once.
async fn edits_reach_the_search_index_in_the_background_not_in_the_write(backend: Backend) {
    for (interval_ms, left_pending) in [(0, true), (50, false)] {
        let app =
            TestApp::spawn_with(backend, true, |config| config.serve.search_merge_interval_ms = interval_ms).await;
        let token = app.admin_token().await;
        let item = &app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0];
        let path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("an id"));
        if backend == Backend::Postgres {
            // Nothing pending to begin with.
            app.merge_search_index().await;
        }
        let edit = json!({"content": "穿山甲栖息地保护"});
        app.send(Method::PATCH, &path, Some(&token), Some(edit), &[("if-match", "*")]).await.expect(StatusCode::OK);
        let found = app.get_all("/api/v1/work-items", &[("q", "穿山甲")]).await;
        assert_eq!(found.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(), [item["id"].clone()]);
        if backend == Backend::Postgres {
            // Twenty intervals and more: the background merge has run by now, if it runs.
            tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
            let pages = app.merge_search_index().await;
            assert_eq!(pages > 0, left_pending, "interval {interval_ms} ms: {pages} pages were still pending");
        }
    }
}

/// `items` stably sorted by `key`: what a sort by `key` then document order must give.
fn stably_sorted<K: Ord>(items: &[Value], key: impl Fn(&Value) -> K) -> Vec<String> {
    let mut sorted = items.to_vec();
    sorted.sort_by_key(|i| key(i));
    ids(&sorted)
}

async fn sort_orders_by_several_fields_in_turn(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let seeded = app.get_all("/api/v1/work-items", &[]).await;
    // Spread statuses and progress over the items, a few writes apart in time.
    for (n, item) in seeded.iter().enumerate().step_by(23) {
        let (status, progress) = [("in_progress", 30), ("completed", 100), ("delayed", 30), ("in_progress", 60)][n % 4];
        patch(
            &app,
            &token,
            "work-items",
            item["id"].as_str().expect("id"),
            json!({"status": status, "progress": progress}),
        )
        .await;
    }
    // Document order, as the default sort gives it.
    let in_order = app.get_all("/api/v1/work-items", &[]).await;
    assert_eq!(ids(&in_order), ids(&seeded), "writes do not move items in document order");
    let progress = |i: &Value| i["progress"].as_i64().expect("progress");
    let status = |i: &Value| text(&i["status"]).to_owned();

    let cases: Vec<(&str, Vec<String>)> = vec![
        ("-progress,seq", stably_sorted(&in_order, |i| std::cmp::Reverse(progress(i)))),
        ("status,-progress,seq", stably_sorted(&in_order, |i| (status(i), std::cmp::Reverse(progress(i))))),
        ("-status,progress,seq", stably_sorted(&in_order, |i| (std::cmp::Reverse(status(i)), progress(i)))),
        ("period,seq", stably_sorted(&in_order, |i| years(&i["period"]))),
        ("-updated_at,seq", stably_sorted(&in_order, |i| std::cmp::Reverse(time(&i["updated_at"])))),
        ("created_at,seq", stably_sorted(&in_order, |i| time(&i["created_at"]))),
    ];
    for (sort, expected) in cases {
        let sorted = app.get_all("/api/v1/work-items", &[("sort", sort)]).await;
        assert_eq!(ids(&sorted), expected, "sort={sort}");
    }
    // -seq is document order backwards; period,-seq puts the annual items first, each part backwards.
    let mut backwards = ids(&in_order);
    backwards.reverse();
    assert_eq!(ids(&app.get_all("/api/v1/work-items", &[("sort", "-seq")]).await), backwards);
    let reversed: Vec<Value> = in_order.iter().rev().cloned().collect();
    let by_period = app.get_all("/api/v1/work-items", &[("sort", "period,-seq")]).await;
    assert_eq!(ids(&by_period), stably_sorted(&reversed, |i| years(&i["period"])));
    // Livelihood projects too, where split projects have a sub_seq.
    let projects = app.get_all("/api/v1/livelihood-projects", &[("city", "331083")]).await;
    let backwards = app.get_all("/api/v1/livelihood-projects", &[("city", "331083"), ("sort", "-seq")]).await;
    let mut expected = ids(&projects);
    expected.reverse();
    assert_eq!(ids(&backwards), expected);
    let problem = app.get_problem("/api/v1/work-items", &[("sort", "progress,colour")], StatusCode::BAD_REQUEST).await;
    assert!(problem.to_string().contains("colour"), "{problem}");
}

/// `sort` is `field` or `-field`, comma-separated, as the document lists them: a `+` (a space once
/// a query string is decoded), a spaced name or an empty part is a 400 naming `sort`, never a guess.
async fn sort_takes_only_what_the_document_lists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for sort in ["+progress", " progress", "progress ", "-progress, seq", "progress,,seq", "- progress"] {
        let problem = app.get_problem("/api/v1/work-items", &[("sort", sort)], StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["errors"][0]["field"], "sort", "sort={sort:?}: {problem}");
    }
    // What the document lists still works.
    let page = app.get_ok("/api/v1/work-items", &[("sort", "-progress,seq"), ("limit", "2")]).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    // The reports owed sort by `item` or `-item` only, as documented, and `-item` is the order reversed.
    let owed = [("city", "331083"), ("period", "2021-Q2"), ("limit", "500")];
    let problem = app
        .get_problem("/api/v1/reports/missing", &[owed[0], owed[1], ("sort", "colour")], StatusCode::BAD_REQUEST)
        .await;
    assert_eq!(problem["errors"][0]["field"], "sort", "{problem}");
    let pairs = |page: Value| -> Vec<(String, String)> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| (r["item"]["id"].to_string(), r["unit"]["id"].to_string()))
            .collect()
    };
    let forwards = pairs(app.get_ok("/api/v1/reports/missing", &[owed[0], owed[1], owed[2], ("sort", "item")]).await);
    let mut backwards =
        pairs(app.get_ok("/api/v1/reports/missing", &[owed[0], owed[1], owed[2], ("sort", "-item")]).await);
    backwards.reverse();
    assert!(forwards.len() > 1, "reports are owed: {forwards:?}");
    assert_eq!(backwards, forwards);
}

async fn fields_keep_only_the_named_fields_and_the_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let keys = |item: &Value| item.as_object().expect("an object").keys().cloned().collect::<BTreeSet<String>>();
    let set = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<String>>();
    let full = app.get_ok("/api/v1/work-items", &[("limit", "20")]).await;
    let page = app.get_ok("/api/v1/work-items", &[("limit", "20"), ("fields", "seq,content,status")]).await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 20);
    for (picked, whole) in items.iter().zip(full["items"].as_array().expect("items")) {
        assert_eq!(keys(picked), set(&["id", "seq", "content", "status"]));
        for field in ["id", "seq", "content", "status"] {
            assert_eq!(picked[field], whole[field]);
        }
    }
    assert_eq!(page["total"], 299, "the envelope is whole");
    // Nested objects are kept whole; the id comes along unasked.
    let page = app.get_ok("/api/v1/livelihood-projects", &[("fields", "units,category")]).await;
    for item in page["items"].as_array().expect("items") {
        assert_eq!(keys(item), set(&["id", "units", "category"]));
        assert!(item["units"][0]["name"].is_string());
    }
    // Picked with an include: the embedded resource can be the only thing asked for.
    let page =
        app.get_ok("/api/v1/work-items", &[("fields", "document"), ("include", "document"), ("limit", "3")]).await;
    for item in page["items"].as_array().expect("items") {
        assert_eq!(keys(item), set(&["id", "document"]));
        assert!(item["document"]["doc_number"].is_string());
    }
    let page = app.get_ok("/api/v1/documents", &[("fields", "doc_number")]).await;
    assert_eq!(keys(&page["items"][0]), set(&["id", "doc_number"]));
}

async fn include_embeds_the_full_document_and_city(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let plain = app.get_all("/api/v1/work-items", &[]).await;
    let included = app.get_all("/api/v1/work-items", &[("include", "document,city")]).await;
    assert_eq!(ids(&included), ids(&plain));
    let mut documents: HashMap<String, Value> = HashMap::new();
    let mut cities: HashMap<String, Value> = HashMap::new();
    for (item, bare) in included.iter().zip(&plain) {
        let document_id = item["document_id"].as_str().expect("document_id").to_owned();
        if !documents.contains_key(&document_id) {
            let document = app.get_ok(&format!("/api/v1/documents/{document_id}"), &[]).await;
            documents.insert(document_id.clone(), document);
        }
        assert_eq!(item["document"], documents[&document_id]);
        let code = bare["city"]["code"].as_str().expect("code").to_owned();
        if !cities.contains_key(&code) {
            cities.insert(code.clone(), app.get_ok(&format!("/api/v1/cities/{code}"), &[]).await);
        }
        assert_eq!(item["city"], cities[&code], "the city reference is replaced by the city");
        assert!(item["city"]["name_en"].is_string());
        // Everything else is as without include.
        let mut rest = item.clone();
        let rest = rest.as_object_mut().expect("an object");
        rest.remove("document");
        rest.insert("city".to_owned(), bare["city"].clone());
        assert_eq!(&Value::Object(rest.clone()), bare);
    }
    assert_eq!(documents.len(), 2);
    // One of them, on livelihood projects.
    let projects = app.get_ok("/api/v1/livelihood-projects", &[("include", "document"), ("limit", "5")]).await;
    for item in projects["items"].as_array().expect("items") {
        assert_eq!(item["document"]["id"], item["document_id"]);
        assert_eq!(item["city"].as_object().expect("city").len(), 3, "the city stays a reference");
    }
    // Other lists embed their city.
    for path in ["/api/v1/leaders", "/api/v1/units", "/api/v1/documents", "/api/v1/sections"] {
        let page = app.get_ok(path, &[("include", "city"), ("limit", "3")]).await;
        for item in page["items"].as_array().expect("items") {
            let code = item["city"]["code"].as_str().expect("code");
            assert_eq!(item["city"], cities[code], "{path}");
        }
        let problem = app.get_problem(path, &[("include", "document")], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains("include"), "{path}: {problem}");
    }
    let problem =
        app.get_problem("/api/v1/work-items", &[("include", "document,leader")], StatusCode::BAD_REQUEST).await;
    assert!(problem.to_string().contains("leader"), "{problem}");
}

async fn count_none_skips_the_total_and_its_header(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/work-items", "/api/v1/livelihood-projects", "/api/v1/units"] {
        let counted = app.get(path, &[("limit", "10")]).await;
        assert!(counted.headers().contains_key("x-total-count"), "{path}");
        let counted: Value = counted.json().await.expect("json");
        let response = app.get(path, &[("limit", "10"), ("count", "none")]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.headers().contains_key("x-total-count"), "{path}: no count, no X-Total-Count");
        let link = response.headers().get("link").expect("a Link header").to_str().expect("ascii").to_owned();
        let page: Value = response.json().await.expect("json");
        assert!(page["total"].is_null(), "{path}: {}", page["total"]);
        assert_eq!(page["items"], counted["items"]);
        assert_eq!(page["next_cursor"], counted["next_cursor"]);
        assert!(page["links"]["next"].as_str().is_some_and(|l| l.contains("count=none")), "{path}: {}", page["links"]);
        assert_link_header_matches_body(&link, &page);
    }
    // On the last page there is no next link, even without a count.
    let page = app.get_ok("/api/v1/work-items", &[("count", "none"), ("offset", "290"), ("limit", "10")]).await;
    assert_eq!(page["items"].as_array().expect("items").len(), 9);
    assert!(page["links"].get("next").is_none() && page["next_cursor"].is_null(), "{page}");
    app.get_problem("/api/v1/work-items", &[("count", "approximate")], StatusCode::BAD_REQUEST).await;
}

async fn cursor_paging_sees_every_lasting_row_once_while_others_are_inserted_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let section = yueqing_section(&app, 2).await;
    let before = app.get_all("/api/v1/work-items", &[]).await;
    assert_eq!(before.len(), 299);
    // Seed rows the writer deletes during the walk, spread over the whole order.
    let doomed: Vec<String> =
        before.iter().skip(5).step_by(25).map(|i| i["id"].as_str().expect("id").to_owned()).collect();

    let writes = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, address, token) = (app.client.clone(), app.address.clone(), token.clone());
        let (writes, stop, mut doomed) = (writes.clone(), stop.clone(), doomed.clone());
        tokio::spawn(async move {
            let mut created: Vec<String> = Vec::new();
            let mut deleted: Vec<String> = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let body = json!({
                    "section": section, "group": {"number": 1, "heading": null}, "seq": 900 + n,
                    "content": format!("翻页期间新增的工作{n}。"), "leader": null,
                    "units": [{"unit": "市发改局", "role": "lead"}], "remarks": null
                });
                let response = client
                    .post(format!("{address}/api/v1/work-items"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent");
                let status = response.status();
                let body: Value = response.json().await.expect("json");
                assert_eq!(status, StatusCode::CREATED, "{body}");
                created.push(body["id"].as_str().expect("id").to_owned());
                writes.fetch_add(1, Ordering::SeqCst);
                // Every other round, delete one row of our own and one of the seed.
                let victims: Vec<String> = if n % 2 == 1 {
                    let mut v = vec![created[n / 2].clone()];
                    v.extend(doomed.pop());
                    v
                } else {
                    Vec::new()
                };
                for id in victims {
                    let response = client
                        .delete(format!("{address}/api/v1/work-items/{id}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("sent");
                    assert_eq!(response.status(), StatusCode::NO_CONTENT);
                    deleted.push(id);
                    writes.fetch_add(1, Ordering::SeqCst);
                }
                n += 1;
            }
            (created, deleted)
        })
    };

    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "37")];
        if let Some(cursor) = cursor.as_deref() {
            query.push(("cursor", cursor));
        }
        let response = app.get("/api/v1/work-items", &query).await;
        assert_eq!(response.status(), StatusCode::OK);
        let link = response.headers().get("link").expect("a Link header").to_str().expect("ascii").to_owned();
        let page: Value = response.json().await.expect("json");
        assert_link_header_matches_body(&link, &page);
        assert_eq!(page["offset"], 0, "a cursor page has no offset");
        assert!(page["links"].get("prev").is_none(), "keyset pages link no prev: {}", page["links"]);
        let items = page["items"].as_array().expect("items");
        seen.extend(ids(items));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(next) => {
                // The first page was asked for by offset, the others by cursor: the link goes on alike.
                let next_link = page["links"]["next"].as_str().expect("a next link");
                let by_cursor = next_link.contains(&format!("cursor={}", next)) && !next_link.contains("offset=");
                assert!(by_cursor == cursor.is_some(), "page {pages}: {next_link}");
                assert_eq!(items.len(), 37);
                cursor = Some(next.to_owned());
            }
            None => {
                assert!(page["links"].get("next").is_none());
                break;
            }
        }
        // Let the writer change the list between every two pages.
        let at = writes.load(Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while writes.load(Ordering::SeqCst) < at + 2 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(pages < 100, "the walk does not end");
    }
    stop.store(true, Ordering::SeqCst);
    let (created, deleted) = writer.await.expect("the writer succeeds");
    assert!(created.len() >= pages, "the writer wrote during the walk: {} rows for {pages} pages", created.len());
    assert!(deleted.iter().filter(|id| doomed.contains(id)).count() >= 3, "seed rows were deleted mid-walk");

    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no row twice");
    let after = id_set(&app.get_all("/api/v1/work-items", &[]).await);
    let lasting: BTreeSet<String> = id_set(&before).intersection(&after).cloned().collect();
    assert!(lasting.len() >= 299 - doomed.len());
    let missed: Vec<&String> = lasting.iter().filter(|id| !unique.contains(id)).collect();
    assert!(missed.is_empty(), "rows present throughout were skipped: {missed:?}");
    let known: BTreeSet<String> = id_set(&before).into_iter().chain(created).collect();
    assert!(seen.iter().all(|id| known.contains(id)), "only real rows");
}

async fn cursors_belong_to_their_sort_and_skip_with_offsets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app.get_ok("/api/v1/work-items", &[("limit", "5"), ("sort", "progress")]).await;
    let cursor = page["next_cursor"].as_str().expect("a cursor");
    let by_cursor = app.get_ok("/api/v1/work-items", &[("cursor", cursor), ("sort", "progress"), ("limit", "5")]).await;
    let by_offset = app.get_ok("/api/v1/work-items", &[("sort", "progress"), ("limit", "5"), ("offset", "5")]).await;
    assert_eq!(by_cursor["items"], by_offset["items"], "with nothing written, a cursor page is the offset page");
    // A cursor belongs to its list and sort; garbage is refused.
    let documents = app.get_ok("/api/v1/documents", &[("limit", "1")]).await;
    let document_cursor = documents["next_cursor"].as_str().expect("a cursor");
    for query in [
        vec![("cursor", cursor), ("sort", "-progress")],
        vec![("cursor", cursor)],
        vec![("cursor", document_cursor)],
        vec![("cursor", "bm90IGEgY3Vyc29y")],
        vec![("cursor", "%%%")],
    ] {
        let problem = app.get_problem("/api/v1/work-items", &query, StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains("cursor"), "{query:?}: {problem}");
    }
    // With a cursor, `offset` skips that many records after it.
    let skipped = app
        .get_ok("/api/v1/work-items", &[("cursor", cursor), ("sort", "progress"), ("offset", "5"), ("limit", "5")])
        .await;
    let ten = app.get_ok("/api/v1/work-items", &[("sort", "progress"), ("limit", "5"), ("offset", "10")]).await;
    assert_eq!(skipped["items"], ten["items"], "cursor then offset 5 is offset 10");
    assert_eq!(skipped["offset"], 5);
}

/// Every item of `path` by following `next_cursor` with `limit`; asserts no page repeats an id.
async fn walk_by_cursor(app: &TestApp, path: &str, query: &[(&str, &str)], limit: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page_query = query.to_vec();
        page_query.push(("limit", limit));
        if let Some(cursor) = cursor.as_deref() {
            page_query.push(("cursor", cursor));
        }
        let page = app.get_ok(path, &page_query).await;
        seen.extend(ids(page["items"].as_array().expect("items")));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return seen,
        }
        assert!(seen.len() < 10_000, "the walk does not end");
    }
}

/// A unit's items in one city, or by the unit's id, are paged from its unit rows, which copy their
/// item's place in document order: they come in the whole list's order, by offset and by cursor,
/// either way round and in a role, counted exactly, and follow an item that is renumbered (a PUT),
/// whose section is renumbered, or that is given the unit (a PATCH).
async fn a_units_items_come_in_document_order_and_follow_an_item_that_moves(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let (city, unit) = ("330382", "市交通运输局");
    let in_city = [("city", city), ("unit", unit)];
    let first = app.get_ok("/api/v1/work-items", &in_city).await["items"][0].clone();
    let unit_id = units_of(&first).iter().find(|u| u["name"] == unit).expect("the unit")["id"].clone();
    let unit_id = unit_id.as_str().expect("an id").to_owned();
    // The unit's first item moves to the end of its group; an item without the unit is given it.
    let path = format!("/api/v1/work-items/{}", first["id"].as_str().expect("id"));
    let mut moved = work_item_input(&first);
    moved["seq"] = json!(900);
    app.send(Method::PUT, &path, Some(&admin), Some(moved), &[]).await.expect(StatusCode::OK);
    let others = app.get_all("/api/v1/work-items", &[("city", city)]).await;
    let joining = others.iter().find(|i| units_of(i).iter().all(|u| u["name"] != unit)).expect("an item without it");
    let mut units: Vec<Value> =
        units_of(joining).iter().map(|u| json!({"unit": u["id"], "role": u["role"], "note": u["note"]})).collect();
    units.insert(0, json!({"unit": unit, "role": "lead"}));
    let joining_id = joining["id"].as_str().expect("id").to_owned();
    patch(&app, &admin, "work-items", &joining_id, json!({"units": units})).await;
    // The work plan's section is renumbered: its items move, their unit rows untouched.
    let section = yueqing_section(&app, 2).await;
    patch(&app, &admin, "sections", &section, json!({"number": 12})).await;

    for sort in ["seq", "-seq"] {
        for path in ["/api/v1/work-items", "/api/v1/livelihood-projects"] {
            let all = app.get_all(path, &[("sort", sort), ("city", city)]).await;
            let of_unit: Vec<&Value> = all.iter().filter(|i| units_of(i).iter().any(|u| u["name"] == unit)).collect();
            let led: Vec<&Value> = of_unit
                .iter()
                .copied()
                .filter(|i| units_of(i).iter().any(|u| u["name"] == unit && u["role"] == "lead"))
                .collect();
            let expected: Vec<String> = of_unit.iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect();
            if path.ends_with("work-items") {
                let at = |id: &str| expected.iter().position(|e| e == id);
                assert!(at(&joining_id).is_some(), "{sort}: the item given the unit is listed");
                assert!(led.len() > 1 && led.len() < of_unit.len(), "{sort}: some lead, not all");
            }
            let by_id = [("sort", sort), ("unit", unit_id.as_str())];
            let by_name = [("sort", sort), ("city", city), ("unit", unit)];
            for query in [&by_id[..], &by_name[..]] {
                assert_eq!(ids(&app.get_all(path, query).await), expected, "{path} {query:?}");
                assert_eq!(walk_by_cursor(&app, path, query, "4").await, expected, "{path} {query:?}, by cursor");
                assert_eq!(app.count(path, query).await as usize, expected.len(), "{path} {query:?}: the total");
            }
            let role = [("sort", sort), ("city", city), ("unit", unit), ("unit_role", "lead")];
            let led: Vec<String> = led.iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect();
            assert_eq!(walk_by_cursor(&app, path, &role, "3").await, led, "{path} {role:?}, by cursor");
            // The unit's id in another city matches nothing.
            assert_eq!(app.count(path, &[("unit", unit_id.as_str()), ("city", "331083")]).await, 0);
        }
    }
}

async fn cursor_paging_gives_the_offset_order_for_every_sort(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    // Distinct times, statuses and progress on some items, ties on the others.
    let seeded = app.get_all("/api/v1/work-items", &[]).await;
    for (n, item) in seeded.iter().enumerate().step_by(19) {
        let (status, progress) = [("in_progress", 30), ("completed", 100), ("delayed", 30)][n % 3];
        patch(
            &app,
            &token,
            "work-items",
            item["id"].as_str().expect("id"),
            json!({"status": status, "progress": progress}),
        )
        .await;
    }
    let projects = app.get_all("/api/v1/livelihood-projects", &[]).await;
    for item in projects.iter().step_by(11) {
        patch(&app, &token, "livelihood-projects", item["id"].as_str().expect("id"), json!({"progress": 70})).await;
    }
    for sort in [
        "-seq",
        "progress",
        "-status",
        "period",
        "-created_at",
        "updated_at",
        "-updated_at",
        "status,-progress,seq",
        "-period,updated_at",
    ] {
        for (path, limit) in [("/api/v1/work-items", "41"), ("/api/v1/livelihood-projects", "13")] {
            let by_offset = ids(&app.get_all(path, &[("sort", sort)]).await);
            let by_cursor = walk_by_cursor(&app, path, &[("sort", sort)], limit).await;
            assert_eq!(by_cursor, by_offset, "{path}?sort={sort}");
        }
    }
    // Items found through one of their units (read by id first, then row by row) come in the
    // order of the whole list, by offset and by cursor.
    for sort in ["seq", "-seq", "progress", "-status", "period", "-updated_at", "status,-progress,seq"] {
        for path in ["/api/v1/work-items", "/api/v1/livelihood-projects"] {
            let all = app.get_all(path, &[("sort", sort)]).await;
            let of_unit: Vec<Value> =
                all.into_iter().filter(|i| units_of(i).iter().any(|u| u["name"] == "市卫生健康局")).collect();
            assert!(!of_unit.is_empty(), "{path}: 市卫生健康局 is on some");
            let query = [("sort", sort), ("unit", "市卫生健康局")];
            assert_eq!(ids(&app.get_all(path, &query).await), ids(&of_unit), "{path}?sort={sort}&unit=市卫生健康局");
            assert_eq!(walk_by_cursor(&app, path, &query, "5").await, ids(&of_unit), "{path}?sort={sort}, by cursor");
        }
    }
    // So do items found by a search of more than two characters (their ids are read first too,
    // then their rows), whole, by offset and by cursor.
    for sort in ["seq", "-progress", "status,-progress,seq"] {
        for path in ["/api/v1/work-items", "/api/v1/livelihood-projects"] {
            let all = app.get_all(path, &[("sort", sort)]).await;
            let mentioning: Vec<Value> = all.into_iter().filter(|i| mentions(i, "卫生健康")).collect();
            assert!(mentioning.len() > 1, "{path}: 卫生健康 is on several");
            let query = [("sort", sort), ("q", "卫生健康")];
            assert_eq!(app.get_all(path, &query).await, mentioning, "{path}?sort={sort}&q=卫生健康");
            assert_eq!(
                walk_by_cursor(&app, path, &query, "2").await,
                ids(&mentioning),
                "{path}?sort={sort}, by cursor"
            );
        }
    }
    // Other lists, with their own sorts and filters.
    for (path, query) in [
        ("/api/v1/documents", vec![("sort", "issued_on")]),
        ("/api/v1/documents", vec![("sort", "-updated_at")]),
        ("/api/v1/units", vec![("sort", "-name")]),
        ("/api/v1/units", vec![("city", "331083")]),
        ("/api/v1/leaders", vec![]),
        ("/api/v1/sections", vec![]),
        ("/api/v1/work-items", vec![("city", "331083"), ("q", "建设"), ("sort", "-updated_at")]),
    ] {
        let by_offset = ids(&app.get_all(path, &query).await);
        assert_eq!(walk_by_cursor(&app, path, &query, "7").await, by_offset, "{path} {query:?}");
    }
}

/// A record's value as the CSV export writes it.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(values) => values.iter().map(cell).collect::<Vec<_>>().join("; "),
        Value::Object(map) => {
            let text = |key: &str| map.get(key).and_then(Value::as_str);
            match (text("name"), text("role").or(text("title"))) {
                (Some(name), Some(extra)) => format!("{name} ({extra})"),
                (Some(name), None) => name.to_owned(),
                _ => text("heading").or(text("title")).map_or_else(|| map["number"].to_string(), str::to_owned),
            }
        }
        other => other.to_string(),
    }
}

async fn csv_export_reads_back_as_the_json_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let query = [("city", "330382"), ("limit", "500")];
    let json = app.get_ok("/api/v1/work-items", &query).await;
    let items = json["items"].as_array().expect("items");
    assert_eq!(items.len(), 165);
    let mut by_format = query.to_vec();
    by_format.push(("format", "csv"));
    let response = app.get("/api/v1/work-items", &by_format).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert_eq!(response.headers()["x-total-count"], "165");
    let body = response.text().await.expect("a body");
    let by_accept = app
        .client
        .get(format!("{}/api/v1/work-items", app.address))
        .query(&query)
        .header("accept", "text/csv")
        .send()
        .await
        .expect("sent");
    assert_eq!(by_accept.text().await.expect("a body"), body, "Accept: text/csv gives the same export");

    let rows = body.strip_prefix('\u{feff}').expect("a BOM first");
    assert!(rows.ends_with("\r\n"));
    let has_newlines = items.iter().any(|i| i.to_string().contains("\\n"));
    if !has_newlines {
        assert!(!rows.replace("\r\n", "").contains('\n'), "rows end in CRLF");
        assert_eq!(rows.matches("\r\n").count(), 166, "a header and a row per item");
    }
    let mut reader = csv::Reader::from_reader(rows.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header row").iter().map(str::to_owned).collect();
    let json_fields: Vec<String> = items[0].as_object().expect("an object").keys().cloned().collect();
    assert_eq!(header, json_fields, "one column per field, in the JSON's order");
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a well-formed row")).collect();
    assert_eq!(records.len(), items.len());
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    for (record, item) in records.iter().zip(items) {
        assert_eq!(record.len(), header.len());
        assert_eq!(&record[column("id")], text(&item["id"]));
        assert_eq!(record[column("seq")].parse::<i64>().expect("a number"), item["seq"].as_i64().expect("seq"));
        assert_eq!(&record[column("content")], text(&item["content"]));
        assert_eq!(&record[column("status")], text(&item["status"]));
        assert_eq!(&record[column("remarks")], text(&item["remarks"]));
        assert_eq!(&record[column("city")], "乐清市", "a city by name");
        for (field, value) in item.as_object().expect("an object") {
            assert_eq!(record[column(field)], cell(value), "{field} of {}", item["id"]);
        }
    }
    // The flattened forms, spelled out once.
    let (record, item) = records
        .iter()
        .zip(items)
        .find(|(_, i)| i["leader"]["name"] == "何学考" && units_of(i).len() > 1)
        .expect("an item of 何学考 with several units");
    assert_eq!(&record[column("leader")], "何学考 (常务副市长)");
    let units: Vec<String> =
        units_of(item).iter().map(|u| format!("{} ({})", text(&u["name"]), text(&u["role"]))).collect();
    assert_eq!(record[column("units")], units.join("; "));
    assert!(record[column("units")].contains(" (lead); "), "{}", &record[column("units")]);

    // With fields, only those columns.
    let picked = app
        .get(
            "/api/v1/work-items",
            &[("city", "331083"), ("fields", "seq,content"), ("format", "csv"), ("limit", "500")],
        )
        .await;
    let body = picked.text().await.expect("a body");
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().expect("a header").iter().collect::<Vec<_>>(), ["id", "seq", "content"]);
    assert_eq!(reader.records().count(), 134);
}

async fn ndjson_lines_parse_to_the_json_items(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/work-items", "/api/v1/livelihood-projects", "/api/v1/documents"] {
        let query = [("limit", "500")];
        let json = app.get_ok(path, &query).await;
        let response = app.get(path, &[("limit", "500"), ("format", "ndjson")]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().expect("ascii").to_owned();
        assert!(content_type.starts_with("application/x-ndjson"), "{content_type}");
        let body = response.text().await.expect("a body");
        assert!(body.ends_with('\n'));
        let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
        assert_eq!(&Value::Array(lines), &json["items"], "{path}");
        let by_accept = app
            .client
            .get(format!("{}{path}", app.address))
            .query(&query)
            .header("accept", "application/x-ndjson")
            .send()
            .await
            .expect("sent");
        assert_eq!(by_accept.text().await.expect("a body"), body, "{path}: by Accept");
    }
    // Filters, sort and fields apply as to JSON.
    let query = [("city", "331083"), ("sort", "-seq"), ("fields", "seq"), ("limit", "10")];
    let json = app.get_ok("/api/v1/work-items", &query).await;
    let mut ndjson = query.to_vec();
    ndjson.push(("format", "ndjson"));
    let body = app.get("/api/v1/work-items", &ndjson).await.text().await.expect("a body");
    let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(Value::Array(lines), json["items"]);
    assert_eq!(json["items"][0]["seq"], 134);
    app.get_problem("/api/v1/work-items", &[("format", "xml")], StatusCode::BAD_REQUEST).await;
}

/// A concrete URL of each list the document serves (a list under a resource takes one of the seed's).
async fn every_list_path(app: &TestApp) -> Vec<String> {
    let spec = app.get_ok("/api-docs/openapi.json", &[]).await;
    let item =
        app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0]["id"].as_str().expect("id").to_owned();
    let project = app.get_ok("/api/v1/livelihood-projects", &[("limit", "1")]).await["items"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut paths = Vec::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        let schema = &operations["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
        if !schema.as_str().is_some_and(|s| s.starts_with("#/components/schemas/Page_")) {
            continue;
        }
        // Revisions and reports of the items; the other resources' revisions work alike (one route each).
        let concrete = match path.as_str() {
            p if p.starts_with("/api/v1/work-items/{id}/") => p.replace("{id}", &item),
            p if p.starts_with("/api/v1/livelihood-projects/{id}/") => p.replace("{id}", &project),
            p if p.contains('{') => continue,
            p => p.to_owned(),
        };
        paths.push(concrete);
    }
    paths
}

async fn every_list_answers_the_same_rows_at_its_csv_ndjson_and_partial_json_paths(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let get = |path: String| {
        // The reports owed are reckoned for a period, which the list requires.
        let period = if path.contains("/reports/missing") { "2021-Q2" } else { "" };
        let mut query = vec![("limit", "7")];
        query.extend((!period.is_empty()).then_some(("period", period)));
        let request = app.client.get(format!("{}{path}", app.address)).bearer_auth(&token).query(&query);
        async move { request.send().await.expect("sent") }
    };
    let content_type = |response: &reqwest::Response| {
        response.headers()["content-type"].to_str().expect("ascii").split(';').next().unwrap_or_default().to_owned()
    };
    let paths = every_list_path(&app).await;
    assert!(paths.len() >= 13, "every list: {paths:?}");
    // The seed has no progress reports; every other list has rows.
    let mut with_rows = 0;
    let lists = paths.len();
    for path in paths {
        let json = get(path.clone()).await;
        assert_eq!(content_type(&json), "application/json", "{path}");
        let json: Value = json.json().await.expect("JSON");
        let items = json["items"].as_array().expect("items");
        with_rows += usize::from(!items.is_empty());

        let ndjson = get(format!("{path}.ndjson")).await;
        assert_eq!(ndjson.status(), StatusCode::OK, "{path}.ndjson");
        assert_eq!(content_type(&ndjson), "application/x-ndjson", "{path}.ndjson");
        let body = ndjson.text().await.expect("a body");
        let lines: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
        assert_eq!(&lines, items, "{path}.ndjson");

        let csv = get(format!("{path}.csv")).await;
        assert_eq!(csv.status(), StatusCode::OK, "{path}.csv");
        assert_eq!(content_type(&csv), "text/csv", "{path}.csv");
        let body = csv.text().await.expect("a body");
        let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().expect("a header").clone();
        let id_column = headers.iter().position(|h| h == "id");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert_eq!(rows.len(), items.len(), "{path}.csv");
        if let Some(column) = id_column {
            let csv_ids: Vec<&str> = rows.iter().map(|r| r.get(column).expect("an id")).collect();
            let json_ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().expect("id")).collect();
            assert_eq!(csv_ids, json_ids, "{path}.csv");
        }

        let first = items.first().and_then(Value::as_object);
        let field = first.and_then(|record| record.keys().find(|k| *k != "id")).map_or("id", String::as_str).to_owned();
        let partial = get(format!("{path}.partial.json?fields={field}")).await;
        assert_eq!(partial.status(), StatusCode::OK, "{path}.partial.json");
        assert_eq!(content_type(&partial), "application/vnd.duban.partial+json", "{path}.partial.json");
        let partial: Value = partial.json().await.expect("JSON");
        let picked: Vec<Value> = items
            .iter()
            .map(|item| {
                let kept = item.as_object().expect("a record").iter().filter(|(k, _)| *k == "id" || **k == field);
                Value::Object(kept.map(|(k, v)| (k.clone(), v.clone())).collect())
            })
            .collect();
        assert_eq!(partial["items"], Value::Array(picked), "{path}.partial.json");
        assert_eq!(partial["total"], json["total"], "{path}.partial.json");
    }
    assert!(with_rows >= lists - 4, "{with_rows} of {lists} lists have rows");
}

async fn partial_json_needs_fields_that_the_record_has(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let problem = app.get_problem("/api/v1/work-items.partial.json", &[], StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["errors"][0]["field"], "fields", "{problem}");
    for fields in ["colour", "seq,", "seq,,status", ""] {
        let problem =
            app.get_problem("/api/v1/work-items.partial.json", &[("fields", fields)], StatusCode::BAD_REQUEST).await;
        assert_eq!(problem["errors"][0]["field"], "fields", "{fields}: {problem}");
        // The list's own path, for older clients, keeps to the same names.
        app.get_problem("/api/v1/work-items", &[("fields", fields)], StatusCode::BAD_REQUEST).await;
    }
    // Each list knows its own records: a document has no `seq`.
    app.get_problem("/api/v1/documents.partial.json", &[("fields", "seq")], StatusCode::BAD_REQUEST).await;
    // The links of a suffixed list stay on its path.
    let response = app.get("/api/v1/work-items.csv", &[("limit", "5")]).await;
    let link = response.headers()["link"].to_str().expect("ascii").to_owned();
    assert!(link.contains("/api/v1/work-items.csv?"), "{link}");
    // Only reads take a suffix; what else names a list with one is refused as for the list.
    let reply = app.client.post(format!("{}/api/v1/work-items.csv", app.address)).send().await.expect("sent");
    assert_eq!(reply.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.headers()["allow"], "GET");
    app.get_problem("/api/v1/work-items.xml", &[], StatusCode::NOT_FOUND).await;
}

/// Counts of a group of items, made here.
#[derive(Debug, Clone, Default)]
struct Tally {
    count: u64,
    by_status: BTreeMap<String, u64>,
    progress: i64,
}

impl Tally {
    fn add(&mut self, item: &Value) {
        self.count += 1;
        *self.by_status.entry(text(&item["status"]).to_owned()).or_default() += 1;
        self.progress += item["progress"].as_i64().expect("progress");
    }

    /// The counts as the API shows them.
    fn json(&self) -> Value {
        let by_status: serde_json::Map<String, Value> =
            STATUSES.iter().map(|s| ((*s).to_owned(), json!(self.by_status.get(*s).copied().unwrap_or(0)))).collect();
        let average = (self.count > 0).then(|| (self.progress as f64 / self.count as f64 * 10.0).round() / 10.0);
        json!({"count": self.count, "by_status": by_status, "average_progress": average})
    }
}

fn tally_of(group: &Value) -> Value {
    json!({"count": group["count"], "by_status": group["by_status"], "average_progress": group["average_progress"]})
}

/// Asserts `stats` are `items` grouped by `key_of` (each item in every group it names).
fn assert_stats(stats: &Value, items: &[Value], key_of: impl Fn(&Value) -> Vec<Value>, what: &str) {
    let mut total = Tally::default();
    let mut expected: Vec<(Value, Tally)> = Vec::new();
    for item in items {
        total.add(item);
        for key in key_of(item) {
            match expected.iter_mut().find(|(k, _)| *k == key) {
                Some((_, tally)) => tally.add(item),
                None => {
                    let mut tally = Tally::default();
                    tally.add(item);
                    expected.push((key, tally));
                }
            }
        }
    }
    assert_eq!(tally_of(&stats["total"]), total.json(), "{what}: total");
    let groups = stats["groups"].as_array().expect("groups");
    let keys: Vec<&Value> = groups.iter().map(|g| &g["key"]).collect();
    assert_eq!(groups.len(), expected.len(), "{what}: groups {keys:?}");
    for (key, tally) in &expected {
        let group =
            groups.iter().find(|g| g["key"] == *key).unwrap_or_else(|| panic!("{what}: no group {key}; {keys:?}"));
        assert_eq!(tally_of(group), tally.json(), "{what}: group {key}");
    }
    let counts: Vec<u64> = groups.iter().map(|g| g["count"].as_u64().expect("count")).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{what}: largest first: {counts:?}");
}

/// The group keys of an item for `group_by`, made from its JSON.
fn keys_for(group_by: &str, item: &Value, documents: &HashMap<String, Value>) -> Vec<Value> {
    match group_by {
        "city" => vec![item["city"].clone()],
        "document" => {
            let d = &documents[text(&item["document_id"])];
            vec![json!({"id": d["id"], "doc_number": d["doc_number"], "title": d["title"]})]
        }
        "leader" => vec![if item["leader"].is_null() { Value::Null } else { item["leader"].clone() }],
        "unit" => units_of(item).iter().map(|u| json!({"id": u["id"], "name": u["name"], "role": u["role"]})).collect(),
        "status" => vec![json!({"status": item["status"]})],
        "period" => vec![json!({"period": item["period"]})],
        "category" => vec![match (item.get("group"), item.get("category")) {
            (Some(group), _) => json!({"number": group["number"], "name": group["heading"]}),
            (None, Some(category)) if !category.is_null() => category.clone(),
            // A project without a category is in the section's one unnamed group.
            _ => json!({"number": 1, "name": null}),
        }],
        other => panic!("no grouping {other}"),
    }
}

async fn stats_of_every_grouping_match_counts_made_from_the_lists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    // Some variety in status and progress first.
    let work_items = app.get_all("/api/v1/work-items", &[]).await;
    for (n, item) in work_items.iter().enumerate().step_by(17) {
        let (status, progress) = [("in_progress", 35), ("completed", 100), ("delayed", 12)][n % 3];
        patch(
            &app,
            &token,
            "work-items",
            item["id"].as_str().expect("id"),
            json!({"status": status, "progress": progress}),
        )
        .await;
    }
    let projects = app.get_all("/api/v1/livelihood-projects", &[]).await;
    for (n, item) in projects.iter().enumerate().step_by(9) {
        let (status, progress) = [("in_progress", 50), ("cancelled", 0), ("completed", 100)][n % 3];
        patch(
            &app,
            &token,
            "livelihood-projects",
            item["id"].as_str().expect("id"),
            json!({"status": status, "progress": progress}),
        )
        .await;
    }
    let documents: HashMap<String, Value> = app
        .get_all("/api/v1/documents", &[])
        .await
        .into_iter()
        .map(|d| (d["id"].as_str().expect("id").to_owned(), d))
        .collect();
    for (collection, count) in [("work-items", 299), ("livelihood-projects", 62)] {
        let items = app.get_all(&format!("/api/v1/{collection}"), &[]).await;
        assert_eq!(items.len(), count);
        for group_by in ["city", "document", "leader", "unit", "status", "period", "category"] {
            let stats = app.get_ok(&format!("/api/v1/stats/{collection}"), &[("group_by", group_by)]).await;
            assert_eq!(stats["group_by"], group_by);
            assert_stats(&stats, &items, |i| keys_for(group_by, i, &documents), &format!("{collection} by {group_by}"));
        }
        // Every filter of the lists applies: Yuhuan's only.
        let yuhuan: Vec<Value> = items.iter().filter(|i| i["city"]["code"] == "331083").cloned().collect();
        for group_by in ["leader", "status", "unit"] {
            let stats =
                app.get_ok(&format!("/api/v1/stats/{collection}"), &[("group_by", group_by), ("city", "331083")]).await;
            assert_stats(
                &stats,
                &yuhuan,
                |i| keys_for(group_by, i, &documents),
                &format!("Yuhuan {collection} by {group_by}"),
            );
        }
    }
    // Spot checks against the seed: the leader groups of Yueqing and Yuhuan.
    let by_leader = app.get_ok("/api/v1/stats/work-items", &[("group_by", "leader"), ("city", "331083")]).await;
    let counts: BTreeMap<String, u64> = by_leader["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (text(&g["key"]["name"]).to_owned(), g["count"].as_u64().expect("count")))
        .collect();
    assert_eq!(counts["柯寿建"], 28);
    assert_eq!(counts["蔡木贵"], 32);
    let by_period = app.get_ok("/api/v1/stats/work-items", &[("group_by", "period")]).await;
    assert_eq!(by_period["groups"][0]["key"], json!({"period": "2021"}));
    assert_eq!(by_period["groups"][0]["count"], 263);
    assert_eq!(by_period["groups"][1]["key"], json!({"period": "2021-2025"}));
    assert_eq!(by_period["groups"][1]["count"], 36);
}

async fn stats_of_units_with_filters_count_only_the_matching_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let items = app.get_all("/api/v1/work-items", &[]).await;
    let filters = [("city", "330382"), ("year", "2021"), ("unit_role", "lead")];
    let mut query = vec![("group_by", "unit")];
    query.extend(filters);
    let stats = app.get_ok("/api/v1/stats/work-items", &query).await;
    let matching: Vec<Value> = items
        .iter()
        .filter(|i| {
            let (first, last) = years(&i["period"]);
            i["city"]["code"] == "330382"
                && first <= 2021
                && 2021 <= last
                && units_of(i).iter().any(|u| u["role"] == "lead")
        })
        .cloned()
        .collect();
    assert_eq!(matching.len() as u64, app.count("/api/v1/work-items", &filters).await);
    // Each unit's count is how many of these items it leads; its other roles are left out.
    assert_stats(
        &stats,
        &matching,
        |i| {
            units_of(i)
                .iter()
                .filter(|u| u["role"] == "lead")
                .map(|u| json!({"id": u["id"], "name": u["name"], "role": "lead"}))
                .collect()
        },
        "Yueqing 2021 units that lead",
    );
    assert!(stats["groups"].as_array().expect("groups").iter().all(|g| g["key"]["role"] == "lead"));
    let development = stats["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["key"]["name"] == "市发改局")
        .expect("市发改局 leads");
    let led =
        matching.iter().filter(|i| units_of(i).iter().any(|u| u["name"] == "市发改局" && u["role"] == "lead")).count();
    assert_eq!(development["count"], led);

    // A unit filter with a role: that unit's rows in that role only, and the total of its items.
    let stats = app
        .get_ok("/api/v1/stats/work-items", &[("group_by", "unit"), ("unit", "市统计局"), ("unit_role", "cooperating")])
        .await;
    let cooperating: Vec<Value> = items
        .iter()
        .filter(|i| units_of(i).iter().any(|u| u["name"] == "市统计局" && u["role"] == "cooperating"))
        .cloned()
        .collect();
    assert_eq!(stats["total"]["count"], cooperating.len());
    let groups = stats["groups"].as_array().expect("groups");
    assert!(groups.iter().all(|g| g["key"]["role"] == "cooperating"), "{groups:?}");
    let statistics = groups.iter().find(|g| g["key"]["name"] == "市统计局").expect("市统计局");
    assert_eq!(statistics["count"], cooperating.len());
    // Without unit_role, every role of every unit of the matching items.
    let stats =
        app.get_ok("/api/v1/stats/livelihood-projects", &[("group_by", "unit"), ("city", "330382"), ("q", "医")]).await;
    let projects = app.get_all("/api/v1/livelihood-projects", &[]).await;
    let matching: Vec<Value> =
        projects.iter().filter(|i| i["city"]["code"] == "330382").filter(|i| mentions(i, "医")).cloned().collect();
    assert!(!matching.is_empty());
    assert_stats(
        &stats,
        &matching,
        |i| units_of(i).iter().map(|u| json!({"id": u["id"], "name": u["name"], "role": u["role"]})).collect(),
        "Yueqing livelihood projects about 医 by unit",
    );
}

/// Statistics by unit over everything or a city, which come from the tallies the database keeps
/// (migration 12), match counts made from the lists, and the same statistics counted from the
/// items themselves (`progress_min=0`, a filter the tallies do not hold, is every item).
async fn assert_unit_stats_match_the_lists(app: &TestApp, what: &str) {
    let documents = HashMap::new();
    let by_unit = |i: &Value| keys_for("unit", i, &documents);
    for collection in ["work-items", "livelihood-projects"] {
        let path = format!("/api/v1/stats/{collection}");
        let items = app.get_all(&format!("/api/v1/{collection}"), &[]).await;
        let stats = app.get_ok(&path, &[("group_by", "unit")]).await;
        assert_stats(&stats, &items, by_unit, &format!("{what}: {collection} by unit"));
        for city in ["330382", "331083"] {
            let of_city: Vec<Value> = items.iter().filter(|i| i["city"]["code"] == city).cloned().collect();
            let stats = app.get_ok(&path, &[("group_by", "unit"), ("city", city)]).await;
            assert_stats(&stats, &of_city, by_unit, &format!("{what}: {collection} of {city} by unit"));
            let counted = app.get_ok(&path, &[("group_by", "unit"), ("city", city), ("progress_min", "0")]).await;
            assert_eq!(stats, counted, "{what}: {collection} of {city}, tallied and counted");
            let leading = app.get_ok(&path, &[("group_by", "unit"), ("city", city), ("unit_role", "lead")]).await;
            let counted = app
                .get_ok(&path, &[("group_by", "unit"), ("city", city), ("unit_role", "lead"), ("progress_min", "0")])
                .await;
            assert_eq!(leading, counted, "{what}: {collection} of {city} led, tallied and counted");
        }
    }
}

async fn unit_stats_from_tallies_follow_every_kind_of_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    assert_unit_stats_match_the_lists(&app, "seeded").await;

    let section = yueqing_section(&app, 2).await;
    let new_item = json!({
        "section": section, "group": {"number": 1, "heading": null}, "seq": 901, "content": "新增的重点工作。",
        "leader": null, "remarks": null,
        "units": [{"unit": "市发改局", "role": "lead"}, {"unit": "市财政局", "role": "cooperating"}]
    });
    let reply = app.send(Method::POST, "/api/v1/work-items", Some(token.as_str()), Some(new_item), &[]).await;
    let id = reply.expect(StatusCode::CREATED)["id"].as_str().expect("id").to_owned();
    assert_unit_stats_match_the_lists(&app, "an item created").await;

    let units = json!([{"unit": "市财政局", "role": "lead"}, {"unit": "市农业农村局", "role": "responsible"}]);
    patch(&app, &token, "work-items", &id, json!({"units": units, "status": "in_progress", "progress": 30})).await;
    assert_unit_stats_match_the_lists(&app, "its units, status and progress changed").await;

    let report = json!({
        "unit": "市财政局", "as_of": "2021-06-30", "status": "completed", "progress": 100,
        "text": "已完成。", "problems": null, "help_requested": null
    });
    let reply = app
        .send(Method::POST, &format!("/api/v1/work-items/{id}/reports"), Some(token.as_str()), Some(report), &[])
        .await;
    reply.expect(StatusCode::CREATED);
    assert_eq!(app.get_ok(&format!("/api/v1/work-items/{id}"), &[]).await["status"], "completed");
    assert_unit_stats_match_the_lists(&app, "a report filed").await;

    app.send(Method::DELETE, &format!("/api/v1/work-items/{id}?cascade=true"), Some(token.as_str()), None, &[])
        .await
        .expect(StatusCode::NO_CONTENT);
    assert_unit_stats_match_the_lists(&app, "the item deleted").await;

    // Yuhuan's document again, with other units on its first item and its last item gone.
    let mut file: Value = serde_json::from_str(api::domain::import::SEED_FILES[1].1).expect("the seed file is JSON");
    let items = file["sections"][0]["groups"][0]["items"].as_array_mut().expect("items");
    items[0]["units"] = json!([{"name": "市府办", "role": "responsible"}, {"name": "市财政局", "role": "lead"}]);
    items.pop();
    let reply = app.send(Method::POST, "/api/v1/imports", Some(token.as_str()), Some(file), &[]).await;
    assert!(reply.status.is_success(), "{:?}", reply.body);
    assert_unit_stats_match_the_lists(&app, "a document re-imported").await;

    let yuhuan = app.get_all("/api/v1/documents", &[("city", "331083")]).await;
    for document in yuhuan {
        let path = format!("/api/v1/documents/{}?cascade=true", text(&document["id"]));
        app.send(Method::DELETE, &path, Some(token.as_str()), None, &[]).await.expect(StatusCode::NO_CONTENT);
    }
    assert_eq!(app.count("/api/v1/work-items", &[("city", "331083")]).await, 0);
    assert_unit_stats_match_the_lists(&app, "a city's documents deleted with their items").await;
}

async fn stats_follow_status_and_progress_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let fresh = app.get_ok("/api/v1/stats/work-items", &[("group_by", "status")]).await;
    assert_eq!(
        fresh,
        json!({
            "group_by": "status",
            "total": {"count": 299, "by_status": {"cancelled": 0, "completed": 0, "delayed": 0, "in_progress": 0, "not_started": 299}, "average_progress": 0.0},
            "groups": [{"key": {"status": "not_started"}, "count": 299, "by_status": {"cancelled": 0, "completed": 0, "delayed": 0, "in_progress": 0, "not_started": 299}, "average_progress": 0.0}]
        })
    );
    let items = app.get_all("/api/v1/work-items", &[("city", "330382")]).await;
    let changes = [("in_progress", 40), ("in_progress", 75), ("completed", 100), ("delayed", 15), ("cancelled", 0)];
    for (item, (status, progress)) in items.iter().zip(changes) {
        patch(
            &app,
            &token,
            "work-items",
            item["id"].as_str().expect("id"),
            json!({"status": status, "progress": progress}),
        )
        .await;
    }
    let stats = app.get_ok("/api/v1/stats/work-items", &[("group_by", "status")]).await;
    let group = |status: &str| {
        stats["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["key"]["status"] == status)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(group("not_started")["count"], 294);
    assert_eq!(group("in_progress")["count"], 2);
    assert_eq!(group("in_progress")["average_progress"], 57.5);
    assert_eq!(group("completed")["average_progress"], 100.0);
    assert_eq!(group("delayed")["average_progress"], 15.0);
    assert_eq!(group("cancelled")["count"], 1);
    assert_eq!(group("in_progress")["by_status"]["in_progress"], 2);
    assert_eq!(group("in_progress")["by_status"]["not_started"], 0);
    assert_eq!(stats["groups"][0]["key"]["status"], "not_started", "largest first");
    // 230 / 299 = 0.769…, to one decimal.
    assert_eq!(stats["total"]["average_progress"], 0.8);
    assert_eq!(
        stats["total"]["by_status"],
        json!({"cancelled": 1, "completed": 1, "delayed": 1, "in_progress": 2, "not_started": 294})
    );
    let all = app.get_all("/api/v1/work-items", &[]).await;
    assert_stats(&stats, &all, |i| vec![json!({"status": i["status"]})], "by status after writes");
    // Filtered to Yueqing's 2021 plan with progress, grouped by leader.
    let query = [("group_by", "leader"), ("city", "330382"), ("progress_min", "1")];
    let stats = app.get_ok("/api/v1/stats/work-items", &query).await;
    let moving: Vec<Value> =
        all.iter().filter(|i| i["city"]["code"] == "330382" && i["progress"].as_i64() > Some(0)).cloned().collect();
    assert_eq!(moving.len(), 4);
    assert_stats(&stats, &moving, |i| vec![i["leader"].clone()], "Yueqing items under way by leader");
    // Nothing matches: no groups, and no average.
    let none = app.get_ok("/api/v1/stats/work-items", &[("group_by", "city"), ("q", "不存在的词语")]).await;
    assert_eq!(none["total"]["count"], 0);
    assert!(none["total"]["average_progress"].is_null());
    assert_eq!(none["groups"], json!([]));
}

async fn stats_need_a_known_group_by(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/stats/work-items", "/api/v1/stats/livelihood-projects"] {
        let problem = app.get_problem(path, &[], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains("group_by"), "{problem}");
        let problem = app.get_problem(path, &[("group_by", "colour")], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains("group_by"), "{problem}");
        let problem = app.get_problem(path, &[("group_by", "city"), ("limit", "5")], StatusCode::BAD_REQUEST).await;
        assert!(problem.to_string().contains("limit"), "{problem}");
        app.get_problem(path, &[("group_by", "city"), ("status", "finished")], StatusCode::BAD_REQUEST).await;
        app.get_problem(path, &[("group_by", "city"), ("city", "Yueqing")], StatusCode::BAD_REQUEST).await;
    }
}
