//! `/api/v1/sections`: the attachments and plans of documents.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use entity::item::ItemKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::{
    body::not_blank,
    error::Result,
    listing::{ListRequest, Page, PageRequest, SectionListOptions},
    query::IdOrName,
    resource,
    routes::{CityRef, GetErrors, ListErrors, list_response},
    services::sections::{self, SectionFilter, Sections},
    startup::AppState,
};

/// One attachment or plan of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionDetailOut {
    pub id: Uuid,
    pub document_id: Uuid,
    pub city: CityRef,
    /// 附件 number within the document.
    pub number: i32,
    /// Which collection its items are in.
    pub kind: ItemKind,
    pub title: String,
    /// `YYYY` or `YYYY-YYYY`; its items share it.
    #[schema(example = "2021-2025")]
    pub period: String,
    /// How many items it lists.
    pub item_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new section, or all of a section's fields (PUT).
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionIn {
    /// The document's id. It cannot change.
    pub document: Uuid,
    /// Unique within the document.
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: i32,
    /// It cannot change while the section has items.
    pub kind: ItemKind,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: String,
    /// `YYYY` or `YYYY-YYYY`.
    #[validate(custom(function = "crate::body::period"))]
    #[schema(example = "2021", pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: String,
}

/// The section fields to change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionPatch {
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000)]
    pub number: Option<i32>,
    /// It cannot change while the section has items.
    pub kind: Option<ItemKind>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: Option<String>,
    /// `YYYY` or `YYYY-YYYY`; the section's items take it too.
    #[validate(custom(function = "crate::body::period"))]
    #[schema(pattern = "^[0-9]{4}(-[0-9]{4})?$")]
    pub period: Option<String>,
}

/// Parameters of the section list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SectionListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Document id.
    pub document: Option<Uuid>,
    /// Which kind of item the sections list.
    pub kind: Option<ItemKind>,
}

/// List sections, in document order.
#[utoipa::path(
    get,
    path = "/api/v1/sections",
    tag = "sections",
    operation_id = "list_sections",
    params(SectionListOptions, SectionListParams),
    responses((status = 200, description = "A page of sections", content((Page<SectionDetailOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/sections")]
pub async fn list_sections(
    state: web::Data<AppState>,
    ListRequest { options, filters }: ListRequest<SectionListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = SectionFilter {
        city: filters.city.as_deref().map(IdOrName::parse_city).transpose()?,
        document: filters.document,
        kind: filters.kind,
    };
    let listing = sections::list(&state.db, &filter, options.sort.as_deref(), &page).await?;
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
pub async fn get_section(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse> {
    resource::get::<Sections>(&state, *id).await
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
}
