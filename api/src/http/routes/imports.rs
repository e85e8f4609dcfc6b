//! `POST /api/v1/imports`: a document file, as in `data/`, in one transaction.

use actix_web::{HttpResponse, post, web};

use crate::{
    domain::{auth::AuthUser, import::import_document},
    error::Result,
    http::{extract::body::JsonBody, routes::crud::CreateErrors, state::AppState},
    views::import::{DocumentFile, ImportSummary},
};

/// Import a document with its sections, work items and livelihood projects: all of it or nothing,
/// matched by natural keys, so importing the same file again changes nothing. An editor may import
/// into their own city; only an admin may import a file whose city does not exist yet.
#[utoipa::path(
    post,
    path = "/api/v1/imports",
    tag = "imports",
    operation_id = "create_import",
    request_body = DocumentFile,
    security(("bearer" = [])),
    responses((status = 200, description = "What the import created, updated and left alone", body = ImportSummary), CreateErrors)
)]
#[post("/imports")]
pub async fn create_import(
    state: web::Data<AppState>,
    auth: AuthUser,
    JsonBody(file): JsonBody<DocumentFile>,
) -> Result<HttpResponse> {
    let result = import_document(&state.db, &file, &auth).await;
    let outcome = if result.is_ok() { "imported" } else { "refused" };
    metrics::counter!("duban_imports_total", "outcome" => outcome).increment(1);
    Ok(HttpResponse::Ok().json(result?))
}
