//! A deadline on every request: past `REQUEST_TIMEOUT_MS` the handler is dropped (and with it
//! any database work: the connection is closed mid-statement, which PostgreSQL notices and
//! cancels) and the client is told so.

use std::time::Duration;

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
};

use crate::error::ApiError;

/// The middleware: `from_fn(move |req, next| deadline::bound(timeout, req, next))`.
///
/// The answer past the deadline is an error, not a response: building a response needs the
/// request, and a clone of it held across the call would stop the router from matching (actix
/// needs the only reference then). The error renders as the same problem document, with the
/// security headers ([`crate::http::respond::problem`]), but without `X-Request-Id`.
pub async fn bound<B: MessageBody>(
    timeout: Duration,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, Error> {
    let reads_only = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    match tokio::time::timeout(timeout, next.call(req)).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(timeout_ms = timeout.as_millis() as u64, "the request ran out of time and was abandoned");
            metrics::counter!("duban_http_request_timeouts_total").increment(1);
            let error = if reads_only {
                ApiError::Timeout("the request took too long and was abandoned; try again shortly".to_owned())
            } else {
                ApiError::OutcomeUnknown(
                    "the request took too long and was abandoned: the write may or may not have been saved; read \
                     the resource before retrying"
                        .to_owned(),
                )
            };
            Err(error.into())
        }
    }
}
