//! HTTP caching for every read: a strong `ETag` (the digest of the body unless the handler set
//! one), `Last-Modified` (the time of the latest change anywhere, from the revision log),
//! `Cache-Control`, and 304 on `If-None-Match` / `If-Modified-Since`.

use actix_web::{
    Error, HttpResponse,
    body::{BoxBody, MessageBody, to_bytes},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web,
};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::{domain::journal, http::state::AppState};

fn strong_etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", digest.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>())
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 asks for GET).
fn none_match_hits(value: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    value.trim() == "*" || value.split(',').any(|tag| bare(tag) == bare(etag))
}

/// The middleware: wrap the app with `from_fn(conditional_get)`.
pub async fn conditional_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // HEAD is GET without the body: the routes answer GET, and the body is dropped below.
    let is_head = *req.method() == Method::HEAD;
    if is_head {
        req.head_mut().method = Method::GET;
    }
    let applies = *req.method() == Method::GET && req.path().starts_with("/api/");
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let if_modified_since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .map(|t| t.with_timezone(&Utc));
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let state = req.app_data::<web::Data<AppState>>().map(|state| AppState::for_reading(state, req.headers()));
    let res = next.call(req).await?;
    if !applies || res.status() != StatusCode::OK {
        let res = res.map_into_boxed_body();
        return Ok(if is_head { res.map_body(|_, _| BoxBody::new(())) } else { res });
    }
    let last_modified = match &state {
        Some(state) => journal::last_change_time(&state.db).await,
        None => None,
    };
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = to_bytes(body).await.map_err(|error| actix_web::error::ErrorInternalServerError(error.into()))?;
    let etag = head
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| strong_etag(&bytes));
    let headers = head.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(time) = last_modified {
        let http_date = time.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(value) = header::HeaderValue::from_str(&http_date) {
            headers.insert(header::LAST_MODIFIED, value);
        }
    }
    // Lists come as JSON, CSV or NDJSON by `Accept`: a cache must key on it.
    let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.is_empty() => format!("{existing}, accept"),
        _ => "accept".to_owned(),
    };
    if let Ok(value) = header::HeaderValue::from_str(&vary) {
        headers.insert(header::VARY, value);
    }
    // Reads are public and change whenever anyone writes: caches may keep them, but must check.
    let cache_control = if authenticated { "private, no-cache" } else { "public, no-cache" };
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache_control));
    let not_modified = match (&if_none_match, if_modified_since, last_modified) {
        (Some(value), ..) => none_match_hits(value, &etag),
        (None, Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
        _ => false,
    };
    let response = if not_modified {
        let mut response = HttpResponse::NotModified().finish();
        for name in [header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = head.headers().get(&name) {
                response.headers_mut().insert(name.clone(), value.clone());
            }
        }
        response
    } else {
        let body = if is_head { BoxBody::new(()) } else { BoxBody::new(bytes) };
        let mut response = HttpResponse::with_body(head.status(), body);
        *response.headers_mut() = head.headers().clone();
        response
    };
    Ok(ServiceResponse::new(req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists() {
        assert!(none_match_hits("\"a\"", "\"a\""));
        assert!(none_match_hits("W/\"a\", \"b\"", "\"a\""));
        assert!(none_match_hits("*", "\"a\""));
        assert!(!none_match_hits("\"b\"", "\"a\""));
    }
}
