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
            database: DatabaseConfig {
                database_url: database_url.into(),
            },
            serve: ServeConfig {
                bind_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                seed_on_empty: false,
                workers: 1,
            },
        }
    }
}
