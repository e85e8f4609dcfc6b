//! `/api/v1/feeds/…`: JSON Feed 1.1 for portals, newest change first, filterable like the lists.

use actix_web::{HttpRequest, HttpResponse, get};
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use entity::item::ItemKind;
use serde::Serialize;

use crate::{
    db,
    domain::{
        self,
        documents::DocumentFilter,
        items::read::ItemFilter,
        paging::{Listing, PageRequest},
        reports::ReportFilter,
    },
    error::{ApiError, Result},
    http::{
        extract::list::ListRequest,
        extract::reading::ReadState,
        routes::docs::{DocumentFeedOptions, ItemFeedOptions, ListErrors, ReportFeedOptions},
    },
    views::{
        documents::{DocumentListParams, DocumentOut},
        feeds::{FeedItem, JsonFeed},
        items::{ItemFields, ItemListParams, LivelihoodProjectOut, WorkItemOut},
        page::{CountMode, ListOptions},
        reports::ReportListParams,
    },
};

/// `scheme://host` of the request, for the absolute URLs a feed needs.
fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Feeds list newest changes first unless `sort` says otherwise; the list options that shape
/// other representations do not apply.
fn feed_options(mut options: ListOptions) -> Result<ListOptions> {
    for (name, given) in [
        ("fields", options.fields.is_some()),
        ("include", options.include.is_some()),
        ("format", options.format.is_some()),
        ("count", options.count.is_some()),
    ] {
        if given {
            return Err(ApiError::bad_field(name, "does not apply to feeds"));
        }
    }
    options.sort.get_or_insert_with(|| "-updated_at".to_owned());
    // A feed shows no total: counting every match would only cost.
    options.count = Some(CountMode::None);
    Ok(options)
}

/// What a feed entry shows of a record beside the record itself.
struct Entry {
    id: String,
    title: String,
    content_text: String,
    date_published: DateTime<Utc>,
    date_modified: DateTime<Utc>,
    tags: Vec<String>,
}

fn feed<T: Serialize>(
    req: &HttpRequest,
    title: &str,
    collection: &str,
    listing: Listing<T>,
    entry: impl Fn(&T) -> Entry,
) -> Result<HttpResponse> {
    let origin = origin(req);
    let next_url = listing.has_more.then(|| {
        let offset = listing.offset + listing.limit;
        let mut pairs: Vec<(String, String)> =
            serde_html_form::from_str::<Vec<(String, String)>>(req.query_string()).unwrap_or_default();
        pairs.retain(|(k, _)| k != "offset");
        pairs.push(("offset".to_owned(), offset.to_string()));
        format!("{origin}{}?{}", req.path(), serde_html_form::to_string(&pairs).unwrap_or_default())
    });
    let items = listing
        .items
        .iter()
        .map(|record| {
            // Written straight to JSON text: through a `serde_json::Value` first, a tree of maps
            // built and dropped per entry, it took a seventh of the feed's CPU.
            let record_json = serde_json::value::to_raw_value(record)
                .map_err(|error| anyhow::anyhow!("a feed entry did not serialise: {error}"))?;
            let Entry { id, title, content_text, date_published, date_modified, tags } = entry(record);
            Ok(FeedItem {
                url: format!("{origin}/api/v1/{collection}/{id}"),
                id,
                title,
                content_text,
                date_published,
                date_modified,
                tags,
                _duban: record_json,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let query = if req.query_string().is_empty() { String::new() } else { format!("?{}", req.query_string()) };
    let body = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: format!("Duban: {title}"),
        home_page_url: format!("{origin}/api/v1/{collection}"),
        feed_url: format!("{origin}{}{query}", req.path()),
        description: format!("{title} of city work plans, most recently changed first."),
        language: "zh-CN",
        next_url,
        items,
    };
    Ok(HttpResponse::Ok().content_type("application/feed+json; charset=utf-8").json(body))
}

/// A short title: the first 40 characters of `text`.
fn headline(text: &str) -> String {
    let mut title: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        title.push('…');
    }
    title
}

/// How the API's JSON names `value` (a status), for a tag.
fn json_name(value: impl Serialize) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn item_entry(item: &ItemFields, seq: String) -> Entry {
    let city = &item.city.name;
    let content_text = match &item.remarks {
        Some(remarks) => format!("{}\n备注：{remarks}", item.content),
        None => item.content.clone(),
    };
    Entry {
        id: item.id.to_string(),
        title: format!("{city} {seq} {}", headline(&item.content)),
        content_text,
        date_published: item.created_at,
        date_modified: item.updated_at,
        tags: vec![city.clone(), json_name(item.status)],
    }
}

/// Feed of key work items
///
/// A JSON Feed 1.1 (`application/feed+json`) of the most recently changed first, for portals: each entry's `_duban`
/// is the record as its own endpoint shows it. Takes the list's filters; pages by `next_url`. Anyone may read it.
/// Costs one query per page and no count; revalidate with `If-None-Match` or `If-Modified-Since` for a 304.
#[utoipa::path(
    get,
    path = "/api/v1/feeds/work-items",
    tag = "feeds",
    operation_id = "work_item_feed",
    params(ItemFeedOptions, ItemListParams),
    responses((status = 200, description = "A JSON Feed 1.1", body = JsonFeed, content_type = "application/feed+json"), ListErrors)
)]
#[get("/feeds/work-items")]
pub async fn work_item_feed(
    ReadState(state): ReadState,
    request: ListRequest<ItemListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let options = feed_options(request.options)?;
    let page = PageRequest::from_options(&options)?;
    let filter = ItemFilter::from_params(&request.filters, state.clock.today())?;
    let listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::items::read::list(txn, ItemKind::WorkItem, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    feed(&req, "key work items", "work-items", listing.map(WorkItemOut::from), |w| {
        item_entry(&w.item, format!("{}.{}", w.group.number, w.item.seq))
    })
}

/// Feed of livelihood projects
///
/// A JSON Feed 1.1 (`application/feed+json`) of the most recently changed first, for portals: each entry's `_duban`
/// is the record as its own endpoint shows it. Takes the list's filters; pages by `next_url`. Anyone may read it.
/// Costs one query per page and no count; revalidate with `If-None-Match` or `If-Modified-Since` for a 304.
#[utoipa::path(
    get,
    path = "/api/v1/feeds/livelihood-projects",
    tag = "feeds",
    operation_id = "livelihood_project_feed",
    params(ItemFeedOptions, ItemListParams),
    responses((status = 200, description = "A JSON Feed 1.1", body = JsonFeed, content_type = "application/feed+json"), ListErrors)
)]
#[get("/feeds/livelihood-projects")]
pub async fn livelihood_project_feed(
    ReadState(state): ReadState,
    request: ListRequest<ItemListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let options = feed_options(request.options)?;
    let page = PageRequest::from_options(&options)?;
    let filter = ItemFilter::from_params(&request.filters, state.clock.today())?;
    let listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::items::read::list(txn, ItemKind::LivelihoodProject, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    feed(&req, "livelihood projects", "livelihood-projects", listing.map(LivelihoodProjectOut::from), |p| {
        let seq = match p.sub_seq {
            Some(sub) => format!("({}-{sub})", p.item.seq),
            None => format!("({})", p.item.seq),
        };
        item_entry(&p.item, seq)
    })
}

/// Feed of progress reports
///
/// A JSON Feed 1.1 (`application/feed+json`) of progress reports, most recently filed or corrected first; `city` or
/// `unit` make a city's or a unit's feed. Pages by `next_url`. Anyone may read it. Costs one query per page and no
/// count; revalidate with `If-None-Match` or `If-Modified-Since` for a 304.
#[utoipa::path(
    get,
    path = "/api/v1/feeds/reports",
    tag = "feeds",
    operation_id = "report_feed",
    params(ReportFeedOptions, ReportListParams),
    responses((status = 200, description = "A JSON Feed 1.1", body = JsonFeed, content_type = "application/feed+json"), ListErrors)
)]
#[get("/feeds/reports")]
pub async fn report_feed(
    ReadState(state): ReadState,
    request: ListRequest<ReportListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let options = feed_options(request.options)?;
    let page = PageRequest::from_options(&options)?;
    let filter = ReportFilter::from_params(&request.filters)?;
    let listing = domain::reports::list(&state.db, &filter, options.sort.as_deref(), &page).await?;
    feed(&req, "progress reports", "reports", listing, |r| {
        let mut text = r.text.clone();
        if let Some(problems) = &r.problems {
            text.push_str(&format!("\n存在问题：{problems}"));
        }
        if let Some(help) = &r.help_requested {
            text.push_str(&format!("\n需协调事项：{help}"));
        }
        Entry {
            id: r.id.to_string(),
            title: format!("{} {} {} {}%", r.city.name, r.unit.name, r.as_of, r.progress),
            content_text: text,
            date_published: r.created_at,
            date_modified: r.updated_at,
            tags: vec![r.city.name.clone(), r.unit.name.clone(), json_name(r.status)],
        }
    })
}

/// Feed of documents
///
/// A JSON Feed 1.1 (`application/feed+json`) of the most recently changed first, for portals: each entry's `_duban`
/// is the record as its own endpoint shows it. Takes the list's filters; pages by `next_url`. Anyone may read it.
/// Costs one query per page and no count; revalidate with `If-None-Match` or `If-Modified-Since` for a 304.
#[utoipa::path(
    get,
    path = "/api/v1/feeds/documents",
    tag = "feeds",
    operation_id = "document_feed",
    params(DocumentFeedOptions, DocumentListParams),
    responses((status = 200, description = "A JSON Feed 1.1", body = JsonFeed, content_type = "application/feed+json"), ListErrors)
)]
#[get("/feeds/documents")]
pub async fn document_feed(
    ReadState(state): ReadState,
    request: ListRequest<DocumentListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let options = feed_options(request.options)?;
    let page = PageRequest::from_options(&options)?;
    let filters = request.filters;
    let filter = DocumentFilter::from_params(filters)?;
    let listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::documents::list(txn, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    feed(&req, "documents", "documents", listing.map(DocumentOut::from), |d| {
        // A document is published when the source says, else on its issue date (China time).
        let issued = chrono::FixedOffset::east_opt(8 * 3600)
            .and_then(|tz| tz.from_local_datetime(&d.issued_on.and_time(NaiveTime::MIN)).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(d.created_at);
        let sections: Vec<String> = d.sections.iter().map(|s| format!("{}（{} 项）", s.title, s.item_count)).collect();
        Entry {
            id: d.id.to_string(),
            title: format!("{} {}", d.doc_number, d.title),
            content_text: format!("{}，{}。{}", d.issuer, d.issued_on, sections.join("；")),
            date_published: d.published_at.unwrap_or(issued),
            date_modified: d.updated_at,
            tags: vec![d.city.name.clone()],
        }
    })
}
