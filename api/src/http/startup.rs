//! Building the HTTP server: state, middleware, routes, error mapping.

use std::net::TcpListener;

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
    domain::{auth::jwt::TokenKeys, import},
    error::ApiError,
    http::{
        middleware::{caching, metrics, request_id},
        openapi,
        state::AppState,
    },
};

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
}

impl Application {
    /// Connects to and migrates the database, seeds it if asked, and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = db::connect_and_migrate(&config.database.database_url).await?;
        if config.serve.seed_on_empty {
            let loaded = import::seed_if_empty(&db).await?;
            if loaded > 0 {
                tracing::info!(documents = loaded, "the database was empty: loaded the seed documents");
            }
        }
        let listener = TcpListener::bind(config.serve.bind_addr)
            .with_context(|| format!("Failed to bind {}", config.serve.bind_addr))?;
        let port = listener.local_addr().context("Failed to read the bound address")?.port();
        let tokens = TokenKeys::hs256(&config.jwt_secret()?, config.serve.token_ttl_seconds);
        let server = run(listener, AppState { db: db.clone(), tokens }, &config.serve)?;
        Ok(Self { port, server, db })
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
}

fn run(listener: TcpListener, state: AppState, serve: &ServeConfig) -> anyhow::Result<Server> {
    let state = web::Data::new(state);
    let origins: Vec<String> =
        serve.cors_origins.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    let workers = serve.workers;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(caching::conditional_get))
            .wrap(from_fn(metrics::count))
            .wrap(from_fn(request_id::request_id_header))
            .wrap(TracingLogger::default())
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
    .listen(listener)
    .context("Failed to listen")?;
    if workers > 0 {
        server = server.workers(workers);
    }
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
