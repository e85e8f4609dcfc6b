//! `/`: the landing page, where a person or a program arriving at the server learns what it is and
//! where the documentation, the collections and the feeds are.

use actix_web::{HttpRequest, HttpResponse, get, mime};

use crate::{
    domain,
    error::Result,
    http::{extract::reading::ReadState, respond::html, routes::docs::TransientErrors},
    views::landing::LandingOut,
};

/// What the API is and where everything is
///
/// What the API is, with links to the interactive documentation, the OpenAPI document, every
/// public collection with how many records it holds, the feeds and the change feed. Anyone may
/// read it. Browsers (`Accept: text/html` first) get the same content as an HTML page; every other
/// client gets JSON. It costs one statement (a count per collection); revalidating with
/// `If-None-Match` costs one small query while nothing changed.
#[utoipa::path(
    get,
    path = "/",
    tag = "landing",
    operation_id = "landing",
    responses(
        (status = 200, description = "What the API is and where everything is", body = LandingOut),
        TransientErrors
    )
)]
#[get("/")]
pub async fn landing(ReadState(state): ReadState, req: HttpRequest) -> Result<HttpResponse> {
    let landing = LandingOut::new(domain::overview::collection_counts(&state.db).await?);
    Ok(if html::prefers_html(&req) {
        HttpResponse::Ok().content_type(mime::TEXT_HTML_UTF_8).body(html::landing(&landing))
    } else {
        HttpResponse::Ok().json(landing)
    })
}
