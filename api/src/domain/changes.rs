//! The change feed: every creation, update and deletion in commit order, read from the revision
//! log (whose `seq` is the commit order, see [`crate::domain::journal`]).

use entity::revision;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    domain::{cities::resolve_city, collection},
    error::{ApiError, Result},
    views::{
        changes::{ChangeOut, ChangesOut, ChangesParams},
        revisions::ActorOut,
        values::IdOrName,
    },
};

/// The changes after `params.since`, at most `params.limit`, optionally of one city or
/// collection. User changes are left out: accounts are not published.
pub async fn list(db: &impl ConnectionTrait, params: &ChangesParams) -> Result<ChangesOut> {
    let since = match params.since.as_deref() {
        None | Some("") => 0,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| ApiError::bad_field("since", "is not a cursor from this feed"))?,
    };
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::bad_field("limit", "must be between 1 and 1000"));
    }
    let mut select = revision::Entity::find()
        .filter(revision::Column::Seq.gt(since))
        .filter(revision::Column::ResourceType.ne(collection::USERS))
        .order_by_asc(revision::Column::Seq);
    if let Some(city) = params.city.as_deref() {
        IdOrName::parse_city(city)?;
        // A well-formed city that does not exist simply has no changes.
        let city_id = resolve_city(db, city, "city").await.ok().unwrap_or_default();
        select = select.filter(revision::Column::CityId.eq(city_id));
    }
    if let Some(wanted) = params.resource_type.as_deref() {
        if !collection::ALL.contains(&wanted) || wanted == collection::USERS {
            return Err(ApiError::bad_field("resource_type", "names no published collection"));
        }
        select = select.filter(revision::Column::ResourceType.eq(wanted));
    }
    let mut rows = select.limit(limit as u64 + 1).all(db).await?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = rows.last().map_or(since, |r| r.seq).to_string();
    let changes = rows
        .into_iter()
        .map(|r| ChangeOut {
            cursor: r.seq.to_string(),
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            action: r.action,
            changed_at: r.created_at,
            actor: ActorOut { id: r.actor_id, name: r.actor_name },
            resource: r.snapshot,
        })
        .collect();
    Ok(ChangesOut { changes, next, has_more })
}
