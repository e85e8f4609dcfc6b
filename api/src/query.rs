//! Query strings: the extractor that names the parameter at fault, and the parsing of filter
//! values that take an id or a name.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use sea_orm::sea_query::{IntoCondition, SimpleExpr};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::{ApiError, Result};

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 500;

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

/// Parses a query string into `T`, naming the parameter at fault. Empty values, repeated
/// single-valued parameters and the NUL character are refused.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T> {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(query).map_err(|error| ApiError::bad_field("query", error.to_string()))?;
    for (i, (key, value)) in pairs.iter().enumerate() {
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

/// A filter value that is either an id or a natural name (a unit or leader name, a city code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdOrName {
    Id(Uuid),
    Name(String),
}

impl IdOrName {
    /// Reads `value`: a UUID is an id, anything else a name.
    pub fn parse(value: &str) -> Self {
        match Uuid::parse_str(value) {
            Ok(id) => Self::Id(id),
            Err(_) => Self::Name(value.to_owned()),
        }
    }

    /// Reads a `city` filter: a UUID or a 6-digit admin division code.
    pub fn parse_city(value: &str) -> Result<Self> {
        match Self::parse(value.trim()) {
            Self::Name(code) if !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())) => {
                Err(ApiError::bad_field("city", "must be a city id (UUID) or a 6-digit admin division code"))
            }
            parsed => Ok(parsed),
        }
    }

    /// The condition `id_column = id` or `name_column = name`.
    pub fn condition(
        &self,
        id_column: impl sea_orm::ColumnTrait,
        name_column: impl sea_orm::ColumnTrait,
    ) -> sea_orm::Condition {
        match self {
            Self::Id(id) => id_column.eq(*id).into_condition(),
            Self::Name(name) => name_column.eq(name.clone()).into_condition(),
        }
    }
}

/// Splits comma-separated and repeated parameter values into single values.
pub fn split_values(values: &[String]) -> Vec<&str> {
    values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).collect()
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A condition that `column` contains `text` (escaped; `\` is the escape character).
pub fn contains(column: impl sea_orm::ColumnTrait, text: &str) -> SimpleExpr {
    use sea_orm::sea_query::LikeExpr;
    column.like(LikeExpr::new(contains_pattern(text)).escape('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("停车"), "%停车%");
        assert_eq!(contains_pattern("5%_\\"), "%5\\%\\_\\\\%");
    }

    #[test]
    fn city_filters_take_an_id_or_a_code() {
        assert_eq!(IdOrName::parse_city("330382").ok(), Some(IdOrName::Name("330382".into())));
        assert!(IdOrName::parse_city("yueqing").is_err());
    }
}
