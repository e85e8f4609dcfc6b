//! Sections: listing, and writing them as a resource.

use entity::{city, document, item, section};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use crate::{
    domain::{
        by_id, collection,
        dependents::{self, Target},
        filter::id_or_name,
        items::{read::count_by_section, write::item_tombstones},
        journal::{Action, Change},
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        resource::{Resource, WriteContext, snapshot},
        trend_tallies,
    },
    error::{ApiError, FieldError, Result},
    views::{
        CityRef,
        sections::{SectionDetailOut, SectionIn, SectionListParams, SectionPatch},
        values::{IdOrName, format_period, parse_period},
    },
};

/// Which sections a list asks for.
#[derive(Debug, Clone, Default)]
pub struct SectionFilter {
    pub city: Option<IdOrName>,
    pub document: Option<Uuid>,
    pub kind: Option<item::ItemKind>,
}

impl SectionFilter {
    /// The filter the query parameters of the section list ask for.
    pub fn from_params(params: &SectionListParams) -> Result<Self> {
        Ok(Self {
            city: params.city.as_deref().map(IdOrName::parse_city).transpose()?,
            document: params.document,
            kind: params.kind,
        })
    }
}

/// One page of sections, in document order.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &SectionFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<SectionDetailOut>> {
    let mut select = section::Entity::find();
    if let Some(document) = filter.document {
        select = select.filter(section::Column::DocumentId.eq(document));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(section::Column::Kind.eq(kind));
    }
    if let Some(city) = &filter.city {
        let cities = Query::select()
            .column(city::Column::Id)
            .from(city::Entity)
            .cond_where(id_or_name(city, city::Column::Id, city::Column::Code))
            .take();
        let documents = Query::select()
            .column(document::Column::Id)
            .from(document::Entity)
            .and_where(document::Column::CityId.in_subquery(cities))
            .take();
        select = select.filter(section::Column::DocumentId.in_subquery(documents));
    }
    let col = |c: section::Column, pointer, kind| SortColumn::new(Expr::col((section::Entity, c)), pointer, kind);
    let keys = [SortKey::new(
        "number",
        vec![
            col(section::Column::DocumentId, "/document_id", KeyKind::Uuid),
            col(section::Column::Number, "/number", KeyKind::Int),
        ],
    )];
    let ordering = resolve_sort(sort, &keys, col(section::Column::Id, "/id", KeyKind::Uuid))?;
    let mut listing = fetch(db, select, ordering, page).await?;
    let items = embed(db, std::mem::take(&mut listing.items)).await?;
    Ok(listing.with_items(items))
}

async fn embed(db: &impl ConnectionTrait, sections: Vec<section::Model>) -> Result<Vec<SectionDetailOut>> {
    let documents = by_id(
        document::Entity::find()
            .filter(document::Column::Id.is_in(sections.iter().map(|s| s.document_id)))
            .all(db)
            .await?,
        |d| d.id,
    );
    let cities = by_id(
        city::Entity::find().filter(city::Column::Id.is_in(documents.values().map(|d| d.city_id))).all(db).await?,
        |c| c.id,
    );
    let counts = count_by_section(db, sections.iter().map(|s| s.id).collect()).await?;
    sections
        .into_iter()
        .map(|s| {
            let city = documents
                .get(&s.document_id)
                .and_then(|d| cities.get(&d.city_id))
                .ok_or_else(|| anyhow::anyhow!("the document or city of section {} is missing", s.id))?;
            Ok(SectionDetailOut {
                id: s.id,
                document_id: s.document_id,
                city: CityRef::from(city),
                number: s.number,
                kind: s.kind,
                title: s.title,
                period: format_period(s.period_start, s.period_end),
                item_count: counts.get(&s.id).copied().unwrap_or(0),
                created_at: s.created_at,
                updated_at: s.updated_at,
            })
        })
        .collect()
}

/// The sections with `ids`, as the API shows them.
pub async fn load_many(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<SectionDetailOut>> {
    let sections = section::Entity::find().filter(section::Column::Id.is_in(ids)).all(db).await?;
    embed(db, sections).await
}

/// Deletion records for the sections with `ids`, as the API showed them.
pub async fn section_tombstones(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<Change>> {
    load_many(db, ids)
        .await?
        .into_iter()
        .map(|out| {
            Ok(Change {
                resource_type: Sections::COLLECTION,
                resource_id: out.id,
                city_id: Some(out.city.id),
                action: Action::Delete,
                before: Some(snapshot(&out)?),
                after: None,
            })
        })
        .collect()
}

fn period_of(value: &str) -> Result<(i32, i32)> {
    parse_period(value).ok_or_else(|| {
        ApiError::invalid(
            "period: must be YYYY or YYYY-YYYY",
            vec![FieldError::new("period", "must be YYYY or YYYY-YYYY")],
        )
    })
}

/// Sections as a writable resource.
pub struct Sections;

impl Resource for Sections {
    const COLLECTION: &'static str = collection::SECTIONS;
    const TABLE: &'static str = "sections";
    type Out = SectionDetailOut;
    type In = SectionIn;
    type Patch = SectionPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<SectionDetailOut> {
        let section = section::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::NotFound { resource: "sections", id: id.to_string() })?;
        embed(db, vec![section]).await?.pop().ok_or_else(|| anyhow::anyhow!("section {id} vanished").into())
    }

    fn city_of(out: &SectionDetailOut) -> Option<Uuid> {
        Some(out.city.id)
    }

    async fn city_of_input(db: &impl ConnectionTrait, input: &SectionIn) -> Result<Option<Uuid>> {
        Ok(Some(document_city(db, input.document).await?))
    }

    async fn insert(db: &impl ConnectionTrait, input: SectionIn, ctx: &WriteContext) -> Result<Uuid> {
        let (period_start, period_end) = period_of(&input.period)?;
        let section = section::Model {
            id: Uuid::now_v7(),
            document_id: input.document,
            number: input.number,
            kind: input.kind,
            title: input.title.trim().to_owned(),
            period_start,
            period_end,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        Ok(section.into_active_model().insert(db).await?.id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &SectionDetailOut,
        input: SectionIn,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        if input.document != current.document_id {
            return Err(ApiError::invalid(
                "document: cannot change",
                vec![FieldError::new("document", "cannot change")],
            ));
        }
        let patch = SectionPatch {
            number: Some(input.number),
            kind: Some(input.kind),
            title: Some(input.title),
            period: Some(input.period),
        };
        Self::patch(db, current, patch, ctx).await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &SectionDetailOut,
        patch: SectionPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active =
            section::ActiveModel { id: Unchanged(current.id), updated_at: Set(ctx.now), ..Default::default() };
        if let Some(number) = patch.number.filter(|n| *n != current.number) {
            active.number = Set(number);
            // Items carry their section's number, so that an index can walk document order.
            item::Entity::update_many()
                .col_expr(item::Column::SectionNumber, number.into())
                .filter(item::Column::SectionId.eq(current.id))
                .exec(db)
                .await?;
        }
        if let Some(kind) = patch.kind.filter(|kind| *kind != current.kind) {
            if current.item_count > 0 {
                return Err(ApiError::invalid(
                    "kind: cannot change while the section has items",
                    vec![FieldError::new("kind", "cannot change while the section has items")],
                ));
            }
            active.kind = Set(kind);
        }
        if let Some(title) = patch.title {
            active.title = Set(title.trim().to_owned());
        }
        if let Some(period) = patch.period.filter(|p| p != &current.period) {
            let (start, end) = period_of(&period)?;
            active.period_start = Set(start);
            active.period_end = Set(end);
            // Due dates left at their default follow the period; ones set by hand stay. Due dates
            // count in report trends.
            let (_, old_end) = period_of(&current.period)?;
            let tallied = trend_tallies::Items::OfSection(current.id).retract(db).await?;
            item::Entity::update_many()
                .col_expr(item::Column::DueOn, item::end_of_period(end).into())
                .filter(item::Column::SectionId.eq(current.id))
                .filter(item::Column::DueOn.eq(item::end_of_period(old_end)))
                .exec(db)
                .await?;
            tallied.restore(db).await?;
            // The section's items share its period (their updates are recorded as dependents).
            item::Entity::update_many()
                .col_expr(item::Column::PeriodStart, start.into())
                .col_expr(item::Column::PeriodEnd, end.into())
                .col_expr(item::Column::UpdatedAt, ctx.now.into())
                .filter(item::Column::SectionId.eq(current.id))
                .exec(db)
                .await?;
        }
        active.update(db).await?;
        Ok(Vec::new())
    }

    async fn dependents(db: &impl ConnectionTrait, current: &SectionDetailOut) -> Result<Vec<Target>> {
        dependents::of_section(db, current.id, current.document_id).await
    }

    async fn dependents_of_input(_: &impl ConnectionTrait, input: &SectionIn) -> Result<Vec<Target>> {
        Ok(vec![(collection::DOCUMENTS, input.document)])
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &SectionDetailOut,
        cascade: bool,
        _: &WriteContext,
    ) -> Result<Vec<Change>> {
        let item_ids: Vec<Uuid> = item::Entity::find()
            .select_only()
            .column(item::Column::Id)
            .filter(item::Column::SectionId.eq(current.id))
            .into_tuple()
            .all(db)
            .await?;
        if !cascade && !item_ids.is_empty() {
            return Err(ApiError::Conflict(format!(
                "the section has {} item(s); delete them first or pass cascade=true",
                item_ids.len()
            )));
        }
        let changes = item_tombstones(db, item_ids).await?;
        let tallied = trend_tallies::Items::OfSection(current.id).retract(db).await?;
        section::Entity::delete_by_id(current.id).exec(db).await?;
        tallied.restore(db).await?;
        Ok(changes)
    }
}

/// The city of the document `id`; a 422 on `document` when there is none.
pub async fn document_city(db: &impl ConnectionTrait, id: Uuid) -> Result<Uuid> {
    let found = document::Entity::find_by_id(id).one(db).await?;
    found.map(|d| d.city_id).ok_or_else(|| {
        ApiError::invalid("document: no such document", vec![FieldError::new("document", "names no document")])
    })
}
