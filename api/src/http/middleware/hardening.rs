//! Security headers on every response, and `Connection: close` while the server drains.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderMap, HeaderValue},
    middleware::Next,
    web,
};

use crate::http::state::AppState;

/// The API answers data, never pages: nothing may run, load or frame it.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Swagger UI (bundled, served from `/docs/`) loads its scripts and styles from files, sets
/// inline style attributes, shows `data:` images from its stylesheet and calls the API from the
/// page; nothing else.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                           img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; \
                           base-uri 'none'; form-action 'none'";

/// Adds the security headers: those of the docs pages when `docs`, else the API's.
pub fn add_security_headers(headers: &mut HeaderMap, docs: bool) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(if docs { DOCS_POLICY } else { API_POLICY }));
}

/// The middleware: wrap the app with `from_fn(security_headers)`, outside everything that may
/// answer on its own (so errors and 429s carry the headers too).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = req.path().starts_with("/docs");
    let draining = req.app_data::<web::Data<AppState>>().is_some_and(|state| state.draining.is_draining());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    add_security_headers(headers, docs);
    if draining {
        // Clients must not reuse a connection to a server about to close its listener: the next
        // request on it could be lost. A fresh connection goes to another replica.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(res)
}
