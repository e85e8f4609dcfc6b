//! Configuration from flags, environment variables and `.env`.

use std::{
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use clap::{Args, ValueEnum};
use entity::item_unit::UnitRole;

/// The roles on an item that let a reporter's unit report on it, unless configured otherwise:
/// the notices ask the lead unit to drive an item and every other unit on it to report on its part.
pub const DEFAULT_REPORTING_ROLES: [UnitRole; 3] = [UnitRole::Lead, UnitRole::Responsible, UnitRole::Cooperating];

/// Reads a unit role as the API writes it.
fn parse_unit_role(value: &str) -> Result<UnitRole, String> {
    serde_json::from_value(serde_json::Value::String(value.trim().to_owned()))
        .map_err(|_| format!("unknown unit role `{value}`: use lead, responsible or cooperating"))
}

/// How many matches `count=auto` counts exactly unless `COUNT_LIMIT` says otherwise.
pub const DEFAULT_COUNT_LIMIT: u64 = 10_000;

/// The SQLite database `duban` uses when nothing else is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://duban.db?mode=rwc";

/// The default of [`DatabaseConfig::database_ping_idle_ms`]. Pinging every checkout cost a GET of
/// one item a sixth of its throughput (one more round trip each); a connection used within the
/// last second was alive then, as pgx's pool and HikariCP reason too. What it gives up: a request
/// that takes a connection in the first second of a silent network partition waits for its
/// statement until the request deadline, instead of a 503 after the acquire timeout.
pub const DEFAULT_PING_IDLE_MS: u64 = 1000;

/// Where the service keeps its data and how it logs; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `sqlite://FILE?mode=rwc` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// A streaming read replica of `DATABASE_URL` (PostgreSQL) that serves anonymous reads;
    /// writes, the change feed and every authenticated request stay on the primary.
    #[arg(long, env = "DATABASE_READ_URL", global = true)]
    pub database_read_url: Option<String>,
    /// Connections per pool (the primary's, and the replica's when there is one); PostgreSQL only.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 20, global = true)]
    pub database_max_connections: u32,
    /// How long a request waits for a database connection (opening one included) before it is
    /// answered 503, in milliseconds.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 1000, global = true)]
    pub database_acquire_timeout_ms: u64,
    /// A pooled connection idle at least this long is pinged before a request uses it, in
    /// milliseconds; one used more recently is handed out at once. 0 pings on every checkout.
    #[arg(long, env = "DATABASE_PING_IDLE_MS", default_value_t = DEFAULT_PING_IDLE_MS, global = true)]
    pub database_ping_idle_ms: u64,
    /// The longest one SQL statement may run before PostgreSQL cancels it (then 503), in
    /// milliseconds; 0 for no limit.
    #[arg(long, env = "DATABASE_STATEMENT_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub database_statement_timeout_ms: u64,
    /// At start-up, how long to keep retrying an unreachable database (with backoff) before
    /// exiting non-zero, in milliseconds; 0 tries once.
    #[arg(long, env = "DATABASE_STARTUP_WAIT_MS", default_value_t = 30_000, global = true)]
    pub database_startup_wait_ms: u64,
}

impl DatabaseConfig {
    /// The settings for `url` with every other option at its default.
    pub fn for_url(url: impl Into<String>) -> Self {
        Self {
            database_url: url.into(),
            database_read_url: None,
            database_max_connections: 20,
            database_acquire_timeout_ms: 1000,
            database_ping_idle_ms: DEFAULT_PING_IDLE_MS,
            database_statement_timeout_ms: 10_000,
            database_startup_wait_ms: 0,
        }
    }

    /// How long a pooled connection may stay idle and still be handed out without a ping; `None`
    /// pings on every checkout. See [`Self::database_ping_idle_ms`].
    pub fn ping_after_idle(&self) -> Option<Duration> {
        (self.database_ping_idle_ms > 0).then(|| Duration::from_millis(self.database_ping_idle_ms))
    }

    /// How many connections the hottest reads may keep between their statements, to use again
    /// without the test SQLx gives every connection handed back to its pool
    /// (`domain::driver::Direct`): half the pool, so that the other half is always there for
    /// everything else. A kept connection is used again while it was last used within
    /// [`Self::ping_after_idle`], so none is kept when every checkout is to be tested.
    pub fn kept_connections(&self) -> usize {
        (self.database_max_connections / 2) as usize
    }

    /// See [`Self::database_acquire_timeout_ms`].
    pub fn acquire_timeout(&self) -> Duration {
        Duration::from_millis(self.database_acquire_timeout_ms.max(1))
    }
}

/// How `duban serve` runs.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8080")]
    pub bind_addr: SocketAddr,
    /// Load the seed documents when the database holds no document yet.
    #[arg(long, env = "SEED_ON_EMPTY", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_on_empty: bool,
    /// Worker threads; 0 means one per core.
    #[arg(long, env = "WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// The HS256 key that signs access tokens (32 bytes or more). Required unless the server runs
    /// the embedded development default, where a random one is made at each start.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// How long an access token lives, in seconds.
    #[arg(long, env = "TOKEN_TTL", default_value_t = 3600)]
    pub token_ttl_seconds: i64,
    /// Origins browsers may call the API from: `*` for any (the reads are public), or a
    /// comma-separated list such as `https://dashboard.example.gov.cn,https://portal.example.gov.cn`.
    #[arg(long, env = "CORS_ORIGINS", default_value = "*")]
    pub cors_origins: String,
    /// How long a client may take to send the request line and headers, in milliseconds.
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 5000)]
    pub header_read_timeout_ms: u64,
    /// How long a client may take to send a request body, in milliseconds (then 408).
    #[arg(long, env = "BODY_READ_TIMEOUT_MS", default_value_t = 10_000)]
    pub body_read_timeout_ms: u64,
    /// The longest a request may take once read, in milliseconds: past it the request is
    /// abandoned (its database work cancelled) and answered 503.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 30_000)]
    pub request_timeout_ms: u64,
    /// Open client connections the server keeps at most (the rest wait in the backlog).
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 512)]
    pub max_connections: usize,
    /// Connections the kernel queues while all are busy.
    #[arg(long, env = "BACKLOG", default_value_t = 1024)]
    pub backlog: u32,
    /// After SIGTERM, how long `/health/ready` answers 503 while requests are still served, so
    /// that load balancers stop sending new ones, in milliseconds.
    #[arg(long, env = "SHUTDOWN_DELAY_MS", default_value_t = 5000)]
    pub shutdown_delay_ms: u64,
    /// Then how long requests in flight may take to finish before the process exits, in
    /// milliseconds.
    #[arg(long, env = "SHUTDOWN_GRACE_MS", default_value_t = 30_000)]
    pub shutdown_grace_ms: u64,
    /// The roles on an item (`lead`, `responsible`, `cooperating`, comma-separated) that let a
    /// reporter's unit file and correct progress reports on it.
    #[arg(long, env = "REPORTER_UNIT_ROLES", value_delimiter = ',', default_value = "lead,responsible,cooperating", value_parser = parse_unit_role)]
    pub reporter_unit_roles: Vec<UnitRole>,
    /// The day the server takes for today (`YYYY-MM-DD`) in the overdue and stale filters, for
    /// demonstrations, replays of past data and tests; unset: today in China Standard Time.
    #[arg(long, env = "CLOCK_DATE")]
    pub clock_date: Option<chrono::NaiveDate>,
    /// How many matches a list counts exactly by default (`count=auto`); past it `total` is this
    /// number with `total_relation: "gte"`, so that a broad search never counts a million rows.
    /// (The same default as `views::page::DEFAULT_COUNT_LIMIT`, which this layer may not name.)
    #[arg(long, env = "COUNT_LIMIT", default_value_t = DEFAULT_COUNT_LIMIT)]
    pub count_limit: u64,
    /// How often the search index's pending list of new entries is merged in the background
    /// (PostgreSQL), in milliseconds, so that no write waits for a merge and searches read a
    /// short list; 0 leaves merging to the writers.
    #[arg(long, env = "SEARCH_MERGE_INTERVAL_MS", default_value_t = 2000)]
    pub search_merge_interval_ms: u64,
    #[command(flatten)]
    pub rate_limit: RateLimitConfig,
}

/// How many requests a client may make.
#[derive(Debug, Clone, Args)]
pub struct RateLimitConfig {
    /// Whether requests are rate-limited at all.
    #[arg(long = "rate-limit", env = "RATE_LIMIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// Requests per minute from one client address without a token.
    #[arg(long, env = "RATE_LIMIT_ANONYMOUS", default_value_t = 600)]
    pub anonymous_per_minute: u32,
    /// Requests per minute from one user with a token.
    #[arg(long, env = "RATE_LIMIT_AUTHENTICATED", default_value_t = 1200)]
    pub authenticated_per_minute: u32,
    /// Login attempts (`POST /api/v1/auth/token`) per minute from one client address.
    #[arg(long, env = "RATE_LIMIT_LOGIN", default_value_t = 10)]
    pub login_per_minute: u32,
    /// Where the counters live when several replicas must share one limit, `redis://HOST:6379`;
    /// without it each process counts for itself.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (comma-separated IPs);
    /// the client is the right-most address not in this list.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
}

impl RateLimitConfig {
    /// Limits off: the starting point for tests and embedding.
    pub fn off() -> Self {
        Self {
            enabled: false,
            anonymous_per_minute: 600,
            authenticated_per_minute: 1200,
            login_per_minute: 10,
            redis_url: None,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Logging options.
#[derive(Debug, Clone, Args)]
pub struct LogConfig {
    /// `pretty` or `json`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

/// Everything [`crate::startup::Application::build`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    pub serve: ServeConfig,
}

impl Config {
    /// A configuration for `database_url` that listens on a free loopback port and seeds nothing;
    /// the starting point for tests and embedding.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        Self {
            database: DatabaseConfig::for_url(database_url),
            serve: ServeConfig {
                bind_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                seed_on_empty: false,
                workers: 1,
                jwt_secret: None,
                token_ttl_seconds: 3600,
                cors_origins: "*".to_owned(),
                header_read_timeout_ms: 5000,
                body_read_timeout_ms: 10_000,
                request_timeout_ms: 30_000,
                max_connections: 512,
                backlog: 1024,
                shutdown_delay_ms: 0,
                shutdown_grace_ms: 30_000,
                reporter_unit_roles: DEFAULT_REPORTING_ROLES.to_vec(),
                clock_date: None,
                count_limit: DEFAULT_COUNT_LIMIT,
                search_merge_interval_ms: 2000,
                rate_limit: RateLimitConfig::off(),
            },
        }
    }

    /// The token signing key: `JWT_SECRET`, or, for the embedded development default only, a
    /// random key (tokens then die with the process).
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        match &self.serve.jwt_secret {
            Some(secret) if secret.len() >= 32 => Ok(secret.as_bytes().to_vec()),
            Some(_) => anyhow::bail!("JWT_SECRET must be at least 32 bytes long"),
            None if self.database.database_url == DEFAULT_DATABASE_URL
                || self.database.database_url.starts_with("sqlite:") =>
            {
                tracing::warn!(
                    "JWT_SECRET is not set: using a random key for this run of the embedded development database; \
                     tokens stop working when the server restarts"
                );
                let mut secret = vec![0u8; 32];
                getrandom::fill(&mut secret)
                    .map_err(|error| anyhow::anyhow!("Failed to make a random key: {error}"))?;
                Ok(secret)
            }
            None => anyhow::bail!(
                "JWT_SECRET is required (32 bytes or more) unless the server runs the embedded SQLite default"
            ),
        }
    }
}
