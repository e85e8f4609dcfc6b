//! The landing page at `/`: what the API is and where everything is, for people arriving there
//! and for programs that start from one URL.

use serde::Serialize;
use utoipa::ToSchema;

use crate::views::collection::Collection;

/// What the API is, and links to its documentation, its collections and its feeds. Every `href`
/// is a path on this server.
#[derive(Debug, Serialize, ToSchema)]
pub struct LandingOut {
    #[schema(example = "Duban API")]
    pub name: &'static str,
    pub description: &'static str,
    /// The server's version.
    #[schema(example = "0.1.0")]
    pub version: &'static str,
    /// Interactive documentation (Swagger UI).
    #[schema(example = "/docs/")]
    pub docs: &'static str,
    /// The OpenAPI 3.1 document.
    #[schema(example = "/api-docs/openapi.json")]
    pub openapi: &'static str,
    /// Where writers get a bearer token.
    #[schema(example = "/api/v1/auth/token")]
    pub auth_token: &'static str,
    /// Every change in commit order, for mirroring.
    #[schema(example = "/api/v1/changes")]
    pub changes: &'static str,
    /// The collections anyone may read, with how many records each holds.
    pub collections: Vec<CollectionLink>,
    /// The JSON Feeds for portals.
    pub feeds: Vec<FeedLink>,
}

/// A collection and its size.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionLink {
    pub name: Collection,
    #[schema(example = "Key work items (重点工作)")]
    pub title: &'static str,
    #[schema(example = "/api/v1/work-items")]
    pub href: String,
    /// Records in the collection now.
    #[schema(example = 263, minimum = 0)]
    pub count: u64,
}

/// A JSON Feed 1.1 of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedLink {
    pub name: Collection,
    #[schema(example = "Key work items (重点工作)")]
    pub title: &'static str,
    #[schema(example = "/api/v1/feeds/work-items")]
    pub href: String,
    #[schema(example = "application/feed+json")]
    pub media_type: &'static str,
}

/// The API's name.
pub const NAME: &str = "Duban API";

/// What the API is, in one paragraph.
pub const DESCRIPTION: &str = "Duban (督办) publishes and tracks the work plans Chinese city governments issue each \
     year: key work items (重点工作) and livelihood projects (民生实事项目), who leads each, which units share it, and \
     how far it has got. Reads are public; writes need a bearer token.";

/// The collections that have a feed.
const FED: [Collection; 4] =
    [Collection::WorkItems, Collection::LivelihoodProjects, Collection::Documents, Collection::Reports];

impl LandingOut {
    /// The landing page, given how many records each public collection holds.
    pub fn new(counts: impl IntoIterator<Item = (Collection, u64)>) -> Self {
        let collections = counts
            .into_iter()
            .map(|(name, count)| CollectionLink {
                name,
                title: name.title(),
                href: format!("/api/v1/{}", name.as_str()),
                count,
            })
            .collect();
        let feeds = FED
            .into_iter()
            .map(|name| FeedLink {
                name,
                title: name.title(),
                href: format!("/api/v1/feeds/{}", name.as_str()),
                media_type: "application/feed+json",
            })
            .collect();
        Self {
            name: NAME,
            description: DESCRIPTION,
            version: env!("CARGO_PKG_VERSION"),
            docs: "/docs/",
            openapi: "/api-docs/openapi.json",
            auth_token: "/api/v1/auth/token",
            changes: "/api/v1/changes",
            collections,
            feeds,
        }
    }
}
