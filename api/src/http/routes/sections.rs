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

/// List sections, in document order.
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

/// Get a section.
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
    reads: public,
}
