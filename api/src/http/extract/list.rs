//! The list request extractor: the shared list options and a list's own filters, split apart.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use crate::{
    error::{ApiError, Result},
    http::{
        extract::query::parse_query,
        respond::list::{ListShape, Representation},
        state::AppState,
    },
    views::page::ListOptions,
};

/// The parameters every list takes, by name (they are split from the list's own filters).
const OPTION_NAMES: [&str; 8] = ["limit", "offset", "cursor", "count", "sort", "fields", "include", "format"];

/// A list request: the shared [`ListOptions`] and the list's own filters `T`; unknown parameters
/// and malformed values are a 400 naming the parameter.
pub struct ListRequest<T> {
    pub options: ListOptions,
    pub filters: T,
}

impl<T: DeserializeOwned> FromRequest for ListRequest<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let count_limit = req.app_data::<web::Data<AppState>>().map(|state| state.count_limit);
        let shape = req.extensions().get::<ListShape>().cloned();
        ready(split_query(req.query_string()).and_then(|mut request: ListRequest<T>| {
            check_fields(request.options.fields.as_deref(), shape.as_ref())?;
            request.options.count_limit = count_limit;
            Ok(request)
        }))
    }
}

/// Checks `fields` against the list's records (`shape`, from the `representation` middleware)
/// before anything is read: an unknown or empty name is a 400, and so is a missing `fields` on
/// `.partial.json`, whose whole point it is.
fn check_fields(fields: Option<&str>, shape: Option<&ListShape>) -> Result<()> {
    let partial = shape.is_some_and(|s| s.representation == Some(Representation::Partial));
    let Some(fields) = fields else {
        return match partial {
            true => Err(ApiError::bad_field("fields", "name the fields to keep, comma-separated")),
            false => Ok(()),
        };
    };
    let known = shape.map(|s| s.fields);
    match fields.split(',').find(|f| f.is_empty() || known.is_some_and(|k| !k.iter().any(|n| n == f))) {
        Some(unknown) => {
            let allowed = known.map(|k| k.join(", ")).unwrap_or_default();
            Err(ApiError::bad_field("fields", format!("unknown field `{unknown}`; use one of {allowed}")))
        }
        None => Ok(()),
    }
}

fn split_query<T: DeserializeOwned>(query: &str) -> Result<ListRequest<T>> {
    let (options, filters) = split_params(query, &OPTION_NAMES)?;
    Ok(ListRequest { options: parse_query(&options)?, filters: parse_query(&filters)? })
}

/// Splits a query string in two: the parameters named in `names`, and the others.
pub fn split_params(query: &str, names: &[&str]) -> Result<(String, String)> {
    let pairs: Vec<(String, String)> =
        serde_html_form::from_str(query).map_err(|error| ApiError::bad_field("query", error.to_string()))?;
    let (named, others): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(key, _)| names.contains(&key.as_str()));
    let encode = |pairs: Vec<(String, String)>| serde_html_form::to_string(pairs).unwrap_or_default();
    Ok((encode(named), encode(others)))
}

#[cfg(test)]
mod tests {
    use crate::{config, views::page};

    #[test]
    fn the_configured_count_limit_defaults_to_the_lists_default() {
        // `config` may not name `views`: the two constants are kept equal here.
        assert_eq!(config::DEFAULT_COUNT_LIMIT, page::DEFAULT_COUNT_LIMIT);
    }
}
