//! Authenticated writes: who may make which write, what each write does and records, how bad
//! input and natural-key collisions are refused, and the import endpoint.

use api::domain::import::SEED_FILES;
use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, Method, PASSWORD, Reply, Session, TestApp, UserRole, sign_token, token_claims},
    on_both_backends,
};

on_both_backends!(
    every_write_is_allowed_or_refused_by_role_and_city,
    an_editor_of_every_city_writes_any_citys_records_but_not_cities_or_users,
    every_resource_is_created_read_replaced_patched_and_deleted,
    items_name_leaders_and_units_of_their_own_city,
    a_sections_new_period_reaches_its_items,
    invalid_bodies_are_422s_that_name_each_field,
    missing_fields_are_named_by_their_path,
    malformed_and_oversize_bodies_are_400_and_413,
    natural_key_collisions_are_409s,
    deleting_what_others_depend_on_is_a_409,
    cascade_deletes_a_document_or_section_with_what_it_holds,
    revisions_record_who_changed_which_fields,
    importing_over_http_is_idempotent,
    a_broken_import_changes_nothing,
    imports_are_scoped_to_the_editors_city,
);

/// A writable collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    City,
    Document,
    Section,
    Leader,
    Unit,
    WorkItem,
    LivelihoodProject,
    User,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::City,
        Kind::Document,
        Kind::Section,
        Kind::Leader,
        Kind::Unit,
        Kind::WorkItem,
        Kind::LivelihoodProject,
        Kind::User,
    ];

    pub fn collection(self) -> &'static str {
        match self {
            Kind::City => "cities",
            Kind::Document => "documents",
            Kind::Section => "sections",
            Kind::Leader => "leaders",
            Kind::Unit => "units",
            Kind::WorkItem => "work-items",
            Kind::LivelihoodProject => "livelihood-projects",
            Kind::User => "users",
        }
    }

    /// Whether its records belong to a city, which that city's editors may write; cities and
    /// users are for admins only.
    fn belongs_to_a_city(self) -> bool {
        !matches!(self, Kind::City | Kind::User)
    }

    /// The body of `POST`: a new record of Yueqing, its natural key made unique by `n`.
    pub fn new_body(self, fx: &Fixture, n: u32) -> Value {
        match self {
            Kind::City => json!({
                "code": format!("{}", 110_000 + n), "name": format!("测试市{n}"), "name_en": format!("Test {n}"),
                "province": "测试省", "prefecture": "测试地区"
            }),
            Kind::Document => json!({
                "city": "330382", "doc_number": format!("乐政测〔2026〕{n}号"), "title": format!("测试文件{n}"),
                "issuer": "乐清市人民政府办公室", "issued_on": "2026-01-15"
            }),
            Kind::Section => json!({
                "document": fx.document, "number": 100 + n, "kind": "work_item", "title": format!("测试附件{n}"),
                "period": "2026"
            }),
            Kind::Leader => json!({"city": "330382", "name": format!("测试领导{n}"), "title": "副市长"}),
            Kind::Unit => json!({"city": "330382", "name": format!("测试单位{n}")}),
            Kind::WorkItem => json!({
                "section": fx.work_item_section, "group": {"number": 8, "heading": "其他重点工作"},
                "seq": 1000 + n, "content": format!("测试重点工作{n}。"), "leader": "何学考",
                "units": [
                    {"unit": "市交通运输局", "role": "lead"},
                    {"unit": "市财政局", "role": "cooperating", "note": "资金保障"}
                ]
            }),
            Kind::LivelihoodProject => json!({
                "section": fx.livelihood_section, "category": {"number": 10, "name": "农贸市场改造力度提升"},
                "seq": 100 + n, "sub_seq": null, "content": format!("测试民生实事{n}。"), "leader": "王烨",
                "units": [{"unit": "市市场监管局", "role": "lead"}]
            }),
            Kind::User => json!({
                "username": format!("matrix-{n}"), "password": PASSWORD, "role": "viewer", "city": null
            }),
        }
    }

    /// The body of `PUT` for the record `new_body(fx, n)` made: same natural key, new content.
    pub fn replacement(self, fx: &Fixture, n: u32) -> Value {
        let mut body = self.new_body(fx, n);
        match self {
            Kind::City => body["name"] = json!(format!("测试市{n}（新）")),
            Kind::Document | Kind::Section => body["title"] = json!(format!("修订后的标题{n}")),
            Kind::Leader => body["title"] = json!("市长"),
            Kind::Unit => body["name"] = json!(format!("测试单位{n}（新）")),
            Kind::WorkItem | Kind::LivelihoodProject => {
                body["content"] = json!(format!("改写的内容{n}。"));
                body["status"] = json!("in_progress");
                body["progress"] = json!(30);
            }
            Kind::User => {
                body["password"] = json!("another pass phrase");
                body["role"] = json!("editor");
                body["city"] = json!("330382");
            }
        }
        body
    }

    /// The body of `PATCH` for the record `new_body(fx, n)` made.
    pub fn patch(self, n: u32) -> Value {
        match self {
            Kind::City => json!({"name_en": format!("Patched {n}")}),
            Kind::Document => json!({"title": format!("补丁标题{n}"), "cc": "抄送单位"}),
            Kind::Section => json!({"title": format!("补丁附件{n}")}),
            Kind::Leader => json!({"title": "常委"}),
            Kind::Unit => json!({"name": format!("测试单位{n}（补）")}),
            Kind::WorkItem | Kind::LivelihoodProject => {
                json!({"status": "in_progress", "progress": 40, "progress_note": format!("进展{n}")})
            }
            Kind::User => json!({"role": "editor", "city": "331083"}),
        }
    }
}

/// What the seed holds that writes refer to.
pub struct Fixture {
    /// Yueqing's document.
    pub document: String,
    /// Yueqing's 2021 work plan (section 2).
    pub work_item_section: String,
    /// Yueqing's livelihood projects (section 3).
    pub livelihood_section: String,
}

impl Fixture {
    pub async fn load(app: &TestApp) -> Self {
        let documents = app.get_ok("/api/v1/documents", &[("city", "330382")]).await;
        let document = &documents["items"][0];
        let section = |number: i64| {
            let sections = document["sections"].as_array().expect("sections");
            let found = sections.iter().find(|s| s["number"] == number).expect("the section");
            found["id"].as_str().expect("id").to_owned()
        };
        Self {
            document: document["id"].as_str().expect("id").to_owned(),
            work_item_section: section(2),
            livelihood_section: section(3),
        }
    }
}

/// Creates a record as `token`'s user; returns its id.
pub async fn create(app: &TestApp, token: &str, kind: Kind, body: Value) -> String {
    let reply = app.send(Method::POST, &format!("/api/v1/{}", kind.collection()), Some(token), Some(body), &[]).await;
    reply.expect(StatusCode::CREATED)["id"].as_str().expect("id").to_owned()
}

/// `GET` of a record, with a token (users need an admin's).
async fn read(app: &TestApp, token: &str, collection: &str, id: &str) -> Reply {
    app.send(Method::GET, &format!("/api/v1/{collection}/{id}"), Some(token), None, &[]).await
}

/// The revisions of a record, oldest first.
async fn history(app: &TestApp, token: &str, collection: &str, id: &str) -> Vec<Value> {
    let reply = app.send(Method::GET, &format!("/api/v1/{collection}/{id}/revisions"), Some(token), None, &[]).await;
    reply.expect(StatusCode::OK)["items"].as_array().expect("items").clone()
}

/// Every count, one record, its history, and the size of the revision log: what a refused write
/// must leave as it was.
#[derive(Debug, PartialEq)]
struct Trace {
    totals: Vec<(&'static str, Value)>,
    record: Option<(StatusCode, Value, Option<String>)>,
    history: Option<Vec<Value>>,
    revisions: u64,
}

const COLLECTIONS: [&str; 9] =
    ["cities", "documents", "sections", "leaders", "units", "work-items", "livelihood-projects", "reports", "users"];

async fn trace(app: &TestApp, admin: &str, record: Option<(&str, &str)>) -> Trace {
    let mut totals = Vec::new();
    for collection in COLLECTIONS {
        let reply = app.send(Method::GET, &format!("/api/v1/{collection}?limit=1"), Some(admin), None, &[]).await;
        totals.push((collection, reply.expect(StatusCode::OK)["total"].clone()));
    }
    let (record, history) = match record {
        Some((collection, id)) => {
            let reply = read(app, admin, collection, id).await;
            let etag = reply.header("etag").map(str::to_owned);
            (Some((reply.status, reply.body, etag)), Some(self::history(app, admin, collection, id).await))
        }
        None => (None, None),
    };
    Trace { totals, record, history, revisions: app.revision_count().await }
}

/// Who makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    BadToken,
    Viewer,
    YueqingEditor,
    YuhuanEditor,
    Admin,
    /// A reporter of Yueqing's 市发改局.
    Reporter,
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::BadToken,
    Caller::Viewer,
    Caller::YueqingEditor,
    Caller::YuhuanEditor,
    Caller::Admin,
    Caller::Reporter,
];

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// 401 with `WWW-Authenticate: Bearer`.
    Unauthorized,
    /// 403.
    Forbidden,
    /// The write succeeds.
    Done,
}

use Answer::{Done, Forbidden, Unauthorized};

/// The matrix, one column per caller of [`CALLERS`]: anonymous, bad token, viewer, Yueqing's
/// editor, Yuhuan's editor, admin, reporter of 市发改局.
const YUEQING_RECORD: [Answer; 7] = [Unauthorized, Unauthorized, Forbidden, Done, Forbidden, Done, Forbidden];
const ADMINS_ONLY: [Answer; 7] = [Unauthorized, Unauthorized, Forbidden, Forbidden, Forbidden, Done, Forbidden];
/// A report by 市发改局 on one of its items: its reporter may file and correct it too.
const UNIT_REPORT: [Answer; 7] = [Unauthorized, Unauthorized, Forbidden, Done, Forbidden, Done, Done];

/// The unit the matrix's reporter speaks for.
const REPORTING_UNIT: &str = "市发改局";

struct Callers {
    bad: String,
    viewer: String,
    yueqing: Session,
    yuhuan: String,
    admin: Session,
    reporter: Session,
}

impl Callers {
    async fn new(app: &TestApp) -> Self {
        let admin = app.session(UserRole::Admin, None).await;
        // The admin's own claims, signed with another key.
        let bad = sign_token(&token_claims(&admin.token), Algorithm::HS256, "not-the-servers-secret-not-at-all");
        Self {
            bad,
            viewer: app.token(UserRole::Viewer, None).await,
            yueqing: app.session(UserRole::Editor, Some("330382")).await,
            yuhuan: app.token(UserRole::Editor, Some("331083")).await,
            admin,
            reporter: app.reporter("330382", &[REPORTING_UNIT]).await,
        }
    }

    fn token(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Anonymous => None,
            Caller::BadToken => Some(&self.bad),
            Caller::Viewer => Some(&self.viewer),
            Caller::YueqingEditor => Some(&self.yueqing.token),
            Caller::YuhuanEditor => Some(&self.yuhuan),
            Caller::Admin => Some(&self.admin.token),
            Caller::Reporter => Some(&self.reporter.token),
        }
    }

    fn username(&self, caller: Caller) -> &str {
        match caller {
            Caller::YueqingEditor => &self.yueqing.username,
            Caller::Admin => &self.admin.username,
            Caller::Reporter => &self.reporter.username,
            other => panic!("{other:?} makes no writes"),
        }
    }
}

/// One write of the matrix, on a record of Yueqing (or, for cities and users, of no city).
#[derive(Debug, Clone, Copy)]
enum Write {
    Create(Kind),
    Replace(Kind),
    Patch(Kind),
    Delete(Kind),
    /// `POST /imports` of Yueqing's file, changing one item.
    Import,
    /// `POST /work-items/{id}/reports` by 市发改局 on one of its items.
    FileReport,
    /// `PATCH /reports/{id}` of such a report.
    CorrectReport,
    /// `DELETE /reports/{id}` of such a report.
    WithdrawReport,
}

impl Write {
    fn all() -> Vec<Write> {
        let mut all: Vec<Write> = Kind::ALL
            .into_iter()
            .flat_map(|kind| [Write::Create(kind), Write::Replace(kind), Write::Patch(kind), Write::Delete(kind)])
            .collect();
        all.extend([Write::Import, Write::FileReport, Write::CorrectReport, Write::WithdrawReport]);
        all
    }

    /// What each of [`CALLERS`] gets.
    fn answers(self) -> [Answer; 7] {
        match self {
            Write::FileReport | Write::CorrectReport | Write::WithdrawReport => UNIT_REPORT,
            Write::Create(kind) | Write::Replace(kind) | Write::Patch(kind) | Write::Delete(kind)
                if !kind.belongs_to_a_city() =>
            {
                ADMINS_ONLY
            }
            _ => YUEQING_RECORD,
        }
    }

    fn success(self) -> StatusCode {
        match self {
            Write::Create(_) | Write::FileReport => StatusCode::CREATED,
            Write::Replace(_) | Write::Patch(_) | Write::Import | Write::CorrectReport => StatusCode::OK,
            Write::Delete(_) | Write::WithdrawReport => StatusCode::NO_CONTENT,
        }
    }

    /// The action the write records on its record.
    fn action(self) -> &'static str {
        match self {
            Write::Create(_) | Write::FileReport => "create",
            Write::Replace(_) | Write::Patch(_) | Write::Import | Write::CorrectReport => "update",
            Write::Delete(_) | Write::WithdrawReport => "delete",
        }
    }
}

/// The record a write of the matrix is made to.
struct Target {
    collection: &'static str,
    id: String,
    /// What made its natural key unique.
    n: u32,
}

/// The matrix's world: the seed, the callers, and a counter for unique natural keys.
struct Matrix {
    fx: Fixture,
    callers: Callers,
    /// Yueqing's file, and the id of the item an import of it changes.
    yueqing_file: Value,
    import_item: String,
    /// An item 市发改局 is on, which reports are filed on.
    report_item: String,
    next: std::cell::Cell<u32>,
}

impl Matrix {
    fn next(&self) -> u32 {
        let n = self.next.get();
        self.next.set(n + 1);
        n
    }

    /// A new record to write to; for an import, the item it changes.
    async fn target(&self, app: &TestApp, write: Write) -> Option<Target> {
        let n = self.next();
        match write {
            Write::Create(_) | Write::FileReport => None,
            Write::Replace(kind) | Write::Patch(kind) | Write::Delete(kind) => {
                let id = create(app, &self.callers.admin.token, kind, kind.new_body(&self.fx, n)).await;
                Some(Target { collection: kind.collection(), id, n })
            }
            Write::Import => Some(Target { collection: "work-items", id: self.import_item.clone(), n }),
            Write::CorrectReport | Write::WithdrawReport => {
                let path = format!("/api/v1/work-items/{}/reports", self.report_item);
                let reply =
                    app.send(Method::POST, &path, Some(&self.callers.admin.token), Some(report_body(n)), &[]).await;
                let id = reply.expect(StatusCode::CREATED)["id"].as_str().expect("id").to_owned();
                Some(Target { collection: "reports", id, n })
            }
        }
    }

    async fn perform(&self, app: &TestApp, write: Write, target: Option<&Target>, caller: Caller) -> Reply {
        let token = self.callers.token(caller);
        let n = target.map_or_else(|| self.next(), |target| target.n);
        let path = |kind: Kind| format!("/api/v1/{}/{}", kind.collection(), target.expect("a target").id);
        match write {
            Write::Create(kind) => {
                let path = format!("/api/v1/{}", kind.collection());
                app.send(Method::POST, &path, token, Some(kind.new_body(&self.fx, n)), &[]).await
            }
            Write::Replace(kind) => {
                app.send(Method::PUT, &path(kind), token, Some(kind.replacement(&self.fx, n)), &[]).await
            }
            Write::Patch(kind) => app.send(Method::PATCH, &path(kind), token, Some(kind.patch(n)), &[]).await,
            Write::Delete(kind) => app.send(Method::DELETE, &path(kind), token, None, &[]).await,
            Write::Import => {
                let mut file = self.yueqing_file.clone();
                file["sections"][0]["groups"][0]["items"][0]["remarks"] = json!(format!("导入的备注{n}"));
                app.send(Method::POST, "/api/v1/imports", token, Some(file), &[]).await
            }
            Write::FileReport => {
                let path = format!("/api/v1/work-items/{}/reports", self.report_item);
                app.send(Method::POST, &path, token, Some(report_body(n)), &[]).await
            }
            Write::CorrectReport => {
                let path = format!("/api/v1/reports/{}", target.expect("a target").id);
                app.send(Method::PATCH, &path, token, Some(json!({"progress": 50, "text": format!("更正{n}")})), &[])
                    .await
            }
            Write::WithdrawReport => {
                app.send(Method::DELETE, &format!("/api/v1/reports/{}", target.expect("a target").id), token, None, &[])
                    .await
            }
        }
    }
}

/// A report by [`REPORTING_UNIT`], made distinct by `n`.
fn report_body(n: u32) -> Value {
    json!({
        "unit": REPORTING_UNIT, "as_of": "2021-06-30", "status": "in_progress", "progress": n % 100,
        "text": format!("进展情况{n}")
    })
}

async fn every_write_is_allowed_or_refused_by_role_and_city(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let callers = Callers::new(&app).await;
    let yueqing_file: Value = serde_json::from_str(SEED_FILES[0].1).expect("JSON");
    // The first item of the file: section 1, group 1, item 1.
    let first = app.get_ok("/api/v1/work-items", &[("city", "330382"), ("limit", "1")]).await;
    let first = &first["items"][0];
    assert_eq!(
        (&first["section"]["number"], &first["group"]["number"], &first["seq"]),
        (&json!(1), &json!(1), &json!(1))
    );
    let report_item = app
        .get_ok("/api/v1/work-items", &[("city", "330382"), ("unit", REPORTING_UNIT), ("limit", "1")])
        .await["items"][0]["id"]
        .as_str()
        .expect("an item of the reporting unit")
        .to_owned();
    let matrix = Matrix {
        fx,
        callers,
        yueqing_file,
        import_item: first["id"].as_str().expect("id").to_owned(),
        report_item,
        next: std::cell::Cell::new(1),
    };
    let admin = matrix.callers.admin.token.clone();

    for write in Write::all() {
        let answers: Vec<(Caller, Answer)> = CALLERS.into_iter().zip(write.answers()).collect();

        // Every refused caller, on one record: each answer is a 401 or 403 that leaves no trace.
        let target = matrix.target(&app, write).await;
        let record = target.as_ref().map(|target| (target.collection, target.id.as_str()));
        let before = trace(&app, &admin, record).await;
        for &(caller, answer) in answers.iter().filter(|(_, answer)| *answer != Done) {
            let reply = matrix.perform(&app, write, target.as_ref(), caller).await;
            let status = if answer == Unauthorized { StatusCode::UNAUTHORIZED } else { StatusCode::FORBIDDEN };
            assert_eq!(reply.status, status, "{write:?} by {caller:?}: {}", reply.body);
            if answer == Unauthorized {
                reply.unauthorized();
            } else {
                reply.problem(StatusCode::FORBIDDEN);
            }
            assert_eq!(trace(&app, &admin, record).await, before, "{write:?} by {caller:?} changed something");
        }

        // Every allowed caller, each on a record of its own: it succeeds and records who did it.
        for &(caller, _) in answers.iter().filter(|(_, answer)| *answer == Done) {
            let target = match write {
                Write::Create(_) | Write::FileReport => None,
                _ => matrix.target(&app, write).await,
            };
            let revisions = app.revision_count().await;
            let reply = matrix.perform(&app, write, target.as_ref(), caller).await;
            assert_eq!(reply.status, write.success(), "{write:?} by {caller:?}: {}", reply.body);
            assert!(app.revision_count().await > revisions, "{write:?} by {caller:?} recorded nothing");
            let (collection, id) = match (target, write) {
                (Some(target), _) => (target.collection, target.id),
                (None, Write::Create(kind)) => (kind.collection(), reply.body["id"].as_str().expect("id").to_owned()),
                (None, Write::FileReport) => ("reports", reply.body["id"].as_str().expect("id").to_owned()),
                (None, _) => unreachable!("only creations have no target"),
            };
            let history = history(&app, &admin, collection, &id).await;
            let last = history.last().expect("a revision");
            assert_eq!(last["action"], write.action(), "{write:?} by {caller:?}: {last}");
            assert_eq!(last["actor"]["name"], matrix.callers.username(caller), "{write:?} by {caller:?}");
        }
    }
}

async fn an_editor_of_every_city_writes_any_citys_records_but_not_cities_or_users(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let editor = app.session(UserRole::Editor, None).await;
    for city in ["330382", "331083"] {
        let item = app.get_ok("/api/v1/work-items", &[("city", city), ("limit", "1")]).await["items"][0]["id"].clone();
        let path = format!("/api/v1/work-items/{}", item.as_str().expect("id"));
        let reply = app.send(Method::PATCH, &path, Some(&editor.token), Some(json!({"progress": 55})), &[]).await;
        assert_eq!(reply.expect(StatusCode::OK)["progress"], 55, "{city}");
        let body = json!({"city": city, "name": "全市通用测试单位"});
        app.send(Method::POST, "/api/v1/units", Some(&editor.token), Some(body), &[]).await.expect(StatusCode::CREATED);
    }
    let admin = app.admin_token().await;
    let before = trace(&app, &admin, None).await;
    let yueqing = app.get_ok("/api/v1/cities/330382", &[]).await["id"].as_str().expect("id").to_owned();
    let refused = [
        (Method::POST, "/api/v1/cities".to_owned(), Some(Kind::City.new_body(&fx, 1))),
        (Method::PATCH, format!("/api/v1/cities/{yueqing}"), Some(json!({"name_en": "Yue Qing"}))),
        (Method::POST, "/api/v1/users".to_owned(), Some(Kind::User.new_body(&fx, 1))),
        (Method::PATCH, format!("/api/v1/users/{}", editor.id), Some(json!({"role": "admin"}))),
        (Method::GET, "/api/v1/users".to_owned(), None),
    ];
    for (method, path, body) in refused {
        let reply = app.send(method.clone(), &path, Some(&editor.token), body, &[]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}: {}", reply.body);
        reply.problem(StatusCode::FORBIDDEN);
    }
    assert_eq!(trace(&app, &admin, None).await, before, "the refused writes changed nothing");
}

/// Asserts `shown` repeats every plain value of `input` it has a field of the same name for.
fn assert_echoes(input: &Value, shown: &Value) {
    for (field, value) in input.as_object().expect("an object") {
        let Some(echo) = shown.get(field) else { continue };
        if !value.is_object() && !value.is_array() && !echo.is_object() && !echo.is_array() {
            assert_eq!(echo, value, "{field} in {shown}");
        }
    }
}

/// How many records a collection holds.
async fn total(app: &TestApp, admin: &str, kind: Kind) -> u64 {
    let reply = app.send(Method::GET, &format!("/api/v1/{}?limit=1", kind.collection()), Some(admin), None, &[]).await;
    reply.expect(StatusCode::OK)["total"].as_u64().expect("total")
}

fn assert_strong_etag(reply: &Reply) -> String {
    let etag = reply.etag();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2, "a strong ETag: {etag}");
    etag
}

async fn every_resource_is_created_read_replaced_patched_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let admin = app.admin_token().await;
    for (n, kind) in (1..).zip(Kind::ALL) {
        let collection = format!("/api/v1/{}", kind.collection());
        let before = total(&app, &admin, kind).await;

        let input = kind.new_body(&fx, n);
        let created = app.send(Method::POST, &collection, Some(&admin), Some(input.clone()), &[]).await;
        created.expect(StatusCode::CREATED);
        assert_echoes(&input, &created.body);
        let id = created.body["id"].as_str().expect("id").to_owned();
        let location = format!("{collection}/{id}");
        assert_eq!(created.header("location"), Some(location.as_str()), "{kind:?}");
        let etag = assert_strong_etag(&created);
        let read = app.send(Method::GET, &location, Some(&admin), None, &[]).await;
        assert_eq!(read.expect(StatusCode::OK), &created.body, "{kind:?} reads back as created");
        assert_eq!(read.etag(), etag);
        assert_eq!(total(&app, &admin, kind).await, before + 1);

        let input = kind.replacement(&fx, n);
        let replaced = app.send(Method::PUT, &location, Some(&admin), Some(input.clone()), &[]).await;
        replaced.expect(StatusCode::OK);
        assert_echoes(&input, &replaced.body);
        assert_eq!(replaced.body["id"], id.as_str());
        assert_eq!(replaced.body["created_at"], created.body["created_at"]);
        assert_ne!(replaced.body["updated_at"], created.body["updated_at"], "{kind:?}");
        let replaced_etag = assert_strong_etag(&replaced);
        assert_ne!(replaced_etag, etag, "{kind:?}: a new version has a new ETag");
        let read = app.send(Method::GET, &location, Some(&admin), None, &[]).await;
        assert_eq!((&read.body, read.etag()), (&replaced.body, replaced_etag.clone()), "{kind:?}");

        let patch = kind.patch(n);
        let patched = app.send(Method::PATCH, &location, Some(&admin), Some(patch.clone()), &[]).await;
        patched.expect(StatusCode::OK);
        assert_echoes(&patch, &patched.body);
        let patched_etag = assert_strong_etag(&patched);
        assert_ne!(patched_etag, replaced_etag, "{kind:?}");
        // What the patch does not name stays as it was.
        for (field, value) in replaced.body.as_object().expect("object") {
            if patch.get(field).is_none() && !["updated_at", "city", "role"].contains(&field.as_str()) {
                assert_eq!(&patched.body[field], value, "{kind:?}: {field} is kept");
            }
        }
        let read = app.send(Method::GET, &location, Some(&admin), None, &[]).await;
        assert_eq!((&read.body, read.etag()), (&patched.body, patched_etag), "{kind:?}");

        let deleted = app.send(Method::DELETE, &location, Some(&admin), None, &[]).await;
        deleted.expect(StatusCode::NO_CONTENT);
        assert_eq!(deleted.body, Value::Null, "204 has no body");
        app.send(Method::GET, &location, Some(&admin), None, &[]).await.problem(StatusCode::NOT_FOUND);
        assert_eq!(total(&app, &admin, kind).await, before, "{kind:?}");
        for method in [Method::PATCH, Method::DELETE] {
            let body = (method == Method::PATCH).then(|| kind.patch(n));
            app.send(method, &location, Some(&admin), body, &[]).await.problem(StatusCode::NOT_FOUND);
        }
    }
}

async fn items_name_leaders_and_units_of_their_own_city(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let editor = app.token(UserRole::Editor, Some("330382")).await;
    let leaders = app.get_ok("/api/v1/leaders", &[("city", "330382"), ("q", "郑巨化")]).await;
    let zheng = leaders["items"][0].clone();
    let units = app.get_ok("/api/v1/units", &[("city", "330382"), ("q", "市发改局")]).await;
    let fagai = units["items"][0]["id"].as_str().expect("id").to_owned();

    // A leader by id, units by id or name, in the order given, with roles and notes.
    let mut body = Kind::WorkItem.new_body(&fx, 1);
    body["leader"] = zheng["id"].clone();
    body["units"] = json!([
        {"unit": "市交通运输局", "role": "responsible"},
        {"unit": fagai, "role": "lead", "note": "统筹"},
        {"unit": "市财政局", "role": "cooperating"}
    ]);
    let reply = app.send(Method::POST, "/api/v1/work-items", Some(&editor), Some(body), &[]).await;
    let item = reply.expect(StatusCode::CREATED).clone();
    assert_eq!(item["leader"], json!({"id": zheng["id"], "name": "郑巨化", "title": "副市长"}));
    let shown: Vec<(&str, &str, &Value)> = item["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| (u["name"].as_str().expect("name"), u["role"].as_str().expect("role"), &u["note"]))
        .collect();
    assert_eq!(
        shown,
        [
            ("市交通运输局", "responsible", &Value::Null),
            ("市发改局", "lead", &json!("统筹")),
            ("市财政局", "cooperating", &Value::Null)
        ]
    );
    assert_eq!(item["units"][1]["id"], fagai.as_str());
    assert_eq!(item["group"], json!({"number": 8, "heading": "其他重点工作"}));
    assert_eq!(item["period"], "2021", "an item takes its section's period");
    assert_eq!(item["city"]["code"], "330382");
    assert_eq!(item["document_id"], fx.document.as_str());
    assert_eq!((&item["status"], &item["progress"]), (&json!("not_started"), &json!(0)));
    assert_eq!(app.count("/api/v1/work-items", &[("unit", fagai.as_str()), ("q", "测试重点工作1")]).await, 1);

    // PATCH: null clears the leader, units are replaced whole, other fields stay.
    let path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("id"));
    let patch = json!({"leader": null, "units": [{"unit": "市财政局", "role": "lead"}], "status": "completed", "progress": 100});
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(patch), &[]).await;
    let patched = reply.expect(StatusCode::OK);
    assert_eq!(patched["leader"], Value::Null);
    assert_eq!(patched["units"].as_array().expect("units").len(), 1);
    assert_eq!(patched["units"][0]["name"], "市财政局");
    assert_eq!((&patched["status"], &patched["progress"]), (&json!("completed"), &json!(100)));
    assert_eq!(patched["content"], item["content"]);
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"leader": "王东"})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["leader"]["name"], "王东");
    let reply = app.send(Method::PATCH, &path, Some(&editor), Some(json!({"units": []})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["units"], json!([]));

    // Yuhuan's leaders and units are not Yueqing's, by name or by id.
    let zhou = app.get_ok("/api/v1/leaders", &[("city", "331083"), ("q", "周阳")]).await["items"][0]["id"].clone();
    let yuhuan_unit =
        app.get_ok("/api/v1/units", &[("city", "331083"), ("q", "市府办")]).await["items"][0]["id"].clone();
    for (patch, field) in [
        (json!({"leader": "周阳"}), "leader"),
        (json!({"leader": zhou}), "leader"),
        (
            json!({"units": [{"unit": "市财政局", "role": "lead"}, {"unit": yuhuan_unit, "role": "cooperating"}]}),
            "units[1].unit",
        ),
    ] {
        let reply = app.send(Method::PATCH, &path, Some(&editor), Some(patch.clone()), &[]).await;
        reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.error_fields(), [field], "{patch}");
    }

    // Livelihood projects: split rows, and no category where the document has none.
    let yuhuan_documents = app.get_ok("/api/v1/documents", &[("city", "331083")]).await;
    let yuhuan_livelihood = yuhuan_documents["items"][0]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["kind"] == "livelihood_project")
        .expect("a livelihood section")["id"]
        .clone();
    let admin = app.admin_token().await;
    let body = json!({
        "section": yuhuan_livelihood, "category": null, "seq": 13, "sub_seq": 2, "content": "新增测试项目。",
        "units": [{"unit": "市府办", "role": "lead"}]
    });
    let reply = app.send(Method::POST, "/api/v1/livelihood-projects", Some(&admin), Some(body), &[]).await;
    let project = reply.expect(StatusCode::CREATED);
    assert_eq!((&project["seq"], &project["sub_seq"], &project["category"]), (&json!(13), &json!(2), &Value::Null));
    assert_eq!(project["city"]["code"], "331083");
    assert_eq!(project["leader"], Value::Null);
}

async fn a_sections_new_period_reaches_its_items(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.session(UserRole::Admin, None).await;
    let documents = app.get_ok("/api/v1/documents", &[("city", "330382")]).await;
    let five_year = documents["items"][0]["sections"][0].clone();
    assert_eq!(five_year["period"], "2021-2025");
    let id = five_year["id"].as_str().expect("id");
    let items = app.get_all("/api/v1/work-items", &[("section", id)]).await;
    assert_eq!(items.len(), 36);
    let revisions = app.revision_count().await;

    let path = format!("/api/v1/sections/{id}");
    let reply = app.send(Method::PATCH, &path, Some(&admin.token), Some(json!({"period": "2021-2026"})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["period"], "2021-2026");
    let after = app.get_all("/api/v1/work-items", &[("section", id)]).await;
    assert!(after.iter().all(|i| i["period"] == "2021-2026"), "every item of the section moves with it");
    assert_eq!(app.count("/api/v1/work-items", &[("period", "2021-2026")]).await, 36);
    assert_eq!(app.count("/api/v1/work-items", &[("period", "2021-2025")]).await, 0);
    assert_eq!(app.count("/api/v1/work-items", &[("year", "2026")]).await, 36);
    // Each item records the change it went through, and so do the section and the document that
    // lists the section's period.
    assert_eq!(app.revision_count().await, revisions + 1 + 36 + 1);
    let item_history = history(&app, &admin.token, "work-items", items[0]["id"].as_str().expect("id")).await;
    let last = item_history.last().expect("a revision");
    assert_eq!(last["action"], "update");
    assert_eq!(last["actor"], json!({"id": admin.id, "name": admin.username}));
    // A due date left at its default follows the period.
    assert_eq!(
        last["changes"],
        json!({
            "period": {"before": "2021-2025", "after": "2021-2026"},
            "due_on": {"before": "2025-12-31", "after": "2026-12-31"}
        })
    );
    let section_history = history(&app, &admin.token, "sections", id).await;
    assert_eq!(
        section_history.last().expect("a revision")["changes"],
        json!({"period": {"before": "2021-2025", "after": "2021-2026"}})
    );
    // Other sections' items keep theirs.
    assert_eq!(app.count("/api/v1/work-items", &[("period", "2021")]).await, 129 + 134);
}

/// A request and the one field its answer must name.
struct Invalid {
    method: Method,
    path: String,
    body: Value,
    field: &'static str,
}

fn with(mut body: Value, field: &str, value: Value) -> Value {
    body[field] = value;
    body
}

fn without(mut body: Value, field: &str) -> Value {
    body.as_object_mut().expect("an object").remove(field);
    body
}

async fn invalid_bodies_are_422s_that_name_each_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let admin = app.admin_token().await;
    let item = app.get_ok("/api/v1/work-items", &[("city", "330382"), ("limit", "1")]).await["items"][0].clone();
    let item_path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("id"));
    let project =
        app.get_ok("/api/v1/livelihood-projects", &[("city", "330382"), ("limit", "1")]).await["items"][0].clone();
    let project_path = format!("/api/v1/livelihood-projects/{}", project["id"].as_str().expect("id"));
    let document_path = format!("/api/v1/documents/{}", fx.document);
    let section_path = format!("/api/v1/sections/{}", fx.work_item_section);
    let unknown = uuid::Uuid::now_v7().to_string();

    let post = |kind: Kind, body: Value, field: &'static str| Invalid {
        method: Method::POST,
        path: format!("/api/v1/{}", kind.collection()),
        body,
        field,
    };
    let patch = |path: &str, body: Value, field: &'static str| Invalid {
        method: Method::PATCH,
        path: path.to_owned(),
        body,
        field,
    };
    let city = Kind::City.new_body(&fx, 1);
    let document = Kind::Document.new_body(&fx, 1);
    let section = Kind::Section.new_body(&fx, 1);
    let work_item = Kind::WorkItem.new_body(&fx, 1);
    let livelihood = Kind::LivelihoodProject.new_body(&fx, 1);
    let yueqing_document = app.get_ok(&document_path, &[]).await;
    let document_put = json!({
        "city": "331083", "doc_number": yueqing_document["doc_number"], "title": yueqing_document["title"],
        "issuer": yueqing_document["issuer"], "issued_on": yueqing_document["issued_on"]
    });

    let cases = vec![
        post(Kind::City, with(city.clone(), "code", json!("12345")), "code"),
        post(Kind::City, with(city.clone(), "code", json!("abcdef")), "code"),
        post(Kind::City, with(city.clone(), "name", json!("  ")), "name"),
        post(Kind::City, with(city.clone(), "code", json!(110001)), "code"),
        post(Kind::City, with(city, "population", json!(1)), "population"),
        post(Kind::Document, with(document.clone(), "city", json!("999999")), "city"),
        post(Kind::Document, with(document.clone(), "issued_on", json!("2021-02-30")), "issued_on"),
        post(Kind::Document, with(document.clone(), "issued_on", json!("yesterday")), "issued_on"),
        post(Kind::Document, with(document.clone(), "published_at", json!("soon")), "published_at"),
        post(Kind::Document, with(document, "title", json!("")), "title"),
        Invalid { method: Method::PUT, path: document_path, body: document_put, field: "city" },
        post(Kind::Section, with(section.clone(), "number", json!(0)), "number"),
        post(Kind::Section, with(section.clone(), "number", json!(1001)), "number"),
        post(Kind::Section, with(section.clone(), "kind", json!("appendix")), "kind"),
        post(Kind::Section, with(section.clone(), "period", json!("2021-2020")), "period"),
        post(Kind::Section, with(section.clone(), "period", json!("21")), "period"),
        post(Kind::Section, with(section.clone(), "document", json!(unknown)), "document"),
        post(Kind::Section, with(section, "document", json!("not-a-uuid")), "document"),
        patch(&section_path, json!({"kind": "livelihood_project"}), "kind"),
        post(Kind::Leader, json!({"city": "330382", "name": ""}), "name"),
        post(Kind::Leader, json!({"city": "000000", "name": "某人"}), "city"),
        post(Kind::Unit, json!({"city": "330382", "name": " "}), "name"),
        post(Kind::WorkItem, with(work_item.clone(), "section", json!(unknown)), "section"),
        post(Kind::WorkItem, with(work_item.clone(), "section", json!(fx.livelihood_section)), "section"),
        post(Kind::WorkItem, with(work_item.clone(), "leader", json!("无此人")), "leader"),
        post(
            Kind::WorkItem,
            with(
                work_item.clone(),
                "units",
                json!([{"unit": "市财政局", "role": "lead"}, {"unit": "无此单位", "role": "lead"}]),
            ),
            "units[1].unit",
        ),
        post(
            Kind::WorkItem,
            with(work_item.clone(), "units", json!([{"unit": "市财政局", "role": "boss"}])),
            "units[0].role",
        ),
        post(
            Kind::WorkItem,
            with(
                work_item.clone(),
                "units",
                json!([{"unit": "市财政局", "role": "lead"}, {"unit": "市财政局", "role": "cooperating"}]),
            ),
            "units[1].unit",
        ),
        post(Kind::WorkItem, with(work_item.clone(), "group", json!({"number": 0})), "group.number"),
        post(Kind::WorkItem, with(work_item.clone(), "seq", json!(0)), "seq"),
        post(Kind::WorkItem, with(work_item.clone(), "progress", json!(101)), "progress"),
        post(Kind::WorkItem, with(work_item.clone(), "status", json!("done")), "status"),
        post(Kind::WorkItem, with(work_item, "content", json!(" ")), "content"),
        patch(&item_path, json!({"progress": 101}), "progress"),
        patch(&item_path, json!({"progress": -1}), "progress"),
        patch(&item_path, json!({"progress": "fifty"}), "progress"),
        patch(&item_path, json!({"progress": 50.5}), "progress"),
        patch(&item_path, json!({"status": "done"}), "status"),
        patch(&item_path, json!({"units": [{"unit": "无此单位", "role": "lead"}]}), "units[0].unit"),
        patch(&item_path, json!({"leader": "无此人"}), "leader"),
        patch(&item_path, json!({"content": ""}), "content"),
        patch(&item_path, json!({"colour": "red"}), "colour"),
        patch(&item_path, json!({"section": fx.livelihood_section}), "section"),
        post(Kind::LivelihoodProject, with(livelihood.clone(), "section", json!(fx.work_item_section)), "section"),
        post(
            Kind::LivelihoodProject,
            with(livelihood.clone(), "category", json!({"number": 0, "name": "x"})),
            "category.number",
        ),
        post(Kind::LivelihoodProject, with(livelihood, "sub_seq", json!(0)), "sub_seq"),
        patch(&project_path, json!({"progress": 101}), "progress"),
        patch(&project_path, json!({"status": "done"}), "status"),
    ];
    let before = trace(&app, &admin, Some(("work-items", item["id"].as_str().expect("id")))).await;
    assert_each_names_its_field(&app, &admin, cases).await;
    assert_eq!(trace(&app, &admin, Some(("work-items", item["id"].as_str().expect("id")))).await, before);

    // Several faults are all named.
    let body = json!({"progress": 101, "status": "in_progress", "content": " "});
    let reply = app.send(Method::PATCH, &item_path, Some(&admin), Some(body), &[]).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let mut fields = reply.error_fields();
    fields.sort();
    assert_eq!(fields, ["content", "progress"]);
}

/// Sends every case and asserts each is a 422 naming its field and no other (once per rule it
/// breaks); lists every case that is not.
async fn assert_each_names_its_field(app: &TestApp, token: &str, cases: Vec<Invalid>) {
    let mut wrong = Vec::new();
    for case in cases {
        let reply = app.send(case.method.clone(), &case.path, Some(token), Some(case.body.clone()), &[]).await;
        let fields = reply.body["errors"].as_array().map(|_| reply.error_fields()).unwrap_or_default();
        let names_it = !fields.is_empty() && fields.iter().all(|field| field == case.field);
        if reply.status != StatusCode::UNPROCESSABLE_ENTITY || !names_it {
            wrong.push(format!(
                "{} {} {} (expected 422 on {}): {} {}",
                case.method, case.path, case.body, case.field, reply.status, reply.body
            ));
            continue;
        }
        reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(reply.body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert!(wrong.is_empty(), "{} case(s) not answered as expected:\n{}", wrong.len(), wrong.join("\n"));
}

async fn missing_fields_are_named_by_their_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let admin = app.admin_token().await;
    let item = app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0]["id"].clone();
    let post = |kind: Kind, body: Value, field: &'static str| Invalid {
        method: Method::POST,
        path: format!("/api/v1/{}", kind.collection()),
        body,
        field,
    };
    let cases = vec![
        post(Kind::City, without(Kind::City.new_body(&fx, 1), "name_en"), "name_en"),
        post(Kind::Document, without(Kind::Document.new_body(&fx, 1), "doc_number"), "doc_number"),
        post(Kind::Section, without(Kind::Section.new_body(&fx, 1), "period"), "period"),
        post(Kind::Unit, json!({"city": "330382"}), "name"),
        post(Kind::WorkItem, without(Kind::WorkItem.new_body(&fx, 1), "content"), "content"),
        post(
            Kind::WorkItem,
            with(Kind::WorkItem.new_body(&fx, 1), "group", json!({"heading": "无编号"})),
            "group.number",
        ),
        Invalid {
            method: Method::PATCH,
            path: format!("/api/v1/work-items/{}", item.as_str().expect("id")),
            body: json!({"units": [{"unit": "市财政局"}]}),
            field: "units[0].role",
        },
    ];
    let before = trace(&app, &admin, None).await;
    assert_each_names_its_field(&app, &admin, cases).await;
    assert_eq!(trace(&app, &admin, None).await, before);
}

async fn malformed_and_oversize_bodies_are_400_and_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let item = app.get_ok("/api/v1/work-items", &[("limit", "1")]).await["items"][0].clone();
    let item_path = format!("/api/v1/work-items/{}", item["id"].as_str().expect("id"));
    let before = trace(&app, &admin, Some(("work-items", item["id"].as_str().expect("id")))).await;
    let writes: [(Method, &str); 4] = [
        (Method::POST, "/api/v1/work-items"),
        (Method::PATCH, &item_path),
        (Method::POST, "/api/v1/imports"),
        (Method::POST, "/api/v1/cities"),
    ];
    // Just over 4 MiB of otherwise valid JSON.
    let oversize = serde_json::to_vec(&json!({"content": "字".repeat(4 * 1024 * 1024 / 3 + 1)})).expect("JSON");
    assert!(oversize.len() > 4 * 1024 * 1024);
    // Not JSON at all, cut short, or broken after a first value of the wrong type: all malformed.
    let malformed: [&[u8]; 6] = [b"", b"{\"cont", b"{content: 1}", b"\xff\xfe", b"{} {}", b"[1, 2"];
    let mut wrong = Vec::new();
    for (method, path) in writes {
        for body in malformed {
            let reply = app.send_bytes(method.clone(), path, Some(&admin), body.to_vec()).await;
            if reply.status != StatusCode::BAD_REQUEST {
                wrong.push(format!(
                    "{method} {path} {:?}: {} {}",
                    String::from_utf8_lossy(body),
                    reply.status,
                    reply.body
                ));
                continue;
            }
            reply.problem(StatusCode::BAD_REQUEST);
        }
        let reply = app.send_bytes(method.clone(), path, Some(&admin), oversize.clone()).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{method} {path}: {}", reply.body);
        reply.problem(StatusCode::PAYLOAD_TOO_LARGE);
    }
    assert!(wrong.is_empty(), "{} malformed bodies not answered 400:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(trace(&app, &admin, Some(("work-items", item["id"].as_str().expect("id")))).await, before);
}

async fn natural_key_collisions_are_409s(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let admin = app.admin_token().await;
    let new_city = create(&app, &admin, Kind::City, Kind::City.new_body(&fx, 1)).await;
    let new_leader = create(&app, &admin, Kind::Leader, Kind::Leader.new_body(&fx, 1)).await;
    let new_unit = create(&app, &admin, Kind::Unit, Kind::Unit.new_body(&fx, 1)).await;
    let livelihood_section = format!("/api/v1/sections/{}", fx.livelihood_section);
    let doc_number = "乐政办函〔2021〕7号";
    let mut document = Kind::Document.new_body(&fx, 1);
    document["doc_number"] = json!(doc_number);
    let mut section = Kind::Section.new_body(&fx, 1);
    section["number"] = json!(2);
    let mut work_item = Kind::WorkItem.new_body(&fx, 1);
    work_item["group"] = json!({"number": 2, "heading": "何学考常务副市长牵头重点工作"});
    work_item["seq"] = json!(1);
    let mut project = Kind::LivelihoodProject.new_body(&fx, 1);
    project["seq"] = json!(1);
    project["category"] = json!({"number": 1, "name": "公共卫生服务能力提升"});

    let collisions: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/api/v1/cities".to_owned(), with(Kind::City.new_body(&fx, 2), "code", json!("330382"))),
        (Method::PATCH, format!("/api/v1/cities/{new_city}"), json!({"code": "331083"})),
        (Method::POST, "/api/v1/documents".to_owned(), document.clone()),
        (Method::POST, "/api/v1/sections".to_owned(), section),
        (Method::PATCH, livelihood_section, json!({"number": 1})),
        (Method::POST, "/api/v1/leaders".to_owned(), json!({"city": "330382", "name": "何学考"})),
        (Method::PATCH, format!("/api/v1/leaders/{new_leader}"), json!({"name": "何学考"})),
        (Method::POST, "/api/v1/units".to_owned(), json!({"city": "330382", "name": "市发改局"})),
        (Method::PATCH, format!("/api/v1/units/{new_unit}"), json!({"name": "市发改局"})),
        (Method::POST, "/api/v1/work-items".to_owned(), work_item),
        (Method::POST, "/api/v1/livelihood-projects".to_owned(), project.clone()),
        (Method::POST, "/api/v1/livelihood-projects".to_owned(), with(project, "category", Value::Null)),
    ];
    let before = trace(&app, &admin, None).await;
    for (method, path, body) in collisions {
        let reply = app.send(method.clone(), &path, Some(&admin), Some(body.clone()), &[]).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{method} {path} {body}: {}", reply.body);
        reply.problem(StatusCode::CONFLICT);
        assert_eq!(trace(&app, &admin, None).await, before, "{method} {path} changed something");
    }

    // The same names in another city, or another document number, are no collision.
    let reply = app
        .send(Method::POST, "/api/v1/leaders", Some(&admin), Some(json!({"city": "331083", "name": "何学考"})), &[])
        .await;
    reply.expect(StatusCode::CREATED);
    let reply = app
        .send(Method::POST, "/api/v1/documents", Some(&admin), Some(with(document, "city", json!("331083"))), &[])
        .await;
    reply.expect(StatusCode::CREATED);
}

async fn deleting_what_others_depend_on_is_a_409(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let admin = app.admin_token().await;
    let leader = app.get_ok("/api/v1/leaders", &[("city", "330382"), ("q", "何学考")]).await["items"][0]["id"].clone();
    let unit = app.get_ok("/api/v1/units", &[("city", "330382"), ("q", "市发改局")]).await["items"][0]["id"].clone();
    let yueqing = app.get_ok("/api/v1/cities/330382", &[]).await["id"].clone();
    // A city only a user refers to.
    let lonely = create(&app, &admin, Kind::City, Kind::City.new_body(&fx, 1)).await;
    app.create_user("lonely-editor", UserRole::Editor, Some(&lonely)).await;

    let referenced: Vec<(&str, String)> = vec![
        ("cities", yueqing.as_str().expect("id").to_owned()),
        ("cities", lonely),
        ("documents", fx.document.clone()),
        ("sections", fx.work_item_section.clone()),
        ("sections", fx.livelihood_section.clone()),
        ("leaders", leader.as_str().expect("id").to_owned()),
        ("units", unit.as_str().expect("id").to_owned()),
    ];
    for (collection, id) in referenced {
        let before = trace(&app, &admin, Some((collection, &id))).await;
        let path = format!("/api/v1/{collection}/{id}");
        for query in ["", "?cascade=false"] {
            let reply = app.send(Method::DELETE, &format!("{path}{query}"), Some(&admin), None, &[]).await;
            assert_eq!(reply.status, StatusCode::CONFLICT, "DELETE {path}{query}: {}", reply.body);
            reply.problem(StatusCode::CONFLICT);
        }
        assert_eq!(trace(&app, &admin, Some((collection, &id))).await, before, "DELETE {path}");
    }
}

async fn cascade_deletes_a_document_or_section_with_what_it_holds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fx = Fixture::load(&app).await;
    let editor = app.session(UserRole::Editor, Some("330382")).await;
    let item =
        app.get_ok("/api/v1/livelihood-projects", &[("city", "330382"), ("limit", "1")]).await["items"][0].clone();
    let item_id = item["id"].as_str().expect("id").to_owned();
    let (leaders, units) = (
        app.count("/api/v1/leaders", &[("city", "330382")]).await,
        app.count("/api/v1/units", &[("city", "330382")]).await,
    );
    let revisions = app.revision_count().await;

    // A section with cascade: its items go, the document's other sections keep theirs.
    let path = format!("/api/v1/sections/{}?cascade=true", fx.livelihood_section);
    app.send(Method::DELETE, &path, Some(&editor.token), None, &[]).await.expect(StatusCode::NO_CONTENT);
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("city", "330382")]).await, 0);
    assert_eq!(app.count("/api/v1/work-items", &[("city", "330382")]).await, 165);
    assert_eq!(app.count("/api/v1/sections", &[("document", fx.document.as_str())]).await, 2);
    app.get_problem(&format!("/api/v1/livelihood-projects/{item_id}"), &[], StatusCode::NOT_FOUND).await;
    assert_eq!(
        app.revision_count().await,
        revisions + 1 + 48 + 1,
        "one revision per deleted record, and one for the document that no longer lists the section"
    );
    let item_history = history(&app, &editor.token, "livelihood-projects", &item_id).await;
    let last = item_history.last().expect("a revision");
    assert_eq!(last["action"], "delete");
    assert_eq!(last["actor"]["name"], editor.username.as_str());

    // A document with cascade: its sections and items go; leaders, units and Yuhuan stay.
    let path = format!("/api/v1/documents/{}?cascade=true", fx.document);
    app.send(Method::DELETE, &path, Some(&editor.token), None, &[]).await.expect(StatusCode::NO_CONTENT);
    app.get_problem(&format!("/api/v1/documents/{}", fx.document), &[], StatusCode::NOT_FOUND).await;
    app.get_problem(&format!("/api/v1/sections/{}", fx.work_item_section), &[], StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("/api/v1/sections", &[("city", "330382")]).await, 0);
    assert_eq!(app.count("/api/v1/work-items", &[("city", "330382")]).await, 0);
    assert_eq!(app.count("/api/v1/work-items", &[("city", "331083")]).await, 134);
    assert_eq!(app.count("/api/v1/livelihood-projects", &[("city", "331083")]).await, 14);
    assert_eq!(app.count("/api/v1/leaders", &[("city", "330382")]).await, leaders);
    assert_eq!(app.count("/api/v1/units", &[("city", "330382")]).await, units);
    // (The section deletion above also updated the document, which no longer listed it.)
    assert_eq!(app.revision_count().await, revisions + 1 + 48 + 1 + 1 + 2 + 165);
    for (collection, id) in [("documents", &fx.document), ("sections", &fx.work_item_section)] {
        let history = history(&app, &editor.token, collection, id).await;
        assert_eq!(history.last().expect("a revision")["action"], "delete", "{collection}");
    }

    // Nothing refers to Yueqing's leaders any more, so they can go now.
    let leader = app.get_ok("/api/v1/leaders", &[("city", "330382"), ("q", "何学考")]).await["items"][0]["id"].clone();
    let path = format!("/api/v1/leaders/{}", leader.as_str().expect("id"));
    app.send(Method::DELETE, &path, Some(&editor.token), None, &[]).await.expect(StatusCode::NO_CONTENT);
}

async fn revisions_record_who_changed_which_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let editor = app.session(UserRole::Editor, Some("330382")).await;
    let other = app.token(UserRole::Editor, Some("331083")).await;
    let item = app.get_ok("/api/v1/work-items", &[("city", "330382"), ("limit", "1")]).await["items"][0].clone();
    let id = item["id"].as_str().expect("id");
    let path = format!("/api/v1/work-items/{id}");

    // The seed's own revision, read without a token.
    let seeded = app.get_ok(&format!("{path}/revisions"), &[]).await;
    assert_eq!(
        (seeded["total"].as_u64(), seeded["limit"].as_u64(), seeded["offset"].as_u64()),
        (Some(1), Some(50), Some(0))
    );
    let created = &seeded["items"][0];
    assert_eq!(created["action"], "create");
    assert_eq!(created["actor"], json!({"id": null, "name": "system"}));
    assert_eq!(created["resource_type"], "work-items");
    assert_eq!(created["resource_id"], id);
    // Every field the item was created with, `updated_at` aside, each from nothing (the log keeps
    // a creation's snapshot once and shows its fields as the changes); a null is no change.
    let from_nothing: serde_json::Map<String, Value> = item
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(field, value)| *field != "updated_at" && !value.is_null())
        .map(|(field, value)| (field.clone(), json!({"before": null, "after": value})))
        .collect();
    assert_eq!(created["changes"], Value::Object(from_nothing));

    let patch = json!({"status": "in_progress", "progress": 40, "progress_note": "已完成立项"});
    let reply = app.send(Method::PATCH, &path, Some(&editor.token), Some(patch.clone()), &[]).await;
    let patched = reply.expect(StatusCode::OK).clone();
    let etag = reply.etag();
    let revisions = app.get_ok(&format!("{path}/revisions"), &[]).await;
    assert_eq!(revisions["total"], 2);
    let update = &revisions["items"][1];
    let mut keys: Vec<&str> = update.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["action", "actor", "changes", "created_at", "id", "resource_id", "resource_type", "seq"]);
    assert_eq!(update["action"], "update");
    assert_eq!(update["actor"], json!({"id": editor.id, "name": editor.username}));
    assert_eq!(
        update["changes"],
        json!({
            "status": {"before": "not_started", "after": "in_progress"},
            "progress": {"before": 0, "after": 40},
            "progress_note": {"before": null, "after": "已完成立项"}
        }),
        "only the changed fields, and never updated_at"
    );
    assert!(update["seq"].as_i64() > created["seq"].as_i64());

    // A write that changes nothing records nothing, and keeps the ETag.
    let count = app.revision_count().await;
    let reply = app.send(Method::PATCH, &path, Some(&editor.token), Some(patch), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK), &patched);
    assert_eq!(reply.etag(), etag);
    app.send(Method::PATCH, &path, Some(&editor.token), Some(json!({})), &[]).await.expect(StatusCode::OK);
    assert_eq!(app.revision_count().await, count);
    // Nor does a refused one.
    let reply = app.send(Method::PATCH, &path, Some(&other), Some(json!({"progress": 90})), &[]).await;
    reply.problem(StatusCode::FORBIDDEN);
    assert_eq!(app.revision_count().await, count);
    assert_eq!(app.get_ok(&format!("{path}/revisions"), &[]).await["total"], 2);

    // A leader's whole life: created, changed, deleted, and its history still readable.
    let fx = Fixture::load(&app).await;
    let leader = create(&app, &editor.token, Kind::Leader, Kind::Leader.new_body(&fx, 7)).await;
    let leader_path = format!("/api/v1/leaders/{leader}");
    let reply = app.send(Method::PATCH, &leader_path, Some(&editor.token), Some(json!({"title": null})), &[]).await;
    assert_eq!(reply.expect(StatusCode::OK)["title"], Value::Null);
    app.send(Method::DELETE, &leader_path, Some(&editor.token), None, &[]).await.expect(StatusCode::NO_CONTENT);
    let revisions = app.get_ok(&format!("{leader_path}/revisions"), &[]).await;
    let items = revisions["items"].as_array().expect("items");
    let actions: Vec<&str> = items.iter().map(|r| r["action"].as_str().expect("action")).collect();
    assert_eq!(actions, ["create", "update", "delete"]);
    assert!(items.iter().all(|r| r["actor"]["name"] == editor.username.as_str()));
    assert_eq!(items[0]["changes"]["name"], json!({"before": null, "after": "测试领导7"}));
    assert_eq!(items[1]["changes"], json!({"title": {"before": "副市长", "after": null}}));
    assert_eq!(items[2]["changes"]["name"], json!({"before": "测试领导7", "after": null}));
    let seqs: Vec<i64> = items.iter().map(|r| r["seq"].as_i64().expect("seq")).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Paging works on revisions, and an unknown id is a 404.
    let page = app.get_ok(&format!("{leader_path}/revisions"), &[("limit", "1"), ("offset", "2")]).await;
    assert_eq!(page["items"][0]["action"], "delete");
    let unknown = uuid::Uuid::now_v7();
    app.get_problem(&format!("/api/v1/leaders/{unknown}/revisions"), &[], StatusCode::NOT_FOUND).await;
}

/// Everything the public API shows, and the size of the revision log.
async fn snapshot(app: &TestApp) -> (Vec<Vec<Value>>, u64) {
    let mut all = Vec::new();
    for path in ["cities", "documents", "sections", "leaders", "units", "work-items", "livelihood-projects"] {
        all.push(app.get_all(&format!("/api/v1/{path}"), &[]).await);
    }
    (all, app.revision_count().await)
}

fn seed(index: usize) -> Value {
    serde_json::from_str(SEED_FILES[index].1).expect("the seed file is JSON")
}

fn tally(summary: &Value, what: &str) -> (u64, u64, u64) {
    let t = &summary[what];
    (
        t["created"].as_u64().expect("created"),
        t["updated"].as_u64().expect("updated"),
        t["unchanged"].as_u64().expect("unchanged"),
    )
}

async fn importing_over_http_is_idempotent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.session(UserRole::Admin, None).await;
    let fx = Fixture::load(&app).await;
    let yueqing = app.get_ok("/api/v1/cities/330382", &[]).await;
    let before = snapshot(&app).await;

    // The seeded file again: nothing to do.
    let reply = app.send(Method::POST, "/api/v1/imports", Some(&admin.token), Some(seed(0)), &[]).await;
    let summary = reply.expect(StatusCode::OK).clone();
    assert_eq!(summary["city_id"], yueqing["id"]);
    assert_eq!(summary["document_id"], fx.document.as_str());
    assert_eq!(tally(&summary, "cities"), (0, 0, 1));
    assert_eq!(tally(&summary, "documents"), (0, 0, 1));
    assert_eq!(tally(&summary, "sections"), (0, 0, 3));
    assert_eq!(tally(&summary, "leaders"), (0, 0, 7));
    assert_eq!(tally(&summary, "items"), (0, 0, 213));
    assert_eq!(summary["units"]["created"], 0);
    assert_eq!(summary["items_left"], 0);
    assert_eq!(snapshot(&app).await, before, "no record and no revision changed");

    // A changed file: one item changes, one unit is new, and each is recorded once.
    let mut file = seed(0);
    let row = &mut file["sections"][0]["groups"][0]["items"][0];
    row["remarks"] = json!("通过接口导入的备注");
    row["units"].as_array_mut().expect("units").push(json!({"name": "市新设单位", "role": "cooperating"}));
    let reply = app.send(Method::POST, "/api/v1/imports", Some(&admin.token), Some(file.clone()), &[]).await;
    let summary = reply.expect(StatusCode::OK).clone();
    assert_eq!(tally(&summary, "items"), (0, 1, 212));
    assert_eq!(summary["units"]["created"], 1);
    assert_eq!(app.revision_count().await, before.1 + 2);
    let item = app.get_ok("/api/v1/work-items", &[("city", "330382"), ("limit", "1")]).await["items"][0].clone();
    assert_eq!(item["remarks"], "通过接口导入的备注");
    let item_history = history(&app, &admin.token, "work-items", item["id"].as_str().expect("id")).await;
    let last = item_history.last().expect("a revision");
    assert_eq!(last["action"], "update");
    assert_eq!(last["actor"], json!({"id": admin.id, "name": admin.username}));
    assert_eq!(last["changes"]["remarks"], json!({"before": null, "after": "通过接口导入的备注"}));

    // The same changed file again: nothing.
    let after = snapshot(&app).await;
    let reply = app.send(Method::POST, "/api/v1/imports", Some(&admin.token), Some(file), &[]).await;
    let summary = reply.expect(StatusCode::OK).clone();
    for what in ["cities", "documents", "sections", "leaders", "units", "items"] {
        let (created, updated, _) = tally(&summary, what);
        assert_eq!((created, updated), (0, 0), "{what}: {summary}");
    }
    assert_eq!(snapshot(&app).await, after);
}

async fn a_broken_import_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let before = snapshot(&app).await;
    let import = |file: Value| {
        let admin = admin.clone();
        let app = &app;
        async move { app.send(Method::POST, "/api/v1/imports", Some(&admin), Some(file), &[]).await }
    };

    // A unit with a role no unit can have, deep in an otherwise valid file with changes.
    let mut file = seed(0);
    file["city"]["name_en"] = json!("Yueqing City");
    file["sections"][0]["groups"][0]["items"][0]["content"] = json!("改写的内容");
    file["sections"][1]["groups"][3]["items"][17]["units"][0]["role"] = json!("boss");
    let reply = import(file).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["sections[1].groups[3].items[17].units[0].role"]);
    assert_eq!(snapshot(&app).await, before);

    // An item naming a leader the file does not list.
    let mut file = seed(0);
    file["sections"][1]["groups"][3]["items"][17]["leader"] = json!("无此人");
    let reply = import(file).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_fields(), ["sections[1].groups[3].items[17].leader"]);

    // A valid file whose last section contradicts the stored one: it fails after writing the
    // city, leaders, units and first items, which must all roll back.
    let mut file = seed(0);
    file["city"]["name_en"] = json!("Yueqing City");
    file["leaders"].as_array_mut().expect("leaders").push(json!({"name": "新领导", "title": "副市长"}));
    file["sections"][0]["groups"][0]["items"][0]["content"] = json!("改写的内容");
    file["sections"][0]["groups"][0]["items"][0]["units"] = json!([{"name": "市新单位", "role": "lead"}]);
    file["sections"][2]["kind"] = json!("work_item");
    let reply = import(file).await;
    reply.problem(StatusCode::CONFLICT);
    assert_eq!(snapshot(&app).await, before, "the whole import rolled back");

    // Not a document file at all.
    let reply = import(json!({"format": "duban.document/v2"})).await;
    reply.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let reply = app.send_bytes(Method::POST, "/api/v1/imports", Some(&admin), b"{\"format\":".to_vec()).await;
    reply.problem(StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&app).await, before);
}

async fn imports_are_scoped_to_the_editors_city(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let yueqing_editor = app.token(UserRole::Editor, Some("330382")).await;
    let any_city_editor = app.token(UserRole::Editor, None).await;
    let viewer = app.token(UserRole::Viewer, None).await;
    let mut new_city = seed(0);
    new_city["city"] = json!({"code": "110101", "name": "东城区", "name_en": "Dongcheng", "province": "北京市", "prefecture": "北京市"});
    let mut changed_yuhuan = seed(1);
    changed_yuhuan["document"]["cc"] = json!("市委办");

    let before = snapshot(&app).await;
    let refused = [
        (&yueqing_editor, &changed_yuhuan, "another city's file"),
        (&viewer, &changed_yuhuan, "a viewer"),
        (&yueqing_editor, &new_city, "a new city, by a city editor"),
        (&any_city_editor, &new_city, "a new city, by an editor of every city"),
    ];
    for (token, file, what) in refused {
        let reply = app.send(Method::POST, "/api/v1/imports", Some(token), Some(file.clone()), &[]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}: {}", reply.body);
        reply.problem(StatusCode::FORBIDDEN);
        assert_eq!(snapshot(&app).await, before, "{what}");
    }

    // An editor of every city may import into an existing one; an admin may add a city.
    let reply = app.send(Method::POST, "/api/v1/imports", Some(&any_city_editor), Some(changed_yuhuan), &[]).await;
    assert_eq!(tally(reply.expect(StatusCode::OK), "documents"), (0, 1, 0));
    let reply = app.send(Method::POST, "/api/v1/imports", Some(&admin), Some(new_city), &[]).await;
    let summary = reply.expect(StatusCode::OK);
    assert_eq!(tally(summary, "cities"), (1, 0, 0));
    assert_eq!(tally(summary, "items"), (213, 0, 0));
    assert_eq!(app.get_ok("/api/v1/cities/110101", &[]).await["name"], "东城区");
    assert_eq!(app.count("/api/v1/work-items", &[("city", "110101")]).await, 165);
}
