//! `/api/v1/cities`.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::{
    db,
    domain::paging::PageRequest,
    domain::{self, cities::Cities},
    error::Result,
    http::{
        extract::list::ListRequest,
        extract::reading::ReadState,
        respond::{list::list_response, resource::ok_with_etag},
        routes::docs::{CityListOptions, GetErrors, ListErrors, ListOk},
    },
    views::cities::{CityIn, CityListParams, CityOut, CityPatch},
};

/// List cities
///
/// The county-level cities, filtered by `q` (Chinese or English name). Anyone may read it. Costs one query for the
/// page and its embedded references, plus a count for `total` (skip it with `count=none`); a revalidation with
/// `If-None-Match` while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/cities",
    tag = "cities",
    operation_id = "list_cities",
    params(CityListOptions, CityListParams),
    responses(ListOk<CityOut>, ListErrors)
)]
#[get("/cities")]
pub async fn list_cities(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<CityListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::cities::list(txn, filters.q.as_deref(), options.sort.as_deref(), &page).await
    })
    .await?;
    list_response(&state, &req, &options, listing.map(CityOut::from), &[]).await
}

/// Get a city
///
/// A city by its id or its 6-digit admin division code (`330382`). Anyone may read it. Costs one query (and a few
/// batched ones for its references); the answer carries a strong `ETag` to send back in `If-Match` when you change
/// it.
#[utoipa::path(
    get,
    path = "/api/v1/cities/{id}",
    tag = "cities",
    operation_id = "get_city",
    params(("id" = String, Path, description = "The city's id, or its 6-digit admin division code", example = "330382", pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")),
    responses(
        (status = 200, description = "The city", body = CityOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/cities/{id}")]
pub async fn get_city(ReadState(state): ReadState, id: web::Path<String>) -> Result<HttpResponse> {
    Ok(ok_with_etag(&CityOut::from(domain::cities::get(&state.db, &id).await?)))
}

crate::crud_routes! {
    resource: Cities,
    tag: "cities",
    collection_path: "/api/v1/cities",
    item_path: "/api/v1/cities/{id}",
    revisions_path: "/api/v1/cities/{id}/revisions",
    scope_collection: "/cities",
    scope_item: "/cities/{id}",
    scope_revisions: "/cities/{id}/revisions",
    ids: ["create_city", "replace_city", "patch_city", "delete_city", "list_city_revisions"],
    out: CityOut,
    input: CityIn,
    patch: CityPatch,
    docs: { one: "city", id: "The city's id (a UUID). Writes take the id only: find it by the admin code with `GET /api/v1/cities/{code}`.", writers: "Admins only.", delete_params: crate::views::revisions::NoFilters },
    reads: public,
}
