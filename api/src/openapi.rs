//! The OpenAPI 3.1 document, built once from the handlers' annotations.

use std::sync::OnceLock;

use actix_web::{HttpResponse, dev::ResourceDef, get, http::header};
use utoipa::OpenApi;

use crate::routes::{cities, documents, health, items, people};

/// The document's root: every operation the server has is listed here.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Duban API",
        description = "Duban (督办) publishes and tracks the work plans Chinese city governments issue each year: \
            key work items (重点工作) and livelihood projects (民生实事项目), who leads each, which units share it, \
            and how far it has got. Reads are public.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
        contact(name = "Duban maintainers", url = "https://github.com/duban-dev/duban")
    ),
    servers((url = "/", description = "This server")),
    paths(
        cities::list_cities,
        cities::get_city,
        documents::list_documents,
        documents::get_document,
        people::list_leaders,
        people::get_leader,
        people::list_units,
        people::get_unit,
        items::list_work_items,
        items::get_work_item,
        items::list_livelihood_projects,
        items::get_livelihood_project,
        health::live,
        health::ready,
    ),
    tags(
        (name = "cities", description = "County-level cities"),
        (name = "documents", description = "Issued notices and their sections"),
        (name = "leaders", description = "City leaders who lead groups of items"),
        (name = "units", description = "Responsible bodies"),
        (name = "work-items", description = "Key work items (重点工作)"),
        (name = "livelihood-projects", description = "Livelihood projects (民生实事项目)"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The document as pretty-printed JSON, built on first use.
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut json = ApiDoc::openapi().to_pretty_json().unwrap_or_else(|error| {
            // Serialising derived structs cannot fail short of a bug in utoipa; say so in the body.
            format!("{{\"error\":\"failed to serialise the OpenAPI document: {error}\"}}")
        });
        json.push('\n');
        json
    })
}

/// The methods the document lists for the route matching `path`, or `None` when no route does.
/// Used to answer 405 with `Allow`, so the document stays the one list of routes.
pub fn allowed_methods(path: &str) -> Option<&'static [&'static str]> {
    static ROUTES: OnceLock<Vec<(ResourceDef, Vec<&'static str>)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .into_iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (ResourceDef::new(template), methods)
            })
            .collect()
    });
    routes
        .iter()
        .find(|(def, _)| def.is_match(path))
        .map(|(_, methods)| methods.as_slice())
}

/// Serves the OpenAPI document.
#[get("/api-docs/openapi.json")]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(json())
}
