//! Query strings: the extractor that names the parameter at fault.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Result};

/// A query string parsed into `T`; unknown parameters and malformed values are a 400 that names
/// the parameter. Repeated parameters fill a `Vec`.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(QueryParams))
    }
}

/// Parameters that may be repeated (any of several values); every other one may appear once.
const REPEATABLE: [&str; 3] = ["leader", "unit", "status"];

/// The longest search text, in characters: search cost grows with its length (every bigram is a
/// condition), and no title needs more.
pub const MAX_SEARCH_CHARS: usize = 100;
/// The longest keyset cursor, in characters.
pub const MAX_CURSOR_CHARS: usize = 1024;
/// The longest value of any other parameter (names, ids, field lists), in characters.
pub const MAX_VALUE_CHARS: usize = 500;
/// The most parameters one request may carry (repeated ones counted each time).
pub const MAX_PARAMETERS: usize = 64;

/// The longest value `key` may have, in characters.
pub fn max_chars(key: &str) -> usize {
    match key {
        "q" => MAX_SEARCH_CHARS,
        "cursor" => MAX_CURSOR_CHARS,
        _ => MAX_VALUE_CHARS,
    }
}

/// Parses a query string into `T`, naming the parameter at fault. Empty values, repeated
/// single-valued parameters, the NUL character, values longer than their limit
/// ([`max_chars`]) and more than [`MAX_PARAMETERS`] parameters are refused, so that no request
/// can ask the database for unbounded work.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T> {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(query).map_err(|error| ApiError::bad_field("query", error.to_string()))?;
    if pairs.len() > MAX_PARAMETERS {
        return Err(ApiError::bad_field("query", format!("has more than {MAX_PARAMETERS} parameters")));
    }
    for (i, (key, value)) in pairs.iter().enumerate() {
        let limit = max_chars(key);
        if value.chars().count() > limit {
            return Err(ApiError::bad_field(key.clone(), format!("must be at most {limit} characters long")));
        }
        if value.is_empty() {
            return Err(ApiError::bad_field(key.clone(), "must not be empty"));
        }
        if value.contains('\0') || key.contains('\0') {
            return Err(ApiError::bad_field(key.replace('\0', ""), "must not contain the NUL character"));
        }
        if !REPEATABLE.contains(&key.as_str()) && pairs[..i].iter().any(|(k, _)| k == key) {
            return Err(ApiError::bad_field(key.clone(), "may be given only once"));
        }
    }
    let deserializer = serde_html_form::Deserializer::from_bytes(query.as_bytes());
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let message = error.inner().to_string();
        let field = match error.path().to_string() {
            path if path != "." => path,
            // serde names an unknown parameter only in its message: "unknown field `x`, …".
            _ => {
                message.split('`').nth(1).filter(|_| message.starts_with("unknown field")).unwrap_or("query").to_owned()
            }
        };
        ApiError::bad_field(field, message)
    })
}
