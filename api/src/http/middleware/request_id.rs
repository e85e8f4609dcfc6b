//! Every request's root span and id (`TracingLogger`), and `X-Request-Id` on every response.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use tracing::{Level, Span, metadata::Kind};
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

/// The root span of a request: `tracing-actix-web`'s default one, with the same fields and
/// target, built only when a subscriber would keep it. The default builder reads the route (a
/// walk of the whole resource map, before routing), the connection info and the user agent
/// before it asks: with `RUST_LOG=warn` that was 27,000 instructions of a GET of one item and
/// 21,000 of a 304 (callgrind), for a span nobody records.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        // The target `DefaultRootSpanBuilder`'s span carries, so that filters naming it still apply.
        if tracing::enabled!(kind: Kind::SPAN, target: "tracing_actix_web::root_span_builder", Level::INFO) {
            DefaultRootSpanBuilder::on_request_start(request)
        } else {
            Span::none()
        }
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        if !span.is_disabled() {
            DefaultRootSpanBuilder::on_request_end(span, outcome);
        }
    }
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
