//! Aggregates for dashboards: items grouped by one dimension, with counts, counts per status and
//! average progress, over the same filters as the lists.

use std::collections::{BTreeSet, HashMap};

use entity::{city, document, item, item::ItemKind, item_unit, item_unit::UnitRole, leader, unit, unit_tally};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, SelectStatement},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    domain::items::read::{ItemFilter, condition, in_city},
    error::Result,
    views::{
        stats::{Group, GroupBy, Stats, Tally},
        values::format_period,
    },
};

/// Items of `kind` matching `filter`, grouped by `group_by`.
pub async fn stats(db: &impl ConnectionTrait, kind: ItemKind, filter: &ItemFilter, group_by: GroupBy) -> Result<Stats> {
    let backend = db.get_database_backend();
    let mut base = Query::select();
    base.from(item::Entity)
        .and_where(Expr::col((item::Entity, item::Column::Kind)).eq(kind))
        .cond_where(condition(filter, backend));

    // Every item falls in exactly one group, except by unit (once per unit it has): only then
    // does the total need a statement of its own.
    let mut total = Tally::default();
    if group_by == GroupBy::Unit {
        let mut total_query = base.clone();
        tally_columns(&mut total_query);
        total_query.group_by_col((item::Entity, item::Column::Status));
        for row in db.query_all(&total_query).await? {
            let (status, count, sum) = tally_of(&row)?;
            total.add(&status, count, sum);
        }
    }

    let grouped = match group_by {
        GroupBy::Unit => from_unit_tallies(kind, filter).unwrap_or_else(|| grouped_items(base, group_by, filter)),
        _ => grouped_items(base, group_by, filter),
    };
    let mut groups: HashMap<String, (Value, Tally)> = HashMap::new();
    let rows = db.query_all(&grouped).await?;
    let keys = GroupKeys::load(db, group_by, &rows).await?;
    for row in &rows {
        let (status, count, sum) = tally_of(row)?;
        if group_by != GroupBy::Unit {
            total.add(&status, count, sum);
        }
        let (id, key) = keys.key_of(row, &status)?;
        groups.entry(id).or_insert_with(|| (key, Tally::default())).1.add(&status, count, sum);
    }
    let mut groups: Vec<Group> =
        groups.into_values().map(|(key, tally)| Group { key, tally: tally.finish() }).collect();
    // Largest first, then by the key's JSON text: rendered once per group, not once per comparison
    // (a city's units are 500 groups).
    groups.sort_by_cached_key(|group| (std::cmp::Reverse(group.tally.count), group.key.to_string()));
    Ok(Stats { group_by, total: total.finish(), groups })
}

/// The items of `base` grouped by `group_by`, each group's rows tallied per status.
fn grouped_items(base: SelectStatement, group_by: GroupBy, filter: &ItemFilter) -> SelectStatement {
    let mut grouped = base;
    let columns: Vec<(sea_orm::sea_query::SimpleExpr, &str)> = match group_by {
        GroupBy::City => vec![(Expr::col((item::Entity, item::Column::CityId)), "g_id")],
        GroupBy::Document => vec![(Expr::col((item::Entity, item::Column::DocumentId)), "g_id")],
        GroupBy::Leader => vec![(Expr::col((item::Entity, item::Column::LeaderId)), "g_id")],
        GroupBy::Status => vec![],
        GroupBy::Period => vec![
            (Expr::col((item::Entity, item::Column::PeriodStart)), "g_start"),
            (Expr::col((item::Entity, item::Column::PeriodEnd)), "g_end"),
        ],
        GroupBy::Category => vec![
            (Expr::col((item::Entity, item::Column::GroupNumber)), "g_number"),
            (Expr::col((item::Entity, item::Column::GroupHeading)), "g_heading"),
        ],
        GroupBy::Unit => {
            grouped.inner_join(
                item_unit::Entity,
                Expr::col((item_unit::Entity, item_unit::Column::ItemId)).equals((item::Entity, item::Column::Id)),
            );
            // The unit filters narrow the grouped rows too: "how many items does each unit lead".
            if let Some(role) = filter.unit_role {
                grouped.and_where(Expr::col((item_unit::Entity, item_unit::Column::Role)).eq(role));
            }
            vec![
                (Expr::col((item_unit::Entity, item_unit::Column::UnitId)), "g_id"),
                (Expr::col((item_unit::Entity, item_unit::Column::Role)), "g_role"),
            ]
        }
    };
    for (expr, alias) in &columns {
        grouped.expr_as(expr.clone(), Alias::new(*alias));
        grouped.add_group_by([expr.clone()]);
    }
    tally_columns(&mut grouped);
    grouped.group_by_col((item::Entity, item::Column::Status));
    grouped
}

/// Statistics by unit read from `unit_tallies` (kept by the database as items change, migration
/// 12) when `filter` asks only what the tallies hold: the kind, the city, the role and the
/// status. The same rows as grouping the items by unit, from at most a few thousand tally rows
/// instead of every unit row of every matching item; `None` for any other filter.
fn from_unit_tallies(kind: ItemKind, filter: &ItemFilter) -> Option<SelectStatement> {
    // Every field named, so that a new filter cannot be forgotten here.
    let ItemFilter {
        city,
        unit_role,
        statuses,
        today: _,
        document,
        section,
        leaders,
        units,
        period,
        year,
        category,
        q,
        updated_since,
        updated_before,
        has_remarks,
        progress,
        overdue,
        due_before,
        due_after,
        stale_days,
    } = filter;
    let tallied = document.is_none()
        && section.is_none()
        && leaders.is_empty()
        && units.is_empty()
        && period.is_none()
        && year.is_none()
        && category.is_none()
        && q.is_none()
        && updated_since.is_none()
        && updated_before.is_none()
        && has_remarks.is_none()
        && progress.is_none()
        && overdue.is_none()
        && due_before.is_none()
        && due_after.is_none()
        && stale_days.is_none();
    if !tallied {
        return None;
    }
    use unit_tally::Column as T;
    let tally = |column: T| Expr::col((unit_tally::Entity, column));
    let summed = |column: T| Func::cast_as(Func::sum(tally(column)), Alias::new("bigint"));
    let mut query = Query::select();
    query
        .from(unit_tally::Entity)
        .expr_as(tally(T::UnitId), Alias::new("g_id"))
        .expr_as(tally(T::Role), Alias::new("g_role"))
        .expr_as(tally(T::Status), Alias::new("t_status"))
        .expr_as(summed(T::Items), Alias::new("t_count"))
        .expr_as(summed(T::ProgressSum), Alias::new("t_sum"))
        .and_where(tally(T::Kind).eq(kind))
        // Tallies that fell to zero stay behind; they are no group.
        .and_where(tally(T::Items).gt(0))
        .add_group_by([tally(T::UnitId), tally(T::Role), tally(T::Status)]);
    if let Some(city) = city {
        query.and_where(in_city(T::CityId, city));
    }
    if let Some(role) = unit_role {
        query.and_where(tally(T::Role).eq(*role));
    }
    if !statuses.is_empty() {
        query.and_where(tally(T::Status).is_in(statuses.iter().copied()));
    }
    Some(query)
}

fn tally_columns(query: &mut SelectStatement) {
    query
        .expr_as(Expr::col((item::Entity, item::Column::Status)), Alias::new("t_status"))
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("t_count"))
        .expr_as(
            Func::coalesce([Expr::from(Func::sum(Expr::col((item::Entity, item::Column::Progress)))), Expr::val(0)]),
            Alias::new("t_sum"),
        );
}

fn tally_of(row: &QueryResult) -> Result<(String, i64, i64)> {
    let status: String = row.try_get("", "t_status")?;
    let count: i64 = row.try_get("", "t_count")?;
    let sum: i64 = row.try_get("", "t_sum")?;
    Ok((status, count, sum))
}

/// Names for the ids a grouping returns.
struct GroupKeys {
    group_by: GroupBy,
    names: HashMap<Uuid, Value>,
}

impl GroupKeys {
    async fn load(db: &impl ConnectionTrait, group_by: GroupBy, rows: &[QueryResult]) -> Result<Self> {
        // Each id once: a unit's rows come once per role and status.
        let ids: BTreeSet<Uuid> =
            rows.iter().filter_map(|row| row.try_get::<Option<Uuid>>("", "g_id").ok().flatten()).collect();
        let names: HashMap<Uuid, Value> = match group_by {
            GroupBy::City => city::Entity::find()
                .filter(city::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|c| (c.id, json!({"id": c.id, "code": c.code, "name": c.name})))
                .collect(),
            GroupBy::Document => document::Entity::find()
                .filter(document::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|d| (d.id, json!({"id": d.id, "doc_number": d.doc_number, "title": d.title})))
                .collect(),
            GroupBy::Leader => leader::Entity::find()
                .filter(leader::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|l| (l.id, json!({"id": l.id, "name": l.name, "title": l.title})))
                .collect(),
            GroupBy::Unit => unit::Entity::find()
                .filter(unit::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, json!({"id": u.id, "name": u.name})))
                .collect(),
            GroupBy::Status | GroupBy::Period | GroupBy::Category => HashMap::new(),
        };
        Ok(Self { group_by, names })
    }

    /// The group a row belongs to: an identity string and the key shown.
    fn key_of(&self, row: &QueryResult, status: &str) -> Result<(String, Value)> {
        let id = || row.try_get::<Option<Uuid>>("", "g_id");
        let named = |id: Uuid| self.names.get(&id).cloned().unwrap_or_else(|| json!({"id": id}));
        Ok(match self.group_by {
            GroupBy::City | GroupBy::Document | GroupBy::Leader => match id()? {
                Some(id) => (id.to_string(), named(id)),
                None => ("none".to_owned(), Value::Null),
            },
            GroupBy::Unit => {
                let unit = id()?.unwrap_or_default();
                let role: UnitRole = serde_json::from_value(Value::String(row.try_get("", "g_role")?))
                    .map_err(|error| anyhow::anyhow!("a stored unit role is unknown: {error}"))?;
                let mut key = named(unit);
                key["role"] = serde_json::to_value(role).unwrap_or(Value::Null);
                (format!("{unit}:{}", key["role"]), key)
            }
            GroupBy::Status => (status.to_owned(), json!({"status": status})),
            GroupBy::Period => {
                let (start, end): (i32, i32) = (row.try_get("", "g_start")?, row.try_get("", "g_end")?);
                let period = format_period(start, end);
                (period.clone(), json!({"period": period}))
            }
            GroupBy::Category => {
                let number: i32 = row.try_get("", "g_number")?;
                let heading: Option<String> = row.try_get("", "g_heading")?;
                (format!("{number}:{heading:?}"), json!({"number": number, "name": heading}))
            }
        })
    }
}
