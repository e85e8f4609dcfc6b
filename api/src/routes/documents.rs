//! `/api/v1/documents`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use entity::item::ItemKind;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::{
    body::{double_option, not_blank},
    error::Result,
    import::format::format_period,
    listing::{DocumentListOptions, ListRequest, Page, PageRequest},
    query::IdOrName,
    resource,
    routes::{CityRef, GetErrors, ListErrors, list_response},
    services::{
        self,
        documents::{DocumentFilter, DocumentRecord, Documents},
        people::NamedFilter,
    },
    startup::AppState,
};

/// An issued notice with its sections.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    pub id: Uuid,
    pub city: CityRef,
    #[schema(example = "乐政办函〔2021〕7号")]
    pub doc_number: String,
    pub title: String,
    #[schema(example = "乐清市人民政府办公室")]
    pub issuer: String,
    /// The date written on the document.
    pub issued_on: NaiveDate,
    /// When it was published online, where the source says.
    pub published_at: Option<DateTime<Utc>>,
    pub recipients: Option<String>,
    /// 抄送.
    pub cc: Option<String>,
    /// 公开方式, e.g. 此件公开发布.
    pub disclosure: Option<String>,
    /// Attachments or plans, in order.
    pub sections: Vec<SectionOut>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One attachment or plan of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionOut {
    pub id: Uuid,
    /// 附件 number.
    pub number: i32,
    /// Which collection its items are in.
    pub kind: ItemKind,
    pub title: String,
    /// `YYYY` or `YYYY-YYYY`.
    #[schema(example = "2021-2025")]
    pub period: String,
    /// How many items it lists.
    pub item_count: i64,
}

impl From<DocumentRecord> for DocumentOut {
    fn from(record: DocumentRecord) -> Self {
        let d = record.document;
        Self {
            id: d.id,
            city: CityRef::from(&record.city),
            doc_number: d.doc_number,
            title: d.title,
            issuer: d.issuer,
            issued_on: d.issued_on,
            published_at: d.published_at,
            recipients: d.recipients,
            cc: d.cc,
            disclosure: d.disclosure,
            sections: record
                .sections
                .into_iter()
                .map(|(s, item_count)| SectionOut {
                    id: s.id,
                    number: s.number,
                    kind: s.kind,
                    title: s.title,
                    period: format_period(s.period_start, s.period_end),
                    item_count,
                })
                .collect(),
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// Parameters of the document list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentListParams {
    /// City id or admin division code.
    #[param(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: Option<String>,
    /// Issued in this year.
    #[param(example = 2021)]
    pub year: Option<i32>,
    /// Substring of the title or doc number.
    #[param(pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub q: Option<String>,
    /// Issued on or after this date.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this date.
    pub issued_to: Option<NaiveDate>,
}

/// List documents.
#[utoipa::path(
    get,
    path = "/api/v1/documents",
    tag = "documents",
    operation_id = "list_documents",
    params(DocumentListOptions, DocumentListParams),
    responses((status = 200, description = "A page of documents", content((Page<DocumentOut> = "application/json"), (String = "text/csv"), (String = "application/x-ndjson"), (crate::listing::PartialPage = "application/vnd.duban.partial+json")), headers(("Link" = String, description = "RFC 8288 links to the first, previous and next pages"), ("X-Total-Count" = String, description = "All matches; absent with count=none"))), ListErrors)
)]
#[get("/documents")]
pub async fn list_documents(
    state: web::Data<AppState>,
    ListRequest { options, filters }: ListRequest<DocumentListParams>,
    req: HttpRequest,
) -> Result<HttpResponse> {
    let page = PageRequest::from_options(&options)?;
    let filter = DocumentFilter {
        named: NamedFilter { city: filters.city.as_deref().map(IdOrName::parse_city).transpose()?, q: filters.q },
        year: filters.year,
        issued_from: filters.issued_from,
        issued_to: filters.issued_to,
    };
    let listing = services::documents::list(&state.db, &filter, options.sort.as_deref(), &page).await?;
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
pub async fn get_document(state: web::Data<AppState>, id: web::Path<Uuid>) -> Result<HttpResponse> {
    resource::get::<Documents>(&state, *id).await
}

/// A new document, or all of a document's fields (PUT). Sections are written at `/sections`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentIn {
    /// The city: its id or admin division code. It cannot change.
    #[validate(custom(function = "crate::body::city_ref"))]
    #[schema(
        example = "330382",
        pattern = "^([0-9]{6}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub city: String,
    /// Unique within the city.
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(
        example = "乐政办函〔2021〕7号",
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub doc_number: String,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: String,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(
        example = "乐清市人民政府办公室",
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
    )]
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub published_at: Option<DateTime<FixedOffset>>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub recipients: Option<String>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub cc: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200, pattern = "^[^\\u0000]*$")]
    pub disclosure: Option<String>,
}

/// The document fields to change; `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    #[validate(length(min = 1, max = 100), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub doc_number: Option<String>,
    #[validate(length(min = 1, max = 500), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 500, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schema(min_length = 1, max_length = 200, pattern = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$")]
    pub issuer: Option<String>,
    pub issued_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<FixedOffset>>)]
    pub published_at: Option<Option<DateTime<FixedOffset>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub recipients: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 1000))]
    #[schema(value_type = Option<String>, max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub cc: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[validate(length(max = 200))]
    #[schema(value_type = Option<String>, max_length = 200, pattern = "^[^\\u0000]*$")]
    pub disclosure: Option<Option<String>>,
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
}
