//! The `duban` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use entity::user::UserRole;

use crate::{
    config::{Config, DatabaseConfig, LogConfig, ServeConfig},
    db,
    domain::{import, journal::Actor, resource::Trusted, users},
    http::{openapi, startup::Application},
    telemetry,
    views::import::DocumentFile,
};

/// Duban (督办): the open API for city work plans.
#[derive(Debug, Parser)]
#[command(name = "duban", version, about)]
pub struct Cli {
    #[command(flatten)]
    database: DatabaseConfig,
    #[command(flatten)]
    log: LogConfig,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve(ServeConfig),
    /// Bring the database schema up to date.
    Migrate,
    /// Import document files (the format of `data/*.json`), each in one transaction.
    Import {
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input, or from the environment
    /// variable named by `--password-env`.
    Create {
        #[arg(long)]
        username: String,
        /// `admin`, `editor` or `viewer`.
        #[arg(long, value_parser = parse_role)]
        role: UserRole,
        /// The one city (admin code or id) an editor may write to; all cities when absent.
        #[arg(long)]
        city: Option<String>,
        /// Read the password from this environment variable instead of standard input.
        #[arg(long)]
        password_env: Option<String>,
    },
}

fn parse_role(value: &str) -> Result<UserRole, String> {
    match value {
        "admin" => Ok(UserRole::Admin),
        "editor" => Ok(UserRole::Editor),
        "viewer" => Ok(UserRole::Viewer),
        other => Err(format!("unknown role `{other}`: use admin, editor or viewer")),
    }
}

/// The password for `user create`: from the named variable, else the first line of stdin.
fn read_password(password_env: Option<&str>) -> anyhow::Result<String> {
    let password = match password_env {
        Some(name) => std::env::var(name).with_context(|| format!("The environment variable {name} is not set"))?,
        None => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("Failed to read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    anyhow::ensure!(!password.is_empty(), "The password is empty");
    Ok(password)
}

/// Runs the command line; reads `.env` first.
pub async fn run() -> anyhow::Result<()> {
    // A missing .env is the normal case.
    dotenvy::dotenv().ok();
    let cli = Cli::parse();
    telemetry::init(cli.log.log_format);
    let command = cli.command.unwrap_or_else(|| Command::Serve(ServeConfig::parse_default()));
    match command {
        Command::Serve(serve) => {
            let app = Application::build(Config { database: cli.database.clone(), serve: serve.clone() }).await?;
            tracing::info!(
                address = %serve.bind_addr.ip(),
                port = app.port(),
                database = %db::redact(&cli.database.database_url),
                "Duban is listening"
            );
            app.run_until_signalled().await.context("The server failed")
        }
        Command::Migrate => {
            db::connect_and_migrate_with(&cli.database).await?;
            tracing::info!("the schema is up to date");
            Ok(())
        }
        Command::Import { files } => {
            let db = db::connect_and_migrate_with(&cli.database).await?;
            for path in files {
                let bytes = std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))?;
                let file =
                    DocumentFile::from_json(&bytes).with_context(|| format!("{} is not valid", path.display()))?;
                let summary = import::import_document(&db, &file, &Trusted(Actor::command_line()))
                    .await
                    .with_context(|| format!("Failed to import {}", path.display()))?;
                println!("{}: {}", path.display(), serde_json::to_string(&summary)?);
            }
            Ok(())
        }
        Command::User(UserCommand::Create { username, role, city, password_env }) => {
            let password = read_password(password_env.as_deref())?;
            let db = db::connect_and_migrate_with(&cli.database).await?;
            let id = users::create_user(&db, &username, &password, role, city.as_deref())
                .await
                .map_err(|error| anyhow::anyhow!("Failed to create the user: {}", error.problem().detail))?;
            println!("created user {username} ({id})");
            Ok(())
        }
        Command::Openapi => {
            use std::io::Write;
            match std::io::stdout().lock().write_all(openapi::json().as_bytes()) {
                // `duban openapi | head` closes the pipe early; that is not a failure.
                Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(error).context("Failed to write the OpenAPI document")
                }
                _ => Ok(()),
            }
        }
    }
}

impl ServeConfig {
    /// The serve options from the environment and defaults, for `duban` without a subcommand.
    fn parse_default() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            serve: ServeConfig,
        }
        Only::parse_from(["duban"]).serve
    }
}
