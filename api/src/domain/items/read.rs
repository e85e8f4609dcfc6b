//! Key work items and livelihood projects: filtering, sorting, paging, and loading what a
//! response embeds: city, section and leader joined into the page's one statement, and the units
//! and the milestones of the whole page in one more each.

use std::{collections::HashMap, sync::LazyLock};

use chrono::{DateTime, Utc};
use entity::{
    city, item,
    item::{ItemKind, Status},
    item_unit,
    item_unit::UnitRole,
    leader, milestone, progress_report, section, unit,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QueryResult, QuerySelect, QueryTrait, RelationTrait, Select, Statement, Value,
    sea_query::{Alias, DynIden, Expr, IntoIden, Query, QueryStatementBuilder, SelectStatement, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        driver::Direct,
        filter::id_or_name,
        journal::{Head, LATEST_REVISION},
        paging::{KeyKind, Listing, Ordering, PageRequest, SortColumn, SortKey, fetch_as, resolve_sort},
        search,
    },
    error::{ApiError, Result},
    views::{
        CityRef, LeaderRef, UnitRoleOut,
        items::{
            CategoryOut, GroupOut, ItemFields, ItemListParams, LivelihoodProjectOut, MilestoneOut, SectionRef,
            WorkItemOut,
        },
        values::{IdOrName, format_period, parse_period, split_values},
    },
};

/// Which items a list asks for.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// Only overdue (true) or only not overdue (false) items, as of [`Self::today`].
    pub overdue: Option<bool>,
    pub due_before: Option<chrono::NaiveDate>,
    pub due_after: Option<chrono::NaiveDate>,
    /// Only items with no report `as_of` within this many days before [`Self::today`].
    pub stale_days: Option<i64>,
    /// The day overdue and stale are judged on.
    pub today: chrono::NaiveDate,
}

/// An item with what its response embeds, read in one statement: its columns (not its search
/// text), its city, section and leader.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ItemRow {
    pub id: Uuid,
    pub kind: ItemKind,
    pub city_id: Uuid,
    pub document_id: Uuid,
    pub section_id: Uuid,
    pub group_number: i32,
    pub group_heading: Option<String>,
    pub seq: i32,
    pub sub_seq: i32,
    pub content: String,
    pub leader_id: Option<Uuid>,
    pub remarks: Option<String>,
    pub period_start: i32,
    pub period_end: i32,
    pub due_on: chrono::NaiveDate,
    pub status: Status,
    pub progress: i32,
    pub progress_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub city_code: String,
    pub city_name: String,
    pub section_number: i32,
    pub section_title: String,
    pub leader_name: Option<String>,
    pub leader_title: Option<String>,
}

impl ItemRow {
    /// The row [`load_records`] reads for `item`, given the city, section and leader it names.
    pub fn of(
        item: &item::Model,
        city: &city::Model,
        section: &section::Model,
        leader: Option<&leader::Model>,
    ) -> Self {
        Self {
            id: item.id,
            kind: item.kind,
            city_id: item.city_id,
            document_id: item.document_id,
            section_id: item.section_id,
            group_number: item.group_number,
            group_heading: item.group_heading.clone(),
            seq: item.seq,
            sub_seq: item.sub_seq,
            content: item.content.clone(),
            leader_id: item.leader_id,
            remarks: item.remarks.clone(),
            period_start: item.period_start,
            period_end: item.period_end,
            due_on: item.due_on,
            status: item.status,
            progress: item.progress,
            progress_note: item.progress_note.clone(),
            created_at: item.created_at,
            updated_at: item.updated_at,
            city_code: city.code.clone(),
            city_name: city.name.clone(),
            section_number: section.number,
            section_title: section.title.clone(),
            leader_name: leader.map(|l| l.name.clone()),
            leader_title: leader.and_then(|l| l.title.clone()),
        }
    }
}

/// An item with everything its response embeds.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    pub item: ItemRow,
    /// The item's units in the order the source lists them.
    pub units: Vec<UnitRoleOut>,
    /// The item's milestones in their order.
    pub milestones: Vec<MilestoneOut>,
}

/// Items with their city, section and leader joined in: the one statement behind a page or a
/// single item. The search text, the widest column, is left out.
fn select_rows() -> Select<item::Entity> {
    select_rows_but_leader()
        .column_as(Expr::col((leader::Entity, leader::Column::Name)), "leader_name")
        .column_as(Expr::col((leader::Entity, leader::Column::Title)), "leader_title")
        .join(JoinType::LeftJoin, item::Relation::Leader.def())
}

/// [`select_rows`] without the leader's columns and join.
fn select_rows_but_leader() -> Select<item::Entity> {
    use item::Column as I;
    item::Entity::find()
        .select_only()
        .columns([
            I::Id,
            I::Kind,
            I::CityId,
            I::DocumentId,
            I::SectionId,
            I::GroupNumber,
            I::GroupHeading,
            I::Seq,
            I::SubSeq,
            I::Content,
            I::LeaderId,
            I::Remarks,
            I::PeriodStart,
            I::PeriodEnd,
            I::DueOn,
            I::Status,
            I::Progress,
            I::ProgressNote,
            I::CreatedAt,
            I::UpdatedAt,
        ])
        .column_as(Expr::col((city::Entity, city::Column::Code)), "city_code")
        .column_as(Expr::col((city::Entity, city::Column::Name)), "city_name")
        .column_as(Expr::col((section::Entity, section::Column::Number)), "section_number")
        .column_as(Expr::col((section::Entity, section::Column::Title)), "section_title")
        .join(JoinType::InnerJoin, item::Relation::Section.def())
        .join(JoinType::InnerJoin, item::Relation::City.def())
}

/// Sort fields a list accepts; the first is the default (document order).
fn sort_keys(kind: ItemKind) -> Vec<SortKey> {
    let col = |c: item::Column, pointer, key| SortColumn::new(Expr::col((item::Entity, c)), pointer, key);
    vec![
        SortKey::new("seq", document_order(kind, item::Entity.into_iden())),
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
        SortKey::new("due_on", vec![col(item::Column::DueOn, "/due_on", KeyKind::Date)]),
    ]
}

/// The document order of items of `kind`, on `table`: the items, or their unit rows, which copy
/// the same columns under the same names (migration 17).
fn document_order(kind: ItemKind, table: DynIden) -> Vec<SortColumn> {
    let col =
        |name: &'static str, pointer, key| SortColumn::new(Expr::col((table.clone(), Alias::new(name))), pointer, key);
    let mut columns =
        vec![col("document_id", "/document_id", KeyKind::Uuid), col("section_number", "/section/number", KeyKind::Int)];
    match kind {
        // Work items are numbered within their leader group.
        ItemKind::WorkItem => {
            columns.extend([col("group_number", "/group/number", KeyKind::Int), col("seq", "/seq", KeyKind::Int)])
        }
        // Livelihood projects are numbered across the section.
        ItemKind::LivelihoodProject => {
            columns.extend([col("seq", "/seq", KeyKind::Int), col("sub_seq", "/sub_seq", KeyKind::IntOrNull)])
        }
    }
    columns
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
    let matching = |select: Select<item::Entity>| {
        select.filter(item::Column::Kind.eq(kind)).filter(condition(filter, db.get_database_backend()))
    };
    if let Some((rows, ordering)) = unit_rows_in_order(kind, filter, sort) {
        // One unit's items: all of them make the page, so count them along.
        return page_by_ids(db, rows, ordering, &page.counted_along()).await;
    }
    // Items found through their unit rows come in no index's order, and each is a wide row; a
    // search that confirms its bigrams matches far more items than PostgreSQL estimates (it takes
    // the bigrams as independent: 3 items for the 9,082 of `公共停车` at 1M), so it joined every
    // match's city, section and leader before the sort, one nested loop each (116 ms). For both,
    // the page's ids are chosen first, and then only those rows are read.
    let ids_first = !filter.units.is_empty() || filter.q.as_deref().is_some_and(search::is_confirmed);
    if !ids_first {
        let mut listing = fetch_as::<_, ItemRow>(db, matching(select_rows()), ordering, page).await?;
        let records = with_embedded(db, std::mem::take(&mut listing.items)).await?;
        return Ok(listing.with_items(records));
    }
    let ids = matching(item::Entity::find().select_only().column(item::Column::Id));
    // Units of one city (named within it, or by id: a unit belongs to one city) bound the
    // matches, and the page reads them all: count them in the same statement. Names across
    // every city could match millions, where the separate count stops at its cap.
    let bounded = !filter.units.is_empty()
        && (filter.city.is_some() || filter.units.iter().all(|unit| matches!(unit, IdOrName::Id(_))));
    page_by_ids(db, ids, ordering, &if bounded { page.counted_along() } else { page.clone() }).await
}

/// The page of `ids` (a select of item ids as `id`) in `ordering`, then those items' rows.
async fn page_by_ids<E: EntityTrait>(
    db: &impl ConnectionTrait,
    ids: Select<E>,
    ordering: Ordering,
    page: &PageRequest,
) -> Result<Listing<ItemRecord>>
where
    E::Model: Sync,
{
    #[derive(FromQueryResult)]
    struct Matched {
        id: Uuid,
    }
    let matched = fetch_as::<_, Matched>(db, ids, ordering, page).await?;
    let ids: Vec<Uuid> = matched.items.iter().map(|m| m.id).collect();
    let rows = rows_in_order(db, &ids).await?;
    Ok(matched.with_items(with_embedded(db, rows).await?))
}

/// A list of one unit's items (in one city, or by id: a unit belongs to one city, and an item's
/// units are its city's), in a role or any, in document order either way and filtered by nothing
/// else, as a select of the item ids from the unit rows alone: they copy their item's kind and
/// place, and one index of them under the unit holds the page in order and its count (migration
/// 17). `None` for any other list, which the items answer.
fn unit_rows_in_order(
    kind: ItemKind,
    filter: &ItemFilter,
    sort: Option<&str>,
) -> Option<(Select<item_unit::Entity>, Ordering)> {
    let [unit] = filter.units.as_slice() else { return None };
    if filter.city.is_none() && matches!(unit, IdOrName::Name(_)) {
        return None;
    }
    let only_unit = ItemFilter {
        city: filter.city.clone(),
        units: filter.units.clone(),
        unit_role: filter.unit_role,
        today: filter.today,
        ..ItemFilter::default()
    };
    if *filter != only_unit {
        return None;
    }
    let id = SortColumn::new(Expr::col((item_unit::Entity, item_unit::Column::ItemId)), "/id", KeyKind::Uuid);
    let keys = [SortKey::new("seq", document_order(kind, item_unit::Entity.into_iden()))];
    // Any other sort is the items' to answer (or to refuse).
    let ordering = resolve_sort(sort, &keys, id).ok()?;
    // `=`, not `IN`: the planner then knows it is one unit, and walks its part of the index in
    // order. A name is unique in its city, and an id is one unit.
    let named = named_ids::<unit::Entity>(
        std::slice::from_ref(unit),
        filter.city.as_ref(),
        unit::Column::Id,
        unit::Column::Name,
        unit::Column::CityId,
    );
    let mut rows = item_unit::Entity::find()
        .select_only()
        .column_as(item_unit::Column::ItemId, "id")
        .filter(equals_one(item_unit::Column::UnitId, named))
        .filter(item_unit::Column::Kind.eq(kind));
    if let Some(role) = filter.unit_role {
        rows = rows.filter(item_unit::Column::Role.eq(role));
    }
    Some((rows, ordering))
}

/// The rows of the items with `ids`, in the order of `ids`.
async fn rows_in_order(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<ItemRow>> {
    let mut rows: HashMap<Uuid, ItemRow> = select_rows()
        .filter(item::Column::Id.is_in(ids.iter().copied()))
        .into_model::<ItemRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
}

/// The item of `kind` with `id`, on any connection (a transaction too).
pub async fn get(db: &impl ConnectionTrait, kind: ItemKind, id: Uuid) -> Result<ItemRecord> {
    let backend = db.get_database_backend();
    let (sql, values) = get_statement(backend, kind, id);
    let found = db.query_one_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(record_at_head(found, kind, id)?.0)
}

/// The item of `kind` with `id`, with its units and the change log's head, in one statement: a
/// GET of one item is then one round trip, and its validators come from the same snapshot as its
/// body. Run on the pool's driver directly ([`Direct`]), this being the hottest read.
pub async fn get_at_head(direct: &Direct, kind: ItemKind, id: Uuid) -> Result<(ItemRecord, Head)> {
    let (sql, values) = get_statement(direct.backend(), kind, id);
    record_at_head(direct.fetch_optional(sql, &values).await?, kind, id)
}

/// The record and the head [`get_statement`] read, or 404.
fn record_at_head(found: Option<QueryResult>, kind: ItemKind, id: Uuid) -> Result<(ItemRecord, Head)> {
    let row = found.ok_or_else(|| ApiError::NotFound { resource: collection::of_item(kind), id: id.to_string() })?;
    let units: Vec<EmbeddedUnit> = serde_json::from_str(&row.try_get::<String>("", "units_json")?)
        .map_err(|error| anyhow::anyhow!("item {id}: its units did not read as JSON: {error}"))?;
    let head = Head { seq: row.try_get::<Option<i64>>("", "head_seq")?.unwrap_or(0), at: row.try_get("", "head_at")? };
    let milestones: Vec<MilestoneOut> = serde_json::from_str(&row.try_get::<String>("", "milestones_json")?)
        .map_err(|error| anyhow::anyhow!("item {id}: its milestones did not read as JSON: {error}"))?;
    let record = ItemRecord {
        item: ItemRow::from_query_result(&row, "")?,
        units: units.into_iter().map(Into::into).collect(),
        milestones,
    };
    Ok((record, head))
}

/// [`get_at_head`]'s statement: the item's row, its units and milestones, and the change log's
/// head.
///
/// On PostgreSQL the head is read once, as a row beside the item: two scalar subqueries read its
/// index twice. The leader is a lateral lookup by key: for one item the planner hashed the whole
/// leaders table instead of probing its key (`OFFSET 0` keeps the lookup from being flattened
/// back into that join). Together about an eighth of the statement's time. Both are written as
/// text: sea-query binds a LIMIT or OFFSET as a parameter, and a bound LIMIT made PostgreSQL plan
/// every execution anew. SQLite has no LATERAL, probes the leader's key anyway, and ran this
/// shape a tenth slower than the two subqueries.
fn build_get_statement(backend: DbBackend, kind: ItemKind, id: Uuid) -> Statement {
    let one_item = |rows: Select<item::Entity>| {
        rows.filter(item::Column::Id.eq(id))
            .filter(item::Column::Kind.eq(kind))
            .expr_as(units_json(backend), "units_json")
            .expr_as(milestones_json(backend), "milestones_json")
    };
    match backend {
        DbBackend::Postgres => {
            let mut statement = one_item(select_rows_but_leader()).build(backend);
            statement.sql = format!(
                "SELECT item.*, leader.name AS leader_name, leader.title AS leader_title, head.seq AS head_seq, \
                 head.created_at AS head_at FROM ({}) AS item \
                 LEFT JOIN LATERAL (SELECT name, title FROM leaders WHERE leaders.id = item.leader_id OFFSET 0) \
                 AS leader ON true \
                 LEFT JOIN ({LATEST_REVISION}) AS head ON true",
                statement.sql
            );
            statement
        }
        _ => one_item(select_rows())
            .expr_as(Expr::cust("(SELECT seq FROM revisions ORDER BY seq DESC LIMIT 1)"), "head_seq")
            .expr_as(Expr::cust("(SELECT created_at FROM revisions ORDER BY seq DESC LIMIT 1)"), "head_at")
            .build(backend),
    }
}

/// [`get_at_head`]'s statement and its values, built once per backend and kind around a stand-in
/// id that each call replaces with its own: building it through the query builder took a fifth
/// of the CPU a GET of one item costs the server (callgrind).
fn get_statement(backend: DbBackend, kind: ItemKind, id: Uuid) -> (&'static str, Vec<Value>) {
    const STAND_IN: Uuid = Uuid::max();
    // The service runs on PostgreSQL or SQLite; the last slot takes any other backend.
    const BACKENDS: [DbBackend; 3] = [DbBackend::Postgres, DbBackend::Sqlite, DbBackend::MySql];
    const KINDS: [ItemKind; 2] = [ItemKind::WorkItem, ItemKind::LivelihoodProject];
    static BUILT: LazyLock<[[Statement; 2]; 3]> =
        LazyLock::new(|| BACKENDS.map(|backend| KINDS.map(|kind| build_get_statement(backend, kind, STAND_IN))));
    let backend_index = match backend {
        DbBackend::Postgres => 0,
        DbBackend::Sqlite => 1,
        _ => 2,
    };
    let kind_index = match kind {
        ItemKind::WorkItem => 0,
        ItemKind::LivelihoodProject => 1,
    };
    let built = &BUILT[backend_index][kind_index];
    let values = built.values.iter().flat_map(|values| values.0.iter());
    let values =
        values.map(|value| if *value == Value::Uuid(Some(STAND_IN)) { Value::Uuid(Some(id)) } else { value.clone() });
    (built.sql.as_str(), values.collect())
}

/// An item's unit as [`units_json`] spells it.
#[derive(serde::Deserialize)]
struct EmbeddedUnit {
    /// Hyphenated on PostgreSQL, 32 hex digits on SQLite (which stores ids as blobs).
    id: Uuid,
    name: String,
    role: UnitRole,
    note: Option<String>,
}

impl From<EmbeddedUnit> for UnitRoleOut {
    fn from(unit: EmbeddedUnit) -> Self {
        Self { id: unit.id, name: unit.name, role: unit.role, note: unit.note }
    }
}

/// The units of the item of the outer statement as a JSON array text, in the order the source
/// lists them. Each unit's name is read by key: joined, PostgreSQL hashed every unit of the
/// platform (4,000 at 1M items) for an item's four or five whenever it guessed an item had more
/// than a dozen unit rows, which a fresh `ANALYZE` of 5M unit rows can make it guess.
fn units_json(backend: DbBackend) -> SimpleExpr {
    Expr::cust(match backend {
        DbBackend::Postgres => {
            "COALESCE((SELECT json_agg(json_build_object('id', iu.unit_id, \
             'name', (SELECT u.name FROM units u WHERE u.id = iu.unit_id), 'role', iu.role, 'note', iu.note) \
             ORDER BY iu.position) FROM item_units iu WHERE iu.item_id = items.id), '[]')::text"
        }
        _ => {
            "(SELECT json_group_array(json_object('id', hex(iu.unit_id), \
             'name', (SELECT u.name FROM units u WHERE u.id = iu.unit_id), 'role', iu.role, 'note', iu.note) \
             ORDER BY iu.position) FROM item_units iu WHERE iu.item_id = items.id)"
        }
    })
}

/// The milestones of the item of the outer statement as a JSON array text, in their order.
fn milestones_json(backend: DbBackend) -> SimpleExpr {
    Expr::cust(match backend {
        DbBackend::Postgres => {
            "COALESCE((SELECT json_agg(json_build_object('title', m.title, 'due_on', m.due_on, 'done_on', m.done_on) \
             ORDER BY m.position) FROM milestones m WHERE m.item_id = items.id), '[]')::text"
        }
        _ => {
            "(SELECT json_group_array(json_object('title', m.title, 'due_on', m.due_on, 'done_on', m.done_on) \
             ORDER BY m.position) FROM milestones m WHERE m.item_id = items.id)"
        }
    })
}

/// The items with `ids` (any kind), in the order given, with what they embed.
pub async fn load_records(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<ItemRecord>> {
    let mut items = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = select_rows().filter(item::Column::Id.is_in(chunk.iter().copied())).into_model::<ItemRow>();
        items.extend(rows.all(db).await?);
    }
    let position: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    items.sort_by_key(|item| position.get(&item.id).copied().unwrap_or(usize::MAX));
    with_embedded(db, items).await
}

/// `column` is the city the filter names: by id, or by admin code as `= (SELECT id … code)`. A
/// scalar subquery, not `IN`: the planner then knows it is one city, and walks the city's part of
/// an index in the page's order instead of joining.
pub(crate) fn in_city(column: impl ColumnTrait, city: &IdOrName) -> SimpleExpr {
    match city {
        IdOrName::Id(id) => column.eq(*id),
        IdOrName::Name(code) => {
            let id = Query::select()
                .column(city::Column::Id)
                .from(city::Entity)
                .and_where(city::Column::Code.eq(code.clone()))
                .take();
            equals_one(column, id)
        }
    }
}

/// `column = (select)`, for a select of at most one row.
fn equals_one(column: impl ColumnTrait, select: SelectStatement) -> SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    ExprTrait::eq(column.into_expr(), SimpleExpr::SubQuery(None, Box::new(select.into_sub_query_statement())))
}

/// The ids of the named records (leaders or units), within the filter's city when it has one:
/// a name is unique per city, so `unit=市发改局&city=…` resolves to one unit, not one per city.
pub(crate) fn named_ids<E: EntityTrait>(
    names: &[IdOrName],
    city: Option<&IdOrName>,
    id: E::Column,
    name: E::Column,
    city_id: E::Column,
) -> SelectStatement {
    let mut any = Condition::any();
    for value in names {
        any = any.add(id_or_name(value, id, name));
    }
    let mut select = Query::select();
    select.column(id).from(E::default()).cond_where(any);
    if let Some(city) = city {
        select.and_where(in_city(city_id, city));
    }
    select
}

pub(crate) fn condition(filter: &ItemFilter, backend: sea_orm::DbBackend) -> Condition {
    let mut all = Condition::all();
    let city = filter.city.as_ref();
    if let Some(city) = city {
        all = all.add(in_city(item::Column::CityId, city));
    }
    if let Some(document) = filter.document {
        all = all.add(item::Column::DocumentId.eq(document));
    }
    if let Some(section) = filter.section {
        all = all.add(item::Column::SectionId.eq(section));
    }
    if !filter.leaders.is_empty() {
        let leaders = named_ids::<leader::Entity>(
            &filter.leaders,
            city,
            leader::Column::Id,
            leader::Column::Name,
            leader::Column::CityId,
        );
        all = all.add(item::Column::LeaderId.in_subquery(leaders));
    }
    if !filter.units.is_empty() || filter.unit_role.is_some() {
        let mut units = Query::select();
        units.column(item_unit::Column::ItemId).from(item_unit::Entity);
        if !filter.units.is_empty() {
            let named = named_ids::<unit::Entity>(
                &filter.units,
                city,
                unit::Column::Id,
                unit::Column::Name,
                unit::Column::CityId,
            );
            units.and_where(item_unit::Column::UnitId.in_subquery(named));
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
    match filter.overdue {
        Some(true) => all = all.add(overdue(filter.today)),
        Some(false) => all = all.add(overdue(filter.today).not()),
        None => {}
    }
    if let Some(before) = filter.due_before {
        all = all.add(item::Column::DueOn.lt(before));
    }
    if let Some(after) = filter.due_after {
        all = all.add(item::Column::DueOn.gt(after));
    }
    if let Some(days) = filter.stale_days {
        let fresh = Query::select()
            .column(progress_report::Column::ItemId)
            .from(progress_report::Entity)
            .and_where(progress_report::Column::AsOf.gt(filter.today - chrono::Duration::days(days)))
            .take();
        all = all.add(item::Column::Id.not_in_subquery(fresh));
    }
    all
}

/// Neither completed nor cancelled, and on `today` past its due date or past the due date of a
/// milestone not done. `delayed` is a status a report or an editor sets; overdue is only ever
/// derived.
pub(crate) fn overdue(today: chrono::NaiveDate) -> Condition {
    let late_milestones = Query::select()
        .column(milestone::Column::ItemId)
        .from(milestone::Entity)
        .and_where(milestone::Column::DoneOn.is_null())
        .and_where(milestone::Column::DueOn.lt(today))
        .take();
    Condition::all()
        .add(Condition::any().add(item::Column::DueOn.lt(today)).add(item::Column::Id.in_subquery(late_milestones)))
        .add(item::Column::Status.is_not_in([Status::Completed, Status::Cancelled]))
}

/// The items' units and milestones, in one statement each for all of them.
async fn with_embedded(db: &impl ConnectionTrait, items: Vec<ItemRow>) -> Result<Vec<ItemRecord>> {
    #[derive(FromQueryResult)]
    struct UnitRow {
        item_id: Uuid,
        unit_id: Uuid,
        role: UnitRole,
        note: Option<String>,
        name: String,
    }
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let rows = item_unit::Entity::find()
        .select_only()
        .columns([
            item_unit::Column::ItemId,
            item_unit::Column::UnitId,
            item_unit::Column::Role,
            item_unit::Column::Note,
        ])
        // Each name by key: joined, PostgreSQL hashed all of a national platform's units (4,000
        // at 1M items: 1.6 of the statement's 2.5 ms) for a page's 200 unit rows.
        .column_as(Expr::cust("(SELECT units.name FROM units WHERE units.id = item_units.unit_id)"), "name")
        .filter(item_unit::Column::ItemId.is_in(items.iter().map(|i| i.id)))
        .order_by_asc(item_unit::Column::ItemId)
        .order_by_asc(item_unit::Column::Position)
        .into_model::<UnitRow>()
        .all(db)
        .await?;
    let mut by_item: HashMap<Uuid, Vec<UnitRoleOut>> = HashMap::new();
    for row in rows {
        by_item.entry(row.item_id).or_default().push(UnitRoleOut {
            id: row.unit_id,
            name: row.name,
            role: row.role,
            note: row.note,
        });
    }
    let mut milestones_by_item: HashMap<Uuid, Vec<MilestoneOut>> = HashMap::new();
    let milestones = milestone::Entity::find()
        .filter(milestone::Column::ItemId.is_in(items.iter().map(|i| i.id)))
        .order_by_asc(milestone::Column::ItemId)
        .order_by_asc(milestone::Column::Position)
        .all(db)
        .await?;
    for m in milestones {
        milestones_by_item.entry(m.item_id).or_default().push(MilestoneOut {
            title: m.title,
            due_on: m.due_on,
            done_on: m.done_on,
        });
    }
    Ok(items
        .into_iter()
        .map(|item| {
            let units = by_item.remove(&item.id).unwrap_or_default();
            let milestones = milestones_by_item.remove(&item.id).unwrap_or_default();
            ItemRecord { item, units, milestones }
        })
        .collect())
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
            // Embedded by lists that ask for it (`domain::include`).
            document: None,
            city: CityRef { id: i.city_id, code: i.city_code, name: i.city_name },
            section: SectionRef { id: i.section_id, number: i.section_number, title: i.section_title },
            period: format_period(i.period_start, i.period_end),
            due_on: i.due_on,
            seq: i.seq,
            content: i.content,
            leader: i.leader_id.zip(i.leader_name).map(|(id, name)| LeaderRef { id, name, title: i.leader_title }),
            units: r.units,
            milestones: r.milestones,
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
    /// The filter the query parameters of a list (or stats, or feed) ask for, judging overdue and
    /// stale items on `today`.
    pub fn from_params(params: &ItemListParams, today: chrono::NaiveDate) -> Result<Self> {
        if params.stale_days.is_some_and(|days| !(1..=36_500).contains(&days)) {
            return Err(ApiError::bad_field("stale_days", "must be between 1 and 36500"));
        }
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
            overdue: params.overdue,
            due_before: params.due_before,
            due_after: params.due_after,
            stale_days: params.stale_days,
            today,
        })
    }
}
