//! Filters, sorting and paging of every list.

use reqwest::StatusCode;
use serde_json::Value;

use api::config::Config;

use crate::{
    helpers::{Backend, TestApp, find},
    on_both_backends,
};

on_both_backends!(
    city_filter_takes_an_id_or_a_code,
    document_filter_narrows_to_one_document,
    leader_filter_takes_an_id_or_a_name,
    unit_filter_takes_an_id_or_a_name_and_a_role,
    status_period_year_and_category_filter,
    q_finds_chinese_substrings_in_content_and_remarks,
    updated_since_filters_by_change_time,
    sort_orders_by_each_allowed_field,
    paging_walks_every_item_once_with_link_headers,
    a_count_past_the_count_limit_is_a_lower_bound,
    a_unit_filtered_page_counts_the_same_on_every_page,
    leaders_units_and_documents_filter_by_city_and_name,
    items_are_found_by_id,
);

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect()
}

async fn city_filter_takes_an_id_or_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.get_ok("/api/v1/cities/330382", &[]).await;
    assert_eq!(city["name"], "乐清市");
    let city_id = city["id"].as_str().expect("id");
    assert_eq!(app.get_ok(&format!("/api/v1/cities/{city_id}"), &[]).await["code"], "330382");

    let by_code = app.get_all("/api/v1/work-items", &[("city", "330382")]).await;
    let by_id = app.get_all("/api/v1/work-items", &[("city", city_id)]).await;
    assert_eq!(by_code.len(), 165);
    assert_eq!(ids(&by_code), ids(&by_id));
    assert!(by_code.iter().all(|i| i["city"]["code"] == "330382"));
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("city", "330382")]).await, 48);
    // A well-formed code of no city in the data matches nothing.
    assert_eq!(app.count("/api/v1/work-items", &[("city", "110101")]).await, 0);
}

async fn document_filter_narrows_to_one_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let documents = app.get_all("/api/v1/documents", &[]).await;
    let yuhuan = find(&documents, "doc_number", "玉政办发〔2021〕9号")["id"].as_str().expect("id").to_owned();
    let items = app.get_all("/api/v1/work-items", &[("document", yuhuan.as_str())]).await;
    assert_eq!(items.len(), 134);
    assert!(items.iter().all(|i| i["document_id"] == yuhuan.as_str()));
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("document", yuhuan.as_str())]).await, 14);
    let document = app.get_ok(&format!("/api/v1/documents/{yuhuan}"), &[]).await;
    assert_eq!(document["sections"].as_array().expect("sections").len(), 2);
}

async fn leader_filter_takes_an_id_or_a_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let by_name = app.get_all("/api/v1/work-items", &[("leader", "何学考")]).await;
    assert_eq!(by_name.len(), 11 + 32);
    let leader_id = by_name[0]["leader"]["id"].as_str().expect("id").to_owned();
    let by_id = app.get_all("/api/v1/work-items", &[("leader", leader_id.as_str())]).await;
    assert_eq!(ids(&by_name), ids(&by_id));
    let leader = app.get_ok(&format!("/api/v1/leaders/{leader_id}"), &[]).await;
    assert_eq!(leader["title"], "常务副市长");
    assert_eq!(leader["city"]["code"], "330382");
    // Several leaders: repeated or comma-separated.
    let both = app.count("/api/v1/work-items", &[("leader", "何学考"), ("leader", "周阳")]).await;
    assert_eq!(both, 43 + 5);
    assert_eq!(app.count("/api/v1/work-items", &[("leader", "何学考,周阳")]).await, both);
    // Livelihood rows carry their own leader: 陈微燕 leads (1)–(7), (13)–(17), (21)–(24), (25)–(28).
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("leader", "陈微燕")]).await, 7 + 5 + 4 + 4);
    assert_eq!(app.count("/api/v1/work-items", &[("leader", "无此人")]).await, 0);
}

async fn unit_filter_takes_an_id_or_a_name_and_a_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let all = app.get_all("/api/v1/work-items", &[("unit", "市交通运输局"), ("city", "330382")]).await;
    assert!(!all.is_empty());
    assert!(all.iter().all(|i| { i["units"].as_array().expect("units").iter().any(|u| u["name"] == "市交通运输局") }));
    let led =
        app.get_all("/api/v1/work-items", &[("unit", "市交通运输局"), ("city", "330382"), ("unit_role", "lead")]).await;
    assert!(!led.is_empty() && led.len() < all.len());
    assert!(led.iter().all(|i| {
        i["units"].as_array().expect("units").iter().any(|u| u["name"] == "市交通运输局" && u["role"] == "lead")
    }));
    let expected_led = all
        .iter()
        .filter(|i| {
            i["units"].as_array().expect("units").iter().any(|u| u["name"] == "市交通运输局" && u["role"] == "lead")
        })
        .count();
    assert_eq!(led.len(), expected_led);

    let unit_id =
        led[0]["units"].as_array().expect("units").iter().find(|u| u["name"] == "市交通运输局").expect("unit")["id"]
            .as_str()
            .expect("id")
            .to_owned();
    let by_id = app.get_all("/api/v1/work-items", &[("unit", unit_id.as_str()), ("unit_role", "lead")]).await;
    assert_eq!(ids(&by_id), ids(&led));
    assert_eq!(app.get_ok(&format!("/api/v1/units/{unit_id}"), &[]).await["name"], "市交通运输局");

    // Yuhuan's 配合单位 are `cooperating`.
    let cooperating = app.get_all("/api/v1/work-items", &[("unit", "市统计局"), ("unit_role", "cooperating")]).await;
    assert!(cooperating.iter().all(|i| i["city"]["code"] == "331083"));
    assert!(cooperating.len() >= 2);
    // A role alone: items where any unit has it.
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("unit_role", "cooperating")]).await, 0);
}

async fn status_period_year_and_category_filter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.count("/api/v1/work-items", &[("status", "not_started")]).await, 299);
    assert_eq!(app.count("/api/v1/work-items", &[("status", "completed,delayed")]).await, 0);
    assert_eq!(app.count("/api/v1/work-items", &[("period", "2021-2025")]).await, 36);
    assert_eq!(app.count("/api/v1/work-items", &[("period", "2021")]).await, 129 + 134);
    // A five-year item covers 2023; an annual one does not.
    assert_eq!(app.count("/api/v1/work-items", &[("year", "2023")]).await, 36);
    assert_eq!(app.count("/api/v1/work-items", &[("year", "2021")]).await, 299);
    assert_eq!(app.count("/api/v1/work-items", &[("year", "2020")]).await, 0);
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("category", "10"), ("city", "330382")]).await, 2);
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("category", "农贸市场改造力度提升")]).await, 2);
}

async fn q_finds_chinese_substrings_in_content_and_remarks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Two characters: the parking items of both cities.
    let parking = app.get_all("/api/v1/work-items", &[("q", "停车")]).await;
    assert!(parking.iter().all(|i| i["content"].as_str().expect("content").contains("停车")));
    let cities: std::collections::BTreeSet<&str> =
        parking.iter().map(|i| i["city"]["code"].as_str().expect("code")).collect();
    assert_eq!(cities.into_iter().collect::<Vec<_>>(), ["330382", "331083"]);
    assert!(app.count("/api/v1/livelihood-projects", &[("q", "停车")]).await >= 1);
    // One character, and a longer phrase.
    let one = app.count("/api/v1/work-items", &[("q", "港")]).await;
    assert!(one > 0);
    assert_eq!(app.count("/api/v1/work-items", &[("q", "智慧停车系统")]).await, 1);
    // Remarks and unit names are searched too.
    let remarks = app.get_all("/api/v1/work-items", &[("q", "市委改革办")]).await;
    let in_remarks = remarks.iter().filter(|i| i["remarks"].as_str().unwrap_or("").contains("市委改革办")).count();
    let in_units = remarks
        .iter()
        .filter(|i| i["units"].as_array().expect("units").iter().any(|u| u["name"] == "市委改革办"))
        .count();
    assert!(in_remarks > 0 && in_units > 0, "{in_remarks} by remarks, {in_units} by unit");
    assert!(remarks.iter().all(|i| {
        i["content"].as_str().unwrap_or("").contains("市委改革办")
            || i["remarks"].as_str().unwrap_or("").contains("市委改革办")
            || i["units"]
                .as_array()
                .expect("units")
                .iter()
                .any(|u| u["name"].as_str().unwrap_or("").contains("市委改革办"))
    }));
    // LIKE wildcards are literal characters.
    let all = app.get_all("/api/v1/work-items", &[]).await;
    let with_percent = all
        .iter()
        .filter(|i| {
            i["content"].as_str().unwrap_or("").contains('%') || i["remarks"].as_str().unwrap_or("").contains('%')
        })
        .count() as u64;
    assert!(with_percent > 0 && with_percent < 299);
    assert_eq!(app.count("/api/v1/work-items", &[("q", "%")]).await, with_percent);
    assert_eq!(app.count("/api/v1/work-items", &[("q", "_")]).await, 0, "an underscore is not a wildcard");
    assert_eq!(app.count("/api/v1/work-items", &[("q", "不存在的词语")]).await, 0);
}

async fn updated_since_filters_by_change_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.count("/api/v1/work-items", &[("updated_since", "2000-01-01T00:00:00Z")]).await, 299);
    assert_eq!(app.count("/api/v1/work-items", &[("updated_since", "2999-01-01T00:00:00Z")]).await, 0);
}

async fn sort_orders_by_each_allowed_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Default: document order.
    let items = app.get_all("/api/v1/work-items", &[("city", "331083")]).await;
    let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().expect("seq")).collect();
    assert_eq!(seqs, (1..=134).collect::<Vec<_>>());
    let reversed = app.get_all("/api/v1/work-items", &[("city", "331083"), ("sort", "-seq")]).await;
    let reversed_seqs: Vec<i64> = reversed.iter().map(|i| i["seq"].as_i64().expect("seq")).collect();
    assert_eq!(reversed_seqs, (1..=134).rev().collect::<Vec<_>>());
    for field in ["progress", "status", "period", "created_at", "updated_at"] {
        for sort in [field.to_owned(), format!("-{field}"), format!("{field},-seq")] {
            let sorted = app.get_all("/api/v1/work-items", &[("sort", sort.as_str())]).await;
            assert_eq!(sorted.len(), 299, "sort={sort}");
        }
    }
    // period: the five-year items come last ascending, first descending.
    let by_period = app.get_ok("/api/v1/work-items", &[("sort", "-period"), ("limit", "36")]).await;
    assert!(by_period["items"].as_array().expect("items").iter().all(|i| i["period"] == "2021-2025"));
    let cities = app.get_ok("/api/v1/cities", &[("sort", "-code")]).await;
    assert_eq!(cities["items"][0]["code"], "331083");
    let units = app.get_ok("/api/v1/units", &[("sort", "-name"), ("limit", "2")]).await;
    let (a, b) = (units["items"][0]["name"].as_str().expect("name"), units["items"][1]["name"].as_str().expect("name"));
    assert!(a >= b);
    let documents = app.get_ok("/api/v1/documents", &[]).await;
    assert_eq!(documents["items"][0]["doc_number"], "乐政办函〔2021〕7号", "newest first by default");
    let documents = app.get_ok("/api/v1/documents", &[("sort", "issued_on")]).await;
    assert_eq!(documents["items"][0]["doc_number"], "玉政办发〔2021〕9号");
}

async fn paging_walks_every_item_once_with_link_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.get("/api/v1/work-items", &[("limit", "100")]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let link = first.headers().get("link").expect("a Link header").to_str().expect("ascii").to_owned();
    assert!(
        link.contains("rel=\"first\"") && link.contains("rel=\"next\"") && !link.contains("rel=\"prev\""),
        "{link}"
    );
    assert_eq!(first.headers().get("x-total-count").expect("count"), "299");
    let body: Value = first.json().await.expect("json");
    assert_eq!(
        (body["total"].as_u64(), body["limit"].as_u64(), body["offset"].as_u64()),
        (Some(299), Some(100), Some(0))
    );

    // Follow `next` links to the end.
    let mut seen = ids(body["items"].as_array().expect("items"));
    let mut next = next_link(&link);
    while let Some(url) = next {
        let response = app.client.get(format!("{}{url}", app.address)).send().await.expect("sent");
        let link = response.headers().get("link").expect("a Link header").to_str().expect("ascii").to_owned();
        assert!(link.contains("rel=\"prev\""), "{link}");
        let page: Value = response.json().await.expect("json");
        seen.extend(ids(page["items"].as_array().expect("items")));
        next = next_link(&link);
    }
    assert_eq!(seen.len(), 299);
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 299, "no item twice");
    assert_eq!(seen, ids(&app.get_all("/api/v1/work-items", &[]).await));

    let last = app.get_ok("/api/v1/work-items", &[("offset", "290"), ("limit", "50")]).await;
    assert_eq!(last["items"].as_array().expect("items").len(), 9);
    let beyond = app.get_ok("/api/v1/work-items", &[("offset", "1000")]).await;
    assert_eq!(beyond["items"].as_array().expect("items").len(), 0);
    assert_eq!(beyond["total"], 299);
    let default = app.get_ok("/api/v1/work-items", &[]).await;
    assert_eq!(default["limit"], 50);
    assert_eq!(default["items"].as_array().expect("items").len(), 50);
}

fn next_link(link: &str) -> Option<String> {
    link.split(", ")
        .find(|part| part.ends_with("rel=\"next\""))
        .and_then(|part| part.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(url, _)| url.to_owned()))
}

async fn leaders_units_and_documents_filter_by_city_and_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.count("/api/v1/leaders", &[("city", "330382")]).await, 7);
    assert_eq!(app.count("/api/v1/leaders", &[]).await, 15);
    let wang = app.get_all("/api/v1/leaders", &[("q", "王")]).await;
    assert_eq!(wang.len(), 2);
    let units = app.get_all("/api/v1/units", &[("city", "331083"), ("q", "发改")]).await;
    assert!(units.iter().any(|u| u["name"] == "市发改局"));
    assert!(units.iter().all(|u| u["city"]["code"] == "331083"));
    assert_eq!(app.count("/api/v1/documents", &[("city", "331083")]).await, 1);
    assert_eq!(app.count("/api/v1/documents", &[("year", "2021")]).await, 2);
    assert_eq!(app.count("/api/v1/documents", &[("year", "2022")]).await, 0);
    assert_eq!(app.count("/api/v1/documents", &[("q", "乐政办函")]).await, 1);
    assert_eq!(app.count("/api/v1/cities", &[("q", "Yuhuan")]).await, 1);
}

async fn items_are_found_by_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // One item is read in one statement that embeds its units as JSON; a page, in two. Both must
    // give the same item, units, roles, notes and order included.
    let mut listed = Value::Null;
    for collection in ["work-items", "livelihood-projects"] {
        let page = app.get_ok(&format!("/api/v1/{collection}"), &[("limit", "100")]).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.iter().any(|item| item["units"].as_array().is_some_and(|units| units.len() > 1)));
        for item in items {
            let id = item["id"].as_str().expect("id");
            assert_eq!(&app.get_ok(&format!("/api/v1/{collection}/{id}"), &[]).await, item, "{collection}/{id}");
        }
        if collection == "work-items" {
            listed = items[0].clone();
        }
    }
    // A work item is not a livelihood project.
    let work_item_id = listed["id"].as_str().expect("id");
    app.get_problem(&format!("/api/v1/livelihood-projects/{work_item_id}"), &[], StatusCode::NOT_FOUND).await;
}

/// The count a page shows: its `total`, `total_relation` and `X-Total-Count` header.
async fn counted(app: &TestApp, query: &[(&str, &str)]) -> (Value, Value, Option<String>) {
    let response = app.get("/api/v1/work-items", query).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = response.headers().get("x-total-count").map(|v| v.to_str().expect("ascii").to_owned());
    let page: Value = response.json().await.expect("json");
    (page["total"].clone(), page["total_relation"].clone(), header)
}

/// Items found through units of one city are counted in the statement that picks the page
/// (`count(*) OVER ()`); units named across cities are counted apart. Either way the total is
/// every match, on the first page, a later one, one past the end and one after a cursor.
async fn a_unit_filtered_page_counts_the_same_on_every_page(backend: Backend) {
    let app = TestApp::spawn_with(backend, true, |config: &mut Config| config.serve.count_limit = 5).await;
    let in_city = [("unit", "市交通运输局"), ("city", "330382"), ("count", "exact")];
    let all = app.get_all("/api/v1/work-items", &in_city).await;
    let matches = all.len();
    assert!(matches > 6, "{matches} matches");
    let exact = (Value::from(matches), Value::from("eq"), Some(matches.to_string()));
    let past_the_end = (matches + 3).to_string();
    for offset in ["0", "3", past_the_end.as_str()] {
        assert_eq!(
            counted(&app, &[in_city[0], in_city[1], in_city[2], ("limit", "2"), ("offset", offset)]).await,
            exact
        );
    }
    // The default count stops at the count limit, counted along or apart.
    let capped = (Value::from(5), Value::from("gte"), None);
    assert_eq!(counted(&app, &[in_city[0], in_city[1], ("limit", "2")]).await, capped);
    assert_eq!(counted(&app, &[in_city[0], in_city[1], ("limit", "2"), ("offset", "4")]).await, capped);
    // After a cursor: the same total, and the pages walk every match once.
    let first = app.get_ok("/api/v1/work-items", &[in_city[0], in_city[1], in_city[2], ("limit", "4")]).await;
    let cursor = first["next_cursor"].as_str().expect("a next cursor");
    let query = [in_city[0], in_city[1], in_city[2], ("limit", "500"), ("cursor", cursor)];
    let rest = app.get_ok("/api/v1/work-items", &query).await;
    assert_eq!(rest["total"], matches);
    let mut walked = ids(first["items"].as_array().expect("items"));
    walked.extend(ids(rest["items"].as_array().expect("items")));
    assert_eq!(walked, ids(&all));
    // A unit by id (one city's) is counted along; by name across the cities, apart.
    let unit_id = all[0]["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["name"] == "市交通运输局")
        .expect("the unit")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let by_id = [("unit", unit_id.as_str()), ("count", "exact"), ("limit", "2")];
    assert_eq!(counted(&app, &by_id).await, exact);
    let everywhere = app.get_all("/api/v1/work-items", &[in_city[0], in_city[2]]).await;
    let everywhere_exact = (Value::from(everywhere.len()), Value::from("eq"), Some(everywhere.len().to_string()));
    assert!(everywhere.len() >= matches);
    assert_eq!(counted(&app, &[in_city[0], in_city[2], ("limit", "2"), ("offset", "1")]).await, everywhere_exact);
}

async fn a_count_past_the_count_limit_is_a_lower_bound(backend: Backend) {
    let app = TestApp::spawn_with(backend, true, |config: &mut Config| config.serve.count_limit = 100).await;
    let city = [("city", "330382"), ("limit", "2")];
    // 165 matches, the limit 100: by default the count stops there and says so.
    let (total, relation, header) = counted(&app, &city).await;
    assert_eq!((total, relation, header), (Value::from(100), Value::from("gte"), None));
    let (total, relation, header) = counted(&app, &[city[0], city[1], ("count", "auto")]).await;
    assert_eq!((total, relation, header), (Value::from(100), Value::from("gte"), None));
    // Asked for, the count is exact however many.
    let (total, relation, header) = counted(&app, &[city[0], city[1], ("count", "exact")]).await;
    assert_eq!((total, relation, header), (Value::from(165), Value::from("eq"), Some("165".to_owned())));
    // Under the limit the default count is exact; at exactly the limit too.
    let (total, relation, header) = counted(&app, &[("q", "停车")]).await;
    assert_eq!((total, relation, header), (Value::from(3), Value::from("eq"), Some("3".to_owned())));
    let at_limit = TestApp::spawn_with(backend, true, |config: &mut Config| config.serve.count_limit = 165).await;
    let (total, relation, header) = counted(&at_limit, &city).await;
    assert_eq!((total, relation, header), (Value::from(165), Value::from("eq"), Some("165".to_owned())));
    // Not counting at all.
    let (total, relation, header) = counted(&app, &[city[0], city[1], ("count", "none")]).await;
    assert_eq!((total, relation, header), (Value::Null, Value::Null, None));
    // A count mode that does not exist is a 400 naming `count`.
    let problem = app.get_problem("/api/v1/work-items", &[("count", "estimated")], StatusCode::BAD_REQUEST).await;
    assert!(problem.to_string().contains("count"), "{problem}");
}
