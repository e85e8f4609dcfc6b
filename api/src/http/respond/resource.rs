//! One resource with its entity tag.

use actix_web::{
    HttpResponse,
    http::header::{self, ContentType},
};
use serde::Serialize;

use crate::domain::{
    journal::Head,
    resource::{Tagged, etag_of_json},
};

/// 200 with the resource and its `ETag`, serialised once for both (the body and its hash).
pub fn ok_with_etag<T: Serialize>(value: &T) -> HttpResponse {
    let body = serde_json::to_vec(value).unwrap_or_default();
    HttpResponse::Ok().insert_header((header::ETAG, etag_of_json(&body))).content_type(ContentType::json()).body(body)
}

/// 200 with a tagged resource.
pub fn tagged<T: Serialize>(resource: Tagged<T>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, resource.etag)).json(resource.value)
}

/// 200 with a resource read at `head` and its `ETag`; the caching middleware then needs not read
/// the head again (see `READ_THEIR_OWN_HEAD` there).
pub fn ok_with_etag_at<T: Serialize>(value: &T, head: Head) -> HttpResponse {
    let mut response = ok_with_etag(value);
    response.extensions_mut().insert(head);
    response
}

/// 201 with the new resource, its `Location` and `ETag`.
pub fn created<T: Serialize>(location: String, resource: Tagged<T>) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::ETAG, resource.etag))
        .json(resource.value)
}
