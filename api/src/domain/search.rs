//! Substring search over Chinese text.
//!
//! Most Chinese query words are one or two characters, which pg_trgm cannot index. So every item
//! stores the bigrams of its content, remarks and unit names, and the last character of each, in
//! `search_text`, and PostgreSQL keeps a GIN index on them as a `tsvector` (migration 5). A query
//! of two characters is then a single lexeme lookup and one of one character a prefix lookup
//! (every occurrence of a character begins a bigram or ends its text), exact by construction; a
//! longer one looks up all its bigrams in the index and confirms the match with `LIKE`. SQLite
//! matches with `LIKE` alone.
//!
//! Texts stored before the last characters replaced the unigrams hold every unigram as well;
//! they match the same queries, so they are left as they are until the item is next written.

use std::{collections::HashMap, sync::Arc};

use entity::{item, item_unit, unit};
use migration::m20260101_000005_add_item_search::{SEARCH_INDEX, SEARCH_VECTOR};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement,
    sea_query::{Expr, Query, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    domain::{collection, filter::contains},
    error::Result,
};

/// The characters a query or a text is matched on: lowercased, without white space.
fn normalized(text: &str) -> Vec<char> {
    text.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// The bigrams of each text and its last character, deduplicated and space-separated, in the
/// order of their strings.
///
/// Unigrams are not stored: a one-character query looks up the lexemes its character begins. They
/// were 40 % of an item's lexemes, and the search index's upkeep was most of an import's time
/// on PostgreSQL.
///
/// A token is kept as its characters, not as a string: an import computes this for every item,
/// and a string per token was most of its cost. The order is the same, because UTF-8 orders
/// strings as their code points do, and a last character (`None` second) comes before the
/// bigrams it begins, as a string comes before the longer strings it begins.
pub fn tokens<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut tokens: Vec<(char, Option<char>)> = Vec::new();
    for text in texts {
        let chars = normalized(text);
        tokens.extend(chars.windows(2).map(|pair| (pair[0], Some(pair[1]))));
        tokens.extend(chars.last().map(|last| (*last, None)));
    }
    tokens.sort_unstable();
    tokens.dedup();
    let mut joined = String::with_capacity(tokens.len() * 7);
    for (c, next) in tokens {
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push(c);
        joined.extend(next);
    }
    joined
}

/// The `tsquery` that finds `q`: the lexemes a single character begins, the lexeme itself for two
/// characters, else all of its bigrams. `None` for a query of only white space.
pub fn tsquery(q: &str) -> Option<String> {
    let chars = normalized(q);
    let lexeme = |s: String| format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"));
    match chars.len() {
        0 => None,
        1 => Some(format!("{}:*", lexeme(chars.iter().collect()))),
        2 => Some(lexeme(chars.iter().collect())),
        _ => Some(chars.windows(2).map(|pair| lexeme(pair.iter().collect())).collect::<Vec<_>>().join(" & ")),
    }
}

/// The condition that an item's content, remarks or one of its units' names contains `q`.
pub fn condition(backend: DbBackend, q: &str) -> Condition {
    let unit_names = Query::select()
        .column(item_unit::Column::ItemId)
        .from(item_unit::Entity)
        .and_where(
            item_unit::Column::UnitId.in_subquery(
                Query::select()
                    .column(unit::Column::Id)
                    .from(unit::Entity)
                    .and_where(contains(unit::Column::Name, q))
                    .take(),
            ),
        )
        .take();
    let substring = Condition::any()
        .add(contains(item::Column::Content, q))
        .add(contains(item::Column::Remarks, q))
        .add(item::Column::Id.in_subquery(unit_names));
    match (backend, tsquery(q)) {
        // The lexemes are the answer: `search_text` holds every bigram and last character of the
        // content, the remarks and the unit names. Rechecking the substring would make the planner
        // read every unit whose name holds the character (90 ms for one frequent character at 1M
        // items) where walking the page's index order finds 51 matches in 3 ms.
        (DbBackend::Postgres, Some(query)) if !is_confirmed(q) => Condition::all().add(lexeme_match(query)),
        (DbBackend::Postgres, Some(query)) => Condition::all().add(lexeme_match(query)).add(substring),
        _ => substring,
    }
}

fn lexeme_match(query: String) -> SimpleExpr {
    Expr::cust_with_values(format!("{SEARCH_VECTOR} @@ CAST($1 AS tsquery)"), [query])
}

/// Whether a match of `q` is confirmed on the item's row after its lexemes are found on
/// PostgreSQL: more than two characters, or white space within (the stored bigrams skip white
/// space, so "a b" must still be matched as a substring). One or two characters are found by
/// their lexemes alone. SQLite confirms every query.
pub fn is_confirmed(q: &str) -> bool {
    let q = q.trim();
    !q.is_empty() && (q.chars().any(char::is_whitespace) || normalized(q).len() > 2)
}

/// Recomputes `search_text` for the items with `ids`, from their stored content, remarks and
/// units. Call it after anything that changes one of those.
pub async fn refresh(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<()> {
    for chunk in ids.chunks(500) {
        let items = item::Entity::find().filter(item::Column::Id.is_in(chunk.iter().copied())).all(db).await?;
        let rows =
            item_unit::Entity::find().filter(item_unit::Column::ItemId.is_in(chunk.iter().copied())).all(db).await?;
        let names: HashMap<Uuid, String> = unit::Entity::find()
            .filter(unit::Column::Id.is_in(rows.iter().map(|r| r.unit_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        for item in items {
            let unit_names = rows.iter().filter(|r| r.item_id == item.id).filter_map(|r| names.get(&r.unit_id));
            let texts = [item.content.as_str(), item.remarks.as_deref().unwrap_or("")]
                .into_iter()
                .chain(unit_names.map(String::as_str));
            let text = tokens(texts);
            if text != item.search_text {
                item::Entity::update(item::ActiveModel {
                    id: Set(item.id),
                    search_text: Set(text),
                    ..Default::default()
                })
                .exec(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// Refreshes the search text of the items among `targets` (their unit names may have changed).
pub async fn refresh_dependents(db: &impl ConnectionTrait, targets: &[(&'static str, Uuid)]) -> Result<()> {
    let items: Vec<Uuid> = targets.iter().filter(|(c, _)| collection::is_items(c)).map(|(_, id)| *id).collect();
    refresh(db, &items).await
}

/// How a write that adds thousands of items feeds PostgreSQL's search index.
///
/// GIN takes new entries into a pending list and merges the list into the index whenever it
/// outgrows `gin_pending_list_limit`, which the service's sessions keep at 1 MB because every
/// search reads the list whole (`db::session_settings`). A 10,000-item import fills that much
/// about fifteen times; merged once, at the end, its entries cost a third as much (0.2 s rather
/// than 0.6 s). So a bulk write raises the limit for its own transaction and, once its items are
/// written, merges the list on another connection while the transaction goes on with other tables
/// (see [`Self::written`]); searches meanwhile read a longer list for a second. Merging on demand
/// is for the index's owner (the role that migrates); another role writes as any edit does.
pub struct BulkEntries {
    merge: bool,
}

impl BulkEntries {
    /// Fewer new items than this fill the list less than once: merging them is no saving.
    const FROM_ITEMS: usize = 1_000;
    /// The limit while the write lasts, in kilobytes: more than 10,000 items' entries.
    const LIMIT_KB: u32 = 64 * 1024;

    /// Prepares the transaction `db` for `new_items` items.
    pub async fn begin(db: &impl ConnectionTrait, new_items: usize) -> Result<Self> {
        if db.get_database_backend() != DbBackend::Postgres || new_items < Self::FROM_ITEMS {
            return Ok(Self { merge: false });
        }
        let raised = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT set_config('gin_pending_list_limit', '{}', true) {}", Self::LIMIT_KB, owned_index()),
            ))
            .await?;
        Ok(Self { merge: raised.is_some() })
    }

    /// Puts the limit of the transaction `db` back once the items are written, and starts merging
    /// the pending list on another connection of `pool`: the transaction's connection goes on
    /// with the unit rows and revisions meanwhile (on a 10,000-item import, the merge's 0.2 s ran
    /// after the items and before those). The list holds the entries of uncommitted rows like any
    /// others, and merging them is what any session's insert past the limit does. Finish the
    /// merge before committing, so that searches after the commit read a short list.
    pub async fn written(self, db: &impl ConnectionTrait, pool: &DatabaseConnection) -> Result<Merge> {
        if !self.merge {
            return Ok(Merge(None));
        }
        db.execute_unprepared("RESET gin_pending_list_limit").await?;
        // A pool of one connection has none to spare while the transaction holds it.
        if pool.get_postgres_connection_pool().options().get_max_connections() < 2 {
            merge_pending(db).await?;
            return Ok(Merge(None));
        }
        let pool = pool.clone();
        Ok(Merge(Some(tokio::spawn(async move {
            // The entries stay pending then, for the background merge or the next writer.
            if let Err(error) = merge_pending(&pool).await {
                tracing::warn!(%error, "Failed to merge the search index's pending list after a bulk write");
            }
        }))))
    }
}

/// A merge of the search index's pending list running on a connection of its own
/// ([`BulkEntries::written`]).
#[must_use = "finish the merge before committing"]
pub struct Merge(Option<tokio::task::JoinHandle<()>>);

impl Merge {
    /// Waits for the merge to end; a merge that failed was logged.
    pub async fn finish(&mut self) {
        if let Some(merging) = self.0.take() {
            // A merge that panicked merged nothing; the write stands.
            let _ = merging.await;
        }
    }
}

/// Merges the search index's pending list in the background (PostgreSQL), so that writers never
/// do: an edit that finds the list past its limit merges it before it returns, and on the 1M-item
/// benchmark that made one PATCH in several hundred take 0.3–0.9 s. Every search reads the list
/// whole, so it is kept short: merged every `SEARCH_MERGE_INTERVAL_MS` (by default 2 s of edits;
/// the sessions' 1 MB limit still applies should edits outrun it). Only the index's owner (the
/// role that migrates) may merge; for another role this merges nothing, and writers merge as
/// before. Runs while the value (or a clone) lives.
#[derive(Clone)]
pub struct PendingMerges {
    /// The pool it merges on; the merging stops when the last clone is dropped.
    _db: Arc<DatabaseConnection>,
}

impl PendingMerges {
    /// Starts merging on `db` every `every`; `None` on SQLite or when `every` is zero.
    pub fn start(db: &DatabaseConnection, every: std::time::Duration) -> Option<Self> {
        if db.get_database_backend() != DbBackend::Postgres || every.is_zero() {
            return None;
        }
        let db = Arc::new(db.clone());
        super::every_while_alive(Arc::downgrade(&db), every, |db| async move {
            // A database that is down is reported by the requests and health checks.
            if let Err(error) = merge_pending(db.as_ref()).await {
                tracing::debug!(%error, "Failed to merge the search index's pending list");
            }
        });
        Some(Self { _db: db })
    }
}

/// A `FROM` clause of the search index's row in the catalog, when this session's role owns the
/// index (and so may merge its pending list on demand).
fn owned_index() -> String {
    format!("FROM pg_class WHERE oid = '{SEARCH_INDEX}'::regclass AND pg_has_role(relowner, 'USAGE')")
}

/// Merges the search index's pending list, when this session's role owns the index; returns the
/// pages it took off the list.
async fn merge_pending(db: &impl ConnectionTrait) -> Result<i64> {
    let merge = format!("SELECT gin_clean_pending_list(oid) AS pages {}", owned_index());
    let merged = db.query_one_raw(Statement::from_string(DbBackend::Postgres, merge)).await?;
    let pages = merged.map(|row| row.try_get::<i64>("", "pages")).transpose()?.unwrap_or(0);
    metrics::counter!("duban_search_pending_pages_merged_total").increment(pages.max(0) as u64);
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_bigrams_and_the_last_character_of_each_text() {
        assert_eq!(tokens(["停车场", "A b", "港", ""]), "ab b 停车 场 港 车场");
    }

    #[test]
    fn tokens_are_in_the_order_of_their_strings() {
        let texts = ["推进𝄞乐清 Ab-c 12ẞ", "ßz 车车车", "", " \t "];
        let mut expected = std::collections::BTreeSet::new();
        for text in texts {
            let chars = normalized(text);
            expected.extend(chars.last().map(char::to_string));
            expected.extend(chars.windows(2).map(|pair| pair.iter().collect::<String>()));
        }
        assert_eq!(tokens(texts), expected.into_iter().collect::<Vec<_>>().join(" "));
    }

    #[test]
    fn only_longer_queries_and_those_with_inner_white_space_are_confirmed() {
        assert!(!is_confirmed("港"));
        assert!(!is_confirmed("停车"));
        assert!(is_confirmed("公共停车"));
        assert!(is_confirmed("停 车"));
        assert!(!is_confirmed(" 停车 "));
        assert!(!is_confirmed("  "));
    }

    #[test]
    fn queries_use_a_prefix_the_lexeme_or_all_bigrams() {
        assert_eq!(tsquery("停车").as_deref(), Some("'停车'"));
        assert_eq!(tsquery("港").as_deref(), Some("'港':*"));
        assert_eq!(tsquery("'").as_deref(), Some("'''':*"));
        assert_eq!(tsquery("停车场").as_deref(), Some("'停车' & '车场'"));
        assert_eq!(tsquery("it's").as_deref(), Some("'it' & 't''' & '''s'"));
        assert_eq!(tsquery("  "), None);
    }
}
