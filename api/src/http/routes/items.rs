//! `/api/v1/work-items` and `/api/v1/livelihood-projects`: one query layer, two shapes.

use actix_web::{HttpRequest, HttpResponse, get, web};
use entity::item::ItemKind;
use serde::Serialize;
use uuid::Uuid;

use crate::{
    db,
    domain::{
        self,
        items::{
            read::{ItemFilter, ItemRecord},
            write::{LivelihoodProjects, WorkItems},
        },
        paging::PageRequest,
    },
    error::Result,
    http::{
        extract::list::ListRequest,
        extract::reading::ReadState,
        respond::{list::list_response, resource::ok_with_etag_at},
        routes::docs::{GetErrors, ItemListOptions, ListErrors, ListOk},
        state::AppState,
    },
    views::items::{ItemListParams, ItemPatch, LivelihoodProjectIn, LivelihoodProjectOut, WorkItemIn, WorkItemOut},
};

async fn list<T: Serialize + From<ItemRecord>>(
    state: &AppState,
    kind: ItemKind,
    request: ListRequest<ItemListParams>,
    req: &HttpRequest,
) -> Result<HttpResponse> {
    let ListRequest { options, filters } = request;
    let page = PageRequest::from_options(&options)?;
    let filter = ItemFilter::from_params(&filters, state.clock.today())?;
    // A free-text search may be slow: stop it on the server if its client goes away.
    let listing = db::cancel_on_drop(&state.db, async |txn| {
        domain::items::read::list(txn, kind, &filter, options.sort.as_deref(), &page).await
    })
    .await?;
    list_response(state, req, &options, listing.map(T::from), &["city", "document"]).await
}

/// One item with its tag, read with the change log's head in one statement.
async fn get<T: Serialize + From<ItemRecord>>(state: &AppState, kind: ItemKind, id: Uuid) -> Result<HttpResponse> {
    let (record, head) = domain::items::read::get_at_head(&state.direct, kind, id).await?;
    Ok(ok_with_etag_at(&T::from(record), head))
}

/// List key work items
///
/// Key work items (重点工作), filtered by city, document, leader, unit and role, status, period, year, leader group,
/// progress, change time and `q` (substring of the content, remarks or a unit's name). Anyone may read it. Costs one
/// query for the page and its embedded references, plus a count for `total` (skip it with `count=none`); a
/// revalidation with `If-None-Match` while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/work-items",
    tag = "work-items",
    operation_id = "list_work_items",
    params(ItemListOptions, ItemListParams),
    responses(ListOk<WorkItemOut>, ListErrors)
)]
#[get("/work-items")]
pub async fn list_work_items(
    ReadState(state): ReadState,
    request: ListRequest<ItemListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    list::<WorkItemOut>(&state, ItemKind::WorkItem, request, &req).await
}

/// Get a key work item
///
/// A key work item with its leader group, leader and units. Anyone may read it. Costs one query (and a few batched
/// ones for its references); the answer carries a strong `ETag` to send back in `If-Match` when you change it.
#[utoipa::path(
    get,
    path = "/api/v1/work-items/{id}",
    tag = "work-items",
    operation_id = "get_work_item",
    params(("id" = Uuid, Path, description = "The work item's id")),
    responses(
        (status = 200, description = "The work item", body = WorkItemOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/work-items/{id}")]
pub async fn get_work_item(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    get::<WorkItemOut>(&state, ItemKind::WorkItem, *id).await
}

/// List livelihood projects
///
/// Livelihood projects (民生实事项目), filtered by city, document, leader, unit and role, status, period, year, category,
/// progress, change time and `q` (substring of the content, remarks or a unit's name). Anyone may read it. Costs one
/// query for the page and its embedded references, plus a count for `total` (skip it with `count=none`); a
/// revalidation with `If-None-Match` while nothing changed costs one small query and answers 304.
#[utoipa::path(
    get,
    path = "/api/v1/livelihood-projects",
    tag = "livelihood-projects",
    operation_id = "list_livelihood_projects",
    params(ItemListOptions, ItemListParams),
    responses(ListOk<LivelihoodProjectOut>, ListErrors)
)]
#[get("/livelihood-projects")]
pub async fn list_livelihood_projects(
    ReadState(state): ReadState,
    request: ListRequest<ItemListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    list::<LivelihoodProjectOut>(&state, ItemKind::LivelihoodProject, request, &req).await
}

/// Get a livelihood project
///
/// A livelihood project with its category, leader and units. Anyone may read it. Costs one query (and a few batched
/// ones for its references); the answer carries a strong `ETag` to send back in `If-Match` when you change it.
#[utoipa::path(
    get,
    path = "/api/v1/livelihood-projects/{id}",
    tag = "livelihood-projects",
    operation_id = "get_livelihood_project",
    params(("id" = Uuid, Path, description = "The livelihood project's id")),
    responses(
        (status = 200, description = "The livelihood project", body = LivelihoodProjectOut, headers(("ETag" = String, description = "Strong entity tag"))),
        GetErrors
    )
)]
#[get("/livelihood-projects/{id}")]
pub async fn get_livelihood_project(ReadState(state): ReadState, id: web::Path<Uuid>) -> Result<HttpResponse> {
    get::<LivelihoodProjectOut>(&state, ItemKind::LivelihoodProject, *id).await
}

/// Writes to `/api/v1/work-items`.
pub mod work_item_writes {
    use super::{ItemPatch, WorkItemIn, WorkItemOut, WorkItems};

    crate::crud_routes! {
        resource: WorkItems,
        tag: "work-items",
        collection_path: "/api/v1/work-items",
        item_path: "/api/v1/work-items/{id}",
        revisions_path: "/api/v1/work-items/{id}/revisions",
        scope_collection: "/work-items",
        scope_item: "/work-items/{id}",
        scope_revisions: "/work-items/{id}/revisions",
        ids: ["create_work_item", "replace_work_item", "patch_work_item", "delete_work_item", "list_work_item_revisions"],
        out: WorkItemOut,
        input: WorkItemIn,
        patch: ItemPatch,
        docs: { one: "work item", id: "The work item's id (a UUID).", writers: "Needs a bearer token of an admin, or of an editor of the work item's city.", delete_params: crate::views::revisions::NoFilters },
    reads: public,
    }
}

/// Writes to `/api/v1/livelihood-projects`.
pub mod livelihood_project_writes {
    use super::{ItemPatch, LivelihoodProjectIn, LivelihoodProjectOut, LivelihoodProjects};

    crate::crud_routes! {
        resource: LivelihoodProjects,
        tag: "livelihood-projects",
        collection_path: "/api/v1/livelihood-projects",
        item_path: "/api/v1/livelihood-projects/{id}",
        revisions_path: "/api/v1/livelihood-projects/{id}/revisions",
        scope_collection: "/livelihood-projects",
        scope_item: "/livelihood-projects/{id}",
        scope_revisions: "/livelihood-projects/{id}/revisions",
        ids: [
            "create_livelihood_project",
            "replace_livelihood_project",
            "patch_livelihood_project",
            "delete_livelihood_project",
            "list_livelihood_project_revisions"
        ],
        out: LivelihoodProjectOut,
        input: LivelihoodProjectIn,
        patch: ItemPatch,
        docs: { one: "livelihood project", id: "The livelihood project's id (a UUID).", writers: "Needs a bearer token of an admin, or of an editor of the livelihood project's city.", delete_params: crate::views::revisions::NoFilters },
    reads: public,
    }
}
