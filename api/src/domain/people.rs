//! Leaders and units: the named parties of one city that items point to.

use entity::{city, item, item_unit, leader, progress_report, unit, user_unit};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Select,
    sea_query::{Expr, IntoIden, Query},
};
use uuid::Uuid;

use crate::{
    domain::{
        by_id,
        cities::resolve_city,
        collection,
        dependents::{self, Target},
        filter::contains,
        journal::Change,
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        resource::{Resource, WriteContext},
    },
    error::{ApiError, FieldError, Result},
    views::{
        CityRef,
        people::{LeaderIn, LeaderOut, LeaderPatch, NamedListParams, UnitIn, UnitOut, UnitPatch},
        values::{IdOrName, NonBlank},
    },
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
    page: &PageRequest,
) -> Result<Listing<leader::Model>> {
    let select = filtered(leader::Entity::find(), leader::Column::CityId, filter, |q| {
        Condition::any().add(contains(leader::Column::Name, q)).add(contains(leader::Column::Title, q))
    });
    sorted_page(db, select, sort, page, [leader::Column::Name, leader::Column::CreatedAt, leader::Column::Id]).await
}

/// One page of units.
pub async fn list_units(
    db: &impl ConnectionTrait,
    filter: &NamedFilter,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<unit::Model>> {
    let select = filtered(unit::Entity::find(), unit::Column::CityId, filter, |q| {
        Condition::all().add(contains(unit::Column::Name, q))
    });
    sorted_page(db, select, sort, page, [unit::Column::Name, unit::Column::CreatedAt, unit::Column::Id]).await
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

async fn sorted_page<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    sort: Option<&str>,
    page: &PageRequest,
    [name, created_at, id]: [E::Column; 3],
) -> Result<Listing<E::Model>>
where
    E::Model: Sync,
{
    let table = E::default().into_iden();
    let col = |c: E::Column, pointer, kind| SortColumn::new(Expr::col((table.clone(), c)), pointer, kind);
    let keys = [
        SortKey::new("name", vec![col(name, "/name", KeyKind::Text)]),
        SortKey::new("created_at", vec![col(created_at, "/created_at", KeyKind::Time)]),
    ];
    let ordering = resolve_sort(sort, &keys, col(id, "/id", KeyKind::Uuid))?;
    fetch(db, select, ordering, page).await
}

/// The cities of `city_ids`, for embedding.
pub(crate) async fn cities_of(
    db: &impl ConnectionTrait,
    city_ids: impl IntoIterator<Item = Uuid>,
) -> Result<std::collections::HashMap<Uuid, CityRef>> {
    let cities = city::Entity::find().filter(city::Column::Id.is_in(city_ids)).all(db).await?;
    Ok(by_id(cities, |c| c.id).into_iter().map(|(id, c)| (id, CityRef::from(&c))).collect())
}

pub fn leader_out(l: leader::Model, city: CityRef) -> LeaderOut {
    LeaderOut { id: l.id, city, name: l.name, title: l.title, created_at: l.created_at, updated_at: l.updated_at }
}

pub fn unit_out(u: unit::Model, city: CityRef) -> UnitOut {
    UnitOut { id: u.id, city, name: u.name, created_at: u.created_at, updated_at: u.updated_at }
}

/// Embeds each record's city, which every record has (the foreign key guarantees it).
pub async fn with_cities<M, T>(
    db: &impl ConnectionTrait,
    models: Vec<M>,
    city_id: impl Fn(&M) -> Uuid,
    out: impl Fn(M, CityRef) -> T,
) -> Result<Vec<T>> {
    let cities = cities_of(db, models.iter().map(&city_id)).await?;
    models
        .into_iter()
        .map(|m| {
            let city =
                cities.get(&city_id(&m)).cloned().ok_or_else(|| anyhow::anyhow!("a record's city is missing"))?;
            Ok(out(m, city))
        })
        .collect()
}

/// Leaders as a writable resource.
pub struct Leaders;

impl Resource for Leaders {
    const COLLECTION: &'static str = collection::LEADERS;
    const TABLE: &'static str = "leaders";
    type Out = LeaderOut;
    type In = LeaderIn;
    type Patch = LeaderPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<LeaderOut> {
        let leader = leader::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::NotFound { resource: "leaders", id: id.to_string() })?;
        one_with_city(db, leader, |l| l.city_id, leader_out).await
    }

    fn city_of(out: &LeaderOut) -> Option<Uuid> {
        Some(out.city.id)
    }

    async fn city_of_input(db: &impl ConnectionTrait, input: &LeaderIn) -> Result<Option<Uuid>> {
        Ok(Some(resolve_city(db, &input.city, "city").await?))
    }

    async fn insert(db: &impl ConnectionTrait, input: LeaderIn, ctx: &WriteContext) -> Result<Uuid> {
        let leader = leader::Model {
            id: Uuid::now_v7(),
            city_id: resolve_city(db, &input.city, "city").await?,
            name: input.name.trim().to_owned(),
            title: input.title.map(|t| t.trim().to_owned()),
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        Ok(leader.into_active_model().insert(db).await?.id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &LeaderOut,
        input: LeaderIn,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        same_city(db, current.city.id, &input.city).await?;
        Self::patch(
            db,
            current,
            LeaderPatch { name: Some(input.name), title: Some(input.title.map(NonBlank::into_inner)) },
            ctx,
        )
        .await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &LeaderOut,
        patch: LeaderPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active =
            leader::ActiveModel { id: Unchanged(current.id), updated_at: Set(ctx.now), ..Default::default() };
        if let Some(name) = patch.name {
            active.name = Set(name.trim().to_owned());
        }
        if let Some(title) = patch.title {
            active.title = Set(title.map(|t| t.trim().to_owned()));
        }
        active.update(db).await?;
        Ok(Vec::new())
    }

    async fn dependents(db: &impl ConnectionTrait, current: &LeaderOut) -> Result<Vec<Target>> {
        dependents::of_leader(db, current.id).await
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &LeaderOut,
        _cascade: bool,
        _: &WriteContext,
    ) -> Result<Vec<Change>> {
        let items = item::Entity::find().filter(item::Column::LeaderId.eq(current.id)).count(db).await?;
        if items > 0 {
            return Err(ApiError::Conflict(format!(
                "the leader leads {items} item(s); give them another leader or delete them first"
            )));
        }
        leader::Entity::delete_by_id(current.id).exec(db).await?;
        Ok(Vec::new())
    }
}

/// Units as a writable resource.
pub struct Units;

impl Resource for Units {
    const COLLECTION: &'static str = collection::UNITS;
    const TABLE: &'static str = "units";
    type Out = UnitOut;
    type In = UnitIn;
    type Patch = UnitPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<UnitOut> {
        let unit = unit::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::NotFound { resource: "units", id: id.to_string() })?;
        one_with_city(db, unit, |u| u.city_id, unit_out).await
    }

    fn city_of(out: &UnitOut) -> Option<Uuid> {
        Some(out.city.id)
    }

    async fn city_of_input(db: &impl ConnectionTrait, input: &UnitIn) -> Result<Option<Uuid>> {
        Ok(Some(resolve_city(db, &input.city, "city").await?))
    }

    async fn insert(db: &impl ConnectionTrait, input: UnitIn, ctx: &WriteContext) -> Result<Uuid> {
        let unit = unit::Model {
            id: Uuid::now_v7(),
            city_id: resolve_city(db, &input.city, "city").await?,
            name: input.name.trim().to_owned(),
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        Ok(unit.into_active_model().insert(db).await?.id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &UnitOut,
        input: UnitIn,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        same_city(db, current.city.id, &input.city).await?;
        Self::patch(db, current, UnitPatch { name: Some(input.name) }, ctx).await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &UnitOut,
        patch: UnitPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active =
            unit::ActiveModel { id: Unchanged(current.id), updated_at: Set(ctx.now), ..Default::default() };
        if let Some(name) = patch.name {
            active.name = Set(name.trim().to_owned());
        }
        active.update(db).await?;
        Ok(Vec::new())
    }

    async fn dependents(db: &impl ConnectionTrait, current: &UnitOut) -> Result<Vec<Target>> {
        dependents::of_unit(db, current.id).await
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &UnitOut,
        _cascade: bool,
        _: &WriteContext,
    ) -> Result<Vec<Change>> {
        let items = item_unit::Entity::find().filter(item_unit::Column::UnitId.eq(current.id)).count(db).await?;
        if items > 0 {
            return Err(ApiError::Conflict(format!(
                "the unit is named by {items} item(s); take it off them or delete them first"
            )));
        }
        let reports =
            progress_report::Entity::find().filter(progress_report::Column::UnitId.eq(current.id)).count(db).await?;
        let reporters = user_unit::Entity::find().filter(user_unit::Column::UnitId.eq(current.id)).count(db).await?;
        if reports + reporters > 0 {
            return Err(ApiError::Conflict(format!(
                "the unit filed {reports} progress report(s) and {reporters} reporter(s) speak for it; they keep it"
            )));
        }
        unit::Entity::delete_by_id(current.id).exec(db).await?;
        Ok(Vec::new())
    }
}

/// The Out of one model, with its city embedded.
async fn one_with_city<M, T>(
    db: &impl ConnectionTrait,
    model: M,
    city_id: impl Fn(&M) -> Uuid,
    out: impl Fn(M, CityRef) -> T,
) -> Result<T> {
    let mut outs = with_cities(db, vec![model], city_id, out).await?;
    outs.pop().ok_or_else(|| anyhow::anyhow!("a record vanished while loading").into())
}

/// 422 unless `city` (id or code) names the city `current`: a record cannot move between cities.
pub(crate) async fn same_city(db: &impl ConnectionTrait, current: Uuid, city: &str) -> Result<()> {
    if resolve_city(db, city, "city").await? == current {
        Ok(())
    } else {
        Err(ApiError::invalid("the city cannot change", vec![FieldError::new("city", "cannot change")]))
    }
}

impl NamedFilter {
    /// The filter the query parameters of a leader or unit list ask for.
    pub fn from_params(params: &NamedListParams) -> Result<Self> {
        Ok(Self { city: params.city.as_deref().map(IdOrName::parse_city).transpose()?, q: params.q.clone() })
    }
}
