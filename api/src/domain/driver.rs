//! Statements run straight on the pool's SQLx driver, for the reads on the path of nearly every
//! request (one item, the change log's head). sea-orm's `query_one_raw` wraps the driver's future
//! in several of its own, and moving those large futures cost a GET of one item about 45,000
//! instructions of `memcpy` (callgrind), more than decoding its row. The statements are still
//! built by sea-query (once), and their rows still read through sea-orm's [`QueryResult`].
//!
//! On PostgreSQL these reads also keep their connections between statements ([`Kept`]).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, RuntimeErr, Statement, Value,
    sqlx::{self, Database, Encode, Postgres, Type, pool::PoolConnection, query::Query},
};
use uuid::Uuid;

/// A database connection with the direct path's connections kept beside it.
#[derive(Clone)]
pub struct Direct {
    db: DatabaseConnection,
    /// PostgreSQL only.
    kept: Option<Arc<Kept>>,
}

impl Direct {
    /// The direct path over `db`, keeping up to `limit` connections, each used again while it was
    /// last used less than `fresh_for` ago (none when either is zero).
    pub fn new(db: &DatabaseConnection, limit: usize, fresh_for: Duration) -> Self {
        let keeps = limit > 0 && !fresh_for.is_zero();
        let kept = (db.get_database_backend() == DbBackend::Postgres && keeps).then(|| {
            let kept = Arc::new(Kept { connections: Mutex::default(), limit, fresh_for });
            // Until the last `Direct` holding them is gone.
            super::every_while_alive(Arc::downgrade(&kept), fresh_for, |kept| async move { kept.give_back_stale() });
            kept
        });
        Self { db: db.clone(), kept }
    }

    /// The database's kind.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// How many connections are kept now, idle between statements.
    pub fn kept(&self) -> usize {
        self.kept.as_ref().map_or(0, |kept| kept.lock().len())
    }

    /// The direct path over `db` with the same bounds (for a replica).
    pub fn over(&self, db: &DatabaseConnection) -> Self {
        match &self.kept {
            Some(kept) => Self::new(db, kept.limit, kept.fresh_for),
            None => Self::new(db, 0, Duration::ZERO),
        }
    }

    /// The one row `sql` returns with `values` bound to its placeholders in order, if any.
    pub(crate) async fn fetch_optional(
        &self,
        sql: &'static str,
        values: &[Value],
    ) -> Result<Option<QueryResult>, DbErr> {
        let db = &self.db;
        match (db.get_database_backend(), &self.kept) {
            (DbBackend::Postgres, Some(kept)) => {
                let mut connection = match kept.take() {
                    Some(connection) => connection,
                    None => db.get_postgres_connection_pool().acquire().await.map_err(query_error)?,
                };
                let row = bind_all(sqlx::query(sql), values)?.fetch_optional(&mut *connection).await;
                // A connection whose statement failed (or whose future is dropped mid-statement)
                // goes back to the pool, whose test on return puts it right or closes it.
                let row = row.map_err(query_error)?;
                kept.keep(connection);
                Ok(row.map(QueryResult::from))
            }
            (DbBackend::Postgres, None) => bind_all(sqlx::query(sql), values)?
                .fetch_optional(db.get_postgres_connection_pool())
                .await
                .map(|row| row.map(QueryResult::from))
                .map_err(query_error),
            (DbBackend::Sqlite, _) => bind_all(sqlx::query(sql), values)?
                .fetch_optional(db.get_sqlite_connection_pool())
                .await
                .map(|row| row.map(QueryResult::from))
                .map_err(query_error),
            (backend, _) => db.query_one_raw(Statement::from_sql_and_values(backend, sql, values.to_vec())).await,
        }
    }
}

/// Connections the direct path keeps for its next statement instead of giving them back to the
/// pool.
///
/// SQLx tests every connection given back to its pool with a round trip to the server (a `Sync`
/// it must answer), whatever the connection did. A GET of one item is one statement, so that
/// test was half of its round trips to PostgreSQL. A kept connection is used again without it
/// while it was last used less than the pool's idle threshold ago (`DATABASE_PING_IDLE_MS`), the
/// rule by which the pool itself lends a connection without a test; an older one goes back to
/// the pool, tested there, and a background sweep gives back the ones no request took in that
/// time, so that the pool sees them idle again once the load has passed.
struct Kept {
    /// The most recently used last.
    connections: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    limit: usize,
    fresh_for: Duration,
}

impl Kept {
    /// The most recently used connection, if one is fresh enough.
    fn take(&self) -> Option<PoolConnection<Postgres>> {
        let (connection, used) = self.lock().pop()?;
        // Dropped outside the lock: it goes back to the pool, to be tested there.
        (used.elapsed() < self.fresh_for).then_some(connection)
    }

    /// Keeps `connection` for the next statement, or gives it back when `limit` are kept.
    fn keep(&self, connection: PoolConnection<Postgres>) {
        let surplus = {
            let mut connections = self.lock();
            if connections.len() < self.limit {
                connections.push((connection, Instant::now()));
                None
            } else {
                Some(connection)
            }
        };
        drop(surplus);
    }

    /// Gives back to the pool every connection not used within `fresh_for`, oldest first.
    fn give_back_stale(&self) {
        let stale: Vec<_> = {
            let mut connections = self.lock();
            let fresh = connections.partition_point(|(_, used)| used.elapsed() >= self.fresh_for);
            connections.drain(..fresh).collect()
        };
        drop(stale);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        // A panic while holding the lock leaves the list as valid as before it.
        self.connections.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Binds the kinds of values these statements hold (ids and text), as sea-query's own binder
/// would; any other kind is a programming error, reported as a database error.
fn bind_all<'q, DB: Database>(
    mut query: Query<'q, DB, DB::Arguments>,
    values: &[Value],
) -> Result<Query<'q, DB, DB::Arguments>, DbErr>
where
    Uuid: for<'t> Encode<'t, DB> + Type<DB>,
    String: for<'t> Encode<'t, DB> + Type<DB>,
{
    for value in values {
        query = match value {
            Value::Uuid(Some(id)) => query.bind(*id),
            Value::String(Some(text)) => query.bind(text.clone()),
            other => return Err(DbErr::Custom(format!("cannot bind {other:?} on the direct path"))),
        };
    }
    Ok(query)
}

/// A driver error as sea-orm reports a failed query, so that [`crate::error`] maps it the same
/// way (an unreachable database is a 503, a statement timeout a 504).
fn query_error(error: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(error)))
}
