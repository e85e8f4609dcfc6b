//! Statements run straight on the pool's SQLx driver, for the reads on the path of nearly every
//! request (one item, the change log's head). sea-orm's `query_one_raw` wraps the driver's future
//! in several of its own, and moving those large futures cost a GET of one item about 45,000
//! instructions of `memcpy` (callgrind), more than decoding its row. The statements are still
//! built by sea-query (once), and their rows still read through sea-orm's [`QueryResult`].

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, RuntimeErr, Statement, Value,
    sqlx::{self, Database, Encode, Type, query::Query},
};
use uuid::Uuid;

/// The one row `sql` returns with `values` bound to its placeholders in order, if any.
pub(crate) async fn fetch_optional(
    db: &DatabaseConnection,
    sql: &'static str,
    values: &[Value],
) -> Result<Option<QueryResult>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => bind_all(sqlx::query(sql), values)?
            .fetch_optional(db.get_postgres_connection_pool())
            .await
            .map(|row| row.map(QueryResult::from))
            .map_err(query_error),
        DbBackend::Sqlite => bind_all(sqlx::query(sql), values)?
            .fetch_optional(db.get_sqlite_connection_pool())
            .await
            .map(|row| row.map(QueryResult::from))
            .map_err(query_error),
        backend => db.query_one_raw(Statement::from_sql_and_values(backend, sql, values.to_vec())).await,
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
