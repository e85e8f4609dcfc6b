//! Values at the edge: the rules request fields keep (`validator` functions), periods, filter
//! values that take an id or a name, and PATCH's absent-versus-null.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, RefOr, Schema, Type},
};
use uuid::Uuid;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::views::problem::FieldError;

/// Parses a period, `2021` or `2021-2025`, into its first and last year.
pub fn parse_period(period: &str) -> Option<(i32, i32)> {
    let year = |s: &str| (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten();
    match period.split_once('-') {
        None => year(period).map(|y| (y, y)),
        Some((start, end)) => match (year(start), year(end)) {
            (Some(start), Some(end)) if start <= end => Some((start, end)),
            _ => None,
        },
    }
}

/// Formats a period the way the API shows it.
pub fn format_period(start: i32, end: i32) -> String {
    if start == end { start.to_string() } else { format!("{start}-{end}") }
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
    pub fn parse_city(value: &str) -> Result<Self, FieldError> {
        match Self::parse(value.trim()) {
            Self::Name(code) if !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())) => {
                Err(FieldError::new("city", "must be a city id (UUID) or a 6-digit admin division code"))
            }
            parsed => Ok(parsed),
        }
    }
}

/// Splits comma-separated and repeated parameter values into single values.
pub fn split_values(values: &[String]) -> Vec<&str> {
    values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|v| !v.is_empty()).collect()
}

/// The pattern of text that is not only white space and holds no NUL character (PostgreSQL text
/// cannot hold NUL).
pub const NON_BLANK_PATTERN: &str = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$";

/// Text of 1 to `MAX` characters that is not only white space: the rule of every required name,
/// title and content field, stated once. Checked with the body's other rules (`#[validate(nested)]`),
/// so a body's faults are all named together; documented as a string with those bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NonBlank<const MAX: usize>(String);

impl<const MAX: usize> NonBlank<MAX> {
    /// The text, trimmed of surrounding white space.
    pub fn trimmed(&self) -> &str {
        self.0.trim()
    }

    /// The text as sent.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> std::ops::Deref for NonBlank<MAX> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> From<&str> for NonBlank<MAX> {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl<const MAX: usize> Validate for NonBlank<MAX> {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut broken = Vec::new();
        let length = self.0.chars().count();
        if !(1..=MAX).contains(&length) {
            let mut error = ValidationError::new("length");
            error.add_param(Cow::Borrowed("min"), &1);
            error.add_param(Cow::Borrowed("max"), &MAX);
            broken.push(error);
        }
        if let Err(error) = not_blank(&self.0) {
            broken.push(error);
        }
        if broken.is_empty() {
            return Ok(());
        }
        // validator's own convention for a value that reports on the field that holds it.
        let mut errors = ValidationErrors::new();
        errors.0.insert(Cow::Borrowed("_tmp_validator"), ValidationErrorsKind::Field(broken));
        Err(errors)
    }
}

impl<const MAX: usize> PartialSchema for NonBlank<MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some(NON_BLANK_PATTERN))
            .into()
    }
}

impl<const MAX: usize> ToSchema for NonBlank<MAX> {}

/// The years a date may have: what both stores hold (PostgreSQL's dates end in 5874897 AD but
/// begin in 4713 BC; chrono reads years far beyond either).
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// A date whose year is in [`YEARS`]; else a problem with `field`.
pub fn calendar_date(field: &str, date: chrono::NaiveDate) -> Result<chrono::NaiveDate, FieldError> {
    use chrono::Datelike;
    if YEARS.contains(&date.year()) {
        Ok(date)
    } else {
        Err(FieldError::new(field, "must be a date from 0001-01-01 to 9999-12-31"))
    }
}

/// A `validator` rule: [`calendar_date`].
pub fn valid_date(date: &chrono::NaiveDate) -> Result<(), validator::ValidationError> {
    calendar_date("", *date).map(|_| ()).map_err(|error| {
        let mut invalid = validator::ValidationError::new("date");
        invalid.message = Some(error.message.into());
        invalid
    })
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
    if parse_period(value).is_some() {
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
    if IdOrName::parse_city(value).is_ok() {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("city_ref");
    error.message = Some("must be a city id (UUID) or a 6-digit admin division code".into());
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_as_one_year_or_a_range() {
        assert_eq!(parse_period("2021"), Some((2021, 2021)));
        assert_eq!(parse_period("2021-2025"), Some((2021, 2025)));
        assert_eq!(parse_period("2025-2021"), None);
        assert_eq!(parse_period("21"), None);
        assert_eq!(parse_period("2021-"), None);
        assert_eq!(format_period(2021, 2025), "2021-2025");
        assert_eq!(format_period(2021, 2021), "2021");
    }

    #[test]
    fn city_filters_take_an_id_or_a_code() {
        assert_eq!(IdOrName::parse_city("330382").ok(), Some(IdOrName::Name("330382".into())));
        assert!(IdOrName::parse_city("yueqing").is_err());
    }
}
