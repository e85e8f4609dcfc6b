//! Connecting to SQLite or PostgreSQL and migrating; how long anything may wait on the database.

use std::time::{Duration, Instant};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    Statement, TransactionTrait,
};

use crate::config::DatabaseConfig;

/// Opens a pool on `url` with the default settings and brings the schema up to date.
pub async fn connect_and_migrate(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect_and_migrate_with(&DatabaseConfig::for_url(url)).await
}

/// Migrates on a connection without a statement timeout (building an index on a large table
/// may take a while), then opens the service's pool on the primary.
pub async fn connect_and_migrate_with(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    let migrator = wait_for(config, &config.database_url, Some(Duration::ZERO)).await?;
    Migrator::up(&migrator, None).await.context("Failed to run migrations")?;
    migrator.close().await.ok();
    connect(config, &config.database_url).await
}

/// A migrated connection for long maintenance work (generating benchmark data, building its
/// indexes), without the service's statement timeout.
pub async fn connect_for_maintenance(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    let db = wait_for(config, &config.database_url, Some(Duration::ZERO)).await?;
    Migrator::up(&db, None).await.context("Failed to run migrations")?;
    Ok(db)
}

/// Opens a pool on `url` with the bounds of `config`.
pub async fn connect(config: &DatabaseConfig, url: &str) -> anyhow::Result<DatabaseConnection> {
    open(config, url, None).await
}

/// [`connect`], retrying with backoff for up to `DATABASE_STARTUP_WAIT_MS` while the database
/// cannot be reached, so that a service started before its database (or during a fail-over)
/// comes up by itself. `statement_timeout` overrides the configured one when given.
pub async fn wait_for(
    config: &DatabaseConfig,
    url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
    let started = Instant::now();
    let patience = Duration::from_millis(config.database_startup_wait_ms);
    let mut backoff = Duration::from_millis(250);
    loop {
        match open(config, url, statement_timeout).await {
            Ok(db) => return Ok(db),
            Err(error) if started.elapsed() + backoff < patience => {
                tracing::warn!(
                    database = %redact(url),
                    error = format!("{error:#}"),
                    retry_in_ms = backoff.as_millis() as u64,
                    waited_ms = started.elapsed().as_millis() as u64,
                    patience_ms = patience.as_millis() as u64,
                    "waiting for the database"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(error) => {
                return Err(error.context(format!(
                    "Gave up waiting for the database after {} ms (DATABASE_STARTUP_WAIT_MS)",
                    started.elapsed().as_millis()
                )));
            }
        }
    }
}

async fn open(
    config: &DatabaseConfig,
    url: &str,
    statement_timeout: Option<Duration>,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options.sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // An embedded file is never unreachable; waiting for it is waiting for the writer.
        options.acquire_timeout(Duration::from_secs(10));
        // Nor does its connection go stale: a ping before each acquire is only one more round
        // trip to the connection's thread (on the seed documents, a fifth of the CPU of a GET of
        // one item and a twentieth of a page of 50's; docs/benchmarks.md).
        options.test_before_acquire(false);
        // Readers must not wait for the writer: WAL lets both proceed, and the busy timeout
        // makes a second writer wait its turn instead of failing.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        // Opening a connection counts against the acquire timeout too (sqlx bounds both by it),
        // so an unreachable or partitioned server costs a request this long, no more.
        options.max_connections(config.database_max_connections).acquire_timeout(config.acquire_timeout());
        // A connection idle past the threshold is pinged within the acquire timeout, so a database
        // that went silent meanwhile is a 503 at once (see `config::DEFAULT_PING_IDLE_MS`).
        if let Some(idle) = config.ping_after_idle() {
            options.test_before_acquire_if_idle_for(idle);
        }
        let statement_timeout =
            statement_timeout.unwrap_or(Duration::from_millis(config.database_statement_timeout_ms));
        let settings = session_settings(statement_timeout);
        options.map_sqlx_postgres_opts(move |opts| opts.options(settings.clone()));
    }
    let db = Database::connect(options).await.with_context(|| format!("Failed to connect to {}", redact(url)))?;
    Ok(db)
}

/// What every PostgreSQL session of the service runs with: the statement timeout, which bounds
/// the work of any statement (also one whose request was abandoned: sqlx gives such a connection
/// back to the pool and waits for the statement to end), and checks that make the server notice
/// a client connection that died or vanished (sqlx has no client-side keepalive) and cancel its
/// statement within about a second. JIT compilation is off: on the 1M-item benchmark it added
/// 50 ms to a statistics statement and a second to the report trends over all cities, and no
/// statement of the service runs long enough to win it back. The search index's pending list,
/// which every search reads whole, is merged once it passes 1 MB rather than PostgreSQL's 4 MB
/// (migration 15); an import that creates many items raises it in its own transaction
/// (`search::BulkEntries`).
fn session_settings(statement_timeout: Duration) -> Vec<(&'static str, String)> {
    vec![
        ("statement_timeout", statement_timeout.as_millis().to_string()),
        ("jit", "off".to_owned()),
        // In kilobytes.
        ("gin_pending_list_limit", "1024".to_owned()),
        ("client_connection_check_interval", "1000".to_owned()),
        ("tcp_keepalives_idle", "10".to_owned()),
        ("tcp_keepalives_interval", "5".to_owned()),
        ("tcp_keepalives_count", "3".to_owned()),
    ]
}

/// Runs the reads of `work` on one connection of `db` (in a transaction) and, should this future
/// be dropped before `work` ends, cancels on the server the statement that connection is running.
///
/// actix-web drops a request's future when its client disconnects (and the request deadline
/// drops it too), but dropping a sqlx query does not stop the statement: sqlx hands the connection
/// back to the pool only after waiting for the statement to end, so an abandoned search would hold
/// a connection and a server process until the statement timeout. PostgreSQL only; SQLite runs
/// `work` as it is.
pub async fn cancel_on_drop<T, E: From<DbErr>>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, E>,
) -> Result<T, E> {
    let txn = db.begin().await?;
    let guard = match db.get_database_backend() {
        DatabaseBackend::Postgres => Some(CancelOnDrop::arm(db, &txn).await?),
        _ => None,
    };
    let result = work(&txn).await;
    if let Some(guard) = guard {
        guard.disarm();
    }
    match &result {
        Ok(_) => txn.commit().await?,
        Err(_) => txn.rollback().await?,
    }
    result
}

/// Cancels, when dropped armed, the statement of one backend, but only while that backend still
/// runs a statement of the transaction that armed it: the transaction carries a unique
/// `application_name` (set with `is_local`, so it ends with the transaction), and the cancel
/// names it. A connection back in the pool, or serving someone else, is never touched.
struct CancelOnDrop {
    db: DatabaseConnection,
    backend: i32,
    tag: Option<String>,
}

impl CancelOnDrop {
    async fn arm(db: &DatabaseConnection, txn: &DatabaseTransaction) -> Result<Self, DbErr> {
        let tag = format!("duban-{}", uuid::Uuid::now_v7().simple());
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_backend_pid() AS backend, set_config('application_name', $1, true) AS tag",
                [tag.clone().into()],
            ))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("pg_backend_pid".to_owned()))?;
        Ok(Self { db: db.clone(), backend: row.try_get("", "backend")?, tag: Some(tag) })
    }

    fn disarm(mut self) {
        self.tag = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(tag) = self.tag.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let (db, backend) = (self.db.clone(), self.backend);
        // On another connection of the pool: the abandoned one is busy with the statement.
        runtime.spawn(async move {
            let cancel = Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity \
                 WHERE pid = $1 AND application_name = $2 AND state = 'active'",
                [backend.into(), tag.into()],
            );
            match db.query_all_raw(cancel).await {
                Ok(cancelled) if !cancelled.is_empty() => {
                    metrics::counter!("duban_abandoned_statements_cancelled_total").increment(1);
                    tracing::info!(backend, "cancelled the statement of a request whose client went away");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(backend, %error, "Failed to cancel an abandoned statement"),
            }
        });
    }
}

/// Whether the database answers a trivial query within `deadline`.
pub async fn ping(db: &DatabaseConnection, deadline: Duration) -> bool {
    matches!(tokio::time::timeout(deadline, db.execute_unprepared("SELECT 1")).await, Ok(Ok(_)))
}

/// A pool's connections: (open, idle, most allowed). SQLite reports its pool too.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize, u32) {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle(), pool.options().get_max_connections())
        }
        _ => (0, 0, 0),
    }
}

/// `url` with any password replaced, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
