//! The test harness: a real server on port 0 over a real database of its own, on SQLite or
//! PostgreSQL.
//!
//! Each test gets a fresh database cloned from a template that is migrated and seeded once per
//! test process: a copied file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. PostgreSQL
//! databases are dropped when the test ends, whether it passed or not.

use std::{
    path::{Path, PathBuf},
    sync::LazyLock,
};

use api::{config::Config, http::startup::Application};
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defines `$name::sqlite` and `$name::postgres` tests that run `async fn $name(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )+
    };
}

/// The PostgreSQL server the tests use; each test creates and drops a database of its own there.
pub static POSTGRES_URL: LazyLock<String> = LazyLock::new(|| {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
});

/// The key the test servers sign tokens with, so tests can forge bad ones.
pub const JWT_SECRET: &str = "duban-tests-sign-with-this-32-byte-secret";

/// A running server and its database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A pool of the test's own on the test's database, for setting up and checking state.
    pub db: DatabaseConnection,
    server: actix_web::dev::ServerHandle,
    database: TestDatabase,
}

impl TestApp {
    /// A server over a database holding the two seed documents.
    pub async fn spawn(backend: Backend) -> Self {
        Self::start(backend, true).await
    }

    /// A server over a migrated, empty database.
    pub async fn spawn_empty(backend: Backend) -> Self {
        Self::start(backend, false).await
    }

    async fn start(backend: Backend, seeded: bool) -> Self {
        Self::spawn_with(backend, seeded, |_| {}).await
    }

    /// A server over a database of its own (seeded or not), with its configuration changed by
    /// `configure` (which may point it at a proxy, turn rate limits on…).
    pub async fn spawn_with(backend: Backend, seeded: bool, configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase::create(backend, seeded).await;
        Self::serve(database, configure).await
    }

    /// A server over an existing database the caller made and removes (in a cluster of the
    /// test's own, say), with its configuration changed by `configure`.
    pub async fn spawn_over(database_url: &str, configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase { url: database_url.to_owned(), postgres_name: None, sqlite_dir: None };
        Self::serve(database, configure).await
    }

    async fn serve(database: TestDatabase, configure: impl FnOnce(&mut Config)) -> Self {
        init_logs();
        let mut config = Config::for_database(database.url.clone());
        config.serve.jwt_secret = Some(JWT_SECRET.to_owned());
        configure(&mut config);
        let app = Application::build(config).await.expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = app.handle();
        let db = Database::connect(database.url.as_str()).await.expect("the test connects to its database");
        tokio::spawn(app.run_until_stopped());
        Self { address, client: reqwest::Client::new(), db, server, database }
    }

    /// The URL of the test's database.
    pub fn database_url(&self) -> &str {
        &self.database.url
    }

    /// Merges the search index's pending list now (PostgreSQL); returns the pages it took off
    /// the list: how many were still pending.
    pub async fn merge_search_index(&self) -> i64 {
        let merge = "SELECT gin_clean_pending_list('ix_items_search'::regclass) AS pages";
        let row = self.db.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, merge)).await;
        row.expect("a query").expect("a row").try_get("", "pages").expect("pages")
    }

    /// `GET path` (relative to the server), with `query` pairs URL-encoded.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.client.get(format!("{}{path}", self.address)).query(query).send().await.expect("the request is sent")
    }

    /// `GET path` answered 200 with JSON; returns the body.
    pub async fn get_ok(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let response = self.get(path, query).await;
        let status = response.status();
        let body = response.text().await.expect("a body");
        assert_eq!(status, StatusCode::OK, "GET {path} {query:?} answered {status}: {body}");
        serde_json::from_str(&body).expect("the body is JSON")
    }

    /// Every item of a list, following pages of 500.
    pub async fn get_all(&self, path: &str, query: &[(&str, &str)]) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let offset = all.len().to_string();
            let mut query = query.to_vec();
            query.extend([("limit", "500"), ("offset", offset.as_str())]);
            let page = self.get_ok(path, &query).await;
            let items = page["items"].as_array().expect("items").clone();
            let total = page["total"].as_u64().expect("total") as usize;
            all.extend(items);
            if all.len() >= total {
                return all;
            }
        }
    }

    /// The `total` of a list.
    pub async fn count(&self, path: &str, query: &[(&str, &str)]) -> u64 {
        let mut query = query.to_vec();
        query.push(("limit", "1"));
        self.get_ok(path, &query).await["total"].as_u64().expect("total")
    }

    /// The paths of the work items on the first page `query` lists.
    pub async fn work_item_paths(&self, query: &[(&str, &str)]) -> Vec<String> {
        let page = self.get_ok("/api/v1/work-items", query).await;
        let items = page["items"].as_array().expect("items");
        items.iter().map(|item| format!("/api/v1/work-items/{}", item["id"].as_str().expect("an id"))).collect()
    }

    /// The `total` of a list only an admin (or another holder of `token`) may read.
    pub async fn count_with_token(&self, path: &str, token: &str) -> u64 {
        let path = format!("{path}?limit=1");
        self.send(Method::GET, &path, Some(token), None, &[]).await.expect(StatusCode::OK)["total"]
            .as_u64()
            .expect("total")
    }

    /// Asserts `GET path` answers `status` with a problem+json body, and returns the body.
    pub async fn get_problem(&self, path: &str, query: &[(&str, &str)], status: StatusCode) -> Value {
        let response = self.get(path, query).await;
        assert_problem(response, status).await
    }
}

/// Asserts a response is an RFC 9457 problem with `status`; returns its body.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = response.text().await.expect("a body");
    assert_eq!(actual, status, "body: {body}");
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    let problem: Value = serde_json::from_str(&body).expect("the problem is JSON");
    for field in ["type", "title", "detail"] {
        assert!(problem[field].as_str().is_some_and(|s| !s.is_empty()), "problem lacks {field}: {body}");
    }
    assert_eq!(problem["status"], status.as_u16());
    problem
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command now; the returned future only waits for it.
        drop(self.server.stop(false));
        if let Some(name) = self.database.postgres_name.take() {
            drop_postgres_database(name);
        }
        if let Some(dir) = self.database.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A database of one test's own.
struct TestDatabase {
    url: String,
    postgres_name: Option<String>,
    sqlite_dir: Option<PathBuf>,
}

impl TestDatabase {
    async fn create(backend: Backend, seeded: bool) -> Self {
        match backend {
            Backend::Sqlite => {
                let template = sqlite_template(seeded).await;
                let dir = std::env::temp_dir().join(format!("duban-test-{}", Uuid::now_v7().simple()));
                std::fs::create_dir_all(&dir).expect("a temp dir");
                let path = dir.join("duban.db");
                std::fs::copy(template, &path).expect("the template copies");
                Self { url: sqlite_url(&path), postgres_name: None, sqlite_dir: Some(dir) }
            }
            Backend::Postgres => {
                let template = postgres_template(seeded).await;
                let name = format!("duban_test_{}", Uuid::now_v7().simple());
                let admin = Database::connect(POSTGRES_URL.as_str()).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL must be reachable at {} (set TEST_POSTGRES_URL): {e}", *POSTGRES_URL)
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await
                    .expect("the test database is created");
                admin.close().await.ok();
                Self { url: postgres_url_for(&name), postgres_name: Some(name), sqlite_dir: None }
            }
        }
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// `POSTGRES_URL` with its database replaced by `name`.
pub fn postgres_url_for(name: &str) -> String {
    let base = POSTGRES_URL.as_str();
    let (without_query, query) = base.split_once('?').map_or((base, None), |(a, q)| (a, Some(q)));
    let prefix = without_query.rsplit_once('/').map_or(without_query, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A fingerprint of what a template holds: the test binary (which embeds the migrations and the
/// importer) and whether it is seeded. A rebuilt binary gets new templates.
fn template_key(seeded: bool) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let meta = std::fs::metadata(&exe).expect("the test binary's metadata");
    let mut hasher = Sha256::new();
    hasher.update(exe.to_string_lossy().as_bytes());
    hasher.update(meta.len().to_le_bytes());
    hasher.update(format!("{:?}", meta.modified().ok()).as_bytes());
    hasher.update([u8::from(seeded)]);
    let digest = hasher.finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

async fn migrate_and_maybe_seed(url: &str, seeded: bool) {
    let db = api::db::connect_and_migrate(url).await.expect("the template migrates");
    if seeded {
        api::domain::import::seed_if_empty(&db).await.expect("the template is seeded");
    }
    db.close().await.expect("the template pool closes");
}

async fn sqlite_template(seeded: bool) -> &'static Path {
    static SEEDED: OnceCell<PathBuf> = OnceCell::const_new();
    static EMPTY: OnceCell<PathBuf> = OnceCell::const_new();
    let cell = if seeded { &SEEDED } else { &EMPTY };
    cell.get_or_init(|| async move {
        let dir = std::env::temp_dir().join(format!("duban-template-{}-{}", template_key(seeded), std::process::id()));
        std::fs::create_dir_all(&dir).expect("a template dir");
        let path = dir.join("template.db");
        let _ = std::fs::remove_file(&path);
        migrate_and_maybe_seed(&sqlite_url(&path), seeded).await;
        path
    })
    .await
}

async fn postgres_template(seeded: bool) -> &'static str {
    static SEEDED: OnceCell<String> = OnceCell::const_new();
    static EMPTY: OnceCell<String> = OnceCell::const_new();
    let cell = if seeded { &SEEDED } else { &EMPTY };
    cell.get_or_init(|| async move {
        let name = format!("duban_template_{}", template_key(seeded));
        let admin = Database::connect(POSTGRES_URL.as_str()).await.unwrap_or_else(|e| {
            panic!("PostgreSQL must be reachable at {} (set TEST_POSTGRES_URL): {e}", *POSTGRES_URL)
        });
        // Another test process may build the same template: build it under a name of our own and
        // rename it into place, so nobody clones a half-built one.
        let exists = admin
            .query_one_raw(sea_orm::Statement::from_sql_and_values(
                admin.get_database_backend(),
                "SELECT 1 FROM pg_database WHERE datname = $1",
                [name.clone().into()],
            ))
            .await
            .expect("pg_database is readable")
            .is_some();
        if !exists {
            let building = format!("{name}_{}", Uuid::now_v7().simple());
            admin.execute_unprepared(&format!("CREATE DATABASE {building}")).await.expect("the template is created");
            migrate_and_maybe_seed(&postgres_url_for(&building), seeded).await;
            let renamed = admin.execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {name}")).await;
            if renamed.is_err() {
                // Someone else finished first; theirs is as good as ours.
                drop_postgres_database(building);
            } else {
                let stamp = format!("COMMENT ON DATABASE {name} IS '{}'", now_seconds());
                let _ = admin.execute_unprepared(&stamp).await;
                drop_stale_templates(&admin).await;
            }
        }
        admin.close().await.ok();
        name
    })
    .await
}

/// Drops the templates of earlier builds of the tests, so they do not pile up. A template is
/// stamped with its creation time (a database comment), and only templates of other builds that
/// are more than a day old go: a test run of another build may be using a younger one.
async fn drop_stale_templates(admin: &DatabaseConnection) {
    let current = [template_key(true), template_key(false)];
    let Ok(rows) = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname, COALESCE(shobj_description(oid, 'pg_database'), '0') AS stamp FROM pg_database \
             WHERE datname LIKE 'duban\\_template\\_%'",
        ))
        .await
    else {
        return;
    };
    let day_ago = now_seconds() - 24 * 3600;
    for row in rows {
        let (Ok(name), Ok(stamp)) = (row.try_get::<String>("", "datname"), row.try_get::<String>("", "stamp")) else {
            continue;
        };
        let ours = current.iter().any(|key| name.starts_with(&format!("duban_template_{key}")));
        if !ours && stamp.parse::<i64>().unwrap_or(0) < day_ago {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await;
        }
    }
}

/// Drops a PostgreSQL database from a thread of its own (this runs in `Drop`, outside async).
fn drop_postgres_database(name: String) {
    let joined = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async {
            if let Ok(admin) = Database::connect(POSTGRES_URL.as_str()).await {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                admin.close().await.ok();
            }
        });
    })
    .join();
    drop(joined);
}

fn init_logs() {
    // Quiet unless asked: TEST_LOG=1 cargo test … shows the server's logs.
    if std::env::var_os("TEST_LOG").is_some() {
        api::telemetry::init(api::config::LogFormat::Pretty);
    }
}

/// The first item of `items` whose `field` equals `value`.
pub fn find<'a>(items: &'a [Value], field: &str, value: impl Into<Value>) -> &'a Value {
    let value = value.into();
    items.iter().find(|item| item[field] == value).unwrap_or_else(|| panic!("no item with {field} = {value}"))
}

/// The password of every user the tests create.
pub const PASSWORD: &str = "correct horse battery staple";

pub use entity::user::UserRole;
pub use reqwest::Method;

/// A response read whole: status, headers, and the body as JSON (`Null` when empty, a string
/// when it is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `ETag`; panics without one.
    pub fn etag(&self) -> String {
        self.header("etag").unwrap_or_else(|| panic!("no ETag in a {} answer: {}", self.status, self.body)).to_owned()
    }

    /// Asserts the reply has `status`; returns the body.
    pub fn expect(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        &self.body
    }

    /// Asserts the reply is an RFC 9457 problem with `status`; returns its body.
    pub fn problem(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "body: {}", self.body);
        for field in ["type", "title", "detail"] {
            assert!(self.body[field].as_str().is_some_and(|s| !s.is_empty()), "problem lacks {field}: {}", self.body);
        }
        assert_eq!(self.body["status"], status.as_u16());
        &self.body
    }

    /// Asserts the reply is a 401 problem that asks for a bearer token.
    pub fn unauthorized(&self) -> &Value {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "body: {}", self.body);
        let challenge = self.header("www-authenticate").unwrap_or_else(|| panic!("no WWW-Authenticate: {}", self.body));
        assert!(challenge.starts_with("Bearer"), "WWW-Authenticate: {challenge}");
        self.problem(StatusCode::UNAUTHORIZED)
    }

    /// The fields a validation problem names, in order.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors in {}", self.body))
            .iter()
            .map(|e| e["field"].as_str().expect("a field").to_owned())
            .collect()
    }
}

/// A user the tests created and logged in as.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub username: String,
    pub token: String,
}

impl TestApp {
    /// `method path` with an optional bearer token, JSON body and extra headers, read whole.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read_reply(request.send().await.expect("the request is sent")).await
    }

    /// Like [`TestApp::send`], on a task of its own: for requests that must run at the same time.
    pub fn spawn_send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> tokio::task::JoinHandle<Reply> {
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        tokio::spawn(async move { read_reply(request.send().await.expect("the request is sent")).await })
    }

    /// `method path` with a raw body sent as `application/json`, for bodies that are not JSON.
    pub async fn send_bytes(&self, method: Method, path: &str, token: Option<&str>, body: Vec<u8>) -> Reply {
        self.send_raw(method, path, token, Some("application/json"), body).await
    }

    /// `method path` with a raw body of the given `Content-Type` (none when `None`).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.address)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read_reply(request.send().await.expect("the request is sent")).await
    }

    /// Creates a user through the library (as `duban user create` does), with [`PASSWORD`].
    pub async fn create_user(&self, username: &str, role: UserRole, city: Option<&str>) -> Uuid {
        api::domain::users::create_user(&self.db, username, PASSWORD, role, city, &[])
            .await
            .unwrap_or_else(|e| panic!("user {username} is created: {e}"))
    }

    /// `POST /api/v1/auth/token`.
    pub async fn login(&self, username: &str, password: &str) -> Reply {
        let body = serde_json::json!({"username": username, "password": password});
        self.send(Method::POST, "/api/v1/auth/token", None, Some(body), &[]).await
    }

    /// A new user of `role` (an editor limited to `city`, a code, when given), logged in over HTTP.
    pub async fn session(&self, role: UserRole, city: Option<&str>) -> Session {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let role_name = serde_json::to_value(role).expect("a role").as_str().expect("a string").to_owned();
        let username = format!("{role_name}-{}-{n}", city.unwrap_or("all"));
        let id = self.create_user(&username, role, city).await;
        self.logged_in(id, username).await
    }

    /// A new reporter of `city` (a code) for `units` (names), logged in over HTTP.
    pub async fn reporter(&self, city: &str, units: &[&str]) -> Session {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let username = format!("reporter-{city}-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let units: Vec<String> = units.iter().map(|unit| (*unit).to_owned()).collect();
        let id = api::domain::users::create_user(&self.db, &username, PASSWORD, UserRole::Reporter, Some(city), &units)
            .await
            .unwrap_or_else(|e| panic!("reporter {username} is created: {e}"));
        self.logged_in(id, username).await
    }

    async fn logged_in(&self, id: Uuid, username: String) -> Session {
        let reply = self.login(&username, PASSWORD).await;
        let token = reply.expect(StatusCode::OK)["access_token"].as_str().expect("a token").to_owned();
        Session { id, username, token }
    }

    /// A bearer token of a new user of `role`, limited to `city` when given.
    pub async fn token(&self, role: UserRole, city: Option<&str>) -> String {
        self.session(role, city).await.token
    }

    /// A bearer token of a new admin.
    pub async fn admin_token(&self) -> String {
        self.token(UserRole::Admin, None).await
    }

    /// How many revisions the log holds, read from the database.
    pub async fn revision_count(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        entity::revision::Entity::find().count(&self.db).await.expect("revisions are counted")
    }
}

async fn read_reply(response: Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Reply { status, headers, body }
}

/// The claims of a token, decoded without checking its signature.
pub fn token_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("the payload is base64url");
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}

/// A token of `claims` signed with `algorithm` (an HMAC one) and `secret`.
pub fn sign_token(claims: &Value, algorithm: jsonwebtoken::Algorithm, secret: &str) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::new(algorithm), claims, &key).expect("the token is signed")
}

/// Seconds since the epoch.
pub fn now_seconds() -> i64 {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after the epoch");
    i64::try_from(elapsed.as_secs()).expect("in range")
}
