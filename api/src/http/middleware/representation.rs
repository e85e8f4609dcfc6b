//! The lists' other representations at their paths with a suffix (`/api/v1/work-items.csv`): the
//! request becomes the list's own, with a [`ListShape`] that says which representation to answer.

use actix_web::{
    HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, Uri},
    middleware::Next,
};

use crate::http::{
    openapi,
    respond::list::{ListShape, Representation},
};

/// For a read of a list of the document, at its path or with a suffix: leaves the [`ListShape`]
/// the list answers by, and takes the suffix off, so that one route serves every representation
/// of a list (no copy per list and suffix). Runs inside the caching middleware, which thus tells
/// the representations apart by their paths. Other requests pass untouched.
pub async fn by_suffix(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        let path = req.path().to_owned();
        let suffixed = Representation::ALL.into_iter().find_map(|r| Some((path.strip_suffix(r.suffix())?, r)));
        let (base, representation) = match suffixed {
            Some((base, representation)) => (base, Some(representation)),
            None => (path.as_str(), None),
        };
        if let Some(fields) = openapi::list_fields(base) {
            if representation.is_some() {
                let target = match req.query_string() {
                    "" => base.to_owned(),
                    query => format!("{base}?{query}"),
                };
                if let Ok(uri) = target.parse::<Uri>() {
                    req.match_info_mut().get_mut().update(&uri);
                    req.head_mut().uri = uri;
                }
            }
            req.extensions_mut().insert(ListShape { representation, fields });
        }
    }
    next.call(req).await
}
