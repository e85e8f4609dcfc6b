//! Liveness and readiness.

use actix_web::{HttpResponse, get, web};

use crate::{
    db,
    error::{ApiError, Problem},
    http::{middleware, state::AppState},
    views::health::HealthOut,
};

/// The process is up.
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

/// The service can serve requests: the database answers.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "health",
    operation_id = "health_ready",
    responses(
        (status = 200, description = "The database answers", body = HealthOut),
        (status = 503, description = "The database does not answer", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if db::ping(&state.db).await {
        Ok(HttpResponse::Ok().json(HealthOut { status: "ok" }))
    } else {
        Err(ApiError::Unavailable("the database does not answer".to_owned()))
    }
}

/// The metrics in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    operation_id = "metrics",
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let text = middleware::metrics::render(db::ping(&state.db).await);
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text)
}
