//! Accounts: the users resource, and logging in with failed attempts slowed down.

use chrono::{DateTime, Duration, Utc};
use entity::{login_attempt, user, user::UserRole};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use crate::{
    domain::{
        auth::{jwt::TokenKeys, password},
        cities::resolve_city,
        collection,
        journal::Actor,
        journal::Change,
        paging::{KeyKind, Listing, PageRequest, SortColumn, SortKey, fetch, resolve_sort},
        people::cities_of,
        pipeline,
        resource::{Resource, Trusted, WriteContext},
    },
    error::{ApiError, FieldError, Result, validation_problem},
    views::{
        CityRef,
        users::{UserIn, UserOut, UserPatch},
    },
};

/// Failures allowed before each further attempt has to wait.
const FREE_FAILURES: i32 = 5;
/// The longest wait between attempts.
const MAX_WAIT_SECONDS: i64 = 15 * 60;

/// How long the next attempt must wait after `failures` failures: nothing for the first few,
/// then doubling from one second.
fn wait_after(failures: i32) -> Duration {
    if failures < FREE_FAILURES {
        return Duration::zero();
    }
    let exponent = (failures - FREE_FAILURES).min(20) as u32;
    Duration::seconds((1_i64 << exponent).min(MAX_WAIT_SECONDS))
}

/// Checks a username and password and issues a token: 401 when they do not match or the user is
/// disabled, 429 while earlier failures for this username impose a wait.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    username: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<String> {
    let attempts = login_attempt::Entity::find_by_id(username.to_owned()).one(db).await?;
    if let Some(attempts) = &attempts {
        let ready_at = attempts.last_failed_at + wait_after(attempts.failures);
        if ready_at > now {
            let retry_after = (ready_at - now).num_seconds().max(1) as u64;
            return Err(ApiError::TooManyRequests {
                detail: format!("too many failed logins for this username; try again in {retry_after} s"),
                retry_after,
            });
        }
    }
    let found = user::Entity::find().filter(user::Column::Username.eq(username)).one(db).await?;
    let matches = password::verify_blocking(password, found.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = found.filter(|_| matches) else {
        record_failure(db, username, attempts.map_or(0, |a| a.failures) + 1, now).await?;
        return Err(ApiError::Unauthorized("the username or password is wrong".to_owned()));
    };
    if attempts.is_some() {
        login_attempt::Entity::delete_by_id(username.to_owned()).exec(db).await?;
    }
    if user.disabled {
        return Err(ApiError::Unauthorized("the user is disabled".to_owned()));
    }
    Ok(keys.issue(&user, now)?)
}

async fn record_failure(db: &impl ConnectionTrait, username: &str, failures: i32, now: DateTime<Utc>) -> Result<()> {
    let row = login_attempt::Model { username: username.to_owned(), failures, last_failed_at: now };
    login_attempt::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(login_attempt::Column::Username)
                .update_columns([login_attempt::Column::Failures, login_attempt::Column::LastFailedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Creates a user for the command line's `duban user create`, through the same pipeline as the
/// API (so it reaches the revision log); returns its id.
pub async fn create_user(
    db: &sea_orm::DatabaseConnection,
    username: &str,
    password: &str,
    role: UserRole,
    city: Option<&str>,
) -> Result<Uuid> {
    let input = UserIn {
        username: username.to_owned(),
        password: password.to_owned(),
        role,
        city: city.map(str::to_owned),
        disabled: None,
    };
    validator::Validate::validate(&input).map_err(validation_problem)?;
    let (id, _) = pipeline::create::<Users>(db, &Trusted(Actor::command_line()), input).await?;
    Ok(id)
}

/// One page of users, by username.
pub async fn list(db: &impl ConnectionTrait, sort: Option<&str>, page: &PageRequest) -> Result<Listing<UserOut>> {
    let col = |c: user::Column, pointer, kind| SortColumn::new(Expr::col((user::Entity, c)), pointer, kind);
    let keys = [
        SortKey::new("username", vec![col(user::Column::Username, "/username", KeyKind::Text)]),
        SortKey::new("created_at", vec![col(user::Column::CreatedAt, "/created_at", KeyKind::Time)]),
    ];
    let ordering = resolve_sort(sort, &keys, col(user::Column::Id, "/id", KeyKind::Uuid))?;
    let listing = fetch(db, user::Entity::find(), ordering, page).await?;
    let cities = cities_of(db, listing.items.iter().filter_map(|u| u.city_id)).await?;
    Ok(listing.map(|u| {
        let city = u.city_id.and_then(|id| cities.get(&id).cloned());
        user_out(u, city)
    }))
}

fn user_out(u: user::Model, city: Option<CityRef>) -> UserOut {
    UserOut {
        id: u.id,
        username: u.username,
        role: u.role,
        city,
        disabled: u.disabled,
        password_changed_at: u.password_changed_at,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

async fn city_id(db: &impl ConnectionTrait, city: Option<&str>) -> Result<Option<Uuid>> {
    match city {
        None => Ok(None),
        Some(value) => Ok(Some(resolve_city(db, value, "city").await?)),
    }
}

/// Users as a writable resource: only admins read or write them.
pub struct Users;

impl Resource for Users {
    const COLLECTION: &'static str = collection::USERS;
    const TABLE: &'static str = "users";
    type Out = UserOut;
    type In = UserIn;
    type Patch = UserPatch;

    async fn load(db: &impl ConnectionTrait, id: Uuid) -> Result<UserOut> {
        let user = user::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::NotFound { resource: "users", id: id.to_string() })?;
        let cities = cities_of(db, user.city_id).await?;
        let city = user.city_id.and_then(|id| cities.get(&id).cloned());
        Ok(user_out(user, city))
    }

    fn city_of(_: &UserOut) -> Option<Uuid> {
        None
    }

    async fn city_of_input(_: &impl ConnectionTrait, _: &UserIn) -> Result<Option<Uuid>> {
        Ok(None)
    }

    async fn insert(db: &impl ConnectionTrait, input: UserIn, ctx: &WriteContext) -> Result<Uuid> {
        let user = user::Model {
            id: Uuid::now_v7(),
            username: input.username,
            password_hash: password::hash_blocking(input.password).await?,
            role: input.role,
            city_id: city_id(db, input.city.as_deref()).await?,
            disabled: input.disabled.unwrap_or(false),
            password_changed_at: ctx.now,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        Ok(user.into_active_model().insert(db).await?.id)
    }

    async fn replace(
        db: &impl ConnectionTrait,
        current: &UserOut,
        input: UserIn,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        if input.username != current.username {
            return Err(ApiError::invalid(
                "username: cannot change",
                vec![FieldError::new("username", "cannot change")],
            ));
        }
        let patch = UserPatch {
            role: Some(input.role),
            city: Some(input.city),
            password: Some(input.password),
            disabled: Some(input.disabled.unwrap_or(false)),
        };
        Self::patch(db, current, patch, ctx).await
    }

    async fn patch(
        db: &impl ConnectionTrait,
        current: &UserOut,
        patch: UserPatch,
        ctx: &WriteContext,
    ) -> Result<Vec<Change>> {
        let mut active =
            user::ActiveModel { id: Unchanged(current.id), updated_at: Set(ctx.now), ..Default::default() };
        if let Some(role) = patch.role {
            active.role = Set(role);
        }
        if let Some(city) = patch.city {
            active.city_id = Set(city_id(db, city.as_deref()).await?);
        }
        if let Some(password) = patch.password {
            active.password_hash = Set(password::hash_blocking(password).await?);
            // Every token issued before now stops working.
            active.password_changed_at = Set(ctx.now);
        }
        if let Some(disabled) = patch.disabled {
            active.disabled = Set(disabled);
        }
        active.update(db).await?;
        Ok(Vec::new())
    }

    async fn delete(
        db: &impl ConnectionTrait,
        current: &UserOut,
        _cascade: bool,
        _: &WriteContext,
    ) -> Result<Vec<Change>> {
        user::Entity::delete_by_id(current.id).exec(db).await?;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_failures() {
        assert_eq!(wait_after(4), Duration::zero());
        assert_eq!(wait_after(5), Duration::seconds(1));
        assert_eq!(wait_after(7), Duration::seconds(4));
        assert_eq!(wait_after(100), Duration::seconds(MAX_WAIT_SECONDS));
    }
}
