//! JSON Feed 1.1 documents.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

/// A JSON Feed 1.1 document.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsonFeed {
    /// Always `https://jsonfeed.org/version/1.1`.
    pub version: &'static str,
    pub title: String,
    pub home_page_url: String,
    pub feed_url: String,
    pub description: String,
    pub language: &'static str,
    /// The next page of the feed, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_url: Option<String>,
    pub items: Vec<FeedItem>,
}

/// One entry of a feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    /// The resource's id: stable across calls and changes.
    pub id: String,
    /// The resource in the API.
    pub url: String,
    pub title: String,
    pub content_text: String,
    pub date_published: DateTime<Utc>,
    pub date_modified: DateTime<Utc>,
    pub tags: Vec<String>,
    /// The resource itself, as its own endpoint shows it (written once, as its endpoint writes it).
    #[schema(value_type = Object)]
    pub _duban: Box<RawValue>,
}
