//! The revision log: every write records who changed what, with the before and after of the
//! changed fields, in the write's own transaction. Its `seq` is the commit order, so the log is
//! also the change feed.

use chrono::Utc;
use entity::revision;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel, QuerySelect, Statement,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{domain::driver, error::Result};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub name: String,
}

impl Actor {
    /// The server itself, e.g. when it loads the seed documents.
    pub fn system() -> Self {
        Self { id: None, name: "system".to_owned() }
    }

    /// Whoever runs `duban` on the server's machine.
    pub fn command_line() -> Self {
        Self { id: None, name: "command-line".to_owned() }
    }
}

pub use crate::views::revisions::Action;

/// One change to record.
#[derive(Debug, Clone)]
pub struct Change {
    pub resource_type: &'static str,
    pub resource_id: Uuid,
    pub city_id: Option<Uuid>,
    pub action: Action,
    /// The resource as the API showed it before; `None` for a creation.
    pub before: Option<Value>,
    /// The resource as the API shows it after; `None` for a deletion.
    pub after: Option<Value>,
}

/// Appends `changes` to the log inside the caller's transaction, which must already hold a write.
///
/// The sequence number is taken under a lock held until the transaction ends, so appends are
/// numbered in commit order and a poller reading `seq > n` never skips a change that commits late.
/// PostgreSQL takes a transaction-scoped advisory lock; SQLite has one writer at a time already.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, changes: Vec<Change>) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({JOURNAL_LOCK})"),
        ))
        .await?;
    }
    let last: Option<i64> = revision::Entity::find()
        .select_only()
        .column_as(revision::Column::Seq.max(), "max")
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let now = Utc::now();
    let rows: Vec<revision::ActiveModel> = (last.unwrap_or(0) + 1..)
        .zip(changes)
        .map(|(seq, change)| {
            revision::Model {
                id: Uuid::now_v7(),
                seq,
                resource_type: change.resource_type.to_owned(),
                resource_id: change.resource_id,
                action: change.action.as_str().to_owned(),
                actor_id: actor.id,
                actor_name: actor.name.clone(),
                changes: diff(change.before.as_ref(), change.after.as_ref()),
                snapshot: change.after,
                city_id: change.city_id,
                created_at: now,
            }
            .into_active_model()
        })
        .collect();
    // An import records thousands at once: a few large statements, not one per change.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(2_000).collect();
        revision::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Waits for the writers ahead in the journal and holds them off until this transaction ends, so
/// that what it reads from here on includes every change committed before its own. PostgreSQL
/// takes a transaction-scoped advisory lock (re-entrant within the transaction); SQLite has one
/// writer at a time already.
pub async fn serialize(db: &impl ConnectionTrait) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock({JOURNAL_LOCK})"),
        ))
        .await?;
    }
    Ok(())
}

/// The latest snapshot recorded for each of the resources. Reads one revision per resource, not
/// their histories: a document gains a revision with every item written in it.
pub async fn last_recorded(
    db: &impl ConnectionTrait,
    targets: &[(&'static str, Uuid)],
) -> Result<std::collections::HashMap<(String, Uuid), Option<Value>>> {
    use sea_orm::QueryFilter;
    let mut last = std::collections::HashMap::new();
    let ids: Vec<Uuid> = targets.iter().map(|(_, id)| *id).collect();
    for chunk in ids.chunks(500) {
        let latest: Vec<i64> = revision::Entity::find()
            .select_only()
            .column_as(revision::Column::Seq.max(), "seq")
            .filter(revision::Column::ResourceId.is_in(chunk.iter().copied()))
            .group_by(revision::Column::ResourceType)
            .group_by(revision::Column::ResourceId)
            .into_tuple()
            .all(db)
            .await?;
        for row in revision::Entity::find().filter(revision::Column::Seq.is_in(latest)).all(db).await? {
            last.insert((row.resource_type, row.resource_id), row.snapshot);
        }
    }
    Ok(last)
}

/// The head of the log: the last change's position and time. Every write moves it, so it
/// validates any read: one small indexed query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Head {
    /// 0 when nothing was recorded yet.
    pub seq: i64,
    pub at: Option<chrono::DateTime<Utc>>,
}

/// The head of the log now, read on the pool's driver directly ([`driver`]): every revalidation
/// of a list asks it first.
pub async fn head(db: &DatabaseConnection) -> Result<Head> {
    const LATEST: &str = "SELECT seq, created_at FROM revisions ORDER BY seq DESC LIMIT 1";
    let Some(row) = driver::fetch_optional(db, LATEST, &[]).await? else { return Ok(Head::default()) };
    Ok(Head { seq: row.try_get("", "seq")?, at: Some(row.try_get("", "created_at")?) })
}

/// The key of the advisory lock that serialises journal appends ("duban" in ASCII).
const JOURNAL_LOCK: i64 = 0x0064_7562_616e;

/// `{"field": {"before": …, "after": …}}` for every top-level field that differs, ignoring
/// `updated_at`, which changes with every write.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    let empty = Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut changes = Map::new();
    for key in before.keys().chain(after.keys().filter(|k| !before.contains_key(*k))) {
        if key == "updated_at" {
            continue;
        }
        let (old, new) = (before.get(key).unwrap_or(&Value::Null), after.get(key).unwrap_or(&Value::Null));
        if old != new {
            let mut pair = Map::new();
            pair.insert("before".to_owned(), old.clone());
            pair.insert("after".to_owned(), new.clone());
            changes.insert(key.clone(), Value::Object(pair));
        }
    }
    Value::Object(changes)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"a": 1, "b": "x", "updated_at": "t1"});
        let after = json!({"a": 2, "b": "x", "c": true, "updated_at": "t2"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({"a": {"before": 1, "after": 2}, "c": {"before": null, "after": true}})
        );
        assert_eq!(diff(None, Some(&json!({"a": 1}))), json!({"a": {"before": null, "after": 1}}));
    }
}
