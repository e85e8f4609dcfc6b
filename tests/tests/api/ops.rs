//! Keeping up under faults, abuse and scale-out (issue 10): the database going away, unbounded
//! parameters, slow clients, floods of requests and logins, hostile CSV cells, shutdown.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::{Duration, Instant},
};

use api::config::DEFAULT_PING_IDLE_MS;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    helpers::{Backend, Method, TestApp, UserRole, assert_problem},
    on_both_backends,
    process::ServeProcess,
    proxy::{Mode, TcpProxy},
};

on_both_backends!(
    every_response_carries_security_headers_and_the_docs_a_policy_swagger_ui_can_live_with,
    csv_cells_a_spreadsheet_would_run_are_exported_as_text,
    over_long_search_and_free_text_parameters_are_refused_with_a_400,
    a_body_that_trickles_in_is_cut_off_with_a_408,
    thirty_simultaneous_guesses_check_at_most_five_passwords,
    anonymous_clients_and_logins_are_rate_limited_per_address_and_users_per_account,
);

/// A generous bound for "fast" on a loaded two-core machine.
const FAST: Duration = Duration::from_secs(3);

async fn every_response_carries_security_headers_and_the_docs_a_policy_swagger_ui_can_live_with(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (path, status) in [
        ("/api/v1/cities", StatusCode::OK),
        ("/api/v1/nowhere", StatusCode::NOT_FOUND),
        ("/health/live", StatusCode::OK),
        ("/docs/", StatusCode::OK),
    ] {
        let response = app.get(path, &[]).await;
        assert_eq!(response.status(), status, "{path}");
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if path == "/docs/" {
            // Swagger UI's page loads its scripts from files (no inline script) and styles inline.
            let page = response.text().await.expect("the page");
            assert!(!page.contains("<script>"), "an inline script would need 'unsafe-inline'");
            assert!(csp.contains("script-src 'self'") && !csp.contains("script-src 'self' 'unsafe"), "{csp}");
            assert!(csp.contains("img-src 'self' data:") && csp.contains("connect-src 'self'"), "{csp}");
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        }
    }
    let initializer = app.get("/docs/swagger-initializer.js", &[]).await;
    assert_eq!(initializer.status(), StatusCode::OK, "the script the page loads is served from /docs/");
}

async fn csv_cells_a_spreadsheet_would_run_are_exported_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"点击\")";
    app.send(
        Method::POST,
        "/api/v1/leaders",
        Some(&admin),
        Some(json!({"city": "330382", "name": formula, "title": "@SUM(A1)"})),
        &[],
    )
    .await
    .expect(StatusCode::CREATED);
    let response = app
        .client
        .get(format!("{}/api/v1/leaders", app.address))
        .query(&[("limit", "500")])
        .header("accept", "text/csv")
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.expect("the CSV");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let cells: Vec<String> =
        reader.records().flat_map(|r| r.expect("a record").iter().map(str::to_owned).collect::<Vec<_>>()).collect();
    assert!(cells.iter().any(|c| c == &format!("'{formula}")), "the formula is exported as text");
    assert!(!cells.iter().any(|c| c.starts_with(['=', '+', '-', '@'])), "no cell starts a formula: {cells:?}");
    // The JSON keeps the data as it was written.
    let leaders = app.get_all("/api/v1/leaders", &[]).await;
    assert!(leaders.iter().any(|l| l["name"] == formula));
}

async fn over_long_search_and_free_text_parameters_are_refused_with_a_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let started = Instant::now();
    let long = "数".repeat(101);
    let problem = app.get_problem("/api/v1/work-items", &[("q", &long)], StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["errors"][0]["field"], "q", "{problem}");
    // Far beyond what used to take a minute and exhaust the stack, answered at once.
    let huge = "ab".repeat(12_000);
    app.get_problem("/api/v1/work-items", &[("q", &huge)], StatusCode::BAD_REQUEST).await;
    assert!(started.elapsed() < FAST, "refused in {:?}", started.elapsed());
    let name = "局".repeat(501);
    let problem = app.get_problem("/api/v1/work-items", &[("unit", &name)], StatusCode::BAD_REQUEST).await;
    assert_eq!(problem["errors"][0]["field"], "unit");
    let many: Vec<(&str, &str)> = (0..65).map(|_| ("unit", "市发改局")).collect();
    app.get_problem("/api/v1/work-items", &many, StatusCode::BAD_REQUEST).await;
    // At the limit is fine.
    let at_limit = "数".repeat(100);
    app.get_ok("/api/v1/work-items", &[("q", &at_limit)]).await;
}

async fn a_body_that_trickles_in_is_cut_off_with_a_408(backend: Backend) {
    let app = TestApp::spawn_with(backend, true, |config| config.serve.body_read_timeout_ms = 1000).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.expect("a connection");
    let head = format!(
        "POST /api/v1/auth/token HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"user"
    );
    stream.write_all(head.as_bytes()).await.expect("the head is sent");
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buffer[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server never gave up on the slow body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("content-type: application/problem+json"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(1) + FAST, "cut after {:?}", started.elapsed());
    // Nobody was logged in, and the server still answers.
    app.get_ok("/health/live", &[]).await;
}

async fn thirty_simultaneous_guesses_check_at_most_five_passwords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("target", UserRole::Editor, Some("330382")).await;
    let guesses: Vec<_> = (0..30)
        .map(|n| {
            let body = json!({"username": "target", "password": format!("guess {n}")});
            app.spawn_send(Method::POST, "/api/v1/auth/token", None, Some(body), &[])
        })
        .collect();
    let mut checked = 0;
    let mut refused = 0;
    for guess in guesses {
        let reply = guess.await.expect("the guess ran");
        match reply.status {
            // A 401 is a password that was checked and found wrong.
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(reply.header("retry-after").is_some());
                refused += 1;
            }
            other => panic!("a guess was answered {other}: {}", reply.body),
        }
    }
    println!("30 simultaneous guesses: {checked} passwords checked, {refused} refused");
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(checked + refused, 30);
    // The count is exact: every checked guess is one stored failure.
    use sea_orm::EntityTrait;
    let attempts = entity::login_attempt::Entity::find_by_id("target".to_owned())
        .one(&app.db)
        .await
        .expect("login_attempts is readable")
        .expect("the failures are recorded");
    assert_eq!(attempts.failures, checked);
}

async fn anonymous_clients_and_logins_are_rate_limited_per_address_and_users_per_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, true, |config| {
        let limits = &mut config.serve.rate_limit;
        limits.enabled = true;
        limits.anonymous_per_minute = 5;
        limits.authenticated_per_minute = 8;
        limits.login_per_minute = 3;
    })
    .await;
    let token = app.token(UserRole::Viewer, None).await; // one login
    for n in 1..=5 {
        let reply = app.send(Method::GET, "/api/v1/cities", None, None, &[]).await;
        reply.expect(StatusCode::OK);
        assert_eq!(reply.header("ratelimit-policy"), Some("\"anonymous\";q=5;w=60"));
        let state = reply.header("ratelimit").expect("a RateLimit header");
        assert!(state.starts_with(&format!("\"anonymous\";r={};t=", 5 - n)), "{state}");
    }
    let refused = app.send(Method::GET, "/api/v1/cities", None, None, &[]).await;
    refused.problem(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=13).contains(&wait), "one request comes back every 12 s: {wait}");
    assert!(refused.header("ratelimit").is_some_and(|v| v.contains("r=0")));
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    // Health checks and metrics are never limited; a user has a limit of their own.
    app.get_ok("/health/live", &[]).await;
    for _ in 0..8 {
        app.send(Method::GET, "/api/v1/cities", Some(&token), None, &[]).await.expect(StatusCode::OK);
    }
    app.send(Method::GET, "/api/v1/cities", Some(&token), None, &[]).await.problem(StatusCode::TOO_MANY_REQUESTS);
    // Logins: three a minute per address (one was used above).
    app.login("nobody", "x").await.problem(StatusCode::UNAUTHORIZED);
    app.login("nobody", "x").await.problem(StatusCode::UNAUTHORIZED);
    let refused = app.login("nobody", "x").await;
    refused.problem(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.header("ratelimit-policy"), Some("\"login\";q=3;w=60"));
}

/// A client address of this test's own, sent through a trusted proxy: Redis is shared by every
/// test and test run, so each test counts under a fresh address.
fn fresh_client_address() -> String {
    let n = uuid::Uuid::now_v7().as_u128();
    format!("10.{}.{}.{}", (n >> 16) as u8, (n >> 8) as u8, n as u8)
}

/// Two `duban serve` processes behind one round-robin balancer, counting in the same Redis: a
/// client gets one limit, whichever process answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_behind_one_address_enforce_one_redis_limit() {
    let redis = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let app = TestApp::spawn(Backend::Postgres).await;
    let settings = [
        ("RATE_LIMIT", "true"),
        ("RATE_LIMIT_ANONYMOUS", "6"),
        ("REDIS_URL", redis.as_str()),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ];
    let servers =
        [ServeProcess::start(app.database_url(), &settings), ServeProcess::start(app.database_url(), &settings)];
    let balancer =
        TcpProxy::round_robin(servers.iter().map(|s| SocketAddr::from(([127, 0, 0, 1], s.port))).collect()).await;
    // A connection per request, so that the balancer alternates between the processes.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("a client");
    let send = |path: &str, client_address: &str| {
        client.get(format!("http://127.0.0.1:{}{path}", balancer.port)).header("x-forwarded-for", client_address).send()
    };
    let client_address = fresh_client_address();
    for n in 1..=6 {
        let reply = send("/api/v1/cities", &client_address).await.expect("an answer");
        assert_eq!(reply.status(), StatusCode::OK);
        let state = reply.headers().get("ratelimit").and_then(|v| v.to_str().ok()).expect("a RateLimit header");
        assert!(state.starts_with(&format!("\"anonymous\";r={};t=", 6 - n)), "request {n}: {state}");
    }
    for _ in 0..2 {
        let refused = send("/api/v1/cities", &client_address).await.expect("an answer");
        let header = |name: &str| refused.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        assert_eq!(header("ratelimit-policy").as_deref(), Some("\"anonymous\";q=6;w=60"));
        assert!(header("ratelimit").is_some_and(|v| v.contains("r=0")), "{:?}", header("ratelimit"));
        let wait: u64 = header("retry-after").expect("Retry-After").parse().expect("seconds");
        assert!((1..=11).contains(&wait), "one request comes back every 10 s: {wait}");
        assert_problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    }
    // Another client behind the same balancer has its own limit.
    let other = send("/api/v1/cities", &fresh_client_address()).await.expect("an answer");
    assert_eq!(other.status(), StatusCode::OK);
    // Each process counts what it answered in its own metrics: both served and both refused.
    let (mut allowed, mut refused) = (0, 0);
    for server in &servers {
        let metrics = reqwest::get(format!("{}/metrics", server.base_url())).await.expect("metrics").text().await;
        let metrics = metrics.expect("the metrics");
        let served = metric(&metrics, "duban_http_requests_total{", &["route=\"/api/v1/cities\"", "status=\"200\""]);
        let limited = metric(&metrics, "duban_rate_limit_rejections_total{", &["policy=\"anonymous\""]);
        println!("process on port {}: {served} answered 200, {limited} refused", server.port);
        assert!(served >= 1 && limited >= 1, "every process answers behind the balancer:\n{metrics}");
        (allowed, refused) = (allowed + served, refused + limited);
    }
    assert_eq!((allowed, refused), (7, 2), "six for the first client and one for the other; two refusals");
}

/// The sum of the samples of `name` (with its opening brace) whose labels include every one of
/// `labels`, in a Prometheus text exposition.
fn metric(exposition: &str, name: &str, labels: &[&str]) -> u64 {
    exposition
        .lines()
        .filter(|line| line.starts_with(name) && labels.iter().all(|label| line.contains(label)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The machine's PostgreSQL, as a socket address for the proxy.
fn postgres_address() -> SocketAddr {
    let url = crate::helpers::POSTGRES_URL.as_str();
    let host_port = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap_or("127.0.0.1:5432");
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    host_port.replace("localhost", "127.0.0.1").parse().expect("TEST_POSTGRES_URL names host:port")
}

/// A server whose database connections go through a proxy the test controls.
async fn spawn_behind_proxy() -> (TestApp, TcpProxy) {
    spawn_behind_proxy_pinging_after(DEFAULT_PING_IDLE_MS).await
}

/// [`spawn_behind_proxy`], the server pinging pooled connections idle for `ping_idle_ms` or more
/// (0: every checkout).
async fn spawn_behind_proxy_pinging_after(ping_idle_ms: u64) -> (TestApp, TcpProxy) {
    let proxy = TcpProxy::start(postgres_address()).await;
    let port = proxy.port;
    let app = TestApp::spawn_with(Backend::Postgres, true, move |config| {
        config.database.database_ping_idle_ms = ping_idle_ms;
        let direct = config.database.database_url.clone();
        config.database.database_url = direct.replacen(&postgres_address().port().to_string(), &port.to_string(), 1);
        assert_ne!(config.database.database_url, direct, "the server goes through the proxy");
    })
    .await;
    (app, proxy)
}

/// Asserts every request answers a 503 problem with `Retry-After` within [`FAST`]; `item` is
/// the path of one work item, read on the direct path that keeps its connections.
async fn assert_fast_503s(app: &TestApp, admin: &str, item: &str, label: &str) {
    for (method, path, body) in [
        (Method::GET, "/api/v1/work-items", None),
        (Method::GET, item, None),
        (Method::GET, "/api/v1/cities/330382", None),
        (Method::GET, "/health/ready", None),
        (Method::POST, "/api/v1/leaders", Some(json!({"city": "330382", "name": "断网时", "title": "副市长"}))),
    ] {
        let started = Instant::now();
        let reply = app.send(method.clone(), path, Some(admin).filter(|_| body.is_some()), body, &[]).await;
        let took = started.elapsed();
        println!("{label}: {method} {path} answered {} in {took:?}", reply.status);
        reply.problem(StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(reply.header("retry-after"), Some("1"), "{path}");
        assert!(took < FAST, "{label}: {method} {path} took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_refuses_connections_requests_fail_fast_and_recover_with_nothing_lost() {
    let (app, proxy) = spawn_behind_proxy().await;
    let admin = app.admin_token().await;
    let before = app
        .send(
            Method::POST,
            "/api/v1/leaders",
            Some(&admin),
            Some(json!({"city": "330382", "name": "断网前", "title": "副市长"})),
            &[],
        )
        .await;
    before.expect(StatusCode::CREATED);
    let item = app.work_item_paths(&[("limit", "1")]).await.remove(0);
    app.get_ok(&item, &[]).await;
    proxy.set(Mode::Refuse);
    assert_fast_503s(&app, &admin, &item, "refused").await;
    proxy.set(Mode::Forward);
    let recovered = Instant::now();
    loop {
        if app.get("/health/ready", &[]).await.status() == StatusCode::OK {
            break;
        }
        assert!(recovered.elapsed() < Duration::from_secs(10), "no recovery after the database came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("recovered in {:?}", recovered.elapsed());
    let after = app
        .send(
            Method::POST,
            "/api/v1/leaders",
            Some(&admin),
            Some(json!({"city": "330382", "name": "断网后", "title": "副市长"})),
            &[],
        )
        .await;
    after.expect(StatusCode::CREATED);
    let names: Vec<String> = app
        .get_all("/api/v1/leaders", &[])
        .await
        .iter()
        .filter_map(|l| l["name"].as_str().map(str::to_owned))
        .collect();
    assert!(names.contains(&"断网前".to_owned()) && names.contains(&"断网后".to_owned()), "no write is lost");
    assert!(!names.contains(&"断网时".to_owned()), "a write answered 503 changed nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_partition_to_the_database_cannot_hang_requests() {
    // Pinging every checkout, requests are 503s from the partition's first moment.
    partitioned_then_healed(0, Duration::ZERO).await;
    // By default a connection used within the last second is trusted without a ping: a request in
    // that first second may wait for its deadline; every request after it is a fast 503.
    partitioned_then_healed(DEFAULT_PING_IDLE_MS, Duration::from_millis(DEFAULT_PING_IDLE_MS + 100)).await;
}

/// Partitions the database from a server that pings connections idle for `ping_idle_ms`, waits
/// `settle`, asserts fast 503s, heals the partition and asserts the server recovers.
async fn partitioned_then_healed(ping_idle_ms: u64, settle: Duration) {
    let (app, proxy) = spawn_behind_proxy_pinging_after(ping_idle_ms).await;
    let admin = app.admin_token().await;
    app.get_ok("/api/v1/work-items", &[]).await;
    let item = app.work_item_paths(&[("limit", "1")]).await.remove(0);
    app.get_ok(&item, &[]).await;
    proxy.set(Mode::Partition);
    tokio::time::sleep(settle).await;
    assert_fast_503s(&app, &admin, &item, "partitioned").await;
    proxy.set(Mode::Forward);
    let healed = Instant::now();
    while app.get("/health/ready", &[]).await.status() != StatusCode::OK {
        assert!(healed.elapsed() < Duration::from_secs(10), "no recovery after the partition healed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.get_ok("/api/v1/work-items", &[]).await;
}

/// A gauge of `/metrics` for the primary pool.
async fn primary_pool_gauge(app: &TestApp, name: &str) -> f64 {
    let metrics = app.get("/metrics", &[]).await.text().await.expect("the metrics");
    let prefix = format!("{name}{{pool=\"primary\"}} ");
    let line = metrics.lines().find_map(|line| line.strip_prefix(&prefix));
    line.unwrap_or_else(|| panic!("no {name} in\n{metrics}")).parse().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hottest_reads_keep_at_most_half_the_pool_and_give_it_back_once_idle() {
    let app = TestApp::spawn_with(Backend::Postgres, true, |config| {
        config.database.database_max_connections = 4;
        config.database.database_ping_idle_ms = 400;
    })
    .await;
    let paths = app.work_item_paths(&[("limit", "24")]).await;
    let mut most_kept = 0.0_f64;
    for _ in 0..3 {
        // Twenty-four GETs of one item at once, and a list and statistics beside them: the
        // connections the GETs keep leave the others theirs.
        let gets = futures::future::join_all(paths.iter().map(|path| app.get(path, &[])));
        let (replies, list, stats) = tokio::join!(
            gets,
            app.get("/api/v1/work-items", &[("city", "330382"), ("limit", "5")]),
            app.get("/api/v1/stats/work-items", &[("group_by", "status")])
        );
        assert!(replies.iter().all(|reply| reply.status() == StatusCode::OK));
        assert_eq!((list.status(), stats.status()), (StatusCode::OK, StatusCode::OK));
        let kept = primary_pool_gauge(&app, "duban_database_pool_kept").await;
        assert!(kept <= 2.0, "{kept} connections kept of a pool of 4");
        most_kept = most_kept.max(kept);
    }
    assert!(most_kept >= 1.0, "the GETs kept no connection");
    // Kept connections count as idle, and no request took them for a while: they go back.
    let idle = primary_pool_gauge(&app, "duban_database_pool_idle").await;
    let open = primary_pool_gauge(&app, "duban_database_pool_connections").await;
    assert!(idle >= open - 1.0, "{idle} idle of {open} open while only /metrics runs");
    let started = Instant::now();
    while primary_pool_gauge(&app, "duban_database_pool_kept").await > 0.0 {
        assert!(started.elapsed() < FAST, "kept connections were not given back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.get_ok(&paths[0], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_drops_no_accepted_request() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let mut server =
        ServeProcess::start(app.database_url(), &[("SHUTDOWN_DELAY_MS", "1500"), ("SHUTDOWN_GRACE_MS", "10000")]);
    let base = server.base_url();
    let stop_sending = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU32::new(0));
    let dropped = Arc::new(AtomicU32::new(0));
    let load: Vec<_> = (0..8)
        .map(|_| {
            let (base, stop_sending, answered, dropped) =
                (base.clone(), stop_sending.clone(), answered.clone(), dropped.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                // A load balancer stops sending once readiness fails; until then, every request
                // the server accepted must be answered.
                while !stop_sending.load(Ordering::SeqCst) {
                    match client.get(format!("{base}/api/v1/work-items")).query(&[("limit", "20")]).send().await {
                        Ok(response) if response.status() == StatusCode::OK => {
                            response.bytes().await.expect("the whole body");
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(response) => panic!("a request was answered {}", response.status()),
                        Err(error) if error.is_connect() => {}
                        Err(error) => {
                            eprintln!("dropped: {error:?}");
                            dropped.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();
    // Signal once the load is under way (on a loaded machine the first answers take a while).
    let loading = Instant::now();
    while answered.load(Ordering::SeqCst) < 20 {
        assert!(loading.elapsed() < Duration::from_secs(30), "the load runs");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.terminate();
    let signalled = Instant::now();
    // Readiness fails first, while requests are still served.
    let readiness = reqwest::Client::new();
    loop {
        let ready = readiness.get(format!("{base}/health/ready")).send().await.expect("the server still answers");
        if ready.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_problem(ready, StatusCode::SERVICE_UNAVAILABLE).await;
            break;
        }
        assert!(signalled.elapsed() < FAST, "readiness did not turn 503 after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after_ready_failed = answered.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(answered.load(Ordering::SeqCst) > after_ready_failed, "requests are still served while draining");
    stop_sending.store(true, Ordering::SeqCst);
    for task in load {
        task.await.expect("a load task");
    }
    let exited = tokio::task::spawn_blocking(move || server.wait()).await.expect("waited");
    assert!(exited.success(), "the server exits cleanly: {exited:?}");
    let (answered, dropped) = (answered.load(Ordering::SeqCst), dropped.load(Ordering::SeqCst));
    println!("SIGTERM under load: {answered} answered, {dropped} dropped");
    assert_eq!(dropped, 0);
}

mod a_statement_whose_client_went_away_is_cancelled_on_the_server {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_statement_whose_client_went_away_is_cancelled_on_the_server().await
    }
}

/// A search held up on a lock stands for a slow one: without cancellation its statement would
/// wait on the server until the statement timeout, long after its client hung up.
async fn a_statement_whose_client_went_away_is_cancelled_on_the_server() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn_with(Backend::Postgres, true, |config| {
        config.database.database_statement_timeout_ms = 60_000;
    })
    .await;
    let lock = app.db.begin().await.expect("a transaction");
    lock.execute_unprepared("LOCK TABLE items IN ACCESS EXCLUSIVE MODE").await.expect("the items are locked");
    let waiting = "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
                   AND state = 'active' AND wait_event_type = 'Lock'";
    let count_waiting = async || {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(app.db.get_database_backend(), waiting))
            .await
            .expect("pg_stat_activity is readable")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("a count")
    };
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut client = tokio::net::TcpStream::connect(&address).await.expect("the server accepts");
    let request = format!("GET /api/v1/work-items?q=%E5%B7%A5%E4%B8%9A&limit=5 HTTP/1.1\r\nHost: {address}\r\n\r\n");
    client.write_all(request.as_bytes()).await.expect("the request is sent");
    let sent = Instant::now();
    while count_waiting().await == 0 {
        assert!(sent.elapsed() < Duration::from_secs(30), "the search never reached the database");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(client);
    let hung_up = Instant::now();
    while count_waiting().await > 0 {
        assert!(hung_up.elapsed() < FAST, "the abandoned statement still runs after {:?}", hung_up.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!("the abandoned statement was cancelled {:?} after its client hung up", hung_up.elapsed());
    // Operators see it counted.
    loop {
        let metrics = app.get("/metrics", &[]).await.text().await.expect("the metrics");
        if metrics.contains("duban_abandoned_statements_cancelled_total") {
            break;
        }
        assert!(hung_up.elapsed() < FAST, "the cancellation is not counted:\n{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lock.rollback().await.expect("the lock is released");
    // The connection that ran it went back to the pool in good order.
    for _ in 0..3 {
        app.get_ok("/api/v1/work-items", &[("q", "工业"), ("limit", "5")]).await;
    }
}
