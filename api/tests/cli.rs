//! The `duban` command line against real databases: migrate, import (idempotent, atomic, precise
//! errors), user create, openapi. Each test runs on SQLite and on PostgreSQL.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use sea_orm::{ConnectionTrait, Database};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_duban");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn duban(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(repo())
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env("PW", "a-long-enough-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("duban starts");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin written");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("duban ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The summary `duban import` prints for one file.
fn summary(output: &Output) -> Value {
    let stdout = text(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| panic!("no summary in {stdout}"));
    serde_json::from_str(line.split_once(": ").expect("`file: summary`").1).expect("the summary is JSON")
}

fn the_command_line_imports_migrates_and_creates_users(url: &str) {
    let migrate = duban(url, &["migrate"], None);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));

    let first = duban(url, &["import", "data/yueqing-2021-7.json"], None);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let created = summary(&first);
    assert_eq!(created["items"]["created"], 36 + 129 + 48);
    assert_eq!(created["documents"]["created"], 1);

    let again = duban(url, &["import", "data/yueqing-2021-7.json"], None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let unchanged = summary(&again);
    assert_eq!(unchanged["items"]["created"], 0);
    assert_eq!(unchanged["items"]["updated"], 0);
    assert_eq!(unchanged["items"]["unchanged"], 213);

    // A broken file names the field at fault, fails, and writes nothing.
    let mut file: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("data/yuhuan-2021-9.json")).expect("the seed file"))
            .expect("JSON");
    file["sections"][0]["groups"][2]["items"][4]["units"][0]["role"] = Value::from("boss");
    let broken = std::env::temp_dir().join(format!("duban-broken-{}.json", std::process::id()));
    std::fs::write(&broken, file.to_string()).expect("written");
    let failed = duban(url, &["import", broken.to_str().expect("utf-8")], None);
    let _ = std::fs::remove_file(&broken);
    assert!(!failed.status.success());
    assert!(text(&failed.stderr).contains("sections[0].groups[2].items[4].units[0].role"), "{}", text(&failed.stderr));
    let yuhuan = duban(url, &["import", "data/yuhuan-2021-9.json"], None);
    assert_eq!(summary(&yuhuan)["cities"]["created"], 1, "the broken import created nothing");

    let user = duban(
        url,
        &[
            "user",
            "create",
            "--username",
            "yueqing-editor",
            "--role",
            "editor",
            "--city",
            "330382",
            "--password-env",
            "PW",
        ],
        None,
    );
    assert!(user.status.success(), "{}", text(&user.stderr));
    assert!(text(&user.stdout).contains("created user yueqing-editor"));
    let from_stdin =
        duban(url, &["user", "create", "--username", "second", "--role", "viewer"], Some("another-long-password\n"));
    assert!(from_stdin.status.success(), "{}", text(&from_stdin.stderr));
    let duplicate = duban(
        url,
        &["user", "create", "--username", "yueqing-editor", "--role", "viewer", "--password-env", "PW"],
        None,
    );
    assert!(!duplicate.status.success());
    let short = duban(url, &["user", "create", "--username", "third", "--role", "viewer"], Some("short\n"));
    assert!(!short.status.success());
    assert!(text(&short.stderr).contains("password"), "{}", text(&short.stderr));
}

#[test]
fn the_command_line_works_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("duban-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("cli.db").display());
    the_command_line_imports_migrates_and_creates_users(&url);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_command_line_works_on_postgres() {
    let admin_url =
        std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("duban_cli_{}", uuid::Uuid::now_v7().simple());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let admin = runtime.block_on(Database::connect(admin_url.as_str())).expect("PostgreSQL is reachable");
    runtime.block_on(admin.execute_unprepared(&format!("CREATE DATABASE {name}"))).expect("created");
    let url = format!("{}/{name}", admin_url.rsplit_once('/').expect("a database in the URL").0);
    let result = std::panic::catch_unwind(|| the_command_line_imports_migrates_and_creates_users(&url));
    runtime
        .block_on(admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .expect("dropped");
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn the_printed_openapi_document_is_the_committed_one() {
    let output = Command::new(BIN).arg("openapi").env("RUST_LOG", "off").output().expect("duban runs");
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("openapi/openapi.json")).expect("committed"))
            .expect("JSON");
    assert!(printed == committed, "openapi/openapi.json is stale: run `cargo run -p openapi`");
}
