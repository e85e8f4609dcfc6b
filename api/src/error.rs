//! The one error type of the service, and how failures become it: malformed JSON, broken
//! validation rules, database errors. The HTTP layer renders it as RFC 9457
//! `application/problem+json` (`http::respond::problem`); nothing here knows HTTP beyond status
//! codes.

use sea_orm::{DbErr, RuntimeErr, SqlErr, SqlxError};
use serde::de::DeserializeOwned;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::views::problem::ProblemType;
pub use crate::views::problem::{FieldError, Problem};

/// `Result` with [`ApiError`] as the default error.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

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
    /// The body's `Content-Type` is not one the endpoint reads.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Too many failed attempts; try again after the given seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// A dependency (the database) cannot be reached, or the service is shutting down; worth
    /// retrying after a second.
    #[error("{0}")]
    Unavailable(String),
    /// A write was sent to the database but its commit was not confirmed (the connection broke,
    /// or the request ran out of time): it may or may not have been saved.
    #[error("{0}")]
    OutcomeUnknown(String),
    /// The request took longer than the server allows; nothing was changed.
    #[error("{0}")]
    Timeout(String),
    /// The client took too long to send its request.
    #[error("{0}")]
    RequestTimeout(String),
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

    /// Seconds a client should wait before retrying, for the errors that say so (`Retry-After`).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after, .. } => Some(*retry_after),
            Self::Unavailable(_) | Self::Timeout(_) | Self::OutcomeUnknown(_) => Some(1),
            _ => None,
        }
    }

    /// A database error met while committing: when the connection broke the server may have
    /// committed, so the write's outcome is unknown rather than failed.
    pub fn from_commit(error: DbErr) -> Self {
        match Self::from(error) {
            Self::Unavailable(_) | Self::Timeout(_) => Self::OutcomeUnknown(
                "the database connection failed while the write was being committed: it may or may not have been \
                 saved; read the resource before retrying"
                    .to_owned(),
            ),
            other => other,
        }
    }

    /// The HTTP status code this error is answered with.
    pub fn status(&self) -> u16 {
        self.problem_type().status()
    }

    /// The kind of problem this error is.
    pub fn problem_type(&self) -> ProblemType {
        match self {
            Self::BadRequest { .. } => ProblemType::BadRequest,
            Self::Unprocessable { .. } => ProblemType::Validation,
            Self::Unauthorized(_) => ProblemType::Unauthorized,
            Self::Forbidden(_) => ProblemType::Forbidden,
            Self::NotFound { .. } | Self::NoRoute(_) => ProblemType::NotFound,
            Self::MethodNotAllowed(_) => ProblemType::MethodNotAllowed,
            Self::Conflict(_) => ProblemType::Conflict,
            Self::PreconditionFailed(_) => ProblemType::PreconditionFailed,
            Self::PayloadTooLarge(_) => ProblemType::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ProblemType::UnsupportedMediaType,
            Self::TooManyRequests { .. } => ProblemType::TooManyRequests,
            Self::Unavailable(_) => ProblemType::Unavailable,
            Self::Timeout(_) => ProblemType::Timeout,
            Self::OutcomeUnknown(_) => ProblemType::OutcomeUnknown,
            Self::RequestTimeout(_) => ProblemType::RequestTimeout,
            Self::Internal(_) => ProblemType::Internal,
        }
    }

    /// The problem document this error is shown as.
    pub fn problem(&self) -> Problem {
        let kind = self.problem_type();
        let detail = match self {
            Self::Internal(_) => "The server failed to handle the request; it has been logged.".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            Self::BadRequest { errors, .. } | Self::Unprocessable { errors, .. } => errors.clone(),
            _ => Vec::new(),
        };
        Problem { r#type: kind.uri(), title: kind.title().to_owned(), status: self.status(), detail, errors }
    }
}

impl From<DbErr> for ApiError {
    fn from(error: DbErr) -> Self {
        // The database's own wording names tables and constraints: log it, say it plainly.
        if breaks_a_reference(&error) {
            tracing::info!(detail = %error, "foreign key constraint violated");
            return Self::Conflict("the record is referenced by, or refers to, another record".to_owned());
        }
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                tracing::info!(detail, "unique constraint violated");
                Self::Conflict("a record with the same natural key exists".to_owned())
            }
            _ => match unreachable_database(&error) {
                Some(DatabaseTrouble::Unreachable) => {
                    tracing::warn!(error = %error, "the database cannot be reached");
                    Self::Unavailable("the database cannot be reached; try again shortly".to_owned())
                }
                Some(DatabaseTrouble::StatementTimeout) => {
                    metrics::counter!("duban_database_statement_timeouts_total").increment(1);
                    tracing::warn!(error = %error, "a statement ran past the statement timeout");
                    Self::Timeout("the database took too long to answer; nothing was changed".to_owned())
                }
                None => Self::Internal(anyhow::Error::new(error).context("database operation failed")),
            },
        }
    }
}

/// Whether the database refused the statement because it would break a reference: a foreign
/// key's error (SQLSTATE 23503, which PostgreSQL's reference triggers raise too), or SQLite's
/// refusal to delete a row an `ON DELETE RESTRICT` key names, which it reports as a trigger's
/// constraint (extended code 1811) rather than as a foreign key's (787).
pub fn breaks_a_reference(error: &DbErr) -> bool {
    if matches!(error.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(_))) {
        return true;
    }
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx))) = error else {
        return false;
    };
    sqlx.as_database_error().is_some_and(|database| {
        database.code().as_deref() == Some("1811") && database.message().contains("FOREIGN KEY constraint failed")
    })
}

/// Why the database could not answer, when it is not the request's fault.
enum DatabaseTrouble {
    /// No connection, a broken one, or a server refusing work (shutting down, starting up).
    Unreachable,
    /// The statement ran past `statement_timeout`.
    StatementTimeout,
}

fn unreachable_database(error: &DbErr) -> Option<DatabaseTrouble> {
    let sqlx = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return Some(DatabaseTrouble::Unreachable),
        DbErr::Exec(RuntimeErr::SqlxError(sqlx)) | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => sqlx,
        _ => return None,
    };
    match sqlx.as_ref() {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::Protocol(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => Some(DatabaseTrouble::Unreachable),
        SqlxError::Database(database) => match database.code().as_deref() {
            // query_canceled: statement_timeout (or a cancel request).
            Some("57014") => Some(DatabaseTrouble::StatementTimeout),
            // admin_shutdown, crash_shutdown, cannot_connect_now, connection exceptions (08…),
            // read-only transaction on a standby promoted away from us.
            Some(code) if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "25006") => {
                Some(DatabaseTrouble::Unreachable)
            }
            _ => None,
        },
        _ => None,
    }
}

impl From<FieldError> for ApiError {
    /// A malformed parameter or value: a 400 naming it.
    fn from(error: FieldError) -> Self {
        Self::BadRequest { detail: format!("{}: {}", error.field, error.message), errors: vec![error] }
    }
}

/// Parses JSON into `T`: a syntax error is a 400, a value that does not fit `T` a 422 naming
/// the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // PostgreSQL text cannot hold NUL, and no field needs it: refuse it up front (the schema's
    // patterns say so too). In JSON it can only appear escaped.
    if bytes.windows(6).any(|w| w[0] == b'\\' && w[1] == b'u' && w[2..].eq_ignore_ascii_case(b"0000")) {
        return Err(ApiError::invalid(
            "strings must not contain the NUL character",
            vec![FieldError::new("body", "contains the NUL character (\\u0000)")],
        ));
    }
    // Most bodies are valid: read them once, without tracking the path (tracking made a
    // 10,000-item import file cost three times as much to read). Only a body that fails is read
    // again, below, to say where and why, exactly as if this attempt had not been made.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    // Syntax first, so that malformed JSON (cut short, trailing data) is a 400 whatever its shape.
    if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        return Err(ApiError::BadRequest {
            detail: format!("the body is not valid JSON: {error}"),
            errors: Vec::new(),
        });
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        // serde names a missing field only in its message, at the path of the object lacking it.
        let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_owned(),
            (parent, Some(name)) => format!("{parent}.{name}"),
            (".", None) => "body".to_owned(),
            (path, None) => path.to_owned(),
        };
        ApiError::invalid(format!("{field}: {message}"), vec![FieldError::new(field, message)])
    })
}

/// A 422 listing every rule a body broke, by field path (`units[0].role`).
pub fn validation_problem(errors: ValidationErrors) -> ApiError {
    let mut fields = Vec::new();
    flatten(&errors, "", &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    let detail = match fields.first() {
        Some(first) => format!("{} invalid field(s); first: {}: {}", fields.len(), first.field, first.message),
        None => "the body is not valid".to_owned(),
    };
    ApiError::invalid(detail, fields)
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error.message.as_ref().map_or_else(|| describe(error), ToString::to_string);
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(nested) => flatten(nested, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, nested) in items {
                    flatten(nested, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(ToString::to_string);
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            _ => "has the wrong length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".to_owned(),
        },
        code => format!("is not valid ({code})"),
    }
}
