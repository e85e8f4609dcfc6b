//! The `duban` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use entity::user::UserRole;

use crate::{
    config::{Config, DatabaseConfig, LogConfig, ServeConfig},
    db,
    domain::{generate, import, journal::Actor, notice, resource::Trusted, users},
    http::{openapi, startup::Application},
    telemetry,
    views::{
        import::{DocumentFile, FileCity},
        notice::Layout,
    },
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
        /// Run each import and roll it back: print what it would create, update (before and
        /// after) and leave unchanged, and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Parse the text of a published notice into a document file: the JSON on standard output,
    /// every repair and guess on standard error. Fails, writing nothing, when the text cannot be
    /// read as a notice.
    Parse(ParseArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Make synthetic data for benchmarks, deterministic from a seed.
    #[command(subcommand)]
    Generate(GenerateCommand),
}

#[derive(Debug, Subcommand)]
enum GenerateCommand {
    /// Fill an empty database: cities × yearly documents × work items and livelihood projects.
    Data {
        #[arg(long, default_value_t = 20)]
        cities: usize,
        #[arg(long, default_value_t = 1_000_000)]
        work_items: usize,
        #[arg(long, default_value_t = 100_000)]
        livelihood_projects: usize,
        #[arg(long, default_value_t = 200)]
        units_per_city: usize,
        /// Documents per city, one a year from 2016.
        #[arg(long, default_value_t = 10)]
        years: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Print an import file of one document with this many work items.
    Document {
        #[arg(long, default_value_t = 10_000)]
        items: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Debug, clap::Args)]
struct ParseArgs {
    /// The notice: UTF-8 text copied from the web page or extracted from the PDF; `-` reads
    /// standard input.
    file: PathBuf,
    /// `tabbed` (tab-separated tables) or `cells` (one table cell per line); detected when
    /// absent.
    #[arg(long)]
    layout: Option<Layout>,
    /// The admin code of a city in the database (`DATABASE_URL`): its fields fill `city`, and the
    /// notice's units are matched against its units (near misses are warned about).
    #[arg(long, conflicts_with = "city_json")]
    city: Option<String>,
    /// The city as the import format writes it, for a city the database does not hold yet:
    /// `{"code":"331083","name":"玉环市","name_en":"Yuhuan","province":"浙江省","prefecture":"台州市"}`.
    #[arg(long, value_name = "JSON")]
    city_json: Option<String>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input, or from the environment
    /// variable named by `--password-env`.
    Create {
        #[arg(long)]
        username: String,
        /// `admin`, `editor`, `viewer` or `reporter`.
        #[arg(long, value_parser = parse_role)]
        role: UserRole,
        /// The one city (admin code or id) an editor may write to; all cities when absent. A
        /// reporter needs one.
        #[arg(long)]
        city: Option<String>,
        /// For a reporter, a unit of its city (exact name or id) it files reports for; repeat for
        /// several.
        #[arg(long = "unit")]
        units: Vec<String>,
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
        "reporter" => Ok(UserRole::Reporter),
        other => Err(format!("unknown role `{other}`: use admin, editor, viewer or reporter")),
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
        Command::Import { files, dry_run } => {
            let db = db::connect_and_migrate_with(&cli.database).await?;
            for path in files {
                let bytes = std::fs::read(&path).with_context(|| format!("Failed to read {}", path.display()))?;
                let file =
                    DocumentFile::from_json(&bytes).with_context(|| format!("{} is not valid", path.display()))?;
                let who = Trusted(Actor::command_line());
                let failed = || format!("Failed to import {}", path.display());
                if dry_run {
                    let preview = import::preview_document(&db, &file, &who).await.with_context(failed)?;
                    eprintln!(
                        "{}: a dry run: {} record(s) would be created, {} updated, {} left unchanged; nothing was written",
                        path.display(),
                        preview.created.len(),
                        preview.updated.len(),
                        preview.unchanged.len()
                    );
                    println!("{}: {}", path.display(), serde_json::to_string(&preview)?);
                } else {
                    let summary = import::import_document(&db, &file, &who).await.with_context(failed)?;
                    println!("{}: {}", path.display(), serde_json::to_string(&summary)?);
                }
            }
            Ok(())
        }
        Command::Parse(args) => parse_notice(&cli.database.database_url, args).await,
        Command::User(UserCommand::Create { username, role, city, units, password_env }) => {
            let password = read_password(password_env.as_deref())?;
            let db = db::connect_and_migrate_with(&cli.database).await?;
            let id = users::create_user(&db, &username, &password, role, city.as_deref(), &units)
                .await
                .map_err(|error| anyhow::anyhow!("Failed to create the user: {}", error.problem().detail))?;
            println!("created user {username} ({id})");
            Ok(())
        }
        Command::Generate(GenerateCommand::Data {
            cities,
            work_items,
            livelihood_projects,
            units_per_city,
            years,
            seed,
        }) => {
            let db = db::connect_for_maintenance(&cli.database).await?;
            let scale = generate::Scale { cities, work_items, livelihood_projects, units_per_city, years, seed };
            let started = std::time::Instant::now();
            let done = generate::generate(&db, scale)
                .await
                .map_err(|error| anyhow::anyhow!("Failed to generate: {}", error.problem().detail))?;
            println!(
                "generated {} cities, {} documents, {} items, {} unit rows, {} progress reports in {:.1} s",
                done.cities,
                done.documents,
                done.items,
                done.item_units,
                done.reports,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Generate(GenerateCommand::Document { items, seed }) => {
            let file = generate::document_file(items, seed)
                .map_err(|error| anyhow::anyhow!("Failed to generate: {}", error.problem().detail))?;
            println!("{}", serde_json::to_string(&file)?);
            Ok(())
        }
        Command::Openapi => write_stdout(openapi::json().as_bytes()).context("Failed to write the OpenAPI document"),
    }
}

/// `duban parse`: the document on standard output, the warnings on standard error.
async fn parse_notice(database_url: &str, args: ParseArgs) -> anyhow::Result<()> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).context("Failed to read standard input")?;
        bytes
    } else {
        std::fs::read(&args.file).with_context(|| format!("Failed to read {}", args.file.display()))?
    };
    let cannot_parse = || format!("{} cannot be parsed", args.file.display());
    let parsed = match (&args.city, &args.city_json) {
        (Some(code), _) => {
            let db = db::connect_and_migrate(database_url).await?;
            import::notice::parse_for_city(&db, &bytes, args.layout, Some(code))
                .await
                .map_err(|error| anyhow::anyhow!(error.problem().detail))
                .with_context(cannot_parse)?
        }
        (None, city_json) => {
            let city: Option<FileCity> = city_json
                .as_deref()
                .map(|json| {
                    serde_json::from_str(json).context(
                        "--city-json must be {\"code\", \"name\", \"name_en\", \"province\", \"prefecture\"}, all strings",
                    )
                })
                .transpose()?;
            let options = notice::ParseOptions { layout: args.layout, city, ..notice::ParseOptions::default() };
            notice::parse_bytes(&bytes, &options).with_context(cannot_parse)?
        }
    };
    for warning in &parsed.warnings {
        eprintln!("warning: {}: {warning} [{}]", args.file.display(), kind_name(warning.kind));
    }
    let (file, report) = parsed.into_parts();
    eprintln!("{}: {} layout, {} warning(s)", args.file.display(), report.layout, report.warnings.len());
    if let Err(error) = file.validate() {
        // Printed anyway: the editor fills in what is missing (the city, when none was given).
        eprintln!(
            "note: the document is not importable yet: {}; give --city CODE (a city in the database) or \
             --city-json, or fill in the fields",
            error.problem().detail
        );
    }
    let mut json = serde_json::to_string_pretty(&file)?;
    json.push('\n');
    write_stdout(json.as_bytes()).context("Failed to write the document")
}

/// A warning kind as the JSON names it (`extraction_space`), for grepping standard error.
fn kind_name(kind: notice::WarningKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// Writes to standard output; a reader that closes the pipe early (`| head`) is not a failure.
fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error),
        _ => Ok(()),
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
