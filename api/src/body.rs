//! Request bodies: size-limited JSON, parsed with the path of any field at fault, then checked
//! with `validator`. Malformed JSON is a 400, a body that does not fit the schema or breaks a rule
//! a 422 naming every field, an oversize body a 413.

use std::{future::Future, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures::StreamExt;
use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::{ApiError, FieldError};

/// The largest body the service reads: the seed documents are 150 KiB; this leaves room for big
/// imports.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// A JSON body of type `T` that passed its validation rules.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move {
            let JsonBody(value) = body.await?;
            value.validate().map_err(validation_problem)?;
            Ok(Body(value))
        })
    }
}

/// A JSON body of type `T`, parsed but not validated (for types that check themselves).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
                return Err(too_large());
            }
            let mut bytes = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|error| ApiError::BadRequest {
                    detail: format!("the body could not be read: {error}"),
                    errors: Vec::new(),
                })?;
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(JsonBody(parse_json(&bytes)?))
        })
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY_BYTES} bytes"))
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

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A `validator` rule: the text is not only white space.
pub fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if value.trim().is_empty() {
        let mut error = validator::ValidationError::new("blank");
        error.message = Some("must not be blank".into());
        return Err(error);
    }
    Ok(())
}

/// A `validator` rule: a 6-digit admin division code.
pub fn admin_code(value: &str) -> Result<(), validator::ValidationError> {
    if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("admin_code");
    error.message = Some("must be a 6-digit admin division code".into());
    Err(error)
}

/// A `validator` rule: a period, `YYYY` or `YYYY-YYYY`.
pub fn period(value: &str) -> Result<(), validator::ValidationError> {
    if crate::import::format::parse_period(value).is_some() {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("period");
    error.message = Some("must be YYYY or YYYY-YYYY".into());
    Err(error)
}

/// A `validator` rule: a username of letters, digits, `.`, `_` and `-`.
pub fn username(value: &str) -> Result<(), validator::ValidationError> {
    if value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("username");
    error.message = Some("may hold only letters, digits, `.`, `_` and `-`".into());
    Err(error)
}

/// A `validator` rule: a city reference, its UUID or 6-digit admin division code.
pub fn city_ref(value: &str) -> Result<(), validator::ValidationError> {
    if crate::query::IdOrName::parse_city(value).is_ok() {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("city_ref");
    error.message = Some("must be a city id (UUID) or a 6-digit admin division code".into());
    Err(error)
}
