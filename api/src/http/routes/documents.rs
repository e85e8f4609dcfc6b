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

/// List documents.
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

/// Get a document with its sections.
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
    reads: public,
}
