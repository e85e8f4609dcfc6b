//! Accounts: the users resource, and logging in with failed attempts slowed down.

use std::{collections::HashMap, net::IpAddr};

use chrono::{DateTime, Duration, Utc};
use entity::{login_attempt, unit, user, user::UserRole, user_unit};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{Set, Unchanged},
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
    sea_query::{CaseStatement, Cond, Expr, OnConflict, Query},
};
use uuid::Uuid;

use crate::{
    domain::{
        auth::{jwt::TokenKeys, password},
        cities::resolve_city,
        collection,
        filter::id_or_name,
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
        reports::UnitRef,
        users::{UserIn, UserOut, UserPatch},
        values::{IdOrName, NonBlank},
    },
};

/// Failures allowed for one username before each further attempt has to wait.
const FREE_FAILURES: i32 = 5;
/// Failures allowed from one client address (over all usernames) before it has to wait: more
/// than for one username, since many people may share an address.
const FREE_CLIENT_FAILURES: i32 = 30;
/// The longest wait between attempts.
const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// Failures older than this are forgotten: the next one counts from 1.
const FORGET_AFTER_SECONDS: i64 = 60 * 60;

/// How long the next attempt must wait after `failures` failures: nothing for the first `free`,
/// then doubling from one second.
fn wait_after(failures: i32, free: i32) -> Duration {
    if failures < free {
        return Duration::zero();
    }
    let exponent = (failures - free).min(20) as u32;
    Duration::seconds((1_i64 << exponent).min(MAX_WAIT_SECONDS))
}

/// Who an attempt counts against: a username, or a client address. The address key holds a
/// space, which no username may, so the two never collide.
fn client_key(client: IpAddr) -> String {
    format!("client {client}")
}

/// Checks a username and password and issues a token: 401 when they do not match or the user is
/// disabled, 429 while earlier failures for this username, or from this client address, impose
/// a wait.
///
/// Every attempt is counted as a failure *before* the password is checked, by one statement that
/// also decides whether the attempt may go ahead ([`take_attempt`]); a success then takes the
/// failure back. So concurrent guesses cannot all slip through between a read and a write: at
/// most [`FREE_FAILURES`] passwords are checked for one username however many arrive at once.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    username: &str,
    password: String,
    client: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<String> {
    if let Some(client) = client {
        let key = client_key(client);
        if !take_attempt(db, &key, FREE_CLIENT_FAILURES, now).await? {
            return Err(too_many(db, &key, FREE_CLIENT_FAILURES, now, "from this address").await?);
        }
    }
    // A name no account can have is never looked up, nor counted under its own name (that would
    // let anyone lock out the client key): it only costs the client an attempt.
    let plausible = crate::views::values::username(username).is_ok();
    if plausible && !take_attempt(db, username, FREE_FAILURES, now).await? {
        // Refused before any password was checked: not a guess the client should pay for.
        if let Some(client) = client {
            give_back_attempt(db, &client_key(client)).await?;
        }
        return Err(too_many(db, username, FREE_FAILURES, now, "for this username").await?);
    }
    let found = match plausible {
        true => user::Entity::find().filter(user::Column::Username.eq(username)).one(db).await?,
        false => None,
    };
    let matches = password::verify_blocking(password, found.as_ref().map(|u| u.password_hash.clone())).await?;
    let Some(user) = found.filter(|_| matches) else {
        metrics::counter!("duban_login_failures_total").increment(1);
        return Err(ApiError::Unauthorized("the username or password is wrong".to_owned()));
    };
    login_attempt::Entity::delete_by_id(username.to_owned()).exec(db).await?;
    if let Some(client) = client {
        give_back_attempt(db, &client_key(client)).await?;
    }
    if user.disabled {
        return Err(ApiError::Unauthorized("the user is disabled".to_owned()));
    }
    Ok(keys.issue(&user, now)?)
}

/// Counts one failed attempt against `key` and says whether it may go ahead, in one statement:
/// an upsert whose update only happens (and only returns a row) when the failures so far impose
/// no wait at `now`. Rows lock on conflict, so concurrent attempts are decided one after another.
async fn take_attempt(db: &impl ConnectionTrait, key: &str, free: i32, now: DateTime<Utc>) -> Result<bool> {
    use sea_orm::sea_query::ExprTrait;
    let failures = || Expr::col((login_attempt::Entity, login_attempt::Column::Failures));
    let last_failed_at = || Expr::col((login_attempt::Entity, login_attempt::Column::LastFailedAt));
    let stale = now - Duration::seconds(FORGET_AFTER_SECONDS);
    // For each count of failures that imposes a wait, the latest failure time that lets an
    // attempt through now; past the doubling, the longest wait.
    let mut latest_allowed = CaseStatement::new();
    let mut count = free;
    while wait_after(count, free) < Duration::seconds(MAX_WAIT_SECONDS) {
        latest_allowed = latest_allowed.case(failures().eq(count), now - wait_after(count, free));
        count += 1;
    }
    let latest_allowed = latest_allowed.finally(now - Duration::seconds(MAX_WAIT_SECONDS));
    let may_try =
        Cond::any().add(failures().lt(free)).add(last_failed_at().lte(latest_allowed)).add(last_failed_at().lt(stale));
    let counted = CaseStatement::new().case(last_failed_at().lt(stale), 1).finally(failures().add(1));
    let statement = Query::insert()
        .into_table(login_attempt::Entity)
        .columns([
            login_attempt::Column::Username,
            login_attempt::Column::Failures,
            login_attempt::Column::LastFailedAt,
        ])
        .values([key.into(), 1.into(), now.into()])
        .map_err(|error| anyhow::anyhow!("Failed to build the login attempt statement: {error}"))?
        .on_conflict(
            OnConflict::column(login_attempt::Column::Username)
                .value(login_attempt::Column::Failures, counted)
                .value(login_attempt::Column::LastFailedAt, now)
                .action_and_where(may_try.into())
                .to_owned(),
        )
        .returning_col(login_attempt::Column::Failures)
        .to_owned();
    Ok(db.query_one(&statement).await?.is_some())
}

/// Takes back the failure [`take_attempt`] counted for an attempt that succeeded.
async fn give_back_attempt(db: &impl ConnectionTrait, key: &str) -> Result<()> {
    use sea_orm::sea_query::ExprTrait;
    login_attempt::Entity::update_many()
        .col_expr(login_attempt::Column::Failures, Expr::col(login_attempt::Column::Failures).sub(1))
        .filter(login_attempt::Column::Username.eq(key))
        .filter(login_attempt::Column::Failures.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// The 429 for a refused attempt, with the wait still due for `key`.
async fn too_many(
    db: &impl ConnectionTrait,
    key: &str,
    free: i32,
    now: DateTime<Utc>,
    whose: &str,
) -> Result<ApiError> {
    let attempts = login_attempt::Entity::find_by_id(key.to_owned()).one(db).await?;
    let retry_after =
        attempts.map(|a| (a.last_failed_at + wait_after(a.failures, free) - now).num_seconds()).unwrap_or(1).max(1)
            as u64;
    Ok(ApiError::TooManyRequests {
        detail: format!("too many failed logins {whose}; try again in {retry_after} s"),
        retry_after,
    })
}

/// Creates a user for the command line's `duban user create`, through the same pipeline as the
/// API (so it reaches the revision log); returns its id.
pub async fn create_user(
    db: &sea_orm::DatabaseConnection,
    username: &str,
    password: &str,
    role: UserRole,
    city: Option<&str>,
    units: &[String],
) -> Result<Uuid> {
    let units = units
        .iter()
        .map(|unit| serde_json::from_value(serde_json::Value::String(unit.clone())))
        .collect::<std::result::Result<_, _>>()
        .map_err(|error| anyhow::Error::new(error).context("Failed to read a unit name"))?;
    let input = UserIn {
        username: username.to_owned(),
        password: password.to_owned(),
        role,
        city: city.map(str::to_owned),
        units,
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
    let mut units = units_by_user(db, listing.items.iter().map(|u| u.id)).await?;
    Ok(listing.map(|u| {
        let city = u.city_id.and_then(|id| cities.get(&id).cloned());
        let units = units.remove(&u.id).unwrap_or_default();
        user_out(u, city, units)
    }))
}

/// The units each of the users speaks for, by name.
async fn units_by_user(
    db: &impl ConnectionTrait,
    user_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Vec<UnitRef>>> {
    let rows: Vec<(Uuid, Uuid, String)> = user_unit::Entity::find()
        .select_only()
        .column(user_unit::Column::UserId)
        .column(user_unit::Column::UnitId)
        .column(unit::Column::Name)
        .join(JoinType::InnerJoin, user_unit::Relation::Unit.def())
        .filter(user_unit::Column::UserId.is_in(user_ids))
        .order_by_asc(unit::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_user: HashMap<Uuid, Vec<UnitRef>> = HashMap::new();
    for (user, id, name) in rows {
        by_user.entry(user).or_default().push(UnitRef { id, name });
    }
    Ok(by_user)
}

/// Sets the units `user_id` speaks for, named by id or exact name in `city`.
async fn set_units(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    city: Option<Uuid>,
    names: &[NonBlank<100>],
) -> Result<()> {
    user_unit::Entity::delete_many().filter(user_unit::Column::UserId.eq(user_id)).exec(db).await?;
    let mut rows: Vec<user_unit::ActiveModel> = Vec::new();
    let mut errors = Vec::new();
    for (position, name) in names.iter().enumerate() {
        let field = format!("units[{position}]");
        let found = match city {
            Some(city) => {
                unit::Entity::find()
                    .filter(unit::Column::CityId.eq(city))
                    .filter(id_or_name(&IdOrName::parse(name.trimmed()), unit::Column::Id, unit::Column::Name))
                    .one(db)
                    .await?
            }
            None => None,
        };
        match found {
            None => errors.push(FieldError::new(field, "names no unit of the user's city")),
            Some(unit) if rows.iter().any(|row| row.unit_id.as_ref() == &unit.id) => {
                errors.push(FieldError::new(field, "is listed twice"));
            }
            Some(unit) => rows.push(user_unit::Model { user_id, unit_id: unit.id }.into_active_model()),
        }
    }
    if let Some(first) = errors.first() {
        return Err(ApiError::invalid(format!("{}: {}", first.field, first.message), errors));
    }
    if !rows.is_empty() {
        user_unit::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// 422 unless the user's role, city and units agree: a reporter speaks for one unit at least, of
/// its one city; nobody else speaks for any.
fn check_scope(out: &UserOut) -> Result<()> {
    let invalid = |field: &str, message: &str| {
        Err(ApiError::invalid(format!("{field}: {message}"), vec![FieldError::new(field, message)]))
    };
    match out.role {
        UserRole::Reporter if out.city.is_none() => invalid("city", "a reporter needs a city"),
        UserRole::Reporter if out.units.is_empty() => invalid("units", "a reporter needs one unit at least"),
        UserRole::Reporter => Ok(()),
        _ if !out.units.is_empty() => invalid("units", "only a reporter speaks for units"),
        _ => Ok(()),
    }
}

fn user_out(u: user::Model, city: Option<CityRef>, units: Vec<UnitRef>) -> UserOut {
    UserOut {
        id: u.id,
        username: u.username,
        role: u.role,
        city,
        units,
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
        let units = units_by_user(db, [user.id]).await?.remove(&user.id).unwrap_or_default();
        Ok(user_out(user, city, units))
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
        let user = user.into_active_model().insert(db).await?;
        set_units(db, user.id, user.city_id, &input.units).await?;
        check_scope(&Self::load(db, user.id).await?)?;
        Ok(user.id)
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
            units: Some(input.units),
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
        let user = active.update(db).await?;
        match patch.units {
            Some(units) => set_units(db, user.id, user.city_id, &units).await?,
            // A reporter moved to another city keeps no unit of the old one.
            None if user.city_id != current.city.as_ref().map(|c| c.id) => {
                let kept: Vec<NonBlank<100>> = Vec::new();
                set_units(db, user.id, user.city_id, &kept).await?;
            }
            None => {}
        }
        check_scope(&Self::load(db, user.id).await?)?;
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
        assert_eq!(wait_after(4, FREE_FAILURES), Duration::zero());
        assert_eq!(wait_after(5, FREE_FAILURES), Duration::seconds(1));
        assert_eq!(wait_after(7, FREE_FAILURES), Duration::seconds(4));
        assert_eq!(wait_after(100, FREE_FAILURES), Duration::seconds(MAX_WAIT_SECONDS));
    }
}
