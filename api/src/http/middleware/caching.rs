//! HTTP caching for every read: a strong `ETag`, `Last-Modified`, `Cache-Control`, `Vary`, and 304
//! on `If-None-Match` / `If-Modified-Since`.
//!
//! The validators start from the head of the change log ([`journal::head`]), which every write
//! moves: `Last-Modified` is the time of the last change, and a list's `ETag` is
//! `"c<head>-<request>-<body>"`: the head's position, a digest of what selects the representation
//! (path, query, `Accept`, host) and a digest of the body. A revalidation at an unchanged head is
//! answered from that one small query, without running the list; after a write elsewhere, the
//! list runs, and a body that did not change is still a 304 (with the new tag). A single resource
//! keeps the tag its handler set, the digest of its JSON, because clients send that tag back in
//! `If-Match`.

use std::cell::RefCell;

use actix_web::{
    Error, HttpRequest, HttpResponse,
    body::{BoxBody, MessageBody, to_bytes},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, StatusCode, header},
    middleware::Next,
    web,
};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use crate::{
    domain::{
        journal::{self, Head},
        resource::hex,
    },
    http::state::AppState,
};

/// Whether an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 asks for GET).
fn none_match_hits(value: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    value.trim() == "*" || value.split(',').any(|tag| bare(tag) == bare(etag))
}

/// The request headers a representation depends on besides its path and query: the media type
/// asked for, and the host and scheme that absolute URLs (feeds) are built from.
const SELECTING_HEADERS: [&str; 5] = ["accept", "host", "forwarded", "x-forwarded-host", "x-forwarded-proto"];

/// The digest of what selects this request's representation: path, query, the day and
/// [`SELECTING_HEADERS`].
fn request_digest(req: &HttpRequest, today: NaiveDate) -> String {
    let mut digest = Sha256::new();
    digest.update(req.uri().to_string());
    // Some lists depend on the day (overdue, stale): yesterday's tag does not validate today's.
    digest.update(today.to_string());
    for name in SELECTING_HEADERS {
        digest.update([0]);
        if let Some(value) = req.headers().get(name) {
            digest.update(value.as_bytes());
        }
    }
    hex(&digest.finalize()[..8])
}

/// The prefix of a request's list tags at `head`: `"c<head>-<request>-`. Any write moves the
/// head; the request digest keeps one list's tag from validating another's.
fn tag_prefix(request_digest: &str, head: Head) -> String {
    format!("\"c{}-{request_digest}-", head.seq)
}

/// The routes (`…/{id}` under these prefixes) whose handlers read the change log's head in the
/// statement that reads the resource and hand it over in the response's extensions, so that a GET
/// of one item is one round trip. The others need the head read before their body: a list tag
/// must never name a head newer than the body it was computed from, or a later revalidation would
/// keep a stale body.
const READ_THEIR_OWN_HEAD: [&str; 2] = ["/api/v1/work-items/", "/api/v1/livelihood-projects/"];

/// Whether `path` is one of the `{id}` routes of [`READ_THEIR_OWN_HEAD`]. A prefix test, not
/// `match_pattern`: matching a path against the whole resource map before routing cost 4% of the
/// CPU of a GET of one item (callgrind).
fn reads_its_own_head(path: &str) -> bool {
    READ_THEIR_OWN_HEAD
        .iter()
        .any(|prefix| path.strip_prefix(prefix).is_some_and(|id| !id.is_empty() && !id.contains('/')))
}

/// The digest of a body, as the last part of a list tag.
fn body_digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes)[..12])
}

/// Whether `If-None-Match` holds a list tag of this request at this head: nothing changed since.
fn names_this_head(value: &str, prefix: &str) -> bool {
    value.split(',').map(|tag| tag.trim().trim_start_matches("W/")).any(|tag| tag.starts_with(prefix))
}

/// Whether `If-None-Match` holds a list tag whose body is `digest`: the client holds these bytes.
fn names_this_body(value: &str, digest: &str) -> bool {
    value.split(',').map(|tag| tag.trim().trim_start_matches("W/")).any(|tag| {
        tag.starts_with("\"c")
            && tag.strip_suffix('"').and_then(|t| t.rsplit_once('-')).is_some_and(|(_, d)| d == digest)
    })
}

/// `Last-Modified` for `time`. The head changes only with writes, so each worker keeps the last
/// value it formatted: chrono's formatting was half the cost of the cache headers.
fn last_modified(time: DateTime<Utc>) -> Option<header::HeaderValue> {
    thread_local! {
        static LAST: RefCell<Option<(i64, header::HeaderValue)>> = const { RefCell::new(None) };
    }
    let second = time.timestamp();
    if let Some(value) = LAST.with_borrow(|last| last.as_ref().filter(|(at, _)| *at == second).map(|(_, v)| v.clone()))
    {
        return Some(value);
    }
    let value = header::HeaderValue::from_str(&time.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()?;
    LAST.set(Some((second, value.clone())));
    Some(value)
}

/// The validators and cache directives every cacheable answer carries.
fn set_cache_headers(headers: &mut actix_web::http::header::HeaderMap, etag: &str, head: Head, authenticated: bool) {
    if let Ok(value) = header::HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(value) = head.at.and_then(last_modified) {
        headers.insert(header::LAST_MODIFIED, value);
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
}

fn not_modified(etag: &str, head: Head, authenticated: bool) -> HttpResponse {
    let mut response = HttpResponse::NotModified().finish();
    set_cache_headers(response.headers_mut(), etag, head, authenticated);
    response
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
    let drop_body = |res: ServiceResponse<BoxBody>| if is_head { res.map_body(|_, _| BoxBody::new(())) } else { res };
    // The head is read where the read itself will run (the replica for anonymous reads).
    let state = match req.app_data::<web::Data<AppState>>() {
        // The landing page counts the collections: it changes with the head like a list.
        Some(state) if *req.method() == Method::GET && (req.path().starts_with("/api/") || req.path() == "/") => {
            AppState::for_reading(state, req.headers())
        }
        _ => return Ok(drop_body(next.call(req).await?.map_into_boxed_body())),
    };
    let reads_own_head = reads_its_own_head(req.path());
    let head_first = if reads_own_head {
        None
    } else {
        match journal::head(&state.direct).await {
            Ok(head) => Some(head),
            // A database that does not answer leaves the answer to the handler (and its error).
            Err(_) => return Ok(drop_body(next.call(req).await?.map_into_boxed_body())),
        }
    };
    // What depends on the day may have changed at midnight without a write.
    let start_of_today = state.clock.start_of_today();
    let as_of_today = |head: Head| Head { at: head.at.map(|at| at.max(start_of_today)), ..head };
    let head_first = head_first.map(as_of_today);
    let today = state.clock.today();
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let if_modified_since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .map(|t| t.with_timezone(&Utc));
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    // Only a list tag needs the request's digest: a single resource's tag is its handler's.
    let digest_first = head_first.map(|_| request_digest(req.request(), today));
    // A list tag of this request at this head names what the client holds: answer without running
    // the request. (`*` is never short-circuited: an error or a missing resource must say so.)
    if let (Some(head), Some(request_digest)) = (head_first, &digest_first) {
        let prefix = tag_prefix(request_digest, head);
        if let Some(value) = if_none_match.as_deref().filter(|value| names_this_head(value, &prefix)) {
            let held =
                value.split(',').map(|tag| tag.trim().trim_start_matches("W/")).find(|tag| tag.starts_with(&prefix));
            let etag = held.unwrap_or(value).to_owned();
            return Ok(req.into_response(not_modified(&etag, head, authenticated)));
        }
    }
    let res = next.call(req).await?;
    if res.status() != StatusCode::OK {
        return Ok(drop_body(res.map_into_boxed_body()));
    }
    let Some(head) = head_first.or_else(|| res.response().extensions().get::<Head>().copied().map(as_of_today)) else {
        return Ok(drop_body(res.map_into_boxed_body()));
    };
    let (req, res) = res.into_parts();
    let (mut response_head, body) = res.into_parts();
    let (etag, body, same_body) = match response_head.headers().get(header::ETAG).and_then(|v| v.to_str().ok()) {
        // A single resource: the tag its handler computed.
        Some(tag) => (tag.to_owned(), BoxBody::new(body), false),
        None => {
            let bytes =
                to_bytes(body).await.map_err(|error| actix_web::error::ErrorInternalServerError(error.into()))?;
            let digest = body_digest(&bytes);
            let same = if_none_match.as_deref().is_some_and(|value| names_this_body(value, &digest));
            let request_digest = digest_first.unwrap_or_else(|| request_digest(&req, today));
            (format!("{}{digest}\"", tag_prefix(&request_digest, head)), BoxBody::new(bytes), same)
        }
    };
    let unchanged = match (&if_none_match, if_modified_since, head.at) {
        (Some(value), ..) => same_body || none_match_hits(value, &etag),
        (None, Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
        _ => false,
    };
    if unchanged {
        return Ok(ServiceResponse::new(req, not_modified(&etag, head, authenticated)));
    }
    let mut response = HttpResponse::with_body(response_head.status(), body);
    *response.headers_mut() = std::mem::take(response_head.headers_mut());
    set_cache_headers(response.headers_mut(), &etag, head, authenticated);
    Ok(drop_body(ServiceResponse::new(req, response)))
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

    #[test]
    fn list_tags_name_their_head_request_and_body() {
        let tag = "\"c12-0011223344556677-abcdef\"";
        assert!(names_this_head(&format!("\"x\", W/{tag}"), "\"c12-0011223344556677-"));
        assert!(!names_this_head(tag, "\"c13-0011223344556677-"));
        assert!(names_this_body(tag, "abcdef"));
        assert!(!names_this_body(tag, "abcdee"));
        assert!(!names_this_body("\"abcdef\"", "abcdef"), "a single resource's tag is not a list tag");
    }

    #[test]
    fn only_single_items_read_their_own_head() {
        assert!(reads_its_own_head("/api/v1/work-items/01a203f7-126b-7565-9023-c0a0216e523c"));
        assert!(reads_its_own_head("/api/v1/livelihood-projects/x"));
        assert!(!reads_its_own_head("/api/v1/work-items"));
        assert!(!reads_its_own_head("/api/v1/work-items/"));
        assert!(!reads_its_own_head("/api/v1/work-items.csv"));
        assert!(!reads_its_own_head("/api/v1/work-items/01a2/revisions"));
        assert!(!reads_its_own_head("/api/v1/documents/01a2"));
    }
}
