//! Lists: the options every list takes (paging by offset or cursor, counting, sorting, field
//! picking, embedding, output format), keyset paging, and the response in JSON, CSV or NDJSON
//! with RFC 8288 `Link` headers.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
    sea_query::{ExprTrait, SimpleExpr},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};
use utoipa::{
    ToSchema,
    openapi::{
        KnownFormat, Object, ObjectBuilder, Required, SchemaFormat, Type,
        path::{Parameter, ParameterBuilder, ParameterIn},
    },
};
use uuid::Uuid;

use crate::{
    error::{ApiError, Result},
    query::{DEFAULT_LIMIT, MAX_LIMIT, parse_query},
};

/// How to count the matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountMode {
    /// Count every match (`total`).
    #[default]
    Exact,
    /// Skip the count: `total` is null, which is cheaper on large filters.
    None,
}

/// The representation of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// The page envelope as JSON (the default).
    Json,
    /// One row per record, UTF-8 with a BOM so spreadsheet programs read Chinese text.
    Csv,
    /// One JSON record per line.
    Ndjson,
}

/// Options every list takes (documented per list by [`list_options`], which knows each list's
/// sort fields and embeddable resources).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListOptions {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub cursor: Option<String>,
    pub count: Option<CountMode>,
    pub sort: Option<String>,
    pub fields: Option<String>,
    pub include: Option<String>,
    pub format: Option<Format>,
}

/// The list options as OpenAPI parameters, for a list sorted by `sort_fields` (the first is the
/// default) that can embed `includes`.
pub fn list_options(
    sort_fields: &[&str],
    default_sort: &str,
    includes: &[&str],
    representations: bool,
) -> Vec<Parameter> {
    let query = |name: &str, description: String, schema: Object| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build()
    };
    let integer = |min: i64, max: Option<i64>, default: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(max)
            .default(Some(default.into()))
            .build()
    };
    let text = |pattern: String| ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)).build();
    let choice =
        |values: &[&str]| ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values.to_vec())).build();
    let sort_field = format!("-?({})", sort_fields.join("|"));
    let mut params = vec![
        query("limit", "Page size.".to_owned(), integer(1, Some(MAX_LIMIT as i64), DEFAULT_LIMIT as i64)),
        query("offset", "Records to skip; with `cursor`, records to skip after it.".to_owned(), integer(0, None, 0)),
        query(
            "cursor",
            "Keyset paging: the `next_cursor` of the previous page, with the same `sort`. Stable while records are \
             inserted or deleted."
                .to_owned(),
            text("^[A-Za-z0-9_-]+$".to_owned()),
        ),
        query(
            "count",
            "`exact` (default) counts all matches into `total`; `none` skips the count.".to_owned(),
            choice(&["exact", "none"]),
        ),
        query(
            "sort",
            format!(
                "Sort fields, comma-separated, `-` before one for descending: {}. Default `{}`.",
                sort_fields.join(", "),
                default_sort
            ),
            text(format!("^{sort_field}(,{sort_field})*$")),
        ),
    ];
    if representations {
        params.push(query(
            "fields",
            "Only these top-level fields of each record, comma-separated (`id` is always kept); the page is then \
             `application/vnd.duban.partial+json`."
                .to_owned(),
            text("^[a-z_]+(,[a-z_]+)*$".to_owned()),
        ));
        if !includes.is_empty() {
            let include = format!("({})", includes.join("|"));
            params.push(query(
                "include",
                format!("Embed related resources in full, comma-separated: {}.", includes.join(", ")),
                text(format!("^{include}(,{include})*$")),
            ));
        }
        params.push(query(
            "format",
            "`json` (default), `csv` (UTF-8 with BOM) or `ndjson`; also chosen by the `Accept` header.".to_owned(),
            choice(&["json", "csv", "ndjson"]),
        ));
    }
    params
}

/// Defines zero-sized types whose OpenAPI parameters are a list's options.
macro_rules! list_option_docs {
    ($($(#[$doc:meta])* $name:ident: sort [$($sort:literal),+] default $default:literal, include [$($include:literal),*], representations $repr:literal;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoParams for $name {
                fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                    list_options(&[$($sort),+], $default, &[$($include),*], $repr)
                }
            }
        )+
    };
}

list_option_docs! {
    /// The options of the work item and livelihood project lists.
    ItemListOptions: sort ["seq", "progress", "status", "period", "created_at", "updated_at"] default "seq", include ["city", "document"], representations true;
    /// The options of the item feeds.
    ItemFeedOptions: sort ["updated_at", "seq", "progress", "status", "period", "created_at"] default "-updated_at", include [], representations false;
    /// The options of the document list.
    DocumentListOptions: sort ["issued_on", "doc_number", "created_at", "updated_at"] default "-issued_on", include ["city"], representations true;
    /// The options of the document feed.
    DocumentFeedOptions: sort ["updated_at", "issued_on", "doc_number", "created_at"] default "-updated_at", include [], representations false;
    /// The options of the city list.
    CityListOptions: sort ["code", "name", "name_en", "created_at", "updated_at"] default "code", include [], representations true;
    /// The options of the leader and unit lists.
    NamedListOptions: sort ["name", "created_at"] default "name", include ["city"], representations true;
    /// The options of the section list.
    SectionListOptions: sort ["number"] default "number", include ["city"], representations true;
    /// The options of the user list.
    UserListOptions: sort ["username", "created_at"] default "username", include ["city"], representations true;
    /// The options of revision lists.
    RevisionListOptions: sort ["seq"] default "seq", include [], representations true;
}

/// The parameters every list takes, by name (they are split from the list's own filters).
const OPTION_NAMES: [&str; 8] = ["limit", "offset", "cursor", "count", "sort", "fields", "include", "format"];

/// A list request: the shared [`ListOptions`] and the list's own filters `T`; unknown parameters
/// and malformed values are a 400 naming the parameter.
pub struct ListRequest<T> {
    pub options: ListOptions,
    pub filters: T,
}

impl<T: DeserializeOwned> FromRequest for ListRequest<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(split_query(req.query_string()))
    }
}

fn split_query<T: DeserializeOwned>(query: &str) -> Result<ListRequest<T>> {
    let (options, filters) = split_params(query, &OPTION_NAMES)?;
    Ok(ListRequest { options: parse_query(&options)?, filters: parse_query(&filters)? })
}

/// Splits a query string in two: the parameters named in `names`, and the others.
pub fn split_params(query: &str, names: &[&str]) -> Result<(String, String)> {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(query).map_err(|error| ApiError::bad_field("query", error.to_string()))?;
    let (named, others): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(key, _)| names.contains(&key.as_str()));
    let encode = |pairs: Vec<(String, String)>| serde_html_form::to_string(pairs).unwrap_or_default();
    Ok((encode(named), encode(others)))
}

/// How a sort column's cursor value is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Uuid,
    Int,
    /// An integer the JSON shows as null when it is 0 (a livelihood project's `sub_seq`).
    IntOrNull,
    Text,
    Time,
    Date,
    /// The first year of a `period` string.
    PeriodStart,
    /// The last year of a `period` string.
    PeriodEnd,
}

/// One column a sort field orders by: the SQL expression, and where its value is in a record's
/// JSON (a JSON pointer), for cursors.
#[derive(Debug, Clone)]
pub struct SortColumn {
    pub expr: SimpleExpr,
    pub pointer: &'static str,
    pub kind: KeyKind,
}

impl SortColumn {
    pub fn new(expr: impl Into<SimpleExpr>, pointer: &'static str, kind: KeyKind) -> Self {
        Self { expr: expr.into(), pointer, kind }
    }
}

/// A sort field a list allows.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub name: &'static str,
    pub columns: Vec<SortColumn>,
}

impl SortKey {
    pub fn new(name: &'static str, columns: Vec<SortColumn>) -> Self {
        Self { name, columns }
    }
}

/// A resolved sort: the columns in order with their directions, ending with the id so that the
/// order is total, and the spec it came from (cursors remember it).
#[derive(Debug, Clone, Default)]
pub struct Ordering {
    pub spec: String,
    pub columns: Vec<(SortColumn, Order)>,
}

/// Resolves `sort` (`field`, `-field`, comma-separated) against `keys`, whose first entry is the
/// default, and appends `id`.
pub fn resolve_sort(sort: Option<&str>, keys: &[SortKey], id: SortColumn) -> Result<Ordering> {
    let default = keys.first().map(|k| k.name).unwrap_or("id");
    let spec = sort.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default).to_owned();
    let mut columns = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        let (field, order) = match part.strip_prefix('-') {
            Some(field) => (field, Order::Desc),
            None => (part.trim_start_matches('+'), Order::Asc),
        };
        let Some(key) = keys.iter().find(|k| k.name == field) else {
            let allowed: Vec<&str> = keys.iter().map(|k| k.name).collect();
            return Err(ApiError::bad_field(
                "sort",
                format!("unknown sort field `{field}`; use one of {}", allowed.join(", ")),
            ));
        };
        columns.extend(key.columns.iter().cloned().map(|c| (c, order.clone())));
    }
    columns.push((id, Order::Asc));
    Ok(Ordering { spec, columns })
}

/// Paging asked of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    pub offset: u64,
    pub cursor: Option<String>,
    pub count: bool,
}

impl PageRequest {
    /// Checks `limit` (1–500, default 50), `offset` (0 or more), and that `cursor` and `offset`
    /// are not both given.
    pub fn from_options(options: &ListOptions) -> Result<Self> {
        let limit = options.limit.unwrap_or(DEFAULT_LIMIT as i64);
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            return Err(ApiError::bad_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let offset = options.offset.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_field("offset", "must be 0 or more"));
        }
        if let Some(fields) = &options.fields {
            let well_formed =
                fields.split(',').all(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            if !well_formed {
                return Err(ApiError::bad_field("fields", "must be field names (a-z, _), comma-separated"));
            }
        }
        Ok(Self {
            limit: limit as u64,
            offset: offset as u64,
            cursor: options.cursor.clone(),
            count: options.count.unwrap_or_default() == CountMode::Exact,
        })
    }
}

/// A cursor's content: the sort it belongs to and the last record's sort values.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    s: String,
    v: Vec<Value>,
}

fn bad_cursor() -> ApiError {
    ApiError::bad_field("cursor", "is not a cursor of this list and sort")
}

fn decode_cursor(cursor: &str, ordering: &Ordering) -> Result<Vec<sea_orm::Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad_cursor())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
    if cursor.s != ordering.spec || cursor.v.len() != ordering.columns.len() {
        return Err(bad_cursor());
    }
    cursor
        .v
        .iter()
        .zip(&ordering.columns)
        .map(|(value, (column, _))| typed(value, column.kind).ok_or_else(bad_cursor))
        .collect()
}

fn typed(value: &Value, kind: KeyKind) -> Option<sea_orm::Value> {
    Some(match kind {
        KeyKind::Uuid => Uuid::parse_str(value.as_str()?).ok()?.into(),
        KeyKind::Int => value.as_i64()?.into(),
        KeyKind::IntOrNull => (if value.is_null() { 0 } else { value.as_i64()? }).into(),
        KeyKind::PeriodStart => crate::import::format::parse_period(value.as_str()?)?.0.into(),
        KeyKind::PeriodEnd => crate::import::format::parse_period(value.as_str()?)?.1.into(),
        KeyKind::Text => value.as_str()?.to_owned().into(),
        KeyKind::Time => value.as_str()?.parse::<DateTime<Utc>>().ok()?.into(),
        KeyKind::Date => value.as_str()?.parse::<NaiveDate>().ok()?.into(),
    })
}

/// The cursor that continues after `record` (its JSON) in `ordering`.
fn encode_cursor(record: &Value, ordering: &Ordering) -> Option<String> {
    let values =
        ordering.columns.iter().map(|(c, _)| record.pointer(c.pointer).cloned()).collect::<Option<Vec<_>>>()?;
    let json = serde_json::to_vec(&Cursor { s: ordering.spec.clone(), v: values }).ok()?;
    Some(URL_SAFE_NO_PAD.encode(json))
}

/// `(a, b, …) > (x, y, …)` in the ordering's directions: the rows after the cursor.
fn after(ordering: &Ordering, values: Vec<sea_orm::Value>) -> Condition {
    let mut any = Condition::any();
    for k in 0..ordering.columns.len() {
        let mut all = Condition::all();
        for (i, ((column, order), value)) in ordering.columns.iter().zip(&values).enumerate().take(k + 1) {
            let expr = column.expr.clone();
            all = all.add(if i < k {
                expr.eq(value.clone())
            } else if *order == Order::Desc {
                expr.lt(value.clone())
            } else {
                expr.gt(value.clone())
            });
        }
        any = any.add(all);
    }
    any
}

/// One page of records.
#[derive(Debug)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// All matches; `None` when the count was skipped.
    pub total: Option<u64>,
    pub limit: u64,
    pub offset: u64,
    /// Whether records follow this page.
    pub has_more: bool,
    /// The sort, for the next cursor.
    pub ordering: Ordering,
    /// Whether the page was asked for by cursor.
    pub by_cursor: bool,
}

impl<T> Listing<T> {
    /// The same page with other records (the loaded form of these).
    pub fn with_items<U>(self, items: Vec<U>) -> Listing<U> {
        Listing {
            items,
            total: self.total,
            limit: self.limit,
            offset: self.offset,
            has_more: self.has_more,
            ordering: self.ordering,
            by_cursor: self.by_cursor,
        }
    }

    /// Maps the records, keeping the rest.
    pub fn map<U>(mut self, f: impl FnMut(T) -> U) -> Listing<U> {
        let items = std::mem::take(&mut self.items).into_iter().map(f).collect();
        self.with_items(items)
    }
}

/// Runs `select` in `ordering` for the page `request` asks for, counting all matches unless told
/// not to.
pub async fn fetch<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    ordering: Ordering,
    request: &PageRequest,
) -> Result<Listing<E::Model>>
where
    E::Model: Sync,
{
    let total = if request.count { Some(select.clone().count(db).await?) } else { None };
    let mut select = select;
    for (column, order) in &ordering.columns {
        select = select.order_by(column.expr.clone(), order.clone());
    }
    if let Some(cursor) = &request.cursor {
        select = select.filter(after(&ordering, decode_cursor(cursor, &ordering)?));
    }
    select = select.offset(request.offset);
    let mut items = select.limit(request.limit + 1).all(db).await?;
    let has_more = items.len() as u64 > request.limit;
    items.truncate(request.limit as usize);
    Ok(Listing {
        items,
        total,
        limit: request.limit,
        offset: request.offset,
        has_more,
        ordering,
        by_cursor: request.cursor.is_some(),
    })
}

/// The media type of a JSON list whose records hold only the fields asked for with `fields`.
pub const PARTIAL_JSON: &str = "application/vnd.duban.partial+json";

/// Links to other pages of a list.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PageLinks {
    /// The first page.
    pub first: String,
    /// The page before (offset paging only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// The page after, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The JSON envelope of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The records on this page.
    pub items: Vec<T>,
    /// How many records match the filters, over all pages; null with `count=none`.
    pub total: Option<u64>,
    /// The page size asked for.
    pub limit: u64,
    /// How many records were skipped (after the cursor, with `cursor`).
    pub offset: u64,
    /// Pass as `cursor` to get the next page by keyset; null on the last page.
    pub next_cursor: Option<String>,
    pub links: PageLinks,
}

/// The JSON envelope of a list asked for with `fields` (`application/vnd.duban.partial+json`): the
/// records hold only the fields named, so they are plain objects.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartialPage {
    /// The records on this page, each with `id` and the fields asked for.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// How many records match the filters, over all pages; null with `count=none`.
    pub total: Option<u64>,
    /// The page size asked for.
    pub limit: u64,
    /// How many records were skipped (after the cursor, with `cursor`).
    pub offset: u64,
    /// Pass as `cursor` to get the next page by keyset; null on the last page.
    pub next_cursor: Option<String>,
    pub links: PageLinks,
}

/// Turns records into JSON, then applies `fields` (keeping `id`).
pub fn pick_fields(mut record: Value, fields: Option<&str>) -> Value {
    let Some(fields) = fields.filter(|f| !f.trim().is_empty()) else { return record };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    if let Value::Object(map) = &mut record {
        map.retain(|key, _| key == "id" || wanted.contains(&key.as_str()));
    }
    record
}

/// Which format a list response takes: `format=` wins over `Accept`.
fn negotiate(req: &HttpRequest, options: &ListOptions) -> Format {
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

/// The request's path and query with the paging parameters replaced.
fn link(req: &HttpRequest, replace: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = serde_html_form::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| !["offset", "cursor"].contains(&key.as_str()) && !replace.iter().any(|(k, _)| k == key))
        .collect();
    pairs.extend(replace.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    format!("{}?{}", req.path(), serde_html_form::to_string(&pairs).unwrap_or_default())
}

impl Listing<Value> {
    fn links(&self, req: &HttpRequest, next_cursor: Option<&str>) -> PageLinks {
        let first = link(req, &[("offset", "0".to_owned())]);
        let prev = (!self.by_cursor && self.offset > 0)
            .then(|| link(req, &[("offset", self.offset.saturating_sub(self.limit).to_string())]));
        let next = match (self.by_cursor, next_cursor) {
            (true, Some(cursor)) => Some(link(req, &[("cursor", cursor.to_owned())])),
            (false, _) if self.has_more => Some(link(req, &[("offset", (self.offset + self.limit).to_string())])),
            _ => None,
        };
        PageLinks { first, prev, next }
    }

    /// The response: the page in the negotiated format, with `Link` and `X-Total-Count` headers.
    pub fn respond(self, req: &HttpRequest, options: &ListOptions) -> HttpResponse {
        let next_cursor =
            if self.has_more { self.items.last().and_then(|last| encode_cursor(last, &self.ordering)) } else { None };
        let links = self.links(req, next_cursor.as_deref());
        let mut response = HttpResponse::Ok();
        let mut link_header = vec![format!("<{}>; rel=\"first\"", links.first)];
        link_header.extend(links.prev.iter().map(|l| format!("<{l}>; rel=\"prev\"")));
        link_header.extend(links.next.iter().map(|l| format!("<{l}>; rel=\"next\"")));
        response.insert_header((header::LINK, link_header.join(", ")));
        if let Some(total) = self.total {
            response.insert_header(("X-Total-Count", total.to_string()));
        }
        let items: Vec<Value> =
            self.items.into_iter().map(|item| pick_fields(item, options.fields.as_deref())).collect();
        match negotiate(req, options) {
            Format::Json => {
                // Picked fields no longer fit the record schema: say so in the media type.
                if options.fields.is_some() {
                    response.content_type(PARTIAL_JSON);
                }
                response.json(Page {
                    items,
                    total: self.total,
                    limit: self.limit,
                    offset: self.offset,
                    next_cursor,
                    links,
                })
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
}

/// Serialises records and responds with [`Listing::respond`].
pub fn respond<T: Serialize>(listing: Listing<T>, req: &HttpRequest, options: &ListOptions) -> Result<HttpResponse> {
    let listing = listing.map(|item| serde_json::to_value(item).unwrap_or(Value::Null));
    Ok(listing.respond(req, options))
}

/// Records as CSV, UTF-8 with a BOM: one row per record, one column per top-level field, nested
/// values flattened into readable text.
pub fn to_csv(items: &[Value]) -> String {
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        if let Value::Object(map) = item {
            for key in map.keys() {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
        }
    }
    let mut out = String::from("\u{feff}");
    let row = |cells: Vec<String>| cells.iter().map(|cell| csv_cell(cell)).collect::<Vec<_>>().join(",") + "\r\n";
    out.push_str(&row(columns.clone()));
    for item in items {
        let empty = Map::new();
        let map = item.as_object().unwrap_or(&empty);
        out.push_str(&row(columns.iter().map(|c| flatten(map.get(c).unwrap_or(&Value::Null))).collect()));
    }
    out
}

fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// A JSON value as one readable cell: a unit as `市发改局 (lead)`, a leader as `何学考 (常务副市长)`,
/// a city or category by name, a section by title, lists joined with `; `.
fn flatten(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(values) => values.iter().map(flatten).collect::<Vec<_>>().join("; "),
        Value::Object(map) => {
            let text = |key: &str| map.get(key).and_then(Value::as_str);
            match (text("name"), text("role").or(text("title"))) {
                (Some(name), Some(extra)) => format!("{name} ({extra})"),
                (Some(name), None) => name.to_owned(),
                _ => text("heading")
                    .or(text("title"))
                    .map(str::to_owned)
                    .or_else(|| map.get("number").map(|n| n.to_string()))
                    .unwrap_or_else(|| value.to_string()),
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn csv_flattens_nested_values_readably() {
        let items = [
            json!({"id": "a", "units": [{"name": "市发改局", "role": "lead"}], "leader": {"name": "何学考", "title": "常务副市长"}, "content": "x, \"y\""}),
        ];
        let csv = to_csv(&items);
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(
            csv,
            "\u{feff}id,units,leader,content\r\na,市发改局 (lead),何学考 (常务副市长),\"x, \"\"y\"\"\"\r\n"
        );
    }

    #[test]
    fn cursors_round_trip_through_their_sort() {
        let ordering = Ordering {
            spec: "progress".to_owned(),
            columns: vec![
                (SortColumn::new(sea_orm::sea_query::Expr::col("progress"), "/progress", KeyKind::Int), Order::Asc),
                (SortColumn::new(sea_orm::sea_query::Expr::col("id"), "/id", KeyKind::Uuid), Order::Asc),
            ],
        };
        let record = json!({"progress": 40, "id": "01900000-0000-7000-8000-000000000000"});
        let cursor = encode_cursor(&record, &ordering).expect("a cursor");
        assert_eq!(decode_cursor(&cursor, &ordering).expect("decodes").len(), 2);
        let other = Ordering { spec: "-progress".to_owned(), ..ordering };
        assert!(decode_cursor(&cursor, &other).is_err());
        assert!(decode_cursor("not-a-cursor", &other).is_err());
    }
}
