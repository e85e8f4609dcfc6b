//! Progress reports: dated entries by an item's units. An item's status and progress follow its
//! latest report (by `as_of`, then by filing time): every write of a report sets them from the
//! latest one. A direct PATCH of the item still works for those who may write the item and is
//! recorded as such; it holds until the next report on the item is filed or corrected.

use entity::{city, city::ReportingCycle, item, item::ItemKind, item_unit, item_unit::UnitRole, progress_report, unit};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, IntoActiveModel, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait, Select,
    sea_query::{Expr, Query},
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    domain::{
        collection,
        dependents::Target,
        filter::id_or_name,
        items::read::{in_city, named_ids},
        journal::{Action, Change},
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch_as, resolve_sort},
        resource::{Authority, Resource, WriteContext, snapshot},
        trend_tallies,
    },
    error::{ApiError, FieldError, Result},
    views::{
        CityRef,
        reports::{
            Interval, MissingReportOut, MissingReportParams, Period, ReportIn, ReportItemRef, ReportListParams,
            ReportOut, ReportPatch, ReportTrendsOut, TrendBucketOut, TrendGroupBy, TrendGroupOut, UnitRef, bucket_of,
        },
        revisions::ActorOut,
        values::{IdOrName, split_values},
    },
};

/// A report to file on an item, as a write describes it: the item comes from the URL.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub item: Uuid,
    /// The collection the URL named; an item of the other kind is not found there.
    pub kind: ItemKind,
    pub report: ReportIn,
}

impl Validate for NewReport {
    fn validate(&self) -> std::result::Result<(), validator::ValidationErrors> {
        self.report.validate()
    }
}

/// Which reports a list asks for.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Reports on this item only.
    pub item: Option<Uuid>,
    pub city: Option<IdOrName>,
    pub document: Option<Uuid>,
    pub units: Vec<IdOrName>,
    pub leaders: Vec<IdOrName>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

impl ReportFilter {
    /// The filter the query parameters of a report list ask for.
    pub fn from_params(params: &ReportListParams) -> Result<Self> {
        if let (Some(from), Some(to)) = (params.from, params.to)
            && from > to
        {
            return Err(ApiError::bad_field("from", "must not be after `to`"));
        }
        Ok(Self {
            item: None,
            city: params.city.as_deref().map(IdOrName::parse_city).transpose()?,
            document: params.document,
            units: split_values(&params.unit).into_iter().map(IdOrName::parse).collect(),
            leaders: split_values(&params.leader).into_iter().map(IdOrName::parse).collect(),
            from: params.from,
            to: params.to,
        })
    }

    fn condition(&self) -> Condition {
        use progress_report::Column as R;
        let mut all = Condition::all();
        let city = self.city.as_ref();
        if let Some(item) = self.item {
            all = all.add(R::ItemId.eq(item));
        }
        if let Some(city) = city {
            all = all.add(in_city(R::CityId, city));
        }
        if let Some(document) = self.document {
            let items = Query::select()
                .column(item::Column::Id)
                .from(item::Entity)
                .and_where(item::Column::DocumentId.eq(document))
                .take();
            all = all.add(R::ItemId.in_subquery(items));
        }
        if !self.units.is_empty() {
            let units = named_ids::<unit::Entity>(
                &self.units,
                city,
                unit::Column::Id,
                unit::Column::Name,
                unit::Column::CityId,
            );
            all = all.add(R::UnitId.in_subquery(units));
        }
        if !self.leaders.is_empty() {
            let leaders = named_ids::<entity::leader::Entity>(
                &self.leaders,
                city,
                entity::leader::Column::Id,
                entity::leader::Column::Name,
                entity::leader::Column::CityId,
            );
            let items = Query::select()
                .column(item::Column::Id)
                .from(item::Entity)
                .and_where(item::Column::LeaderId.in_subquery(leaders))
                .take();
            all = all.add(R::ItemId.in_subquery(items));
        }
        if let Some(from) = self.from {
            all = all.add(R::AsOf.gte(from));
        }
        if let Some(to) = self.to {
            all = all.add(R::AsOf.lte(to));
        }
        all
    }
}

/// A report with what its response embeds, read in one statement.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ReportRow {
    pub id: Uuid,
    pub item_id: Uuid,
    pub unit_id: Uuid,
    pub city_id: Uuid,
    pub as_of: chrono::NaiveDate,
    pub status: item::Status,
    pub progress: i32,
    pub text: String,
    pub problems: Option<String>,
    pub help_requested: Option<String>,
    pub filed_by_id: Option<Uuid>,
    pub filed_by_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub item_kind: ItemKind,
    pub city_code: String,
    pub city_name: String,
    pub unit_name: String,
}

impl From<ReportRow> for ReportOut {
    fn from(r: ReportRow) -> Self {
        Self {
            id: r.id,
            item: ReportItemRef { id: r.item_id, kind: r.item_kind },
            city: CityRef { id: r.city_id, code: r.city_code, name: r.city_name },
            unit: UnitRef { id: r.unit_id, name: r.unit_name },
            as_of: r.as_of,
            status: r.status,
            progress: r.progress,
            text: r.text,
            problems: r.problems,
            help_requested: r.help_requested,
            filed_by: ActorOut { id: r.filed_by_id, name: r.filed_by_name },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Reports with their item's kind, city and unit joined in.
fn select_rows() -> Select<progress_report::Entity> {
    progress_report::Entity::find()
        .column_as(Expr::col((item::Entity, item::Column::Kind)), "item_kind")
        .column_as(Expr::col((city::Entity, city::Column::Code)), "city_code")
        .column_as(Expr::col((city::Entity, city::Column::Name)), "city_name")
        .column_as(Expr::col((unit::Entity, unit::Column::Name)), "unit_name")
        .join(JoinType::InnerJoin, progress_report::Relation::Item.def())
        .join(JoinType::InnerJoin, progress_report::Relation::City.def())
        .join(JoinType::InnerJoin, progress_report::Relation::Unit.def())
}

/// Sort fields a report list accepts; the first is the default (latest first is `-as_of`).
fn sort_keys() -> Vec<SortKey> {
    let col = |c: progress_report::Column, pointer, key| {
        SortColumn::new(Expr::col((progress_report::Entity, c)), pointer, key)
    };
    vec![
        SortKey::new(
            "as_of",
            vec![
                col(progress_report::Column::AsOf, "/as_of", KeyKind::Date),
                col(progress_report::Column::CreatedAt, "/created_at", KeyKind::Time),
            ],
        ),
        SortKey::new("created_at", vec![col(progress_report::Column::CreatedAt, "/created_at", KeyKind::Time)]),
        SortKey::new("progress", vec![col(progress_report::Column::Progress, "/progress", KeyKind::Int)]),
        SortKey::new("updated_at", vec![col(progress_report::Column::UpdatedAt, "/updated_at", KeyKind::Time)]),
    ]
}

/// One page of the reports that match `filter`.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &ReportFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<ReportOut>> {
    let id = SortColumn::new(Expr::col((progress_report::Entity, progress_report::Column::Id)), "/id", KeyKind::Uuid);
    let ordering = resolve_sort(sort.or(Some("-as_of")), &sort_keys(), id)?;
    let select = select_rows().filter(filter.condition());
    Ok(fetch_as::<_, ReportRow>(db, select, ordering, page).await?.map(ReportOut::from))
}

/// The reports on item `id` of `kind`: 404 when the collection has no such item.
pub async fn list_of_item(
    db: &impl ConnectionTrait,
    kind: ItemKind,
    id: Uuid,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<ReportOut>> {
    item_of_kind(db, kind, id).await?;
    list(db, &ReportFilter { item: Some(id), ..Default::default() }, sort, page).await
}

/// The reports with `ids`, as the API shows them.
pub async fn load_many(db: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<ReportOut>> {
    let mut outs = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = select_rows()
            .filter(progress_report::Column::Id.is_in(chunk.iter().copied()))
            .into_model::<ReportRow>()
            .all(db)
            .await?;
        outs.extend(rows.into_iter().map(ReportOut::from));
    }
    Ok(outs)
}

/// Deletion records for every report on the items with `item_ids`, which are about to go.
pub async fn tombstones_of_items(db: &impl ConnectionTrait, item_ids: &[Uuid]) -> Result<Vec<Change>> {
    let mut ids = Vec::new();
    for chunk in item_ids.chunks(500) {
        let found: Vec<Uuid> = progress_report::Entity::find()
            .select_only()
            .column(progress_report::Column::Id)
            .filter(progress_report::Column::ItemId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        ids.extend(found);
    }
    load_many(db, ids)
        .await?
        .into_iter()
        .map(|out| {
            Ok(Change {
                resource_type: collection::REPORTS,
                resource_id: out.id,
                city_id: Some(out.city.id),
                action: Action::Delete,
                before: Some(snapshot(&out)?),
                after: None,
            })
        })
        .collect()
}

/// The item with `id`, if it is of `kind`; else a 404 naming `kind`'s collection.
async fn item_of_kind(db: &impl ConnectionTrait, kind: ItemKind, id: Uuid) -> Result<item::Model> {
    item::Entity::find_by_id(id)
        .filter(item::Column::Kind.eq(kind))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound { resource: collection::of_item(kind), id: id.to_string() })
}

/// The role `unit` has on `item`, if it is one of its units.
async fn role_on_item(db: &impl ConnectionTrait, item: Uuid, unit: Uuid) -> Result<Option<UnitRole>> {
    Ok(item_unit::Entity::find_by_id((item, unit)).one(db).await?.map(|row| row.role))
}

/// The unit of the item's city a new report names, if any, and its role on the item, if it is
/// on it.
async fn named_unit(
    db: &impl ConnectionTrait,
    item: &item::Model,
    named: &str,
) -> Result<(Option<Uuid>, Option<UnitRole>)> {
    let unit = unit::Entity::find()
        .filter(unit::Column::CityId.eq(item.city_id))
        .filter(id_or_name(&IdOrName::parse(named.trim()), unit::Column::Id, unit::Column::Name))
        .one(db)
        .await?;
    let Some(unit) = unit else { return Ok((None, None)) };
    Ok((Some(unit.id), role_on_item(db, item.id, unit.id).await?))
}

/// The unit a new report names: 422 unless it is one of the item's units.
async fn reporting_unit(db: &impl ConnectionTrait, item: &item::Model, named: &str) -> Result<Uuid> {
    match named_unit(db, item, named).await? {
        (Some(unit), Some(_)) => Ok(unit),
        _ => Err(ApiError::invalid(
            "unit: is not one of the item's units",
            vec![FieldError::new("unit", "is not one of the item's units")],
        )),
    }
}

/// Runs `write`, a write to the reports of `item_id`, with what follows from them kept in step:
/// the item's share of the trend tallies taken out before and put back after, and the item's
/// status and progress set from its latest report. Every write of a report goes through here.
async fn in_step(
    db: &impl ConnectionTrait,
    item_id: Uuid,
    ctx: &WriteContext,
    write: impl Future<Output = Result<()>>,
) -> Result<()> {
    let tallied = trend_tallies::Items::One(item_id).retract(db).await?;
    write.await?;
    tallied.restore(db).await?;
    follow_latest_report(db, item_id, ctx).await
}

/// Sets the item's status and progress from its latest report, when it has one.
async fn follow_latest_report(db: &impl ConnectionTrait, item_id: Uuid, ctx: &WriteContext) -> Result<()> {
    use progress_report::Column as R;
    let latest = progress_report::Entity::find()
        .filter(R::ItemId.eq(item_id))
        .order_by_desc(R::AsOf)
        .order_by_desc(R::CreatedAt)
        .order_by_desc(R::Id)
        .one(db)
        .await?;
    let Some(latest) = latest else { return Ok(()) };
    item::Entity::update_many()
        .col_expr(item::Column::Status, Expr::value(latest.status))
        .col_expr(item::Column::Progress, Expr::value(latest.progress))
        .col_expr(item::Column::UpdatedAt, Expr::value(ctx.now))
        .filter(item::Column::Id.eq(item_id))
        .filter(
            Condition::any()
                .add(item::Column::Status.ne(latest.status))
                .add(item::Column::Progress.ne(latest.progress)),
        )
        .exec(db)
        .await?;
    Ok(())
}

fn item_target(out: &ReportOut) -> Target {
    (collection::of_item(out.item.kind), out.item.id)
}

/// Progress reports as a writable resource. They are filed through an item's URL and corrected
/// with PATCH; every write makes the item follow its latest report.
pub struct Reports;

impl Resource for Reports {
    const COLLECTION: &'static str = collection::REPORTS;
    const TABLE: &'static str = "progress_reports";
    type Out = ReportOut;
    type In = NewReport;
    type Patch = ReportPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<ReportOut> {
        let row = select_rows().filter(progress_report::Column::Id.eq(id)).into_model::<ReportRow>().one(db).await?;
        row.map(ReportOut::from).ok_or_else(|| ApiError::NotFound { resource: collection::REPORTS, id: id.to_string() })
    }

    fn city_of(out: &ReportOut) -> Option<Uuid> {
        Some(out.city.id)
    }

    async fn city_of_input(db: &impl ConnectionTrait, input: &NewReport) -> Result<Option<Uuid>> {
        Ok(Some(item_of_kind(db, input.kind, input.item).await?.city_id))
    }

    async fn authorize(db: &impl ConnectionTrait, who: &impl Authority, out: &ReportOut) -> Result<()> {
        let role = role_on_item(db, out.item.id, out.unit.id).await?;
        who.authorize_report(out.city.id, Some(out.unit.id), role)
    }

    async fn authorize_input(db: &impl ConnectionTrait, who: &impl Authority, input: &NewReport) -> Result<()> {
        let item = item_of_kind(db, input.kind, input.item).await?;
        let (unit, role) = named_unit(db, &item, input.report.unit.trimmed()).await?;
        who.authorize_report(item.city_id, unit, role)
    }

    async fn insert(db: &impl ConnectionTrait, input: NewReport, ctx: &WriteContext) -> Result<Uuid> {
        let item = item_of_kind(db, input.kind, input.item).await?;
        let unit_id = reporting_unit(db, &item, input.report.unit.trimmed()).await?;
        let report = input.report;
        let id = Uuid::now_v7();
        let filed = progress_report::Model {
            id,
            item_id: item.id,
            unit_id,
            city_id: item.city_id,
            as_of: report.as_of,
            status: report.status,
            progress: report.progress,
            text: report.text.trimmed().to_owned(),
            problems: report.problems,
            help_requested: report.help_requested,
            filed_by_id: ctx.actor.id,
            filed_by_name: ctx.actor.name.clone(),
            created_at: ctx.now,
            updated_at: ctx.now,
        }
        .into_active_model();
        in_step(db, item.id, ctx, async {
            filed.insert(db).await?;
            Ok(())
        })
        .await?;
        Ok(id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &ReportOut,
        input: NewReport,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let report = input.report;
        let patch = ReportPatch {
            as_of: Some(report.as_of),
            status: Some(report.status),
            progress: Some(report.progress),
            text: Some(report.text),
            problems: Some(report.problems),
            help_requested: Some(report.help_requested),
        };
        Self::patch(db, current, patch, ctx).await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &ReportOut,
        patch: ReportPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active =
            progress_report::ActiveModel { id: Unchanged(current.id), updated_at: Set(ctx.now), ..Default::default() };
        if let Some(as_of) = patch.as_of {
            active.as_of = Set(as_of);
        }
        if let Some(status) = patch.status {
            active.status = Set(status);
        }
        if let Some(progress) = patch.progress {
            active.progress = Set(progress);
        }
        if let Some(text) = patch.text {
            active.text = Set(text.trimmed().to_owned());
        }
        if let Some(problems) = patch.problems {
            active.problems = Set(problems);
        }
        if let Some(help) = patch.help_requested {
            active.help_requested = Set(help);
        }
        in_step(db, current.item.id, ctx, async {
            active.update(db).await?;
            Ok(())
        })
        .await?;
        Ok(Vec::new())
    }

    async fn dependents(_: &impl ConnectionTrait, current: &ReportOut) -> Result<Vec<Target>> {
        Ok(vec![item_target(current)])
    }

    async fn dependents_of_input(_: &impl ConnectionTrait, input: &NewReport) -> Result<Vec<Target>> {
        Ok(vec![(collection::of_item(input.kind), input.item)])
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &ReportOut,
        _cascade: bool,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        in_step(db, current.item.id, ctx, async {
            progress_report::Entity::delete_by_id(current.id).exec(db).await?;
            Ok(())
        })
        .await?;
        Ok(Vec::new())
    }
}

/// Which owed reports a list asks about.
#[derive(Debug, Clone)]
pub struct MissingFilter {
    /// The period asked for; `None`: each city's current period of its own cycle.
    pub asked: Option<Period>,
    /// Today, which sets the current periods.
    pub today: chrono::NaiveDate,
    pub city: Option<IdOrName>,
    pub units: Vec<IdOrName>,
    /// The roles on an item that owe reports (those that let a unit report).
    pub roles: Vec<UnitRole>,
}

/// Every value a city's `reporting_cycle` can take, none included.
const CYCLES: [Option<ReportingCycle>; 3] = [None, Some(ReportingCycle::Monthly), Some(ReportingCycle::Quarterly)];

impl MissingFilter {
    /// The filter the query parameters ask for; `roles` are the roles that report.
    pub fn from_params(params: &MissingReportParams, roles: &[UnitRole], today: chrono::NaiveDate) -> Result<Self> {
        let asked = params
            .period
            .as_deref()
            .map(|period| {
                Period::parse(period.trim()).ok_or_else(|| {
                    ApiError::bad_field("period", "must be a quarter such as 2021-Q2 or a month such as 2021-06")
                })
            })
            .transpose()?;
        Ok(Self {
            asked,
            today,
            city: params.city.as_deref().map(IdOrName::parse_city).transpose()?,
            units: split_values(&params.unit).into_iter().map(IdOrName::parse).collect(),
            roles: roles.to_vec(),
        })
    }

    /// The period a city with `cycle` owes reports for; `None`: it owes none that this list can
    /// name (no cycle, and no period asked for).
    fn period_of(&self, cycle: Option<ReportingCycle>) -> Option<Period> {
        match (&self.asked, cycle) {
            // A month is finer than a quarterly city's cycle: a report in any month of the quarter
            // is what it asks, so the quarter is what is owed.
            (Some(asked), Some(ReportingCycle::Quarterly)) if asked.interval == Interval::Month => {
                Some(Period::containing(asked.first_day, Interval::Quarter))
            }
            (Some(asked), _) => Some(asked.clone()),
            (None, Some(ReportingCycle::Monthly)) => Some(Period::containing(self.today, Interval::Month)),
            (None, Some(ReportingCycle::Quarterly)) => Some(Period::containing(self.today, Interval::Quarter)),
            (None, None) => None,
        }
    }

    /// The periods owed and the cycles of the cities that owe each; cycles that owe nothing are
    /// in none.
    fn periods(&self) -> Vec<(Period, Vec<Option<ReportingCycle>>)> {
        let mut periods: Vec<(Period, Vec<Option<ReportingCycle>>)> = Vec::new();
        for cycle in CYCLES {
            let Some(period) = self.period_of(cycle) else { continue };
            match periods.iter_mut().find(|(known, _)| *known == period) {
                Some((_, cycles)) => cycles.push(cycle),
                None => periods.push((period, vec![cycle])),
            }
        }
        periods
    }
}

/// An owed report, read in one statement.
#[derive(Debug, Clone, FromQueryResult)]
struct MissingRow {
    item_id: Uuid,
    item_kind: ItemKind,
    city_id: Uuid,
    city_code: String,
    city_name: String,
    reporting_cycle: Option<ReportingCycle>,
    unit_id: Uuid,
    unit_name: String,
    role: UnitRole,
    due_on: chrono::NaiveDate,
}

/// Cities whose cycle is one of `cycles` (`None` among them: cities without one).
fn cycle_in(cycles: &[Option<ReportingCycle>]) -> Condition {
    use sea_orm::sea_query::ExprTrait;
    let column = || Expr::col((city::Entity, city::Column::ReportingCycle));
    let set: Vec<ReportingCycle> = cycles.iter().flatten().copied().collect();
    let mut any = Condition::any();
    if cycles.contains(&None) {
        any = any.add(column().is_null());
    }
    if !set.is_empty() {
        any = any.add(column().is_in(set));
    }
    any
}

/// 400 when the list asks about one city, without a period, and that city sets no cycle: the
/// answer would be empty for a reason the client should hear.
async fn check_city_has_cycle(db: &impl ConnectionTrait, filter: &MissingFilter) -> Result<()> {
    let (None, Some(named)) = (&filter.asked, &filter.city) else { return Ok(()) };
    let city = city::Entity::find().filter(id_or_name(named, city::Column::Id, city::Column::Code)).one(db).await?;
    match city {
        Some(city) if city.reporting_cycle.is_none() => {
            Err(ApiError::bad_field("period", format!("is required: {} sets no reporting cycle", city.name)))
        }
        _ => Ok(()),
    }
}

/// One page of the reports owed: every unit in a reporting role on an item whose period covers
/// part of the period its city owes for, that is neither completed nor cancelled, and that the
/// unit filed no report on `as_of` within that period. In item order, then unit.
pub async fn missing(
    db: &impl ConnectionTrait,
    filter: &MissingFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<MissingReportOut>> {
    use chrono::Datelike;
    use item_unit::Column as U;
    use progress_report::Column as R;
    use sea_orm::sea_query::ExprTrait;
    check_city_has_cycle(db, filter).await?;
    let periods = filter.periods();
    let mut owed = Condition::any();
    for (period, cycles) in &periods {
        let reported = Query::select()
            .expr(Expr::val(1))
            .from(progress_report::Entity)
            .and_where(Expr::col((progress_report::Entity, R::ItemId)).equals((item_unit::Entity, U::ItemId)))
            .and_where(Expr::col((progress_report::Entity, R::UnitId)).equals((item_unit::Entity, U::UnitId)))
            .and_where(Expr::col((progress_report::Entity, R::AsOf)).between(period.first_day, period.last_day))
            .take();
        let mut this_period = Condition::all()
            .add(item::Column::PeriodStart.lte(period.last_day.year()))
            .add(item::Column::PeriodEnd.gte(period.first_day.year()))
            .add(Expr::exists(reported).not());
        // One period for every city (a period asked for that no city's cycle refines) needs no
        // look at the cities' cycles.
        if cycles.len() < CYCLES.len() {
            this_period = this_period.add(cycle_in(cycles));
        }
        owed = owed.add(this_period);
    }
    let mut select = item_unit::Entity::find()
        .select_only()
        .column_as(Expr::col((item_unit::Entity, U::ItemId)), "item_id")
        .column_as(Expr::col((item::Entity, item::Column::Kind)), "item_kind")
        .column_as(Expr::col((item::Entity, item::Column::CityId)), "city_id")
        .column_as(Expr::col((city::Entity, city::Column::Code)), "city_code")
        .column_as(Expr::col((city::Entity, city::Column::Name)), "city_name")
        .column_as(Expr::col((city::Entity, city::Column::ReportingCycle)), "reporting_cycle")
        .column_as(Expr::col((item_unit::Entity, U::UnitId)), "unit_id")
        .column_as(Expr::col((unit::Entity, unit::Column::Name)), "unit_name")
        .column_as(Expr::col((item_unit::Entity, U::Role)), "role")
        .column_as(Expr::col((item::Entity, item::Column::DueOn)), "due_on")
        .join(JoinType::InnerJoin, item_unit::Relation::Item.def())
        .join(JoinType::InnerJoin, item_unit::Relation::Unit.def())
        .join(JoinType::InnerJoin, item::Relation::City.def())
        .filter(U::Role.is_in(filter.roles.iter().copied()))
        .filter(item::Column::Status.is_not_in([item::Status::Completed, item::Status::Cancelled]))
        // No period owed at all (no cycle anywhere, none asked): an empty `any`, which is false.
        .filter(owed);
    if let Some(city) = &filter.city {
        select = select.filter(in_city(item::Column::CityId, city));
    }
    if !filter.units.is_empty() {
        let units = named_ids::<unit::Entity>(
            &filter.units,
            filter.city.as_ref(),
            unit::Column::Id,
            unit::Column::Name,
            unit::Column::CityId,
        );
        select = select.filter(U::UnitId.in_subquery(units));
    }
    let item = SortColumn::new(Expr::col((item_unit::Entity, U::ItemId)), "/item/id", KeyKind::Uuid);
    let unit = SortColumn::new(Expr::col((item_unit::Entity, U::UnitId)), "/unit/id", KeyKind::Uuid);
    // `sort` is `item` or `-item`, as the document says; anything else is a 400 naming `sort`.
    let ordering = resolve_sort(sort, &[SortKey::new("item", vec![item])], unit)?;
    let rows = fetch_as::<_, MissingRow>(db, select, ordering, page).await?;
    Ok(rows.map(|r| MissingReportOut {
        // Every row matched the period of its city's cycle, so there is one.
        period: filter.period_of(r.reporting_cycle).map(|p| p.label).unwrap_or_default(),
        item: ReportItemRef { id: r.item_id, kind: r.item_kind },
        city: CityRef { id: r.city_id, code: r.city_code, name: r.city_name },
        unit: UnitRef { id: r.unit_id, name: r.unit_name },
        role: r.role,
        due_on: r.due_on,
    }))
}

/// The condition on `report_tallies` that selects the tallies of the reports `filter` selects,
/// when there is one: when the filter names no item; names units only when the trend groups by
/// unit, and leaders only when it groups by leader (a tally of a city, say, does not know which
/// of its items are a leader's); and starts and ends, if it does, on the first and last days of
/// buckets. Otherwise `None`, and the trend is counted from the reports.
fn tallies_of(filter: &ReportFilter, interval: Interval, group_by: TrendGroupBy) -> Option<Condition> {
    use entity::report_tally::Column as T;
    let on_boundaries = filter.from.is_none_or(|from| Period::containing(from, interval).first_day == from)
        && filter.to.is_none_or(|to| Period::containing(to, interval).last_day == to);
    let names_others = (!filter.units.is_empty() && group_by != TrendGroupBy::Unit)
        || (!filter.leaders.is_empty() && group_by != TrendGroupBy::Leader);
    if filter.item.is_some() || !on_boundaries || names_others {
        return None;
    }
    let city = filter.city.as_ref();
    let mut all = Condition::all();
    if let Some(city) = city {
        all = all.add(in_city(T::CityId, city));
    }
    if let Some(document) = filter.document {
        all = all.add(T::DocumentId.eq(document));
    }
    if !filter.units.is_empty() {
        let units =
            named_ids::<unit::Entity>(&filter.units, city, unit::Column::Id, unit::Column::Name, unit::Column::CityId);
        all = all.add(T::GroupId.in_subquery(units));
    }
    if !filter.leaders.is_empty() {
        use entity::leader::Column as L;
        let leaders = named_ids::<entity::leader::Entity>(&filter.leaders, city, L::Id, L::Name, L::CityId);
        all = all.add(T::GroupId.in_subquery(leaders));
    }
    if let Some(from) = filter.from {
        all = all.add(T::PeriodStart.gte(from));
    }
    if let Some(to) = filter.to {
        all = all.add(T::PeriodStart.lte(to));
    }
    Some(all)
}

/// The reports `filter` selects, counted per interval of `as_of` and per group: from the
/// tallies the writes keep when they can answer (see [`tallies_of`]), else from the reports.
/// Both give the same figures (`tallies` says why).
pub async fn trends(
    db: &impl ConnectionTrait,
    filter: &ReportFilter,
    interval: Interval,
    group_by: TrendGroupBy,
) -> Result<ReportTrendsOut> {
    let rows = match tallies_of(filter, interval, group_by) {
        Some(condition) => trend_tallies::count_tallies(db, condition, interval, group_by).await?,
        None => trend_tallies::count_reports(db, filter.condition(), interval, group_by).await?,
    };
    let mut buckets: Vec<TrendBucketOut> = rows
        .into_iter()
        .map(|row| TrendBucketOut {
            period: bucket_of(row.period_start, interval),
            group: TrendGroupOut { id: row.group_id, name: row.group_name },
            reports: row.reports as u64,
            items: row.items as u64,
            average_progress: (row.progress_sum as f64 / row.reports as f64 * 10.0).round() / 10.0,
            completed: row.completed as u64,
            overdue: row.overdue as u64,
        })
        .collect();
    // Sorted here: the database's collation would order the names differently on each backend.
    buckets.sort_by(|a, b| {
        (a.period.as_str(), a.group.name.as_str(), a.group.id).cmp(&(
            b.period.as_str(),
            b.group.name.as_str(),
            b.group.id,
        ))
    });
    Ok(ReportTrendsOut { interval, group_by, buckets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> chrono::NaiveDate {
        text.parse().expect("a date")
    }

    fn served(filter: ReportFilter, interval: Interval, group_by: TrendGroupBy) -> bool {
        tallies_of(&filter, interval, group_by).is_some()
    }

    #[test]
    fn tallies_serve_the_filters_they_are_keyed_by() {
        let city = || Some(IdOrName::Name("330382".to_owned()));
        let units = || vec![IdOrName::Name("市发改局".to_owned())];
        assert!(served(ReportFilter::default(), Interval::Quarter, TrendGroupBy::City));
        assert!(served(
            ReportFilter { city: city(), document: Some(Uuid::nil()), ..Default::default() },
            Interval::Month,
            TrendGroupBy::Leader
        ));
        assert!(served(ReportFilter { units: units(), ..Default::default() }, Interval::Quarter, TrendGroupBy::Unit));
        assert!(served(
            ReportFilter { leaders: units(), ..Default::default() },
            Interval::Quarter,
            TrendGroupBy::Leader
        ));
        let year = ReportFilter { from: Some(day("2021-04-01")), to: Some(day("2021-12-31")), ..Default::default() };
        assert!(served(year.clone(), Interval::Quarter, TrendGroupBy::City));
        assert!(served(year, Interval::Month, TrendGroupBy::City));
    }

    #[test]
    fn trends_the_tallies_cannot_serve_are_counted_from_the_reports() {
        let units = || vec![IdOrName::Name("市发改局".to_owned())];
        assert!(!served(
            ReportFilter { item: Some(Uuid::nil()), ..Default::default() },
            Interval::Quarter,
            TrendGroupBy::City
        ));
        assert!(!served(ReportFilter { units: units(), ..Default::default() }, Interval::Quarter, TrendGroupBy::City));
        assert!(!served(
            ReportFilter { leaders: units(), ..Default::default() },
            Interval::Quarter,
            TrendGroupBy::Unit
        ));
        let from = ReportFilter { from: Some(day("2021-05-01")), ..Default::default() };
        assert!(served(from.clone(), Interval::Month, TrendGroupBy::City));
        assert!(!served(from, Interval::Quarter, TrendGroupBy::City), "not the first day of a quarter");
        let to = ReportFilter { to: Some(day("2021-06-29")), ..Default::default() };
        assert!(!served(to, Interval::Month, TrendGroupBy::City), "not the last day of a month");
    }
}
