//! `/api/v1/documents`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::{
    db,
    domain::{
        self,
        documents::{DocumentFilter, Documents},
        paging::PageRequest,
        pipeline,
    },
    error::Result,
    http::{
        extract::list::ListRequest,
        extract::reading::ReadState,
        respond::{list::list_response, resource::tagged},
        routes::docs::{DocumentListOptions, GetErrors, ListErrors, ListOk},
    },
    views::documents::{DocumentIn, DocumentListParams, DocumentOut, DocumentPatch},
};

/// List documents
///
/// The issued notices, filtered by city, issue date, `q` and more. Anyone may read it. Costs one query for the page
/// and its embedded references, plus a count for `total` (skip it with `count=none`); a revalidation with
/// `If-None-Match` while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/documents",
    tag = "documents",
    operation_id = "list_documents",
    params(DocumentListOptions, DocumentListParams),
    responses(ListOk<DocumentOut>, ListErrors)
)]
#[get("/documents")]
pub async fn list_documents(
    ReadState(state): ReadState,
    ListRequest { options, filters }: ListRequest<DocumentListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = DocumentFilter::from_params(filters)?;
    let listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::documents::list(txn, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    list_response(&state, &req, &options, listing.map(DocumentOut::from), &["city"]).await
}

/// Get a document
///
/// A notice with its sections (attachments and plans). Anyone may read it. Costs one query (and a few batched ones
/// for its references); the answer carries a strong `ETag` to send back in `If-Match` when you change it.
#[utoipa::path(
    get,
    path = "/api/v1/documents/{id}",
    tag = "documents",
    operation_id = "get_document",
    params(("id" = Uuid, Path, description = "The document's id")),
    responses(
        (status = 200, description = "The document", body = DocumentOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/documents/{id}")]
pub async fn get_document(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    Ok(tagged(pipeline::get::<Documents>(&state.db, *id).await?))
}

crate::crud_routes! {
    resource: Documents,
    tag: "documents",
    collection_path: "/api/v1/documents",
    item_path: "/api/v1/documents/{id}",
    revisions_path: "/api/v1/documents/{id}/revisions",
    scope_collection: "/documents",
    scope_item: "/documents/{id}",
    scope_revisions: "/documents/{id}/revisions",
    ids: ["create_document", "replace_document", "patch_document", "delete_document", "list_document_revisions"],
    out: DocumentOut,
    input: DocumentIn,
    patch: DocumentPatch,
    docs: { one: "document", id: "The document's id (a UUID).", writers: "Needs a bearer token of an admin, or of an editor of the document's city.", delete_params: crate::views::revisions::DeleteParams },
    reads: public,
}
