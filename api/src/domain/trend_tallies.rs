//! Report trends, counted: the statement that counts them from the reports, and the tallies
//! (`report_tallies`) that hold what it counts per document, so that a trend over a whole
//! database sums its tallies (one per bucket, group and document) instead of grouping millions
//! of reports.
//!
//! The tallies stay exact because every write that can change what the statement counts for an
//! item (a report filed, corrected or withdrawn; an item's leader or due date changed; items
//! deleted, alone or with their section or document; a re-import) takes the items' share out
//! before it writes and puts it back after, in its own transaction: [`Items::retract`], then
//! [`Retracted::restore`]. An item's share is the trends statement restricted to its reports,
//! keyed by its document and city as well; an item is in one document and one city, so the
//! shares of all items add up to what the statement counts over all of them, the items of a
//! bucket included. Cities, units and leaders that reports or items name cannot be deleted, and
//! their names are joined when the tallies are read, so writes to them change no tally.
//!
//! A change to what trends count is a change to [`per_item`], which both paths share, and needs a
//! migration that counts the tallies again (migration 14 filled them with its own copy of the
//! statement, per backend).

use entity::{city, item, progress_report, report_tally, unit};
use sea_orm::{
    ConnectionTrait, DbBackend, EntityName, FromQueryResult,
    sea_query::{
        Alias, Asterisk, Condition, Expr, ExprTrait, Func, IntoIden, OnConflict, Query, SelectStatement, UnionType,
    },
};
use uuid::Uuid;

use crate::{
    error::Result,
    views::reports::{Interval, TrendGroupBy},
};

/// One bucket of a trend as the database counts it: the first day of its period and its group.
#[derive(Debug, Clone, FromQueryResult)]
pub struct TrendRow {
    pub period_start: chrono::NaiveDate,
    pub group_id: Uuid,
    pub group_name: String,
    pub reports: i64,
    pub progress_sum: i64,
    pub items: i64,
    pub completed: i64,
    pub overdue: i64,
}

/// How `report_tallies.period_kind` spells `interval`: as the API does.
fn period_kind(interval: Interval) -> &'static str {
    match interval {
        Interval::Month => "month",
        Interval::Quarter => "quarter",
    }
}

/// How `report_tallies.group_kind` spells `group_by`: as the API does.
fn group_kind(group_by: TrendGroupBy) -> &'static str {
    match group_by {
        TrendGroupBy::City => "city",
        TrendGroupBy::Unit => "unit",
        TrendGroupBy::Leader => "leader",
    }
}

/// The primary key of `report_tallies`.
const KEY: [report_tally::Column; 6] = {
    use report_tally::Column as T;
    [T::PeriodKind, T::GroupKind, T::CityId, T::PeriodStart, T::GroupId, T::DocumentId]
};

const INTERVALS: [Interval; 2] = [Interval::Month, Interval::Quarter];
const GROUPINGS: [TrendGroupBy; 3] = [TrendGroupBy::City, TrendGroupBy::Unit, TrendGroupBy::Leader];

/// The first day of the month or quarter of `day`, a date column: the key trends group by. A
/// date rather than its label, so that the database compares 4 bytes, not text. The only SQL
/// that differs between the backends.
fn period_start(backend: DbBackend, interval: Interval, day: Expr) -> Expr {
    match (backend, interval) {
        // Truncating a timestamp without time zone: the session's time zone plays no part.
        (DbBackend::Postgres, Interval::Month) => {
            Expr::cust_with_expr("CAST(date_trunc('month', CAST($1 AS timestamp)) AS date)", day)
        }
        (DbBackend::Postgres, Interval::Quarter) => {
            Expr::cust_with_expr("CAST(date_trunc('quarter', CAST($1 AS timestamp)) AS date)", day)
        }
        // SQLite holds dates as `YYYY-MM-DD` text; its placeholders are `?`, taken in order.
        (_, Interval::Month) => Expr::cust_with_expr("date(?, 'start of month')", day),
        (_, Interval::Quarter) => Expr::cust_with_exprs(
            "date(?, 'start of month', '-' || ((CAST(strftime('%m', ?) AS INTEGER) - 1) % 3) || ' months')",
            [day.clone(), day],
        ),
    }
}

/// The column a trend groups by, and the table that names its groups.
fn group_of(group_by: TrendGroupBy) -> (Expr, sea_orm::sea_query::DynIden) {
    let report = |column: progress_report::Column| Expr::col((progress_report::Entity, column));
    match group_by {
        TrendGroupBy::City => (report(progress_report::Column::CityId), city::Entity.into_iden()),
        TrendGroupBy::Unit => (report(progress_report::Column::UnitId), unit::Entity.into_iden()),
        TrendGroupBy::Leader => (Expr::col((item::Entity, item::Column::LeaderId)), entity::leader::Entity.into_iden()),
    }
}

/// One row per bucket, group and item of the reports `condition` selects (on reports and their
/// items): its reports, their progress summed, whether one of them says completed, whether one
/// of them is overdue. `keyed` adds the item's document and the reports' city, which the
/// tallies are keyed by (an item has one of each, so the rows stay one per item).
///
/// Item first in the grouping: the reports and items can then come in item order from their
/// indexes and be grouped as they come, with no sort of every report (see migration 10).
fn per_item(
    backend: DbBackend,
    interval: Interval,
    group_by: TrendGroupBy,
    condition: Condition,
    keyed: bool,
) -> SelectStatement {
    use progress_report::Column as R;
    let report = |column: R| Expr::col((progress_report::Entity, column));
    let (group_column, _) = group_of(group_by);
    let flag = |condition: Condition| Func::max(Expr::case(condition, 1).finally(0));
    let overdue = Condition::all()
        .add(report(R::AsOf).gt(Expr::col((item::Entity, item::Column::DueOn))))
        .add(report(R::Status).is_not_in([item::Status::Completed, item::Status::Cancelled]));
    let period = period_start(backend, interval, report(R::AsOf));
    let mut select = Query::select();
    select
        .expr_as(period.clone(), Alias::new("period_start"))
        .expr_as(group_column.clone(), Alias::new("group_id"))
        .expr_as(report(R::ItemId), Alias::new("item_id"))
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("reports"))
        .expr_as(Func::sum(report(R::Progress)), Alias::new("progress_sum"))
        .expr_as(flag(Condition::all().add(report(R::Status).eq(item::Status::Completed))), Alias::new("completed"))
        .expr_as(flag(overdue), Alias::new("overdue"))
        .from(progress_report::Entity)
        .inner_join(item::Entity, report(R::ItemId).equals((item::Entity, item::Column::Id)))
        // Items without a leader have no group by leader.
        .and_where(group_column.clone().is_not_null())
        .cond_where(condition)
        .add_group_by([report(R::ItemId), period, group_column]);
    if keyed {
        let document = Expr::col((item::Entity, item::Column::DocumentId));
        select
            .expr_as(report(R::CityId), Alias::new("city_id"))
            .expr_as(document.clone(), Alias::new("document_id"))
            .add_group_by([report(R::CityId), document]);
    }
    select
}

/// Sums `column` of `table`'s rows as a bigint (PostgreSQL sums bigints into numerics).
fn total(table: &Alias, column: &str) -> Expr {
    Func::cast_as(Func::sum(Expr::col((table.clone(), Alias::new(column)))), Alias::new("bigint")).into()
}

fn bigint_count() -> Expr {
    Func::cast_as(Func::count(Expr::col(Asterisk)), Alias::new("bigint")).into()
}

/// Rows of `(period_start, group_id, figures…)` with the groups' names joined: to the few
/// buckets, not to every report (joined earlier, the planner may sort all the reports again).
async fn named(
    db: &impl ConnectionTrait,
    per_bucket: SelectStatement,
    group_by: TrendGroupBy,
) -> Result<Vec<TrendRow>> {
    let (_, group_table) = group_of(group_by);
    let per_bucket_alias = Alias::new("per_bucket");
    let statement = Query::select()
        .column((per_bucket_alias.clone(), Asterisk))
        .expr_as(Expr::col((group_table.clone(), Alias::new("name"))), Alias::new("group_name"))
        .from_subquery(per_bucket, per_bucket_alias.clone())
        .inner_join(
            group_table.clone(),
            Expr::col((per_bucket_alias, Alias::new("group_id"))).equals((group_table, Alias::new("id"))),
        )
        .take();
    Ok(TrendRow::find_by_statement(db.get_database_backend().build(&statement)).all(db).await?)
}

/// Counts the reports `condition` selects (on reports and their items) per bucket and group,
/// from the reports themselves. Two levels of grouping, so that no count needs DISTINCT: per
/// item (see [`per_item`]), then per bucket and group, where counting rows counts items.
pub async fn count_reports(
    db: &impl ConnectionTrait,
    condition: Condition,
    interval: Interval,
    group_by: TrendGroupBy,
) -> Result<Vec<TrendRow>> {
    let per_item_alias = Alias::new("per_item");
    let of_item = |column: &str| Expr::col((per_item_alias.clone(), Alias::new(column)));
    let mut per_bucket = Query::select();
    per_bucket
        .expr_as(of_item("period_start"), Alias::new("period_start"))
        .expr_as(of_item("group_id"), Alias::new("group_id"))
        .expr_as(total(&per_item_alias, "reports"), Alias::new("reports"))
        .expr_as(total(&per_item_alias, "progress_sum"), Alias::new("progress_sum"))
        .expr_as(bigint_count(), Alias::new("items"))
        .expr_as(total(&per_item_alias, "completed"), Alias::new("completed"))
        .expr_as(total(&per_item_alias, "overdue"), Alias::new("overdue"))
        .from_subquery(
            per_item(db.get_database_backend(), interval, group_by, condition, false),
            per_item_alias.clone(),
        )
        .add_group_by([of_item("period_start"), of_item("group_id")]);
    named(db, per_bucket, group_by).await
}

/// Counts per bucket and group from the tallies `condition` selects (on `report_tallies`): the
/// same figures [`count_reports`] gives for the reports of those tallies.
pub async fn count_tallies(
    db: &impl ConnectionTrait,
    condition: Condition,
    interval: Interval,
    group_by: TrendGroupBy,
) -> Result<Vec<TrendRow>> {
    use report_tally::Column as T;
    let table = Alias::new(report_tally::Entity.table_name());
    let mut per_bucket = Query::select();
    per_bucket
        .column(T::PeriodStart)
        .column(T::GroupId)
        .expr_as(total(&table, "reports"), Alias::new("reports"))
        .expr_as(total(&table, "progress_sum"), Alias::new("progress_sum"))
        .expr_as(total(&table, "items"), Alias::new("items"))
        .expr_as(total(&table, "completed"), Alias::new("completed"))
        .expr_as(total(&table, "overdue"), Alias::new("overdue"))
        .from(report_tally::Entity)
        .and_where(Expr::col(T::PeriodKind).eq(period_kind(interval)))
        .and_where(Expr::col(T::GroupKind).eq(group_kind(group_by)))
        .cond_where(condition)
        .add_group_by([Expr::col(T::PeriodStart), Expr::col(T::GroupId)]);
    named(db, per_bucket, group_by).await
}

/// Adds `sign` times the share of the items `items` selects (a condition on `items`) to the
/// tallies, in one upsert: per interval and grouping (six selects in a UNION ALL, whose keys
/// differ by their first two columns), those items' reports counted per item and then per tally.
async fn add_share(db: &impl ConnectionTrait, items: &Condition, sign: i64) -> Result<()> {
    use report_tally::Column as T;
    let backend = db.get_database_backend();
    let per_item_alias = Alias::new("per_item");
    let of_item = |column: &str| Expr::col((per_item_alias.clone(), Alias::new(column)));
    let signed = |figure: Expr| if sign == 1 { figure } else { figure.mul(sign) };
    let figures = [T::Reports, T::ProgressSum, T::Items, T::Completed, T::Overdue];
    let mut upsert = OnConflict::columns(KEY);
    for figure in figures {
        let excluded = Expr::col((Alias::new("excluded"), figure));
        upsert.value(figure, Expr::col((report_tally::Entity, figure)).add(excluded));
    }
    let mut shares = INTERVALS.into_iter().flat_map(|interval| GROUPINGS.map(|group_by| (interval, group_by))).map(
        |(interval, group_by)| {
            Query::select()
                .expr(Expr::val(period_kind(interval)))
                .expr(Expr::val(group_kind(group_by)))
                .expr(of_item("city_id"))
                .expr(of_item("period_start"))
                .expr(of_item("group_id"))
                .expr(of_item("document_id"))
                .expr(signed(total(&per_item_alias, "reports")))
                .expr(signed(total(&per_item_alias, "progress_sum")))
                .expr(signed(bigint_count()))
                .expr(signed(total(&per_item_alias, "completed")))
                .expr(signed(total(&per_item_alias, "overdue")))
                .from_subquery(per_item(backend, interval, group_by, items.clone(), true), per_item_alias.clone())
                .add_group_by(["period_start", "group_id", "city_id", "document_id"].map(&of_item))
                .take()
        },
    );
    let mut all = shares.next().expect("six shares");
    all.unions(shares.map(|share| (UnionType::All, share)));
    let statement = Query::insert()
        .into_table(report_tally::Entity)
        .columns(KEY.into_iter().chain(figures))
        .select_from(all)
        .map_err(|error| anyhow::anyhow!("Failed to build the tally statement: {error}"))?
        .on_conflict(upsert)
        .to_owned();
    db.execute(&statement).await?;
    Ok(())
}

/// The items whose share of the tallies a write may change.
#[derive(Debug, Clone)]
pub enum Items {
    /// The item with this id.
    One(Uuid),
    /// The items with these ids (none: nothing to do).
    Ids(Vec<Uuid>),
    /// The items of a section.
    OfSection(Uuid),
    /// The items of a document.
    OfDocument(Uuid),
}

impl Items {
    /// Conditions on `items` that select them, a few hundred ids at most each.
    fn conditions(&self) -> Vec<Condition> {
        use item::Column as I;
        let on = |expr: Expr| vec![Condition::all().add(expr)];
        match self {
            Items::One(id) => on(Expr::col((item::Entity, I::Id)).eq(*id)),
            Items::Ids(ids) => ids
                .chunks(500)
                .map(|chunk| Condition::all().add(Expr::col((item::Entity, I::Id)).is_in(chunk.iter().copied())))
                .collect(),
            Items::OfSection(id) => on(Expr::col((item::Entity, I::SectionId)).eq(*id)),
            Items::OfDocument(id) => on(Expr::col((item::Entity, I::DocumentId)).eq(*id)),
        }
    }

    /// Takes these items' share out of the tallies, before a write that may change it; the write
    /// must then [`Retracted::restore`] it, in the same transaction.
    ///
    /// It first takes the items' rows' write locks: a share is read in one transaction and added
    /// in another's absence only if no other write changes those items' reports in between (two
    /// reports filed at once on one item would both count it as a new item of their bucket).
    /// The second writer waits, then reads the first one's reports. A no-op UPDATE, as the
    /// pipeline locks rows, on both backends.
    pub async fn retract(self, db: &impl ConnectionTrait) -> Result<Retracted> {
        if !matches!(&self, Items::Ids(ids) if ids.is_empty()) {
            for condition in self.conditions() {
                let lock = Query::update()
                    .table(item::Entity)
                    .value(item::Column::Id, Expr::col(item::Column::Id))
                    .cond_where(condition.clone())
                    .to_owned();
                db.execute(&lock).await?;
                add_share(db, &condition, -1).await?;
            }
        }
        Ok(Retracted(self))
    }
}

/// Items whose share is out of the tallies until it is put back.
#[must_use = "the tallies are short of these items' share until it is restored"]
#[derive(Debug)]
pub struct Retracted(Items);

impl Retracted {
    /// Puts the items' share back as it now is (nothing for items deleted), and deletes the
    /// tallies left with no report.
    pub async fn restore(self, db: &impl ConnectionTrait) -> Result<()> {
        if matches!(&self.0, Items::Ids(ids) if ids.is_empty()) {
            return Ok(());
        }
        for condition in self.0.conditions() {
            add_share(db, &condition, 1).await?;
        }
        delete_emptied(db).await
    }
}

/// Deletes the tallies with no report left (and so no item): a literal `reports = 0`, which the
/// partial index of migration 14 answers without a scan (a bound value would not match it).
async fn delete_emptied(db: &impl ConnectionTrait) -> Result<()> {
    let statement = Query::delete().from_table(report_tally::Entity).and_where(Expr::cust("reports = 0")).to_owned();
    db.execute(&statement).await?;
    Ok(())
}

/// Counts every report into empty tallies: for data written around the writes (the generator).
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<()> {
    db.execute(&Query::delete().from_table(report_tally::Entity).to_owned()).await?;
    add_share(db, &Condition::all(), 1).await
}
