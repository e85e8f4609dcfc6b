//! The list envelope and the options every list takes, as they cross the wire.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 500;
/// Deepest offset; deeper pages are reached by cursor.
pub const MAX_OFFSET: u64 = 10_000;

/// How many matches `count=auto` counts exactly, unless configured otherwise (`COUNT_LIMIT`): as
/// deep as `offset` reaches, so a page numbering by offset always knows its last page.
pub const DEFAULT_COUNT_LIMIT: u64 = MAX_OFFSET;

/// How to count the matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountMode {
    /// Count exactly up to the server's count limit (10,000 by default); past it `total` is the
    /// limit and `total_relation` is `gte`. The cost stays bounded however broad the filter.
    #[default]
    Auto,
    /// Count every match, however many: slow on broad filters over large data (the statement
    /// timeout applies).
    Exact,
    /// Skip the count: `total` is null, which is cheapest.
    None,
}

/// How `total` relates to the number of matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TotalRelation {
    /// `total` is the number of matches.
    Eq,
    /// There are at least `total` matches (the count stopped at the server's count limit).
    Gte,
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

/// Options every list takes (documented per list in `http::routes::docs`, which knows each
/// list's sort fields and embeddable resources).
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
    /// The server's count limit for `count=auto` (set by the server, never from the query).
    #[serde(skip)]
    pub count_limit: Option<u64>,
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
    /// How many records match the filters, over all pages (a lower bound when `total_relation`
    /// is `gte`); null with `count=none`.
    pub total: Option<u64>,
    /// `eq` when `total` is exact, `gte` when the count stopped at the server's count limit
    /// (`count=auto`, the default); null with `count=none`.
    pub total_relation: Option<TotalRelation>,
    /// The page size asked for.
    pub limit: u64,
    /// How many records were skipped (after the cursor, with `cursor`).
    pub offset: u64,
    /// Pass as `cursor` to get the next page by keyset; null on the last page.
    pub next_cursor: Option<String>,
    pub links: PageLinks,
}

impl<T> Page<T> {
    /// The same page holding `items` instead.
    pub fn with_items<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            total: self.total,
            total_relation: self.total_relation,
            limit: self.limit,
            offset: self.offset,
            next_cursor: self.next_cursor,
            links: self.links,
        }
    }
}

/// The JSON envelope of a list asked for with `fields` (`application/vnd.duban.partial+json`): the
/// records hold only the fields named, so they are plain objects.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartialPage {
    /// The records on this page, each with `id` and the fields asked for.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    /// How many records match the filters, over all pages (a lower bound when `total_relation`
    /// is `gte`); null with `count=none`.
    pub total: Option<u64>,
    /// `eq` when `total` is exact, `gte` when the count stopped at the server's count limit
    /// (`count=auto`, the default); null with `count=none`.
    pub total_relation: Option<TotalRelation>,
    /// The page size asked for.
    pub limit: u64,
    /// How many records were skipped (after the cursor, with `cursor`).
    pub offset: u64,
    /// Pass as `cursor` to get the next page by keyset; null on the last page.
    pub next_cursor: Option<String>,
    pub links: PageLinks,
}
