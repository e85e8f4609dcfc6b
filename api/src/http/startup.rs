//! Building the HTTP server: state, middleware, routes, error mapping.

use std::{net::TcpListener, time::Duration};

use actix_cors::Cors;
use actix_web::{
    App, HttpRequest, HttpResponse, HttpServer, ResponseError, dev::Server, http::header, middleware::from_fn, web,
};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    config::{Config, ServeConfig},
    db,
    domain::{auth::jwt::TokenKeys, driver::Direct, import, search},
    error::ApiError,
    http::{
        middleware::{caching, deadline, hardening, metrics, rate_limit, representation, request_id},
        openapi,
        rate_limiter::RateLimiter,
        state::{AppState, Clock, Draining},
    },
};

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    draining: Draining,
    shutdown_delay: Duration,
    /// Merges the search index's pending list while the server runs.
    _merges: Option<search::PendingMerges>,
}

impl Application {
    /// Connects to and migrates the database (waiting for it as configured), seeds it if asked,
    /// connects to the read replica and Redis when configured, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        metrics::install();
        let db = db::connect_and_migrate_with(&config.database).await?;
        let replica = match &config.database.database_read_url {
            Some(url) => Some(db::wait_for(&config.database, url, None).await?),
            None => None,
        };
        if config.serve.seed_on_empty {
            let loaded = import::seed_if_empty(&db).await?;
            if loaded > 0 {
                tracing::info!(documents = loaded, "the database was empty: loaded the seed documents");
            }
        }
        let listener = bind(config.serve.bind_addr, config.serve.backlog)
            .with_context(|| format!("Failed to bind {}", config.serve.bind_addr))?;
        let port = listener.local_addr().context("Failed to read the bound address")?.port();
        let tokens = TokenKeys::hs256(&config.jwt_secret()?, config.serve.token_ttl_seconds);
        let draining = Draining::default();
        let state = AppState {
            db: db.clone(),
            replica: replica.clone(),
            direct: Direct::new(
                &db,
                config.database.kept_connections(),
                config.database.ping_after_idle().unwrap_or_default(),
            ),
            tokens,
            draining: draining.clone(),
            limiter: RateLimiter::from_config(&config.serve.rate_limit).await?,
            trusted_proxies: config.serve.rate_limit.trusted_proxies.clone(),
            body_read_timeout: Duration::from_millis(config.serve.body_read_timeout_ms),
            ping_deadline: config.database.acquire_timeout(),
            reporting_roles: config.serve.reporter_unit_roles.clone(),
            clock: Clock { fixed: config.serve.clock_date },
            count_limit: config.serve.count_limit,
            replica_state: None,
        }
        .with_replica(replica);
        let server = run(listener, state, &config.serve)?;
        let shutdown_delay = Duration::from_millis(config.serve.shutdown_delay_ms);
        let merges = search::PendingMerges::start(&db, Duration::from_millis(config.serve.search_merge_interval_ms));
        Ok(Self { port, server, db, draining, shutdown_delay, _merges: merges })
    }

    /// The port the server listens on (useful when bound to port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's database pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or Ctrl-C, then shuts down without dropping a request: readiness
    /// turns 503 at once (and responses ask clients to close their connections) while requests
    /// are still served for `SHUTDOWN_DELAY_MS`, so load balancers move away; then the listener
    /// closes and requests in flight get `SHUTDOWN_GRACE_MS` to finish.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let draining = self.draining.clone();
        let delay = self.shutdown_delay;
        tokio::spawn(async move {
            let signal = stop_signal().await;
            draining.start();
            tracing::info!(signal, delay_ms = delay.as_millis() as u64, "shutting down: readiness now answers 503");
            tokio::time::sleep(delay).await;
            tracing::info!("closing the listener; waiting for requests in flight");
            handle.stop(true).await;
        });
        let result = self.server.await;
        tracing::info!("stopped");
        result
    }
}

/// A listening socket with the configured backlog (the standard library's is fixed at 128).
fn bind(address: std::net::SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// Waits for SIGTERM (or Ctrl-C); names the one that came.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server gracefully");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

fn run(listener: TcpListener, state: AppState, serve: &ServeConfig) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    let origins: Vec<String> =
        serve.cors_origins.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    let workers =
        if serve.workers > 0 { serve.workers } else { std::thread::available_parallelism().map_or(1, usize::from) };
    let request_timeout = Duration::from_millis(serve.request_timeout_ms);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(representation::by_suffix))
            .wrap(from_fn(caching::conditional_get))
            .wrap(from_fn(move |req, next| deadline::bound(request_timeout, req, next)))
            .wrap(from_fn(rate_limit::limit))
            .wrap(from_fn(metrics::count))
            .wrap(from_fn(request_id::request_id_header))
            .wrap(TracingLogger::<request_id::RequestSpan>::new())
            .wrap(from_fn(hardening::security_headers))
            .wrap(cors(&origins))
            .app_data(state.clone())
            .app_data(
                web::PathConfig::default().error_handler(|_, _| ApiError::bad_field("id", "must be a UUID").into()),
            )
            .app_data(web::JsonConfig::default().limit(4 * 1024 * 1024).error_handler(|error, _| {
                ApiError::BadRequest { detail: format!("the JSON body is not valid: {error}"), errors: Vec::new() }
                    .into()
            }))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|error, _| ApiError::bad_field("query", error.to_string()).into()),
            )
            // The API's base paths lead to the landing page, which says where everything is.
            .service(web::redirect("/api", "/").permanent())
            .service(web::redirect("/api/v1", "/").permanent())
            .service(web::scope("/api/v1").configure(openapi::configure_api_v1))
            .configure(openapi::configure_root)
            .service(openapi::serve)
            .service(web::redirect("/docs", "/docs/"))
            .service(
                SwaggerUi::new("/docs/{_:.*}").config(
                    utoipa_swagger_ui::Config::new(["/api-docs/openapi.json"])
                        .validator_url("none")
                        .persist_authorization(true)
                        .try_it_out_enabled(true),
                ),
            )
            .default_service(web::to(no_route))
    })
    // Slow clients must not hold connections, workers or file descriptors: headers have a
    // deadline here, bodies one in the body extractor, and past `max_connections` new
    // connections wait in the kernel's backlog instead of taking a descriptor each.
    .workers(workers)
    .max_connections(serve.max_connections.div_ceil(workers).max(1))
    .backlog(serve.backlog)
    .client_request_timeout(Duration::from_millis(serve.header_read_timeout_ms))
    .client_disconnect_timeout(Duration::from_secs(1))
    // A client that closes its connection is gone: stop its request (dropping the handler's
    // future, which cancels its statement, see `db::cancel_on_drop`) instead of serving a
    // half-closed socket. Browsers and proxies never half-close while waiting for an answer.
    .h1_allow_half_closed(false)
    .shutdown_timeout(serve.shutdown_grace_ms.div_ceil(1000))
    // `run_until_signalled` handles SIGTERM itself: readiness first, then the listener.
    .disable_signals()
    .listen(listener)
    .context("Failed to listen")?;
    Ok(server.run())
}

/// CORS for browsers: the configured origins, every method the API has, and the headers clients
/// need to read (`ETag`, `Link`, `X-Total-Count`…).
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LAST_MODIFIED,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-total-count"),
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("ratelimit"),
            header::HeaderName::from_static("ratelimit-policy"),
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

/// Answers what no route took: 405 with `Allow` where the path exists for other methods, else 404.
async fn no_route(req: HttpRequest) -> HttpResponse {
    match openapi::allowed_methods(req.path()) {
        Some(methods) => {
            let mut response = ApiError::MethodNotAllowed(req.method().to_string()).error_response();
            if let Ok(allow) = header::HeaderValue::from_str(&methods.join(", ")) {
                response.headers_mut().insert(header::ALLOW, allow);
            }
            response
        }
        None => ApiError::NoRoute(req.path().to_owned()).error_response(),
    }
}
