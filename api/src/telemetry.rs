//! Tracing setup: `RUST_LOG` filters, `LOG_FORMAT` picks pretty or JSON lines.

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber. Logs go to stderr so `duban openapi` can print to stdout.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let result = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A subscriber installed already (tests start many apps in one process) is fine.
    drop(result);
}

/// Echoes the request id that `TracingLogger` gives every request as `X-Request-Id`, so a client
/// can quote it and an operator find the request's log lines.
pub async fn request_id_header(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::HttpMessage;
    let id = req.extensions().get::<tracing_actix_web::RequestId>().map(ToString::to_string);
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| actix_web::http::header::HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(actix_web::http::header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
