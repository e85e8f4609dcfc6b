//! Leaders and units: the named parties of one city that items point to.

use entity::{city, leader, unit};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select,
    sea_query::{Expr, IntoIden, Query},
};
use uuid::Uuid;

use crate::{
    error::{ApiError, Result},
    query::{IdOrName, Page, Paging, apply_sort, contains, fetch_page},
};

/// Filters for a list of leaders or units.
#[derive(Debug, Clone, Default)]
pub struct NamedFilter {
    pub city: Option<IdOrName>,
    /// Substring of the name (or a leader's title).
    pub q: Option<String>,
}

/// One page of leaders, sorted by `name` (default) or `created_at`.
pub async fn list_leaders(
    db: &impl ConnectionTrait,
    filter: &NamedFilter,
    sort: Option<&str>,
    paging: Paging,
) -> Result<Page<leader::Model>> {
    let select = filtered(
        leader::Entity::find(),
        leader::Column::CityId,
        filter,
        |q| {
            Condition::any()
                .add(contains(leader::Column::Name, q))
                .add(contains(leader::Column::Title, q))
        },
    );
    page(
        db,
        select,
        sort,
        paging,
        [
            leader::Column::Name,
            leader::Column::CreatedAt,
            leader::Column::Id,
        ],
    )
    .await
}

/// One page of units.
pub async fn list_units(
    db: &impl ConnectionTrait,
    filter: &NamedFilter,
    sort: Option<&str>,
    paging: Paging,
) -> Result<Page<unit::Model>> {
    let select = filtered(unit::Entity::find(), unit::Column::CityId, filter, |q| {
        Condition::all().add(contains(unit::Column::Name, q))
    });
    page(
        db,
        select,
        sort,
        paging,
        [
            unit::Column::Name,
            unit::Column::CreatedAt,
            unit::Column::Id,
        ],
    )
    .await
}

/// The leader with `id`.
pub async fn get_leader(db: &impl ConnectionTrait, id: Uuid) -> Result<leader::Model> {
    leader::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: "leaders",
            id: id.to_string(),
        })
}

/// The unit with `id`.
pub async fn get_unit(db: &impl ConnectionTrait, id: Uuid) -> Result<unit::Model> {
    unit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: "units",
            id: id.to_string(),
        })
}

/// `select` narrowed to a city (by id or code) and a search.
pub(crate) fn filtered<E: EntityTrait>(
    mut select: Select<E>,
    city_column: impl ColumnTrait,
    filter: &NamedFilter,
    search: impl FnOnce(&str) -> Condition,
) -> Select<E> {
    match &filter.city {
        Some(IdOrName::Id(id)) => select = select.filter(city_column.eq(*id)),
        Some(IdOrName::Name(code)) => {
            select = select.filter(
                city_column.in_subquery(
                    Query::select()
                        .column(city::Column::Id)
                        .from(city::Entity)
                        .and_where(city::Column::Code.eq(code.clone()))
                        .take(),
                ),
            );
        }
        None => {}
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(search(q));
    }
    select
}

async fn page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    sort: Option<&str>,
    paging: Paging,
    [name, created_at, id]: [E::Column; 3],
) -> Result<Page<E::Model>>
where
    E::Model: Sync,
{
    let table = E::default().into_iden();
    let col = |c: E::Column| Expr::col((table.clone(), c));
    let keys = [
        ("name", vec![col(name)]),
        ("created_at", vec![col(created_at)]),
    ];
    let keys: Vec<(&str, &[_])> = keys
        .iter()
        .map(|(key, exprs)| (*key, exprs.as_slice()))
        .collect();
    let select = apply_sort(select, sort, &keys, col(id))?;
    fetch_page(db, select, paging).await
}
