//! The one error type of the service, rendered as RFC 9457 `application/problem+json`.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

/// `Result` with [`ApiError`] as the default error.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

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

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: a bad parameter, id or body.
    #[error("{detail}")]
    BadRequest { detail: String, errors: Vec<FieldError> },
    /// The request is well formed but its content is invalid.
    #[error("{detail}")]
    Unprocessable { detail: String, errors: Vec<FieldError> },
    /// Credentials are missing or not valid.
    #[error("{0}")]
    Unauthorized(String),
    /// The credentials are valid but do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No resource has that id (or code).
    #[error("no {resource} with id {id}")]
    NotFound { resource: &'static str, id: String },
    /// No route matches the path.
    #[error("no resource at {0}")]
    NoRoute(String),
    /// The route exists but not for this method.
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// The write collides with existing data.
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` names a version that is no longer current.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many failed attempts; try again after the given seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// A dependency (the database) cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 about one field.
    pub fn bad_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::BadRequest { detail: format!("{}: {}", error.field, error.message), errors: vec![error] }
    }

    /// A 422 about the fields listed.
    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self::Unprocessable { detail: detail.into(), errors }
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest { .. } => ("bad-request", "Bad request"),
            Self::Unprocessable { .. } => ("validation", "Validation failed"),
            Self::Unauthorized(_) => ("unauthorized", "Unauthorized"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::NotFound { .. } | Self::NoRoute(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    /// The problem document this error is shown as.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let detail = match self {
            Self::Internal(_) => "The server failed to handle the request; it has been logged.".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::BadRequest { errors, .. } | Self::Unprocessable { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            r#type: format!("https://duban.dev/problems/{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } | Self::NoRoute(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"duban\", error=\"invalid_token\""));
            }
            Self::TooManyRequests { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            // The database's own wording names tables and constraints: log it, say it plainly.
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::info!(detail, "unique constraint violated");
                Self::Conflict("a record with the same natural key exists".to_owned())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                tracing::info!(detail, "foreign key constraint violated");
                Self::Conflict("the record is referenced by, or refers to, another record".to_owned())
            }
            _ => Self::Internal(anyhow::Error::new(error).context("database operation failed")),
        }
    }
}
