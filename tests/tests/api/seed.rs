//! The seed documents read back through the API: counts per document, section, leader group and
//! category, and spot checks of single items against the source text.

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, find},
    on_both_backends,
};

on_both_backends!(
    both_cities_and_documents_are_served,
    sections_count_their_items,
    yueqing_leader_groups_have_the_items_of_the_source,
    yueqing_livelihood_categories_have_the_items_of_the_source,
    yuhuan_leaders_have_the_items_of_the_source,
    yuhuan_livelihood_projects_split_into_fourteen_rows,
    yueqing_items_read_back_as_written,
    yuhuan_items_read_back_as_written,
);

async fn both_cities_and_documents_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cities = app.get_all("/api/v1/cities", &[]).await;
    assert_eq!(cities.len(), 2);
    let yueqing = find(&cities, "code", "330382");
    assert_eq!(yueqing["name"], "乐清市");
    assert_eq!(yueqing["name_en"], "Yueqing");
    assert_eq!(yueqing["prefecture"], "温州市");
    let yuhuan = find(&cities, "code", "331083");
    assert_eq!(yuhuan["name"], "玉环市");
    assert_eq!(yuhuan["prefecture"], "台州市");

    let documents = app.get_all("/api/v1/documents", &[]).await;
    assert_eq!(documents.len(), 2);
    let yueqing_doc = find(&documents, "doc_number", "乐政办函〔2021〕7号");
    assert_eq!(yueqing_doc["issued_on"], "2021-04-27");
    assert_eq!(yueqing_doc["issuer"], "乐清市人民政府办公室");
    assert_eq!(yueqing_doc["city"]["code"], "330382");
    assert_eq!(yueqing_doc["disclosure"], "此件公开发布");
    let yuhuan_doc = find(&documents, "doc_number", "玉政办发〔2021〕9号");
    assert_eq!(yuhuan_doc["issued_on"], "2021-03-12");
    assert_eq!(yuhuan_doc["published_at"], "2021-03-16T05:49:00Z");
    assert_eq!(yuhuan_doc["title"], "关于印发2021年市政府重点工作和民生实事项目责任分工抓落实方案的通知");
}

async fn sections_count_their_items(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let documents = app.get_all("/api/v1/documents", &[]).await;
    let summary = |doc_number: &str| -> Vec<(i64, String, String, i64)> {
        find(&documents, "doc_number", doc_number)["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .map(|s| {
                (
                    s["number"].as_i64().expect("number"),
                    s["kind"].as_str().expect("kind").to_owned(),
                    s["period"].as_str().expect("period").to_owned(),
                    s["item_count"].as_i64().expect("count"),
                )
            })
            .collect()
    };
    let s = |n, kind: &str, period: &str, count| (n, kind.to_owned(), period.to_owned(), count);
    assert_eq!(
        summary("乐政办函〔2021〕7号"),
        vec![
            s(1, "work_item", "2021-2025", 36),
            s(2, "work_item", "2021", 129),
            s(3, "livelihood_project", "2021", 48)
        ]
    );
    assert_eq!(
        summary("玉政办发〔2021〕9号"),
        vec![s(1, "work_item", "2021", 134), s(2, "livelihood_project", "2021", 14)]
    );

    // The same counts through the item lists and their filters.
    assert_eq!(app.count("/api/v1/work-items", &[]).await, 36 + 129 + 134);
    assert_eq!(app.count("/api/v1/livelihood-projects", &[]).await, 48 + 14);
    assert_eq!(app.count("/api/v1/work-items", &[("city", "330382"), ("period", "2021-2025")]).await, 36);
    assert_eq!(app.count("/api/v1/work-items", &[("city", "330382"), ("period", "2021")]).await, 129);
    assert_eq!(app.count("/api/v1/work-items", &[("city", "331083")]).await, 134);
    for section in find(&documents, "doc_number", "乐政办函〔2021〕7号")["sections"].as_array().expect("sections")
    {
        let path = if section["kind"] == "work_item" { "/api/v1/work-items" } else { "/api/v1/livelihood-projects" };
        let id = section["id"].as_str().expect("id");
        assert_eq!(app.count(path, &[("section", id)]).await, section["item_count"].as_u64().expect("count"));
    }
}

/// Items per group of one section, in group order, read through `category=N`.
async fn group_counts(app: &TestApp, path: &str, section_id: &str, groups: usize) -> Vec<u64> {
    let mut counts = Vec::new();
    for number in 1..=groups {
        let number = number.to_string();
        counts.push(app.count(path, &[("section", section_id), ("category", number.as_str())]).await);
    }
    counts
}

fn section_id(documents: &[Value], doc_number: &str, number: i64) -> String {
    let sections = find(documents, "doc_number", doc_number)["sections"].as_array().expect("sections").clone();
    find(&sections, "number", number)["id"].as_str().expect("id").to_owned()
}

async fn yueqing_leader_groups_have_the_items_of_the_source(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let documents = app.get_all("/api/v1/documents", &[]).await;
    let five_year = section_id(&documents, "乐政办函〔2021〕7号", 1);
    let annual = section_id(&documents, "乐政办函〔2021〕7号", 2);
    assert_eq!(group_counts(&app, "/api/v1/work-items", &five_year, 8).await, [1, 11, 9, 4, 3, 3, 3, 2]);
    assert_eq!(group_counts(&app, "/api/v1/work-items", &annual, 8).await, [3, 32, 23, 21, 19, 15, 13, 3]);

    // Leader groups by leader: name, title and heading.
    let items = app.get_all("/api/v1/work-items", &[("section", annual.as_str())]).await;
    let heads: Vec<(i64, Value, Value, Value)> = {
        let mut seen: Vec<(i64, Value, Value, Value)> = Vec::new();
        for item in &items {
            let number = item["group"]["number"].as_i64().expect("group number");
            if !seen.iter().any(|(n, ..)| *n == number) {
                seen.push((
                    number,
                    item["group"]["heading"].clone(),
                    item["leader"]["name"].clone(),
                    item["leader"]["title"].clone(),
                ));
            }
        }
        seen
    };
    assert_eq!(
        heads,
        vec![
            (1, json!("徐建兵市长牵头重点工作"), json!("徐建兵"), json!("市长")),
            (2, json!("何学考常务副市长牵头重点工作"), json!("何学考"), json!("常务副市长")),
            (3, json!("郑巨化副市长牵头重点工作"), json!("郑巨化"), json!("副市长")),
            (4, json!("吴振弟副市长牵头重点工作"), json!("吴振弟"), json!("副市长")),
            (5, json!("陈微燕副市长牵头重点工作"), json!("陈微燕"), json!("副市长")),
            (6, json!("王东副市长牵头重点工作"), json!("王东"), json!("副市长")),
            (7, json!("王烨副市长牵头重点工作"), json!("王烨"), json!("副市长")),
            (8, json!("其他重点工作"), Value::Null, Value::Null),
        ]
    );
    assert_eq!(app.count("/api/v1/work-items", &[("section", annual.as_str()), ("leader", "何学考")]).await, 32);
    assert_eq!(
        app.count(
            "/api/v1/work-items",
            &[("section", five_year.as_str()), ("category", "市政府各部门共同推进重点工作")]
        )
        .await,
        2
    );
}

async fn yueqing_livelihood_categories_have_the_items_of_the_source(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let documents = app.get_all("/api/v1/documents", &[]).await;
    let section = section_id(&documents, "乐政办函〔2021〕7号", 3);
    assert_eq!(group_counts(&app, "/api/v1/livelihood-projects", &section, 10).await, [7, 5, 5, 7, 5, 7, 3, 4, 3, 2]);
    let projects = app.get_all("/api/v1/livelihood-projects", &[("section", section.as_str())]).await;
    let seqs: Vec<i64> = projects.iter().map(|p| p["seq"].as_i64().expect("seq")).collect();
    assert_eq!(seqs, (1..=48).collect::<Vec<_>>(), "numbered (1) to (48) in order");
    let categories: Vec<&str> = {
        let mut names: Vec<&str> = Vec::new();
        for p in &projects {
            let name = p["category"]["name"].as_str().expect("category name");
            if names.last() != Some(&name) {
                names.push(name);
            }
        }
        names
    };
    assert_eq!(
        categories,
        [
            "公共卫生服务能力提升",
            "供水安全和保障能力提升",
            "教育事业优质均衡发展",
            "养老助残服务水平提升",
            "公共文化体育服务水平优化",
            "城市交通循环水平提升",
            "公共交通服务水平优化",
            "市政环境卫生设施改造",
            "山老区基础设施提升",
            "农贸市场改造力度提升",
        ]
    );
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("category", "公共卫生服务能力提升")]).await, 7);
}

async fn yuhuan_leaders_have_the_items_of_the_source(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let documents = app.get_all("/api/v1/documents", &[]).await;
    let section = section_id(&documents, "玉政办发〔2021〕9号", 1);
    assert_eq!(group_counts(&app, "/api/v1/work-items", &section, 8).await, [5, 28, 32, 25, 15, 3, 18, 8]);
    let items = app.get_all("/api/v1/work-items", &[("section", section.as_str())]).await;
    let seqs: Vec<i64> = items.iter().map(|i| i["seq"].as_i64().expect("seq")).collect();
    assert_eq!(seqs, (1..=134).collect::<Vec<_>>(), "numbered 1 to 134 without gaps");
    for (leader, title, count) in [
        ("周阳", "市长", 5),
        ("柯寿建", "常务副市长", 28),
        ("蔡木贵", "常委", 32),
        ("陈威", "常委", 25),
        ("李丹佳", "副市长", 15),
        ("池涛", "副市长", 3),
        ("金加树", "副市长", 18),
        ("陈康", "副市长", 8),
    ] {
        let led = app.get_all("/api/v1/work-items", &[("city", "331083"), ("leader", leader)]).await;
        assert_eq!(led.len(), count, "items led by {leader}");
        assert!(led.iter().all(|i| i["leader"]["title"] == title), "{leader} is {title}");
    }
    let leaders = app.get_all("/api/v1/leaders", &[("city", "331083")]).await;
    assert_eq!(leaders.len(), 8);
}

async fn yuhuan_livelihood_projects_split_into_fourteen_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let projects = app.get_all("/api/v1/livelihood-projects", &[("city", "331083")]).await;
    let keys: Vec<(i64, Value)> =
        projects.iter().map(|p| (p["seq"].as_i64().expect("seq"), p["sub_seq"].clone())).collect();
    let mut expected: Vec<(i64, Value)> = Vec::new();
    for seq in 1..=12 {
        if seq == 3 || seq == 8 {
            expected.extend([(seq, json!(1)), (seq, json!(2))]);
        } else {
            expected.push((seq, Value::Null));
        }
    }
    assert_eq!(keys, expected);
    assert!(projects.iter().all(|p| p["category"].is_null() && p["leader"].is_null()));
    assert!(projects.iter().all(|p| { p["units"].as_array().is_some_and(|u| u.len() == 1 && u[0]["role"] == "lead") }));
}

/// The item of a list with this group number and seq.
fn item_at(items: &[Value], group: i64, seq: i64) -> &Value {
    items
        .iter()
        .find(|i| i["seq"] == seq && (i["group"]["number"] == group || i["category"]["number"] == group))
        .unwrap_or_else(|| panic!("no item {group}.{seq}"))
}

fn units(item: &Value) -> Vec<(String, String)> {
    item["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| (u["name"].as_str().expect("name").to_owned(), u["role"].as_str().expect("role").to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

async fn yueqing_items_read_back_as_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let five_year = app.get_all("/api/v1/work-items", &[("city", "330382"), ("period", "2021-2025")]).await;
    let annual = app.get_all("/api/v1/work-items", &[("city", "330382"), ("year", "2021"), ("period", "2021")]).await;
    let livelihood = app.get_all("/api/v1/livelihood-projects", &[("city", "330382")]).await;

    let item = item_at(&five_year, 1, 1);
    assert_eq!(item["content"], "全力跻身全省第一方阵最前列、奋进全国县域经济前十强。");
    assert_eq!(item["leader"]["name"], "徐建兵");
    assert_eq!(units(item), pairs(&[("市发改局", "lead"), ("市有关单位", "responsible")]));

    let item = item_at(&five_year, 2, 9);
    assert_eq!(item["content"], "深入推进市域治理体系和治理能力现代化，平安乐清、法治乐清建设取得显著成效。");
    assert_eq!(units(item), pairs(&[("市公安局", "lead")]));
    assert_eq!(item["remarks"], "根据市委工作安排，由市委政法委牵头");
    assert_eq!(item["period"], "2021-2025");

    // Several units and no star: each is responsible, none leads.
    let item = item_at(&five_year, 3, 6);
    assert_eq!(item["leader"]["name"], "郑巨化");
    assert_eq!(units(item), pairs(&[("市科技局", "responsible"), ("市发改局", "responsible")]));

    let item = item_at(&five_year, 3, 3);
    assert_eq!(
        units(item),
        pairs(&[
            ("市经信局", "lead"),
            ("市发改局", "responsible"),
            ("乐清经济开发区管委会", "responsible"),
            ("乐清湾港区管委会", "responsible"),
            ("柳白新区管委会", "responsible"),
        ])
    );

    let item = item_at(&annual, 2, 20);
    assert_eq!(item["leader"]["name"], "何学考");
    assert_eq!(item["leader"]["title"], "常务副市长");
    assert_eq!(item["group"]["heading"], "何学考常务副市长牵头重点工作");
    assert!(item["content"].as_str().expect("content").starts_with("打造城乡公交一体化升级版"));
    assert_eq!(
        units(item),
        pairs(&[("市交通运输局", "lead"), ("市治堵办", "responsible"), ("市交通水利投资集团", "responsible")])
    );

    let item = item_at(&annual, 4, 18);
    assert_eq!(item["leader"]["name"], "吴振弟");
    assert_eq!(units(item), pairs(&[("市人力社保局", "lead")]));
    assert_eq!(item["remarks"], "根据市委工作安排，由市委人才办牵头");

    let item = item_at(&annual, 4, 21);
    assert_eq!(item["content"], "深化综合执法改革。");
    assert_eq!(units(item), pairs(&[("市司法局", "responsible"), ("市综合行政执法局", "responsible")]));
    assert_eq!(item["remarks"], "根据市委工作安排，由市委编办牵头");

    let item = item_at(&annual, 8, 3);
    assert_eq!(item["content"], "深化开展“请你来批评”活动。");
    assert!(item["leader"].is_null(), "其他重点工作 has no leader");
    assert_eq!(units(item), pairs(&[("市直有关单位", "lead")]));

    let item = item_at(&livelihood, 1, 1);
    assert_eq!(item["category"], json!({"number": 1, "name": "公共卫生服务能力提升"}));
    assert_eq!(item["content"], "实行新冠肺炎疫苗免费接种,确保接种工作按时保量、有序推进。");
    assert_eq!(item["leader"]["name"], "陈微燕");
    assert_eq!(units(item), pairs(&[("市卫生健康局", "responsible"), ("各乡镇(街道)", "responsible")]));

    // A merged leader cell: (7) has its own unit but 陈微燕 still leads it.
    let item = item_at(&livelihood, 1, 7);
    assert_eq!(item["leader"]["name"], "陈微燕");
    assert_eq!(units(item), pairs(&[("市红十字会", "lead")]));

    // 王 焯 in the extracted table is 王烨, who leads the same units in the work plan.
    let item = item_at(&livelihood, 10, 47);
    assert_eq!(item["leader"]["name"], "王烨");
    assert_eq!(item["leader"]["title"], "副市长");
    assert_eq!(units(item), pairs(&[("市市场监管局", "responsible"), ("有关乡镇（街道）", "responsible")]));
    assert_eq!(item_at(&livelihood, 10, 48)["content"], "建成省放心农贸市场16家以上。");
}

async fn yuhuan_items_read_back_as_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let items = app.get_all("/api/v1/work-items", &[("city", "331083")]).await;
    let by_seq = |seq: i64| find(&items, "seq", seq);

    let item = by_seq(1);
    assert!(item["content"].as_str().expect("content").starts_with("始终做到忠诚于党。"));
    assert_eq!(item["leader"]["name"], "周阳");
    assert_eq!(item["leader"]["title"], "市长");
    assert_eq!(units(item), pairs(&[("市府办", "lead"), ("各单位", "cooperating")]));

    let item = by_seq(6);
    assert_eq!(item["content"], "生产总值增长7%以上,城乡居民收入稳步增长,财政收入增长与经济增长基本同步。");
    assert_eq!(item["leader"]["name"], "柯寿建");
    assert_eq!(item["leader"]["title"], "常务副市长");
    let statistics = find(item["units"].as_array().expect("units"), "name", "市统计局");
    assert_eq!(statistics["role"], "cooperating");
    assert_eq!(statistics["note"], "数据监测");
    assert_eq!(item["units"][0]["name"], "市发改局");
    assert_eq!(item["units"][0]["role"], "lead");
    assert_eq!(item["units"].as_array().expect("units").len(), 9);

    // Repaired extraction losses: 快电子商务 → 加快电子商务, 发改局 → 市发改局.
    let item = by_seq(12);
    assert_eq!(item["content"], "加快电子商务、研发设计、物流等生产性服务业发展步伐。");
    assert_eq!(
        units(item),
        pairs(&[
            ("市发改局", "lead"),
            ("市科技局", "cooperating"),
            ("市交通运输局", "cooperating"),
            ("市商务局", "cooperating")
        ])
    );

    let item = by_seq(14);
    assert_eq!(item["remarks"], "该项工作会同孙群常委共同完成");
    assert_eq!(
        item["units"][0],
        json!({"id": item["units"][0]["id"], "name": "市委统战部", "role": "lead", "note": null})
    );
    assert_eq!(item["units"].as_array().expect("units").len(), 9);

    let item = by_seq(134);
    assert_eq!(item["leader"]["name"], "陈康");
    assert_eq!(
        units(item),
        pairs(&[
            ("市疫情防控指挥部办公室", "lead"),
            ("市卫生健康局", "cooperating"),
            ("市疫情防控指挥部成员单位", "cooperating"),
        ])
    );

    let projects = app.get_all("/api/v1/livelihood-projects", &[("city", "331083")]).await;
    let project = |seq: i64, sub: Value| {
        projects.iter().find(|p| p["seq"] == seq && p["sub_seq"] == sub).unwrap_or_else(|| panic!("no project {seq}"))
    };
    let sports = project(3, json!(1));
    assert_eq!(sports["content"], "建设微型便民体育公园10个。");
    assert_eq!(units(sports), pairs(&[("市体育事业发展中心", "lead")]));
    let insurance = project(8, json!(2));
    assert_eq!(insurance["content"], "为低保低边等妇女统一购买“女性健康公益保险”。");
    assert_eq!(units(insurance), pairs(&[("市妇联", "lead")]));
    assert_eq!(project(12, Value::Null)["content"], "建设智能“阳光厨房”32家。");
}
