//! The revision log: every write records who changed what, with the before and after of the
//! changed fields, in the write's own transaction. Its `seq` is the commit order, so the log is
//! also the change feed.

use chrono::Utc;
use entity::revision;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QuerySelect, Statement};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    domain::{driver::Direct, overlap},
    error::Result,
    views::revisions::RevisionOut,
};

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
    let backend = db.get_database_backend();
    let one_statement = changes.len() <= ROWS_PER_STATEMENT;
    let statements = statements(backend, actor.clone(), last.unwrap_or(0) + 1, changes);
    if one_statement {
        for statement in statements {
            db.execute_raw(statement?).await?;
        }
        return Ok(());
    }
    // An import records thousands at once: a few large statements, each built while the one
    // before runs.
    overlap::run_while_built(db, move |out| {
        for statement in statements {
            out.send(statement?)?;
        }
        Ok(())
    })
    .await
}

/// The statements that append `changes`, numbered from `first_seq`, [`ROWS_PER_STATEMENT`] rows
/// each, built one at a time as they are asked for.
fn statements(
    backend: DbBackend,
    actor: Actor,
    first_seq: i64,
    changes: Vec<Change>,
) -> impl Iterator<Item = Result<Statement>> + Send {
    let now = Utc::now();
    let mut rows = (first_seq..).zip(changes).peekable();
    std::iter::from_fn(move || {
        rows.peek()?;
        Some(statement(backend, &actor, now, rows.by_ref().take(ROWS_PER_STATEMENT)))
    })
}

/// One statement that appends `rows` (sequence number and change). Each row is bound as plain
/// values, its JSON as text written once: as `Json` values, sea-orm cloned every snapshot three
/// times on the way to the driver (most of an import's cost).
fn statement(
    backend: DbBackend,
    actor: &Actor,
    now: chrono::DateTime<Utc>,
    rows: impl Iterator<Item = (i64, Change)>,
) -> Result<Statement> {
    let mut sql = format!("INSERT INTO revisions ({}) VALUES ", COLUMNS.join(", "));
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(ROWS_PER_STATEMENT * COLUMNS.len());
    for (row, (seq, change)) in rows.enumerate() {
        // A creation's changes are its snapshot's fields: stored once, derived when shown.
        let changes = match change.action {
            Action::Create => JsonCell::new(backend, &Value::Object(Map::new()))?,
            _ => JsonCell::new(backend, &Diff::new(change.before.as_ref(), change.after.as_ref()))?,
        };
        let snapshot = change.after.as_ref().map(|after| JsonCell::new(backend, after)).transpose()?;
        let json_casts = [changes.cast(), snapshot.as_ref().map_or("json", JsonCell::cast)];
        values.extend([
            Uuid::now_v7().into(),
            seq.into(),
            change.resource_type.into(),
            change.resource_id.into(),
            change.action.as_str().into(),
            actor.id.into(),
            actor.name.as_str().into(),
            changes.text.into(),
            snapshot.map(|cell| cell.text).into(),
            change.city_id.into(),
            now.into(),
        ]);
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..COLUMNS.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            let n = row * COLUMNS.len() + column + 1;
            match (backend, JSON_COLUMNS.iter().position(|c| *c == column)) {
                (DbBackend::Postgres, Some(json)) => sql.push_str(&format!("CAST(${n} AS {})", json_casts[json])),
                (DbBackend::Postgres, None) => sql.push_str(&format!("${n}")),
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    Ok(Statement::from_sql_and_values(backend, sql, values))
}

/// A revision as the API shows it. The log stores no changes for a creation, only the snapshot
/// of what was created, whose every field (`updated_at` aside) is a change from nothing: derived
/// here, they are what [`record`] once stored, and an import writes half the JSON it did.
pub fn shown(mut revision: revision::Model) -> RevisionOut {
    let stored_none = revision.changes.as_object().is_some_and(Map::is_empty);
    if revision.action == Action::Create.as_str() && stored_none {
        let fields = Diff::new(None, revision.snapshot.as_ref())
            .fields()
            .map(|(field, before, after)| (field.clone(), json!({"before": before, "after": after})))
            .collect();
        revision.changes = Value::Object(fields);
    }
    revision.into()
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

/// The statement that reads the head of the log: the latest revision's `seq` and `created_at`,
/// no row when nothing was recorded. Other statements join it as a derived row.
pub const LATEST_REVISION: &str = "SELECT seq, created_at FROM revisions ORDER BY seq DESC LIMIT 1";

/// The head of the log now, read on the pool's driver directly ([`Direct`]): every revalidation
/// of a list asks it first.
pub async fn head(direct: &Direct) -> Result<Head> {
    let Some(row) = direct.fetch_optional(LATEST_REVISION, &[]).await? else { return Ok(Head::default()) };
    Ok(Head { seq: row.try_get("", "seq")?, at: Some(row.try_get("", "created_at")?) })
}

/// The key of the advisory lock that serialises journal appends ("duban" in ASCII).
const JOURNAL_LOCK: i64 = 0x0064_7562_616e;

/// The columns `record` writes, in the order of its values.
const COLUMNS: [&str; 11] = [
    "id",
    "seq",
    "resource_type",
    "resource_id",
    "action",
    "actor_id",
    "actor_name",
    "changes",
    "snapshot",
    "city_id",
    "created_at",
];

/// The positions in [`COLUMNS`] of the columns that hold JSON (`changes`, `snapshot`).
const JSON_COLUMNS: [usize; 2] = [7, 8];

/// The text of a JSON column of a revision, as the column stores it.
///
/// SQLite stores what serde writes. PostgreSQL's columns are `json`, which keep text as given,
/// but revisions have always reached them through `jsonb` (the type the driver binds JSON as),
/// which orders keys and spaces them its own way. Writing that form here, and binding it as
/// `json`, stores the same text while sparing the server a parse into `jsonb` and a print back
/// of every snapshot (half of its time on the revisions of an import). A value with a fraction
/// in it, whose `numeric` form is the server's to write, still goes through `jsonb` there.
struct JsonCell {
    text: String,
    /// Whether PostgreSQL must still pass the text through `jsonb`.
    via_jsonb: bool,
}

impl JsonCell {
    fn new(backend: DbBackend, value: &(impl serde::Serialize + JsonbText)) -> Result<Self> {
        if backend == DbBackend::Postgres {
            let mut text = Vec::new();
            if value.write_jsonb(&mut text) {
                let text = String::from_utf8(text).map_err(anyhow::Error::new)?;
                return Ok(Self { text, via_jsonb: false });
            }
        }
        let text = serde_json::to_string(value)
            .map_err(|error| anyhow::Error::new(error).context("Failed to serialise a revision"))?;
        Ok(Self { text, via_jsonb: backend == DbBackend::Postgres })
    }

    /// The SQL type a PostgreSQL placeholder of this text is cast to.
    fn cast(&self) -> &'static str {
        if self.via_jsonb { "jsonb" } else { "json" }
    }
}

/// JSON written as PostgreSQL's `jsonb` prints it: object keys shortest first, then in byte
/// order; `", "` and `": "` between items; strings escaped as serde escapes them (the same
/// characters, with the same lowercase `\u00xx`). Returns false, having written part of it, for
/// a number with a fraction or an exponent, which `jsonb` prints as `numeric` does.
trait JsonbText {
    fn write_jsonb(&self, out: &mut Vec<u8>) -> bool;
}

impl JsonbText for Value {
    fn write_jsonb(&self, out: &mut Vec<u8>) -> bool {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Number(n) if n.is_i64() || n.is_u64() => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Number(_) => return false,
            Value::String(s) => write_jsonb_string(s, out),
            Value::Array(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    if !item.write_jsonb(out) {
                        return false;
                    }
                }
                out.push(b']');
            }
            Value::Object(map) => return write_jsonb_object(map.iter().map(|(k, v)| (k, v as &dyn JsonbText)), out),
        }
        true
    }
}

impl JsonbText for Diff<'_> {
    fn write_jsonb(&self, out: &mut Vec<u8>) -> bool {
        let pairs: Vec<(&String, [(&'static str, &Value); 2])> =
            self.fields().map(|(key, before, after)| (key, [("before", before), ("after", after)])).collect();
        write_jsonb_object(pairs.iter().map(|(key, pair)| (*key, pair as &dyn JsonbText)), out)
    }
}

impl JsonbText for [(&'static str, &Value); 2] {
    fn write_jsonb(&self, out: &mut Vec<u8>) -> bool {
        write_jsonb_object(self.iter().map(|(key, value)| (*key, *value as &dyn JsonbText)), out)
    }
}

fn write_jsonb_object<'a, K: AsRef<str> + 'a>(
    entries: impl Iterator<Item = (K, &'a dyn JsonbText)>,
    out: &mut Vec<u8>,
) -> bool {
    let mut entries: Vec<(K, &dyn JsonbText)> = entries.collect();
    entries.sort_by(|(a, _), (b, _)| {
        let (a, b) = (a.as_ref(), b.as_ref());
        a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
    });
    out.push(b'{');
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        write_jsonb_string(key.as_ref(), out);
        out.extend_from_slice(b": ");
        if !value.write_jsonb(out) {
            return false;
        }
    }
    out.push(b'}');
    true
}

fn write_jsonb_string(s: &str, out: &mut Vec<u8>) {
    // Writing a string to a vector cannot fail.
    serde_json::to_writer(&mut *out, s).unwrap_or_default();
}

/// Rows per statement: 22,000 parameters, within SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_STATEMENT: usize = 2_000;

/// Whether any top-level field differs between the snapshots, `updated_at` aside: whether a
/// write changed anything to record.
pub fn differs(before: Option<&Value>, after: Option<&Value>) -> bool {
    Diff::new(before, after).fields().next().is_some()
}

/// What a revision records of a change: `{"field": {"before": …, "after": …}}` for every
/// top-level field that differs, ignoring `updated_at`, which changes with every write. Serialised
/// as it is, without building it (nor cloning what it holds).
struct Diff<'a> {
    before: &'a Map<String, Value>,
    after: &'a Map<String, Value>,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Diff<'a> {
    fn new(before: Option<&'a Value>, after: Option<&'a Value>) -> Self {
        let object = |value: Option<&'a Value>| value.and_then(Value::as_object).unwrap_or(&EMPTY);
        Self { before: object(before), after: object(after) }
    }

    /// The fields that differ, with their values before and after: the fields of `before` in
    /// its order, then those only `after` has.
    fn fields(&self) -> impl Iterator<Item = (&'a String, &'a Value, &'a Value)> {
        let (before, after) = (self.before, self.after);
        before
            .keys()
            .chain(after.keys().filter(|k| !before.contains_key(*k)))
            .filter(|key| *key != "updated_at")
            .filter_map(|key| {
                let (old, new) = (before.get(key).unwrap_or(&Value::Null), after.get(key).unwrap_or(&Value::Null));
                (old != new).then_some((key, old, new))
            })
    }
}

impl serde::Serialize for Diff<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        #[derive(serde::Serialize)]
        struct Pair<'a> {
            before: &'a Value,
            after: &'a Value,
        }
        let mut map = serializer.serialize_map(None)?;
        for (key, before, after) in self.fields() {
            map.serialize_entry(key, &Pair { before, after })?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
        serde_json::to_value(Diff::new(before, after)).expect("serialisable")
    }

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"a": 1, "b": "x", "updated_at": "t1"});
        let after = json!({"a": 2, "b": "x", "c": true, "updated_at": "t2"});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            json!({"a": {"before": 1, "after": 2}, "c": {"before": null, "after": true}})
        );
        assert_eq!(diff(None, Some(&json!({"a": 1}))), json!({"a": {"before": null, "after": 1}}));
        assert!(differs(Some(&before), Some(&after)));
        let touched = json!({"a": 1, "b": "x", "updated_at": "t3"});
        assert!(!differs(Some(&json!({"a": 1, "b": "x", "updated_at": "t1"})), Some(&touched)));
    }

    #[test]
    fn a_diff_is_written_as_it_is_built() {
        let before = json!({"z": 1, "b": {"x": [1, 2]}, "updated_at": "t1", "same": "s"});
        let after = json!({"b": {"x": [2, 1]}, "z": 1, "a": "新", "same": "s", "updated_at": "t2"});
        for (before, after) in [(None, Some(&after)), (Some(&before), Some(&after)), (Some(&before), None)] {
            let written = serde_json::to_string(&Diff::new(before, after)).expect("serialisable");
            assert_eq!(written, diff(before, after).to_string());
        }
    }
}
