//! Cities.

use entity::city;
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::{
    error::{ApiError, Result},
    query::{IdOrName, Page, Paging, apply_sort, contains, fetch_page},
};

/// One page of cities whose name (Chinese or English) contains `q`.
pub async fn list(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    sort: Option<&str>,
    paging: Paging,
) -> Result<Page<city::Model>> {
    let mut select = city::Entity::find();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        select = select.filter(
            sea_orm::Condition::any()
                .add(contains(city::Column::Name, q))
                .add(contains(city::Column::NameEn, q)),
        );
    }
    let col = |c: city::Column| Expr::col((city::Entity, c));
    let keys = [
        ("code", vec![col(city::Column::Code)]),
        ("name", vec![col(city::Column::Name)]),
        ("name_en", vec![col(city::Column::NameEn)]),
        ("created_at", vec![col(city::Column::CreatedAt)]),
        ("updated_at", vec![col(city::Column::UpdatedAt)]),
    ];
    let keys: Vec<(&str, &[_])> = keys
        .iter()
        .map(|(name, exprs)| (*name, exprs.as_slice()))
        .collect();
    let select = apply_sort(select, sort, &keys, col(city::Column::Id))?;
    fetch_page(db, select, paging).await
}

/// The city with this id or admin division code.
pub async fn get(db: &impl ConnectionTrait, id_or_code: &str) -> Result<city::Model> {
    let key = IdOrName::parse_city(id_or_code).map_err(|_| {
        ApiError::bad_field(
            "id",
            "must be a city id (UUID) or a 6-digit admin division code",
        )
    })?;
    city::Entity::find()
        .filter(key.condition(city::Column::Id, city::Column::Code))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            resource: "cities",
            id: id_or_code.to_owned(),
        })
}
