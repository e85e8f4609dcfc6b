//! List responses: records as JSON with `include`d resources embedded and `fields` picked, in
//! the representation asked for (JSON, CSV, NDJSON), with RFC 8288 `Link` and `X-Total-Count`.
//!
//! Each list is also served at its path with a suffix ([`Representation`]): `.csv`, `.ndjson` and
//! `.partial.json`, each one operation of the document with one media type, so that a client that
//! asks for JSON gets one type. The `representation` middleware turns such a request into the list's
//! own and leaves a [`ListShape`] for the list extractor (which checks `fields` against it) and
//! [`list_response`].

use actix_web::{HttpMessage, HttpRequest, HttpResponse, http::header};
use serde::Serialize;
use serde_json::Value;

use crate::{
    domain::{include, paging::Listing},
    error::Result,
    http::{respond::csv::to_csv, state::AppState},
    views::page::{Format, ListOptions, PARTIAL_JSON, Page, PageLinks, TotalRelation},
};

/// A representation of a list served at the list's path with a suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// `.csv`: the records as CSV.
    Csv,
    /// `.ndjson`: one JSON record per line.
    Ndjson,
    /// `.partial.json`: the JSON page with only the fields named in `fields` (which it requires).
    Partial,
}

impl Representation {
    pub const ALL: [Self; 3] = [Self::Csv, Self::Ndjson, Self::Partial];

    /// The suffix of the path that serves it.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Csv => ".csv",
            Self::Ndjson => ".ndjson",
            Self::Partial => ".partial.json",
        }
    }

    /// The one media type its operation documents.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Ndjson => "application/x-ndjson",
            Self::Partial => PARTIAL_JSON,
        }
    }

    fn format(self) -> Format {
        match self {
            Self::Csv => Format::Csv,
            Self::Ndjson => Format::Ndjson,
            Self::Partial => Format::Json,
        }
    }
}

/// What the `representation` middleware learnt from the document about a list request: the
/// representation its path's suffix chose (none on the list's own path), and the top-level fields
/// of the list's records, which are what `fields` may name.
#[derive(Debug, Clone)]
pub struct ListShape {
    pub representation: Option<Representation>,
    pub fields: &'static [String],
}

/// Responds with a list: records serialised, `include`d resources embedded in full (`city`
/// replaces the city reference, `document` is added beside `document_id`), then shaped by the
/// list options.
pub async fn list_response<T: Serialize>(
    state: &AppState,
    req: &HttpRequest,
    options: &ListOptions,
    listing: Listing<T>,
    includable: &[&str],
) -> Result<HttpResponse> {
    let representation = req.extensions().get::<ListShape>().and_then(|shape| shape.representation);
    // Checked when the request was extracted (`extract::list`).
    let fields: Option<Vec<&str>> = options.fields.as_deref().map(|fields| fields.split(',').collect());
    if options.include.as_deref().unwrap_or("").is_empty() {
        return Ok(page_response(listing, req, options, representation, fields.as_deref()));
    }
    // Embedding works on the records' JSON.
    let mut listing = listing.map(|item| serde_json::to_value(item).unwrap_or(Value::Null));
    include::embed(&state.db, &mut listing.items, options.include.as_deref(), includable).await?;
    Ok(page_response(listing, req, options, representation, fields.as_deref()))
}

/// Keeps the `fields` of a record (and its `id`).
pub fn pick_fields(mut record: Value, fields: Option<&[&str]>) -> Value {
    let Some(wanted) = fields else { return record };
    if let Value::Object(map) = &mut record {
        map.retain(|key, _| key == "id" || wanted.contains(&key.as_str()));
    }
    record
}

/// Which format a list response takes: the path's suffix, else `format=`, else `Accept`.
fn negotiate(req: &HttpRequest, options: &ListOptions, representation: Option<Representation>) -> Format {
    if let Some(representation) = representation {
        return representation.format();
    }
    if let Some(format) = options.format {
        return format;
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains("application/x-ndjson") || accept.contains("application/ndjson") {
        Format::Ndjson
    } else {
        Format::Json
    }
}

/// The request's path (with the suffix it was asked with) and query with the paging parameters
/// replaced.
fn link(req: &HttpRequest, representation: Option<Representation>, replace: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = serde_html_form::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| !["offset", "cursor"].contains(&key.as_str()) && !replace.iter().any(|(k, _)| k == key))
        .collect();
    pairs.extend(replace.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let suffix = representation.map_or("", Representation::suffix);
    format!("{}{suffix}?{}", req.path(), serde_html_form::to_string(&pairs).unwrap_or_default())
}

/// Links to the first, previous and next pages of `listing`.
fn links<T>(
    listing: &Listing<T>,
    req: &HttpRequest,
    representation: Option<Representation>,
    next_cursor: Option<&str>,
) -> PageLinks {
    let link = |replace: &[(&str, String)]| link(req, representation, replace);
    let first = link(&[("offset", "0".to_owned())]);
    let prev = (!listing.by_cursor && listing.offset > 0)
        .then(|| link(&[("offset", listing.offset.saturating_sub(listing.limit).to_string())]));
    let next = match (listing.by_cursor, next_cursor) {
        (true, Some(cursor)) => Some(link(&[("cursor", cursor.to_owned())])),
        (false, _) if listing.has_more => Some(link(&[("offset", (listing.offset + listing.limit).to_string())])),
        _ => None,
    };
    PageLinks { first, prev, next }
}

/// The page in the negotiated format, with `Link` and `X-Total-Count` headers.
///
/// A JSON page of whole records, the common case, is written from the records as they are:
/// turned into `Value`s first, each record became a tree of maps, about a fifth of the server's
/// CPU for a page of 50 items. Picked fields, NDJSON and CSV work on the records' JSON.
fn page_response<T: Serialize>(
    listing: Listing<T>,
    req: &HttpRequest,
    options: &ListOptions,
    representation: Option<Representation>,
    fields: Option<&[&str]>,
) -> HttpResponse {
    let next_cursor = listing.next_cursor();
    let links = links(&listing, req, representation, next_cursor.as_deref());
    let mut response = HttpResponse::Ok();
    let mut link_header = vec![format!("<{}>; rel=\"first\"", links.first)];
    link_header.extend(links.prev.iter().map(|l| format!("<{l}>; rel=\"prev\"")));
    link_header.extend(links.next.iter().map(|l| format!("<{l}>; rel=\"next\"")));
    response.insert_header((header::LINK, link_header.join(", ")));
    // The header promises an exact count; a lower bound shows only in the body.
    if let Some(total) = listing.total.filter(|_| !listing.total_is_lower_bound) {
        response.insert_header(("X-Total-Count", total.to_string()));
    }
    let total_relation = listing.total.map(|_| match listing.total_is_lower_bound {
        true => TotalRelation::Gte,
        false => TotalRelation::Eq,
    });
    let mut page = Page {
        items: listing.items,
        total: listing.total,
        total_relation,
        limit: listing.limit,
        offset: listing.offset,
        next_cursor,
        links,
    };
    let format = negotiate(req, options, representation);
    if format == Format::Json && fields.is_none() {
        return response.json(page);
    }
    let items: Vec<Value> = std::mem::take(&mut page.items)
        .into_iter()
        .map(|item| pick_fields(serde_json::to_value(item).unwrap_or(Value::Null), fields))
        .collect();
    match format {
        Format::Json => {
            // Picked fields no longer fit the record schema: say so in the media type.
            response.content_type(PARTIAL_JSON);
            response.json(page.with_items(items))
        }
        Format::Ndjson => {
            let mut body = String::new();
            for item in &items {
                body.push_str(&item.to_string());
                body.push('\n');
            }
            response.content_type("application/x-ndjson; charset=utf-8").body(body)
        }
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((header::CONTENT_DISPOSITION, "inline; filename=\"export.csv\""))
            .body(to_csv(&items)),
    }
}
