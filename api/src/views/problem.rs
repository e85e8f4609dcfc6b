//! The RFC 9457 problem document every error is shown as.

use serde::Serialize;
use utoipa::ToSchema;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: a query parameter name, or a path into the body such as
    /// `sections[0].groups[1].items[3].units[0].role`.
    #[schema(example = "limit")]
    pub field: String,
    /// What is wrong with it.
    #[schema(example = "must be between 1 and 500")]
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Where the problem types live: a problem's `type` is this followed by the type's slug, and
/// every Duban server describes each type at `/problems/<slug>` (the registry is `/problems`).
pub const PROBLEM_TYPE_BASE: &str = "https://duban.dev/problems/";

/// The kinds of problem the API answers with: the registry of `type` URIs, by slug. (Named
/// `ProblemTypeSlug` in the document: generators name `Problem.type`'s enum `ProblemType`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ProblemTypeSlug)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemType {
    BadRequest,
    Validation,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Unavailable,
    Timeout,
    OutcomeUnknown,
    RequestTimeout,
    Internal,
}

impl ProblemType {
    /// Every type, in the registry's order.
    pub const ALL: [ProblemType; 16] = [
        ProblemType::BadRequest,
        ProblemType::Validation,
        ProblemType::Unauthorized,
        ProblemType::Forbidden,
        ProblemType::NotFound,
        ProblemType::MethodNotAllowed,
        ProblemType::Conflict,
        ProblemType::PreconditionFailed,
        ProblemType::PayloadTooLarge,
        ProblemType::UnsupportedMediaType,
        ProblemType::TooManyRequests,
        ProblemType::Unavailable,
        ProblemType::Timeout,
        ProblemType::OutcomeUnknown,
        ProblemType::RequestTimeout,
        ProblemType::Internal,
    ];

    /// The slug, the last segment of the type's URI.
    pub fn slug(self) -> &'static str {
        self.describe().0
    }

    /// The `title` every problem of this type carries.
    pub fn title(self) -> &'static str {
        self.describe().1
    }

    /// The HTTP status code problems of this type are answered with.
    pub fn status(self) -> u16 {
        self.describe().2
    }

    /// The type's URI, a problem's `type`.
    pub fn uri(self) -> String {
        format!("{PROBLEM_TYPE_BASE}{}", self.slug())
    }

    /// The type named by `slug`.
    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.slug() == slug)
    }

    /// Slug, title, status, and what it means and what to do.
    pub fn describe(self) -> (&'static str, &'static str, u16, &'static str) {
        match self {
            Self::BadRequest => (
                "bad-request",
                "Bad request",
                400,
                "A parameter is unknown or malformed, or the body is not valid JSON; `errors` names each field at fault. Fix the request; retrying it unchanged fails again.",
            ),
            Self::Validation => (
                "validation",
                "Validation failed",
                422,
                "The body is well-formed but breaks a rule; `errors` names every field at fault with a path into the body. Nothing was changed.",
            ),
            Self::Unauthorized => (
                "unauthorized",
                "Unauthorized",
                401,
                "The request needs a valid bearer token (`POST /api/v1/auth/token`), or the token sent is invalid or expired.",
            ),
            Self::Forbidden => (
                "forbidden",
                "Forbidden",
                403,
                "The token's user may not do this: the role does not allow it, or the record belongs to another city.",
            ),
            Self::NotFound => {
                ("not-found", "Not found", 404, "No resource has this id (or code or name), or no route has this path.")
            }
            Self::MethodNotAllowed => (
                "method-not-allowed",
                "Method not allowed",
                405,
                "The path exists but not for this method; `Allow` lists the methods it takes.",
            ),
            Self::Conflict => (
                "conflict",
                "Conflict",
                409,
                "The write would duplicate a natural key, or remove a record others depend on (`detail` says which; documents and sections take `cascade=true`). Nothing was changed.",
            ),
            Self::PreconditionFailed => (
                "precondition-failed",
                "Precondition failed",
                412,
                "`If-Match` names an entity tag that is no longer current: someone changed the resource since you read it. Read it again, reapply your change, and send the new tag.",
            ),
            Self::PayloadTooLarge => {
                ("payload-too-large", "Payload too large", 413, "The body is larger than the server accepts.")
            }
            Self::UnsupportedMediaType => (
                "unsupported-media-type",
                "Unsupported media type",
                415,
                "The body's `Content-Type` is not one this operation takes.",
            ),
            Self::TooManyRequests => (
                "too-many-requests",
                "Too many requests",
                429,
                "The client, user or login exceeded its rate limit; `Retry-After` says how many seconds to wait.",
            ),
            Self::Unavailable => (
                "unavailable",
                "Service unavailable",
                503,
                "The database cannot be reached or the server is shutting down; nothing was changed. Retry after `Retry-After` seconds.",
            ),
            Self::Timeout => (
                "timeout",
                "The request took too long",
                503,
                "The request ran out of time before it finished; nothing was changed. Retry after `Retry-After` seconds, or narrow the request.",
            ),
            Self::OutcomeUnknown => (
                "outcome-unknown",
                "Outcome unknown",
                504,
                "The write was sent but its commit was not confirmed: it may or may not have been saved. Read the resource before retrying.",
            ),
            Self::RequestTimeout => {
                ("request-timeout", "Request timeout", 408, "The body did not arrive in time; nothing was changed.")
            }
            Self::Internal => (
                "internal",
                "Internal server error",
                500,
                "The server failed; the detail never says why, the log does (quote `X-Request-Id`).",
            ),
        }
    }
}

/// One kind of problem, as the registry at `/problems` describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemTypeOut {
    /// The URI problems of this kind carry in `type`.
    #[schema(example = "https://duban.dev/problems/precondition-failed")]
    pub r#type: String,
    /// This page: `/problems/<slug>`.
    #[schema(example = "/problems/precondition-failed")]
    pub href: String,
    #[schema(example = "Precondition failed")]
    pub title: String,
    #[schema(example = 412)]
    pub status: u16,
    /// What it means and what to do.
    pub description: String,
}

impl From<ProblemType> for ProblemTypeOut {
    fn from(kind: ProblemType) -> Self {
        let (slug, title, status, description) = kind.describe();
        Self {
            r#type: kind.uri(),
            href: format!("/problems/{slug}"),
            title: title.to_owned(),
            status,
            description: description.to_owned(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI that names the kind of problem: `https://duban.dev/problems/` and a slug of
    /// `ProblemType`. Each is described at `/problems/<slug>` on every Duban server.
    #[schema(example = "https://duban.dev/problems/bad-request")]
    pub r#type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Bad request")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 400)]
    pub status: u16,
    /// What went wrong this time.
    #[schema(example = "limit must be between 1 and 500")]
    pub detail: String,
    /// The fields at fault, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}
