//! What every list shares: the query-string extractor, paging, sorting, the page envelope and its
//! `Link` header, and the parsing of filter values that take an id or a name.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header};
use sea_orm::{
    ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryOrder, QuerySelect, Select,
    sea_query::{IntoCondition, SimpleExpr},
};
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, Result};

/// Default page size.
pub const DEFAULT_LIMIT: u64 = 50;
/// Largest page size.
pub const MAX_LIMIT: u64 = 500;

/// A query string parsed into `T`; unknown parameters and malformed values are a 400 that names
/// the parameter. Repeated parameters fill a `Vec`.
pub struct ListQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ListQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(ListQuery))
    }
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T> {
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

/// `limit` and `offset`, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: u64,
    pub offset: u64,
}

impl Paging {
    /// Checks the raw parameters: `limit` 1–500 (default 50), `offset` 0 or more.
    pub fn new(limit: Option<i64>, offset: Option<i64>) -> Result<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT as i64);
        if !(1..=MAX_LIMIT as i64).contains(&limit) {
            return Err(ApiError::bad_field("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::bad_field("offset", "must be 0 or more"));
        }
        Ok(Self { limit: limit as u64, offset: offset as u64 })
    }
}

/// One page of a list: the envelope every list answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The records on this page.
    pub items: Vec<T>,
    /// How many records match the filters, over all pages.
    pub total: u64,
    /// The page size asked for.
    pub limit: u64,
    /// How many matching records precede this page.
    pub offset: u64,
}

impl<T> Page<T> {
    /// Maps the records, keeping the counts.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl<T: Serialize> Page<T> {
    /// A 200 with the page as JSON and RFC 8288 `Link` headers to the first, previous and next pages.
    pub fn respond(&self, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        let links = self.links(req);
        if !links.is_empty() {
            response.insert_header((header::LINK, links.join(", ")));
        }
        response.insert_header(("X-Total-Count", self.total.to_string()));
        response.json(self)
    }

    fn links(&self, req: &HttpRequest) -> Vec<String> {
        let link = |offset: u64, rel: &str| format!("<{}>; rel=\"{rel}\"", with_offset(req, offset));
        let mut links = vec![link(0, "first")];
        if self.offset > 0 {
            links.push(link(self.offset.saturating_sub(self.limit), "prev"));
        }
        if self.offset + self.limit < self.total {
            links.push(link(self.offset + self.limit, "next"));
        }
        links
    }
}

/// The request's path and query with `offset` replaced.
fn with_offset(req: &HttpRequest, offset: u64) -> String {
    let mut pairs: Vec<(String, String)> = serde_html_form::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| key != "offset")
        .collect();
    pairs.push(("offset".to_owned(), offset.to_string()));
    let query = serde_html_form::to_string(&pairs).unwrap_or_default();
    format!("{}?{query}", req.path())
}

/// Runs `select` for one page and counts all its matches.
pub async fn fetch_page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    paging: Paging,
) -> Result<Page<E::Model>>
where
    E::Model: Sync,
{
    let total = select.clone().count(db).await?;
    let items = select.offset(paging.offset).limit(paging.limit).all(db).await?;
    Ok(Page { items, total, limit: paging.limit, offset: paging.offset })
}

/// Applies `sort` (`field`, `-field`, comma-separated for several) to `select`, with the id as
/// the last key so that pages never overlap. `keys` maps each allowed field to the expressions it
/// orders by; the first one is the default.
pub fn apply_sort<E: EntityTrait>(
    mut select: Select<E>,
    sort: Option<&str>,
    keys: &[(&str, &[SimpleExpr])],
    id: SimpleExpr,
) -> Result<Select<E>> {
    let default = keys.first().map(|(name, _)| *name).unwrap_or("id");
    let spec = sort.filter(|s| !s.trim().is_empty()).unwrap_or(default);
    for part in spec.split(',') {
        let (field, order) = match part.trim().strip_prefix('-') {
            Some(field) => (field, Order::Desc),
            None => (part.trim().trim_start_matches('+'), Order::Asc),
        };
        let Some((_, exprs)) = keys.iter().find(|(name, _)| *name == field) else {
            let allowed: Vec<&str> = keys.iter().map(|(name, _)| *name).collect();
            return Err(ApiError::bad_field(
                "sort",
                format!("unknown sort field `{field}`; use one of {}", allowed.join(", ")),
            ));
        };
        for expr in *exprs {
            select = select.order_by(expr.clone(), order.clone());
        }
    }
    Ok(select.order_by(id, Order::Asc))
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
    fn paging_rejects_out_of_range_values() {
        assert_eq!(Paging::new(None, None).ok(), Some(Paging { limit: 50, offset: 0 }));
        assert!(Paging::new(Some(0), None).is_err());
        assert!(Paging::new(Some(501), None).is_err());
        assert!(Paging::new(None, Some(-1)).is_err());
    }

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
