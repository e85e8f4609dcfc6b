//! One resource with its entity tag.

use actix_web::{HttpResponse, http::header};
use serde::Serialize;

use crate::domain::{journal::Head, resource::Tagged};

/// 200 with the resource and its `ETag`.
pub fn ok_with_etag<T: Serialize>(value: &T) -> HttpResponse {
    tagged(Tagged::new(value))
}

/// 200 with a tagged resource.
pub fn tagged<T: Serialize>(resource: Tagged<T>) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::ETAG, resource.etag)).json(resource.value)
}

/// 200 with a tagged resource read at `head`, which the caching middleware then needs not read
/// again (see `READ_THEIR_OWN_HEAD` there).
pub fn tagged_at<T: Serialize>(resource: Tagged<T>, head: Head) -> HttpResponse {
    let mut response = tagged(resource);
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
