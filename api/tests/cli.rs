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
    // A seed notice parses, for its city in this database, to its committed file exactly.
    let parsed = duban(url, &["parse", "data/notices/yueqing-2021-7.txt", "--city", "330382"], None);
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
    let committed = std::fs::read_to_string(repo().join("data/yueqing-2021-7.json")).expect("the seed file");
    assert!(text(&parsed.stdout) == committed, "duban parse differs from data/yueqing-2021-7.json");
    assert!(text(&parsed.stderr).contains("[unit_near_miss]"), "{}", text(&parsed.stderr));
    let unknown = duban(url, &["parse", "data/notices/yuhuan-2021-9.txt", "--city", "331083"], None);
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("no city has the admin code 331083"), "{}", text(&unknown.stderr));

    // Dry runs print what would change and write nothing: Yuhuan is still new afterwards.
    let dry = duban(url, &["import", "--dry-run", "data/yueqing-2021-7.json", "data/yuhuan-2021-9.json"], None);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let stdout = text(&dry.stdout);
    let previews: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line.split_once(": ").expect("`file: preview`").1).expect("JSON"))
        .collect();
    assert_eq!(previews[0]["dry_run"], true);
    assert_eq!(previews[0]["created"], Value::Array(Vec::new()));
    assert_eq!(previews[0]["updated"], Value::Array(Vec::new()));
    assert_eq!(previews[1]["summary"]["cities"]["created"], 1);
    assert!(text(&dry.stderr).contains("nothing was written"), "{}", text(&dry.stderr));

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
fn the_parse_command_prints_the_document_and_every_warning() {
    const YUHUAN: &str =
        r#"{"code":"331083","name":"玉环市","name_en":"Yuhuan","province":"浙江省","prefecture":"台州市"}"#;
    // No database is needed with the city given as JSON.
    let offline = "sqlite:///nonexistent/dir/duban.db";
    let parsed = duban(offline, &["parse", "data/notices/yuhuan-2021-9.txt", "--city-json", YUHUAN], None);
    assert!(parsed.status.success(), "{}", text(&parsed.stderr));
    let committed = std::fs::read_to_string(repo().join("data/yuhuan-2021-9.json")).expect("the seed file");
    assert!(text(&parsed.stdout) == committed, "duban parse differs from data/yuhuan-2021-9.json");
    let stderr = text(&parsed.stderr);
    assert!(stderr.contains("warning: data/notices/yuhuan-2021-9.txt: line 11: "), "{stderr}");
    assert!(stderr.contains("(玉政办发〔20219 → 玉政办发〔2021〕9号) [doc_number_repaired]"), "{stderr}");
    assert!(stderr.contains("cells layout, 34 warning(s)"), "{stderr}");

    // Without a city: the document is printed, with the city to fill in, and said so.
    let stdin = std::fs::read_to_string(repo().join("data/notices/yuhuan-2021-9.txt")).expect("the notice");
    let incomplete = duban(offline, &["parse", "-"], Some(&stdin));
    assert!(incomplete.status.success(), "{}", text(&incomplete.stderr));
    let document: Value = serde_json::from_slice(&incomplete.stdout).expect("JSON");
    assert_eq!(
        document["city"],
        serde_json::json!({"code": "", "name": "玉环市", "name_en": "", "province": "", "prefecture": ""})
    );
    let stderr = text(&incomplete.stderr);
    assert!(stderr.contains("[city_incomplete]") && stderr.contains("not importable yet"), "{stderr}");

    // Errors: a clear message, nothing on standard output, a failure status.
    let empty = std::env::temp_dir().join(format!("duban-empty-{}.txt", std::process::id()));
    std::fs::write(&empty, "").expect("written");
    let gbk = std::env::temp_dir().join(format!("duban-gbk-{}.txt", std::process::id()));
    std::fs::write(&gbk, encoding_rs::GBK.encode(&stdin).0).expect("written");
    for (args, message) in [
        (vec!["parse", empty.to_str().expect("utf-8")], "the notice is empty"),
        (vec!["parse", gbk.to_str().expect("utf-8")], "it looks like GBK"),
        (vec!["parse", "data/notices/yuhuan-2021-9.txt", "--layout", "tabbed"], "no table in the tabbed layout"),
        (vec!["parse", "data/notices/yuhuan-2021-9.txt", "--layout", "rows"], "unknown layout `rows`"),
        (vec!["parse", "data/notices/yuhuan-2021-9.txt", "--city-json", "{\"code\": 1}"], "--city-json must be"),
    ] {
        let failed = duban(offline, &args, None);
        assert!(!failed.status.success(), "{args:?}");
        assert!(failed.stdout.is_empty(), "{args:?}");
        assert!(text(&failed.stderr).contains(message), "{args:?}: {}", text(&failed.stderr));
    }
    let _ = std::fs::remove_file(empty);
    let _ = std::fs::remove_file(gbk);
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
