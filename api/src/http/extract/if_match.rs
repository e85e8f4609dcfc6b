//! `If-Match`, read into the precondition a write is based on.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};
use utoipa::IntoParams;

use crate::{domain::resource::Precondition, error::ApiError};

/// The `If-Match` header of PUT, PATCH and DELETE: absent, `*`, or entity tags; malformed is a
/// 400.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(pub Precondition);

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(header::IF_MATCH) {
            None => Ok(Self(Precondition::None)),
            Some(value) => value
                .to_str()
                .map_err(|_| ApiError::bad_field("If-Match", "is not text"))
                .and_then(|value| Ok(Self(Precondition::parse(value)?))),
        })
    }
}

/// `If-Match` as an OpenAPI header parameter.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "describes a header for the OpenAPI document; never built")]
pub struct IfMatchHeader {
    /// The ETag the write is based on: a stale one is answered 412. `*` matches any version.
    #[param(rename = "If-Match", required = false, pattern = "^(\\*|(W/)?\"[^\",]*\"( *, *(W/)?\"[^\",]*\")*)$")]
    if_match: String,
}
