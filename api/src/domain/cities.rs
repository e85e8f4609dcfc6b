//! Cities.

use entity::{city, document, leader, unit, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    domain::{
        collection,
        dependents::{self, Target},
        filter::{contains, id_or_name},
        journal::Change,
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        resource::{Resource, WriteContext},
    },
    error::{ApiError, FieldError, Result},
    views::{
        cities::{CityIn, CityOut, CityPatch},
        values::IdOrName,
    },
};

/// One page of cities whose name (Chinese or English) contains `q`.
pub async fn list(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    sort: Option<&str>,
    page: &PageRequest,
) -> Result<Listing<city::Model>> {
    let mut select = city::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            sea_orm::Condition::any().add(contains(city::Column::Name, q)).add(contains(city::Column::NameEn, q)),
        );
    }
    let col = |c: city::Column, pointer, kind| SortColumn::new(Expr::col((city::Entity, c)), pointer, kind);
    let keys = [
        SortKey::new("code", vec![col(city::Column::Code, "/code", KeyKind::Text)]),
        SortKey::new("name", vec![col(city::Column::Name, "/name", KeyKind::Text)]),
        SortKey::new("name_en", vec![col(city::Column::NameEn, "/name_en", KeyKind::Text)]),
        SortKey::new("created_at", vec![col(city::Column::CreatedAt, "/created_at", KeyKind::Time)]),
        SortKey::new("updated_at", vec![col(city::Column::UpdatedAt, "/updated_at", KeyKind::Time)]),
    ];
    let ordering = resolve_sort(sort, &keys, col(city::Column::Id, "/id", KeyKind::Uuid))?;
    fetch(db, select, ordering, page).await
}

/// The city with this id or admin division code.
pub async fn get(db: &impl ConnectionTrait, id_or_code: &str) -> Result<city::Model> {
    let key = IdOrName::parse_city(id_or_code)
        .map_err(|_| ApiError::bad_field("id", "must be a city id (UUID) or a 6-digit admin division code"))?;
    city::Entity::find()
        .filter(id_or_name(&key, city::Column::Id, city::Column::Code))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound { resource: "cities", id: id_or_code.to_owned() })
}

/// Cities as a writable resource: only admins write them.
pub struct Cities;

impl Resource for Cities {
    const COLLECTION: &'static str = collection::CITIES;
    const TABLE: &'static str = "cities";
    type Out = CityOut;
    type In = CityIn;
    type Patch = CityPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<CityOut> {
        let city = city::Entity::find_by_id(id).one(db).await?;
        city.map(CityOut::from).ok_or_else(|| ApiError::NotFound { resource: "cities", id: id.to_string() })
    }

    fn city_of(_: &CityOut) -> Option<Uuid> {
        None
    }

    async fn city_of_input(_: &impl ConnectionTrait, _: &CityIn) -> Result<Option<Uuid>> {
        Ok(None)
    }

    async fn insert(db: &impl ConnectionTrait, input: CityIn, ctx: &WriteContext) -> Result<Uuid> {
        let city = city::Model {
            id: Uuid::now_v7(),
            code: input.code,
            name: input.name.trim().to_owned(),
            name_en: input.name_en.trim().to_owned(),
            province: input.province.trim().to_owned(),
            prefecture: input.prefecture.trim().to_owned(),
            reporting_cycle: input.reporting_cycle,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        Ok(city.into_active_model().insert(db).await?.id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &CityOut,
        input: CityIn,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let patch = CityPatch {
            code: Some(input.code),
            name: Some(input.name),
            name_en: Some(input.name_en),
            province: Some(input.province),
            prefecture: Some(input.prefecture),
            reporting_cycle: Some(input.reporting_cycle),
        };
        Self::patch(db, current, patch, ctx).await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &CityOut,
        patch: CityPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active = city::ActiveModel { id: sea_orm::ActiveValue::Unchanged(current.id), ..Default::default() };
        let trimmed = |s: &str| s.trim().to_owned();
        if let Some(code) = patch.code {
            active.code = Set(code);
        }
        if let Some(name) = patch.name {
            active.name = Set(trimmed(&name));
        }
        if let Some(name_en) = patch.name_en {
            active.name_en = Set(trimmed(&name_en));
        }
        if let Some(province) = patch.province {
            active.province = Set(trimmed(&province));
        }
        if let Some(prefecture) = patch.prefecture {
            active.prefecture = Set(trimmed(&prefecture));
        }
        if let Some(cycle) = patch.reporting_cycle {
            active.reporting_cycle = Set(cycle);
        }
        active.updated_at = Set(ctx.now);
        active.update(db).await?;
        Ok(Vec::new())
    }

    async fn dependents(db: &impl ConnectionTrait, current: &CityOut) -> Result<Vec<Target>> {
        dependents::of_city(db, current.id).await
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &CityOut,
        _cascade: bool,
        _: &WriteContext,
    ) -> Result<Vec<Change>> {
        let id = current.id;
        let documents = document::Entity::find().filter(document::Column::CityId.eq(id)).count(db).await?;
        let leaders = leader::Entity::find().filter(leader::Column::CityId.eq(id)).count(db).await?;
        let units = unit::Entity::find().filter(unit::Column::CityId.eq(id)).count(db).await?;
        let users = user::Entity::find().filter(user::Column::CityId.eq(id)).count(db).await?;
        if documents + leaders + units + users > 0 {
            return Err(ApiError::Conflict(format!(
                "the city is referenced by {documents} document(s), {leaders} leader(s), {units} unit(s) and \
                 {users} user(s); delete or move them first"
            )));
        }
        city::Entity::delete_by_id(id).exec(db).await?;
        Ok(Vec::new())
    }
}

/// The id of the city `value` names (id or admin code); a 422 on `field` when there is none.
pub async fn resolve_city(db: &impl ConnectionTrait, value: &str, field: &str) -> Result<Uuid> {
    let unknown = || ApiError::invalid(format!("{field}: no such city"), vec![FieldError::new(field, "names no city")]);
    let key = IdOrName::parse_city(value).map_err(|_| unknown())?;
    let found = city::Entity::find().filter(id_or_name(&key, city::Column::Id, city::Column::Code)).one(db).await?;
    found.map(|c| c.id).ok_or_else(unknown)
}
