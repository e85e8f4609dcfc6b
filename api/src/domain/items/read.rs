//! Key work items and livelihood projects: filtering, sorting, paging, and loading what a
//! response embeds (city, section, leader, units) in a few batched queries per page.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    city, item,
    item::{ItemKind, Status},
    item_unit,
    item_unit::UnitRole,
    leader, section, unit,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use crate::{
    domain::{
        by_id, collection,
        filter::id_or_name,
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        search,
    },
    error::{ApiError, Result},
    views::{
        CityRef, LeaderRef, UnitRoleOut,
        items::{CategoryOut, GroupOut, ItemFields, ItemListParams, LivelihoodProjectOut, SectionRef, WorkItemOut},
        values::{IdOrName, format_period, parse_period, split_values},
    },
};

/// Which items a list asks for.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub city: Option<IdOrName>,
    pub document: Option<Uuid>,
    pub section: Option<Uuid>,
    /// Any of these leaders (ids or names).
    pub leaders: Vec<IdOrName>,
    /// Any of these units (ids or names), in `unit_role` when given.
    pub units: Vec<IdOrName>,
    pub unit_role: Option<UnitRole>,
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// Exactly this period (first and last year).
    pub period: Option<(i32, i32)>,
    /// Periods that cover this year.
    pub year: Option<i32>,
    /// Group (leader group or category) number or heading.
    pub category: Option<String>,
    /// Substring of the content or remarks.
    pub q: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
    pub updated_before: Option<DateTime<Utc>>,
    /// Only items with (true) or without (false) remarks.
    pub has_remarks: Option<bool>,
    /// Progress within this inclusive range.
    pub progress: Option<(i32, i32)>,
}

/// An item with everything its response embeds.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    pub item: item::Model,
    pub city: city::Model,
    pub section: section::Model,
    pub leader: Option<leader::Model>,
    /// The item's units in the order the source lists them.
    pub units: Vec<(item_unit::Model, unit::Model)>,
}

/// Sort fields a list accepts; the first is the default (document order).
fn sort_keys(kind: ItemKind) -> Vec<SortKey> {
    let col = |c: item::Column, pointer, key| SortColumn::new(Expr::col((item::Entity, c)), pointer, key);
    let mut document_order = vec![
        col(item::Column::DocumentId, "/document_id", KeyKind::Uuid),
        SortColumn::new(Expr::col((section::Entity, section::Column::Number)), "/section/number", KeyKind::Int),
    ];
    match kind {
        // Work items are numbered within their leader group.
        ItemKind::WorkItem => document_order.extend([
            col(item::Column::GroupNumber, "/group/number", KeyKind::Int),
            col(item::Column::Seq, "/seq", KeyKind::Int),
        ]),
        // Livelihood projects are numbered across the section.
        ItemKind::LivelihoodProject => document_order.extend([
            col(item::Column::Seq, "/seq", KeyKind::Int),
            col(item::Column::SubSeq, "/sub_seq", KeyKind::IntOrNull),
        ]),
    }
    vec![
        SortKey::new("seq", document_order),
        SortKey::new("progress", vec![col(item::Column::Progress, "/progress", KeyKind::Int)]),
        SortKey::new("status", vec![col(item::Column::Status, "/status", KeyKind::Text)]),
        SortKey::new(
            "period",
            vec![
                col(item::Column::PeriodStart, "/period", KeyKind::PeriodStart),
                col(item::Column::PeriodEnd, "/period", KeyKind::PeriodEnd),
            ],
        ),
        SortKey::new("created_at", vec![col(item::Column::CreatedAt, "/created_at", KeyKind::Time)]),
        SortKey::new("updated_at", vec![col(item::Column::UpdatedAt, "/updated_at", KeyKind::Time)]),
    ]
}

/// One page of the items of `kind` that match `filter`.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &impl ConnectionTrait,
    kind: ItemKind,
    filter: &ItemFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<ItemRecord>> {
    let id = SortColumn::new(Expr::col((item::Entity, item::Column::Id)), "/id", KeyKind::Uuid);
    let ordering = resolve_sort(sort, &sort_keys(kind), id)?;
    let select = item::Entity::find()
        .join(JoinType::InnerJoin, item::Relation::Section.def())
        .filter(item::Column::Kind.eq(kind))
        .filter(condition(filter, db.get_database_backend()));
    let mut listing = fetch(db, select, ordering, page).await?;
    let records = embed(db, std::mem::take(&mut listing.items)).await?;
    Ok(listing.with_items(records))
}

/// The item of `kind` with `id`.
pub async fn get(db: &impl ConnectionTrait, kind: ItemKind, id: Uuid) -> Result<ItemRecord> {
    let found = item::Entity::find_by_id(id).filter(item::Column::Kind.eq(kind)).one(db).await?;
    let item = found.ok_or_else(|| ApiError::NotFound { resource: collection::of_item(kind), id: id.to_string() })?;
    let mut records = embed(db, vec![item]).await?;
    records.pop().ok_or_else(|| anyhow::anyhow!("item {id} vanished while loading").into())
}

/// The items with `ids` (any kind), in the order given, with what they embed.
pub async fn load_records(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<ItemRecord>> {
    let mut items = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        items.extend(item::Entity::find().filter(item::Column::Id.is_in(chunk.iter().copied())).all(db).await?);
    }
    let position: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    items.sort_by_key(|item| position.get(&item.id).copied().unwrap_or(usize::MAX));
    embed(db, items).await
}

pub(crate) fn condition(filter: &ItemFilter, backend: sea_orm::DbBackend) -> Condition {
    let mut all = Condition::all();
    if let Some(city) = &filter.city {
        all = all.add(match city {
            IdOrName::Id(id) => item::Column::CityId.eq(*id),
            IdOrName::Name(code) => item::Column::CityId.in_subquery(
                Query::select()
                    .column(city::Column::Id)
                    .from(city::Entity)
                    .and_where(city::Column::Code.eq(code.clone()))
                    .take(),
            ),
        });
    }
    if let Some(document) = filter.document {
        all = all.add(item::Column::DocumentId.eq(document));
    }
    if let Some(section) = filter.section {
        all = all.add(item::Column::SectionId.eq(section));
    }
    if !filter.leaders.is_empty() {
        let mut any = Condition::any();
        for leader in &filter.leaders {
            any = any.add(id_or_name(leader, leader::Column::Id, leader::Column::Name));
        }
        all = all.add(
            item::Column::LeaderId
                .in_subquery(Query::select().column(leader::Column::Id).from(leader::Entity).cond_where(any).take()),
        );
    }
    if !filter.units.is_empty() || filter.unit_role.is_some() {
        let mut units = Query::select();
        units.column(item_unit::Column::ItemId).from(item_unit::Entity);
        if !filter.units.is_empty() {
            let mut any = Condition::any();
            for unit in &filter.units {
                any = any.add(id_or_name(unit, unit::Column::Id, unit::Column::Name));
            }
            units.and_where(
                item_unit::Column::UnitId
                    .in_subquery(Query::select().column(unit::Column::Id).from(unit::Entity).cond_where(any).take()),
            );
        }
        if let Some(role) = filter.unit_role {
            units.and_where(item_unit::Column::Role.eq(role));
        }
        all = all.add(item::Column::Id.in_subquery(units.take()));
    }
    if !filter.statuses.is_empty() {
        all = all.add(item::Column::Status.is_in(filter.statuses.iter().copied()));
    }
    if let Some((start, end)) = filter.period {
        all = all.add(item::Column::PeriodStart.eq(start)).add(item::Column::PeriodEnd.eq(end));
    }
    if let Some(year) = filter.year {
        all = all.add(item::Column::PeriodStart.lte(year)).add(item::Column::PeriodEnd.gte(year));
    }
    if let Some(category) = &filter.category {
        all = all.add(match category.parse::<i32>() {
            Ok(number) => item::Column::GroupNumber.eq(number),
            Err(_) => item::Column::GroupHeading.eq(category.clone()),
        });
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        all = all.add(search::condition(backend, q));
    }
    if let Some(since) = filter.updated_since {
        all = all.add(item::Column::UpdatedAt.gte(since));
    }
    if let Some(before) = filter.updated_before {
        all = all.add(item::Column::UpdatedAt.lt(before));
    }
    match filter.has_remarks {
        Some(true) => all = all.add(item::Column::Remarks.is_not_null()).add(item::Column::Remarks.ne("")),
        Some(false) => {
            all = all.add(Condition::any().add(item::Column::Remarks.is_null()).add(item::Column::Remarks.eq("")))
        }
        None => {}
    }
    if let Some((min, max)) = filter.progress {
        all = all.add(item::Column::Progress.between(min, max));
    }
    all
}

/// Loads what the items embed: 4 queries for the whole page, not per item.
async fn embed(db: &impl ConnectionTrait, items: Vec<item::Model>) -> Result<Vec<ItemRecord>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let cities = by_id(
        city::Entity::find().filter(city::Column::Id.is_in(items.iter().map(|i| i.city_id))).all(db).await?,
        |c| c.id,
    );
    let sections = by_id(
        section::Entity::find().filter(section::Column::Id.is_in(items.iter().map(|i| i.section_id))).all(db).await?,
        |s| s.id,
    );
    let leaders = by_id(
        leader::Entity::find()
            .filter(leader::Column::Id.is_in(items.iter().filter_map(|i| i.leader_id)))
            .all(db)
            .await?,
        |l| l.id,
    );
    let mut item_units = item_unit::load_by_items(db, items.iter().map(|i| i.id)).await?;
    let unit_ids: Vec<Uuid> = item_units.values().flatten().map(|row| row.unit_id).collect();
    let units = by_id(unit::Entity::find().filter(unit::Column::Id.is_in(unit_ids)).all(db).await?, |u| u.id);

    items
        .into_iter()
        .map(|item| {
            let missing = |what: &str| anyhow::anyhow!("{what} of item {} is missing", item.id);
            let city = cities.get(&item.city_id).cloned().ok_or_else(|| missing("city"))?;
            let section = sections.get(&item.section_id).cloned().ok_or_else(|| missing("section"))?;
            let leader = item.leader_id.and_then(|id| leaders.get(&id).cloned());
            let units = item_units
                .remove(&item.id)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|row| units.get(&row.unit_id).cloned().map(|unit| (row, unit)))
                .collect();
            Ok(ItemRecord { item, city, section, leader, units })
        })
        .collect()
}

/// How many items each of the sections has.
pub async fn count_by_section(db: &impl ConnectionTrait, section_ids: Vec<Uuid>) -> Result<HashMap<Uuid, i64>> {
    let rows: Vec<(Uuid, i64)> = item::Entity::find()
        .select_only()
        .column(item::Column::SectionId)
        .column_as(item::Column::Id.count(), "count")
        .filter(item::Column::SectionId.is_in(section_ids))
        .group_by(item::Column::SectionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

impl From<ItemRecord> for ItemFields {
    fn from(r: ItemRecord) -> Self {
        let i = r.item;
        Self {
            id: i.id,
            document_id: i.document_id,
            city: CityRef::from(&r.city),
            section: SectionRef { id: r.section.id, number: r.section.number, title: r.section.title },
            period: format_period(i.period_start, i.period_end),
            seq: i.seq,
            content: i.content,
            leader: r.leader.as_ref().map(LeaderRef::from),
            units: r.units.iter().map(UnitRoleOut::from).collect(),
            remarks: i.remarks,
            status: i.status,
            progress: i.progress,
            progress_note: i.progress_note,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

impl From<ItemRecord> for WorkItemOut {
    fn from(record: ItemRecord) -> Self {
        let group = GroupOut { number: record.item.group_number, heading: record.item.group_heading.clone() };
        Self { item: record.into(), group }
    }
}

impl From<ItemRecord> for LivelihoodProjectOut {
    fn from(record: ItemRecord) -> Self {
        let sub_seq = (record.item.sub_seq > 0).then_some(record.item.sub_seq);
        let category =
            record.item.group_heading.clone().map(|name| CategoryOut { number: record.item.group_number, name });
        Self { item: record.into(), sub_seq, category }
    }
}

impl ItemFilter {
    /// The filter the query parameters of a list (or stats, or feed) ask for.
    pub fn from_params(params: &ItemListParams) -> Result<Self> {
        let statuses = split_values(&params.status)
            .into_iter()
            .map(|s| {
                serde_json::from_value::<Status>(serde_json::Value::String(s.to_owned())).map_err(|_| {
                    ApiError::bad_field(
                        "status",
                        format!("unknown status `{s}`; use not_started, in_progress, completed, delayed or cancelled"),
                    )
                })
            })
            .collect::<Result<_>>()?;
        for (field, value) in [("progress_min", params.progress_min), ("progress_max", params.progress_max)] {
            if value.is_some_and(|p| !(0..=100).contains(&p)) {
                return Err(ApiError::bad_field(field, "must be between 0 and 100"));
            }
        }
        let period = params
            .period
            .as_deref()
            .map(|p| parse_period(p).ok_or_else(|| ApiError::bad_field("period", "must be YYYY or YYYY-YYYY")))
            .transpose()?;
        Ok(Self {
            city: params.city.as_deref().map(IdOrName::parse_city).transpose()?,
            document: params.document,
            section: params.section,
            leaders: split_values(&params.leader).into_iter().map(IdOrName::parse).collect(),
            units: split_values(&params.unit).into_iter().map(IdOrName::parse).collect(),
            unit_role: params.unit_role,
            statuses,
            period,
            year: params.year,
            category: params.category.clone(),
            q: params.q.clone(),
            updated_since: params.updated_since,
            updated_before: params.updated_before,
            has_remarks: params.has_remarks,
            progress: (params.progress_min.is_some() || params.progress_max.is_some())
                .then(|| (params.progress_min.unwrap_or(0), params.progress_max.unwrap_or(100))),
        })
    }
}
