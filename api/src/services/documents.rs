//! Documents and their sections.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{city, document, section};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    error::{ApiError, Result},
    query::{Page, Paging, apply_sort, contains, fetch_page},
    services::{
        items::{by_id, count_by_section},
        people::{NamedFilter, filtered},
    },
};

/// Filters for the document list.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    /// City (id or code) and a substring of the title or doc number.
    pub named: NamedFilter,
    /// Documents issued in this year.
    pub year: Option<i32>,
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
    paging: Paging,
) -> Result<Page<DocumentRecord>> {
    let mut select = filtered(
        document::Entity::find(),
        document::Column::CityId,
        &filter.named,
        |q| {
            Condition::any()
                .add(contains(document::Column::Title, q))
                .add(contains(document::Column::DocNumber, q))
        },
    );
    if let Some(year) = filter.year {
        let first = NaiveDate::from_ymd_opt(year, 1, 1);
        let next = NaiveDate::from_ymd_opt(year + 1, 1, 1);
        let (Some(first), Some(next)) = (first, next) else {
            return Err(ApiError::bad_field("year", "is out of range"));
        };
        select = select
            .filter(document::Column::IssuedOn.gte(first))
            .filter(document::Column::IssuedOn.lt(next));
    }
    let col = |c: document::Column| Expr::col((document::Entity, c));
    let keys = [
        ("issued_on", vec![col(document::Column::IssuedOn)]),
        ("doc_number", vec![col(document::Column::DocNumber)]),
        ("created_at", vec![col(document::Column::CreatedAt)]),
        ("updated_at", vec![col(document::Column::UpdatedAt)]),
    ];
    let sort = sort.or(Some("-issued_on"));
    let keys: Vec<(&str, &[_])> = keys
        .iter()
        .map(|(name, exprs)| (*name, exprs.as_slice()))
        .collect();
    let select = apply_sort(select, sort, &keys, col(document::Column::Id))?;
    let page = fetch_page(db, select, paging).await?;
    let records = embed(db, page.items).await?;
    Ok(Page {
        items: records,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// The document with `id`.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<DocumentRecord> {
    let document = document::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: "documents",
            id: id.to_string(),
        })?;
    let mut records = embed(db, vec![document]).await?;
    records
        .pop()
        .ok_or_else(|| anyhow::anyhow!("document {id} vanished while loading").into())
}

async fn embed(
    db: &impl ConnectionTrait,
    documents: Vec<document::Model>,
) -> Result<Vec<DocumentRecord>> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    let cities = by_id(
        city::Entity::find()
            .filter(city::Column::Id.is_in(documents.iter().map(|d| d.city_id)))
            .all(db)
            .await?,
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
        by_document
            .entry(section.document_id)
            .or_default()
            .push((section, count));
    }
    documents
        .into_iter()
        .map(|document| {
            let city = cities
                .get(&document.city_id)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("city of document {} is missing", document.id))?;
            let sections = by_document.remove(&document.id).unwrap_or_default();
            Ok(DocumentRecord {
                document,
                city,
                sections,
            })
        })
        .collect()
}
