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

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI that names the kind of problem.
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
