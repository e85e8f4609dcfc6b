//! `/api/v1/leaders` and `/api/v1/units`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::{
    db,
    domain::{
        self,
        paging::PageRequest,
        people::{Leaders, NamedFilter, Units, leader_out, unit_out, with_cities},
        pipeline,
    },
    error::Result,
    http::{
        extract::list::ListRequest,
        extract::reading::ReadState,
        respond::{list::list_response, resource::tagged},
        routes::docs::{GetErrors, ListErrors, ListOk, NamedListOptions},
    },
    views::people::{LeaderIn, LeaderOut, LeaderPatch, NamedListParams, UnitIn, UnitOut, UnitPatch},
};

/// List leaders
///
/// The city leaders who lead groups of items, filtered by city and `q`. Anyone may read it. Costs one query for the
/// page and its embedded references, plus a count for `total` (skip it with `count=none`); a revalidation with
/// `If-None-Match` while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/leaders",
    tag = "leaders",
    operation_id = "list_leaders",
    params(NamedListOptions, NamedListParams),
    responses(ListOk<LeaderOut>, ListErrors)
)]
#[get("/leaders")]
pub async fn list_leaders(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<NamedListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = NamedFilter::from_params(&filters)?;
    let mut listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::people::list_leaders(txn, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    let outs = with_cities(&state.db, std::mem::take(&mut listing.items), |r| r.city_id, leader_out).await?;
    list_response(&state, &req, &options, listing.with_items(outs), &["city"]).await
}

/// Get a leader
///
/// A city leader, with their title. Anyone may read it. Costs one query (and a few batched ones for its references);
/// the answer carries a strong `ETag` to send back in `If-Match` when you change it.
#[utoipa::path(
    get,
    path = "/api/v1/leaders/{id}",
    tag = "leaders",
    operation_id = "get_leader",
    params(("id" = Uuid, Path, description = "The leader's id")),
    responses(
        (status = 200, description = "The leader", body = LeaderOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/leaders/{id}")]
pub async fn get_leader(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    Ok(tagged(pipeline::get::<Leaders>(&state.db, *id).await?))
}

/// List units
///
/// The responsible bodies, filtered by city and `q`. Anyone may read it. Costs one query for the page and its
/// embedded references, plus a count for `total` (skip it with `count=none`); a revalidation with `If-None-Match`
/// while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/units",
    tag = "units",
    operation_id = "list_units",
    params(NamedListOptions, NamedListParams),
    responses(ListOk<UnitOut>, ListErrors)
)]
#[get("/units")]
pub async fn list_units(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<NamedListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = NamedFilter::from_params(&filters)?;
    let mut listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::people::list_units(txn, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    let outs = with_cities(&state.db, std::mem::take(&mut listing.items), |r| r.city_id, unit_out).await?;
    list_response(&state, &req, &options, listing.with_items(outs), &["city"]).await
}

/// Get a unit
///
/// A responsible body. Anyone may read it. Costs one query (and a few batched ones for its references); the answer
/// carries a strong `ETag` to send back in `If-Match` when you change it.
#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    tag = "units",
    operation_id = "get_unit",
    params(("id" = Uuid, Path, description = "The unit's id")),
    responses(
        (status = 200, description = "The unit", body = UnitOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/units/{id}")]
pub async fn get_unit(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    Ok(tagged(pipeline::get::<Units>(&state.db, *id).await?))
}

/// Writes to `/api/v1/leaders`.
pub mod leader_writes {
    use super::{LeaderIn, LeaderOut, LeaderPatch, Leaders};

    crate::crud_routes! {
        resource: Leaders,
        tag: "leaders",
        collection_path: "/api/v1/leaders",
        item_path: "/api/v1/leaders/{id}",
        revisions_path: "/api/v1/leaders/{id}/revisions",
        scope_collection: "/leaders",
        scope_item: "/leaders/{id}",
        scope_revisions: "/leaders/{id}/revisions",
        ids: ["create_leader", "replace_leader", "patch_leader", "delete_leader", "list_leader_revisions"],
        out: LeaderOut,
        input: LeaderIn,
        patch: LeaderPatch,
        docs: { one: "leader", id: "The leader's id (a UUID).", writers: "Needs a bearer token of an admin, or of an editor of the leader's city.", delete_params: crate::views::revisions::NoFilters },
    reads: public,
    }
}

/// Writes to `/api/v1/units`.
pub mod unit_writes {
    use super::{UnitIn, UnitOut, UnitPatch, Units};

    crate::crud_routes! {
        resource: Units,
        tag: "units",
        collection_path: "/api/v1/units",
        item_path: "/api/v1/units/{id}",
        revisions_path: "/api/v1/units/{id}/revisions",
        scope_collection: "/units",
        scope_item: "/units/{id}",
        scope_revisions: "/units/{id}/revisions",
        ids: ["create_unit", "replace_unit", "patch_unit", "delete_unit", "list_unit_revisions"],
        out: UnitOut,
        input: UnitIn,
        patch: UnitPatch,
        docs: { one: "unit", id: "The unit's id (a UUID).", writers: "Needs a bearer token of an admin, or of an editor of the unit's city.", delete_params: crate::views::revisions::NoFilters },
    reads: public,
    }
}
