//! Configuration from flags, environment variables and `.env`.

use std::net::SocketAddr;

use clap::{Args, ValueEnum};

/// The SQLite database `duban` uses when nothing else is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://duban.db?mode=rwc";

/// Where the service keeps its data and how it logs; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// `sqlite://FILE?mode=rwc` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
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
            database: DatabaseConfig { database_url: database_url.into() },
            serve: ServeConfig {
                bind_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                seed_on_empty: false,
                workers: 1,
                jwt_secret: None,
                token_ttl_seconds: 3600,
                cors_origins: "*".to_owned(),
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
