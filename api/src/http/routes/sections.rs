//! `/api/v1/sections`: the attachments and plans of documents.

use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::{
    db,
    domain::{
        paging::PageRequest,
        pipeline,
        sections::{self, SectionFilter, Sections},
    },
    error::Result,
    http::{
        extract::list::ListRequest,
        extract::reading::ReadState,
        respond::{list::list_response, resource::tagged},
        routes::docs::{GetErrors, ListErrors, ListOk, SectionListOptions},
    },
    views::sections::{SectionDetailOut, SectionIn, SectionListParams, SectionPatch},
};

/// List sections
///
/// The attachments and plans of documents, in document order. Anyone may read it. Costs one query for the page and
/// its embedded references, plus a count for `total` (skip it with `count=none`); a revalidation with `If-None-Match`
/// while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/sections",
    tag = "sections",
    operation_id = "list_sections",
    params(SectionListOptions, SectionListParams),
    responses(ListOk<SectionDetailOut>, ListErrors)
)]
#[get("/sections")]
pub async fn list_sections(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<SectionListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = SectionFilter::from_params(&filters)?;
    let listing =
        db::cancel_on_drop(&state.db, async |txn| sections::list(txn, &filter, options.sort.as_deref(), &page).await)
            .await?;
    list_response(&state, &req, &options, listing, &["city"]).await
}

/// Get a section
///
/// One attachment or plan of a document. Anyone may read it. Costs one query (and a few batched ones for its
/// references); the answer carries a strong `ETag` to send back in `If-Match` when you change it.
#[utoipa::path(
    get,
    path = "/api/v1/sections/{id}",
    tag = "sections",
    operation_id = "get_section",
    params(("id" = Uuid, Path, description = "The section's id")),
    responses(
        (status = 200, description = "The section", body = SectionDetailOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/sections/{id}")]
pub async fn get_section(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    Ok(tagged(pipeline::get::<Sections>(&state.db, *id).await?))
}

crate::crud_routes! {
    resource: Sections,
    tag: "sections",
    collection_path: "/api/v1/sections",
    item_path: "/api/v1/sections/{id}",
    revisions_path: "/api/v1/sections/{id}/revisions",
    scope_collection: "/sections",
    scope_item: "/sections/{id}",
    scope_revisions: "/sections/{id}/revisions",
    ids: ["create_section", "replace_section", "patch_section", "delete_section", "list_section_revisions"],
    out: SectionDetailOut,
    input: SectionIn,
    patch: SectionPatch,
    docs: { one: "section", id: "The section's id (a UUID).", writers: "Needs a bearer token of an admin, or of an editor of the section's city.", delete_params: crate::views::revisions::DeleteParams },
    reads: public,
}
