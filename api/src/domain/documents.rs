//! Documents and their sections.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{city, document, item, section};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{
        by_id,
        cities::resolve_city,
        collection,
        filter::contains,
        items::{read::count_by_section, write::item_tombstones},
        journal::Change,
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        people::{NamedFilter, filtered, same_city},
        resource::{Resource, WriteContext},
        sections::section_tombstones,
        trend_tallies,
    },
    error::{ApiError, Result},
    views::{
        CityRef,
        documents::{DocumentIn, DocumentListParams, DocumentOut, DocumentPatch, SectionOut},
        values::{IdOrName, YEARS, calendar_date, format_period},
    },
};

/// Filters for the document list.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// City (id or code) and a substring of the title or doc number.
    pub named: NamedFilter,
    /// Documents issued in this year.
    pub year: Option<i32>,
    /// Issued on or after this date.
    pub issued_from: Option<NaiveDate>,
    /// Issued on or before this date.
    pub issued_to: Option<NaiveDate>,
}

impl DocumentFilter {
    /// The filter the query parameters of the document list (or feed) ask for.
    pub fn from_params(params: DocumentListParams) -> Result<Self> {
        Ok(Self {
            named: NamedFilter { city: params.city.as_deref().map(IdOrName::parse_city).transpose()?, q: params.q },
            year: params
                .year
                .map(|year| {
                    if YEARS.contains(&year) {
                        Ok(year)
                    } else {
                        Err(ApiError::bad_field("year", "must be between 1 and 9999"))
                    }
                })
                .transpose()?,
            issued_from: params.issued_from.map(|date| calendar_date("issued_from", date)).transpose()?,
            issued_to: params.issued_to.map(|date| calendar_date("issued_to", date)).transpose()?,
        })
    }
}

/// A document with its city and its sections (with their item counts).
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub document: document::Model,
    pub city: city::Model,
    pub sections: Vec<(section::Model, i64)>,
}

/// One page of documents, newest issue date first by default.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &DocumentFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<DocumentRecord>> {
    let mut select = filtered(document::Entity::find(), document::Column::CityId, &filter.named, |q| {
        Condition::any().add(contains(document::Column::Title, q)).add(contains(document::Column::DocNumber, q))
    });
    if let Some(year) = filter.year {
        let first = NaiveDate::from_ymd_opt(year, 1, 1);
        let next = year.checked_add(1).and_then(|next| NaiveDate::from_ymd_opt(next, 1, 1));
        let (Some(first), Some(next)) = (first, next) else {
            return Err(ApiError::bad_field("year", "is out of range"));
        };
        select = select.filter(document::Column::IssuedOn.gte(first)).filter(document::Column::IssuedOn.lt(next));
    }
    if let Some(from) = filter.issued_from {
        select = select.filter(document::Column::IssuedOn.gte(from));
    }
    if let Some(to) = filter.issued_to {
        select = select.filter(document::Column::IssuedOn.lte(to));
    }
    let col = |c: document::Column, pointer, kind| SortColumn::new(Expr::col((document::Entity, c)), pointer, kind);
    let keys = [
        SortKey::new("issued_on", vec![col(document::Column::IssuedOn, "/issued_on", KeyKind::Date)]),
        SortKey::new("doc_number", vec![col(document::Column::DocNumber, "/doc_number", KeyKind::Text)]),
        SortKey::new("created_at", vec![col(document::Column::CreatedAt, "/created_at", KeyKind::Time)]),
        SortKey::new("updated_at", vec![col(document::Column::UpdatedAt, "/updated_at", KeyKind::Time)]),
    ];
    // Newest first unless asked otherwise.
    let ordering = resolve_sort(sort.or(Some("-issued_on")), &keys, col(document::Column::Id, "/id", KeyKind::Uuid))?;
    let mut listing = fetch(db, select, ordering, page).await?;
    let records = embed(db, std::mem::take(&mut listing.items)).await?;
    Ok(listing.with_items(records))
}

/// The document with `id`.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<DocumentRecord> {
    let document = document::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound { resource: "documents", id: id.to_string() })?;
    let mut records = embed(db, vec![document]).await?;
    records.pop().ok_or_else(|| anyhow::anyhow!("document {id} vanished while loading").into())
}

/// The documents with `ids`, with what they embed.
pub async fn load_many(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<DocumentRecord>> {
    let documents = document::Entity::find().filter(document::Column::Id.is_in(ids)).all(db).await?;
    embed(db, documents).await
}

async fn embed(db: &impl ConnectionTrait, documents: Vec<document::Model>) -> Result<Vec<DocumentRecord>> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    let cities = by_id(
        city::Entity::find().filter(city::Column::Id.is_in(documents.iter().map(|d| d.city_id))).all(db).await?,
        |c| c.id,
    );
    let sections = section::Entity::find()
        .filter(section::Column::DocumentId.is_in(documents.iter().map(|d| d.id)))
        .order_by_asc(section::Column::Number)
        .all(db)
        .await?;
    let counts = count_by_section(db, sections.iter().map(|s| s.id).collect()).await?;
    let mut by_document: HashMap<Uuid, Vec<(section::Model, i64)>> = HashMap::new();
    for section in sections {
        let count = counts.get(&section.id).copied().unwrap_or(0);
        by_document.entry(section.document_id).or_default().push((section, count));
    }
    documents
        .into_iter()
        .map(|document| {
            let city = cities
                .get(&document.city_id)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("city of document {} is missing", document.id))?;
            let sections = by_document.remove(&document.id).unwrap_or_default();
            Ok(DocumentRecord { document, city, sections })
        })
        .collect()
}

/// Documents as a writable resource.
pub struct Documents;

impl Resource for Documents {
    const COLLECTION: &'static str = collection::DOCUMENTS;
    const TABLE: &'static str = "documents";
    type Out = DocumentOut;
    type In = DocumentIn;
    type Patch = DocumentPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<DocumentOut> {
        Ok(get(db, id).await?.into())
    }

    fn city_of(out: &DocumentOut) -> Option<Uuid> {
        Some(out.city.id)
    }

    async fn city_of_input(db: &impl ConnectionTrait, input: &DocumentIn) -> Result<Option<Uuid>> {
        Ok(Some(resolve_city(db, &input.city, "city").await?))
    }

    async fn insert(db: &impl ConnectionTrait, input: DocumentIn, ctx: &WriteContext) -> Result<Uuid> {
        let document = document::Model {
            id: Uuid::now_v7(),
            city_id: resolve_city(db, &input.city, "city").await?,
            doc_number: input.doc_number.trim().to_owned(),
            title: input.title.trim().to_owned(),
            issuer: input.issuer.trim().to_owned(),
            issued_on: input.issued_on,
            published_at: input.published_at.map(|t| t.with_timezone(&Utc)),
            recipients: input.recipients,
            cc: input.cc,
            disclosure: input.disclosure,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        Ok(document.into_active_model().insert(db).await?.id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &DocumentOut,
        input: DocumentIn,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        same_city(db, current.city.id, &input.city).await?;
        let patch = DocumentPatch {
            doc_number: Some(input.doc_number),
            title: Some(input.title),
            issuer: Some(input.issuer),
            issued_on: Some(input.issued_on),
            published_at: Some(input.published_at),
            recipients: Some(input.recipients),
            cc: Some(input.cc),
            disclosure: Some(input.disclosure),
        };
        Self::patch(db, current, patch, ctx).await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &DocumentOut,
        patch: DocumentPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active =
            document::ActiveModel { id: Unchanged(current.id), updated_at: Set(ctx.now), ..Default::default() };
        if let Some(doc_number) = patch.doc_number {
            active.doc_number = Set(doc_number.trim().to_owned());
        }
        if let Some(title) = patch.title {
            active.title = Set(title.trim().to_owned());
        }
        if let Some(issuer) = patch.issuer {
            active.issuer = Set(issuer.trim().to_owned());
        }
        if let Some(issued_on) = patch.issued_on {
            active.issued_on = Set(issued_on);
        }
        if let Some(published_at) = patch.published_at {
            active.published_at = Set(published_at.map(|t| t.with_timezone(&Utc)));
        }
        if let Some(recipients) = patch.recipients {
            active.recipients = Set(recipients);
        }
        if let Some(cc) = patch.cc {
            active.cc = Set(cc);
        }
        if let Some(disclosure) = patch.disclosure {
            active.disclosure = Set(disclosure);
        }
        active.update(db).await?;
        Ok(Vec::new())
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &DocumentOut,
        cascade: bool,
        _: &WriteContext,
    ) -> Result<Vec<Change>> {
        let item_ids: Vec<Uuid> = item::Entity::find()
            .select_only()
            .column(item::Column::Id)
            .filter(item::Column::DocumentId.eq(current.id))
            .into_tuple()
            .all(db)
            .await?;
        if !cascade && !current.sections.is_empty() {
            return Err(ApiError::Conflict(format!(
                "the document has {} section(s) and {} item(s); delete them first or pass cascade=true",
                current.sections.len(),
                item_ids.len()
            )));
        }
        let mut changes = item_tombstones(db, item_ids).await?;
        changes.extend(section_tombstones(db, current.sections.iter().map(|s| s.id).collect()).await?);
        // Sections and items go with the document (ON DELETE CASCADE).
        let tallied = trend_tallies::Items::OfDocument(current.id).retract(db).await?;
        document::Entity::delete_by_id(current.id).exec(db).await?;
        tallied.restore(db).await?;
        Ok(changes)
    }
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
