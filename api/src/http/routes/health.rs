//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};

use crate::{
    db,
    error::{ApiError, Problem},
    http::{middleware, state::AppState},
    views::health::HealthOut,
};

/// Liveness
///
/// Answers 200 while the process is up, whatever the database does. For orchestrators; needs no credentials and costs
/// nothing.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "health",
    operation_id = "health_live",
    responses((status = 200, description = "The process answers", body = HealthOut))
)]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthOut { status: "ok" })
}

/// Readiness
///
/// Answers 200 when the database answers and the server is not shutting down, else 503 with `Retry-After`; within
/// about a second whatever the database does. For load balancers; needs no credentials and costs one `SELECT 1`.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "The database answers", body = HealthOut),
        (status = 503, description = "The database does not answer, or the server is shutting down; `Retry-After` says when to ask again", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before retrying")))
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.draining.is_draining() {
        return Err(ApiError::Unavailable("the server is shutting down".to_owned()));
    }
    if db::ping(&state.db, state.ping_deadline).await {
        Ok(HttpResponse::Ok().json(HealthOut { status: "ok" }))
    } else {
        Err(ApiError::Unavailable("the database does not answer".to_owned()))
    }
}

/// Prometheus metrics
///
/// Requests and time spent by method, route and status, pool gauges and `duban_database_up`, in the Prometheus text
/// format. Needs no credentials; costs one `SELECT 1`. The pool's idle connections include those the hottest reads keep
/// between statements (`duban_database_pool_kept`).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let up = db::ping(&state.db, state.ping_deadline).await;
    ::metrics::gauge!("duban_database_up").set(f64::from(u8::from(up)));
    let pools = std::iter::once(("primary", state.get_ref()))
        .chain(state.replica_state.as_ref().map(|replica| ("replica", replica.get_ref())));
    for (pool, state) in pools {
        let (open, idle, max) = db::pool_usage(&state.db);
        // The connections the hottest reads keep between statements are idle too.
        let kept = state.direct.kept();
        let idle = idle + kept;
        ::metrics::gauge!("duban_database_pool_kept", "pool" => pool).set(kept as f64);
        ::metrics::gauge!("duban_database_pool_connections", "pool" => pool).set(f64::from(open));
        ::metrics::gauge!("duban_database_pool_idle", "pool" => pool).set(idle as f64);
        ::metrics::gauge!("duban_database_pool_in_use", "pool" => pool).set(f64::from(open) - idle as f64);
        ::metrics::gauge!("duban_database_pool_max", "pool" => pool).set(f64::from(max));
    }
    let text = middleware::metrics::render();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text)
}
