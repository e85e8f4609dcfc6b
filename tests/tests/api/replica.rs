//! The read replica against a real hot standby (issue 10): a PostgreSQL primary and a streaming
//! standby made with `pg_basebackup -R`, both clusters of this test's own on free ports (the
//! machine's PostgreSQL is never reconfigured), removed when the test ends, passed or not.
//!
//! PostgreSQL only, so the test is named `…::postgres` and runs in that pass of `.ci/run`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::json;

use crate::helpers::{Method, TestApp};

/// Where the PostgreSQL programs are; `TEST_PG_BIN` overrides it.
const DEFAULT_PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// How long replication may take to catch up on a loaded two-core machine.
const CATCH_UP: Duration = Duration::from_secs(15);

mod anonymous_reads_come_from_the_standby_and_a_writer_reads_its_own_writes {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::anonymous_reads_come_from_the_standby_and_a_writer_reads_its_own_writes().await
    }
}

async fn anonymous_reads_come_from_the_standby_and_a_writer_reads_its_own_writes() {
    let clusters = PrimaryAndStandby::start();
    clusters.create_database("duban").await;
    let app = TestApp::spawn_over(&clusters.primary_url("duban"), |config| {
        config.serve.seed_on_empty = true;
        config.database.database_read_url = Some(clusters.standby_url("duban"));
    })
    .await;
    let admin = app.admin_token().await;
    clusters.wait_for_standby_to_catch_up().await;
    // Before anything is held back, anonymous and authenticated readers agree.
    let city = app.get_ok("/api/v1/cities/330382", &[]).await;
    assert_eq!(city["code"], "330382");

    let feed_end = end_of_change_feed(&app).await;

    clusters.pause_replay().await;
    let created = app
        .send(
            Method::POST,
            "/api/v1/leaders",
            Some(&admin),
            Some(json!({"city": "330382", "name": "备库暂停时", "title": "副市长"})),
            &[],
        )
        .await;
    let leader = created.expect(StatusCode::CREATED)["id"].as_str().expect("an id").to_owned();
    let path = format!("/api/v1/leaders/{leader}");
    // The standby has not replayed the write: an anonymous reader, served by it, does not see it
    // yet, in the item or in a list.
    app.send(Method::GET, &path, None, None, &[]).await.problem(StatusCode::NOT_FOUND);
    let listed = app.get_ok("/api/v1/leaders", &[("city", "330382"), ("q", "备库暂停时")]).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(0), "the standby's list: {listed}");
    // The writer reads from the primary and sees its own write at once.
    let own = app.send(Method::GET, &path, Some(&admin), None, &[]).await;
    assert_eq!(own.expect(StatusCode::OK)["name"], "备库暂停时");
    // A conditional write reads the current version inside the write, on the primary.
    let patched = app
        .send(Method::PATCH, &path, Some(&admin), Some(json!({"title": "市长"})), &[("if-match", own.etag().as_str())])
        .await;
    assert_eq!(patched.expect(StatusCode::OK)["title"], "市长");
    // The change feed is read on the primary, even anonymously: a mirror never misses a change
    // that a later poll would skip.
    let changes = app.get_ok("/api/v1/changes", &[("resource_type", "leaders"), ("since", &feed_end)]).await;
    let leader_changes: Vec<(&str, &str)> = changes["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|change| Some((change["resource_id"].as_str()?, change["action"].as_str()?)))
        .collect();
    assert_eq!(
        leader_changes,
        [(leader.as_str(), "create"), (leader.as_str(), "update")],
        "the creation and the update, from the primary: {changes}"
    );
    // Still held back on the standby.
    app.send(Method::GET, &path, None, None, &[]).await.problem(StatusCode::NOT_FOUND);

    clusters.resume_replay().await;
    let resumed = Instant::now();
    loop {
        let reply = app.send(Method::GET, &path, None, None, &[]).await;
        if reply.status == StatusCode::OK {
            assert_eq!(reply.body["title"], "市长", "the standby replayed the update too");
            break;
        }
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "body: {}", reply.body);
        assert!(resumed.elapsed() < CATCH_UP, "the standby did not replay the write");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("the standby served the write {:?} after replay resumed", resumed.elapsed());
}

/// The cursor after the last change to leaders so far.
async fn end_of_change_feed(app: &TestApp) -> String {
    let mut since = "0".to_owned();
    loop {
        let page =
            app.get_ok("/api/v1/changes", &[("resource_type", "leaders"), ("limit", "500"), ("since", &since)]).await;
        since = page["next"].as_str().expect("a next cursor").to_owned();
        if page["has_more"] != true {
            return since;
        }
    }
}

/// A primary cluster and a hot standby streaming from it, each on a free loopback port, in a
/// temporary directory owned by the `postgres` OS user (initdb refuses to run as root). Dropping
/// it stops both and deletes the directory.
struct PrimaryAndStandby {
    dir: PathBuf,
    primary_port: u16,
    standby_port: u16,
}

impl PrimaryAndStandby {
    fn start() -> Self {
        let bin = PathBuf::from(std::env::var("TEST_PG_BIN").unwrap_or_else(|_| DEFAULT_PG_BIN.to_owned()));
        for program in ["initdb", "pg_ctl", "pg_basebackup"] {
            assert!(
                bin.join(program).exists(),
                "{} is missing: the read-replica test needs PostgreSQL 15's server programs (apt-get install \
                 postgresql-15, or set TEST_PG_BIN to their directory)",
                bin.join(program).display()
            );
        }
        let dir = std::env::temp_dir().join(format!("duban-standby-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let clusters = Self { dir, primary_port: free_port(), standby_port: free_port() };
        if running_as_root() {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&clusters.dir));
        }
        let (primary, standby) = (clusters.primary_dir(), clusters.standby_dir());
        run(as_postgres(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(&primary));
        append(
            &primary.join("postgresql.conf"),
            &format!(
                "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = off\n",
                clusters.primary_port,
                clusters.dir.display()
            ),
        );
        append(&primary.join("pg_hba.conf"), "host replication all 127.0.0.1/32 trust\n");
        clusters.pg_ctl(&bin, &primary, "start");
        run(as_postgres(&bin.join("pg_basebackup"))
            .args(["-R", "--checkpoint=fast", "--no-sync", "-h", "127.0.0.1", "-U", "postgres", "-p"])
            .arg(clusters.primary_port.to_string())
            .arg("-D")
            .arg(&standby));
        // The standby's configuration is a copy of the primary's; a later line wins.
        append(&standby.join("postgresql.conf"), &format!("port = {}\nhot_standby = on\n", clusters.standby_port));
        clusters.pg_ctl(&bin, &standby, "start");
        clusters
    }

    fn primary_dir(&self) -> PathBuf {
        self.dir.join("primary")
    }

    fn standby_dir(&self) -> PathBuf {
        self.dir.join("standby")
    }

    fn pg_ctl(&self, bin: &Path, data: &Path, action: &str) {
        let log = self.dir.join(format!("{}.log", data.file_name().and_then(|n| n.to_str()).unwrap_or("cluster")));
        let mut command = as_postgres(&bin.join("pg_ctl"));
        run(command.args(["-w", "-t", "30", "-D"]).arg(data).arg("-l").arg(log).arg(action));
    }

    fn primary_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.primary_port)
    }

    fn standby_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.standby_port)
    }

    /// Creates `name` on the primary and waits until the standby has it too.
    async fn create_database(&self, name: &str) {
        let primary = connect(&self.primary_url("postgres")).await;
        primary.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("the database is created");
        primary.close().await.ok();
        let started = Instant::now();
        loop {
            if let Ok(standby) = Database::connect(self.standby_url(name)).await {
                standby.close().await.ok();
                return;
            }
            assert!(started.elapsed() < CATCH_UP, "the standby never got database {name}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the standby has replayed everything the primary has written so far.
    async fn wait_for_standby_to_catch_up(&self) {
        let primary = connect(&self.primary_url("postgres")).await;
        let written = query_text(&primary, "SELECT pg_current_wal_lsn()::text").await;
        primary.close().await.ok();
        let caught_up = format!("SELECT (pg_last_wal_replay_lsn() >= '{written}'::pg_lsn)::text");
        self.wait_until_standby_answers(&caught_up, "true").await;
    }

    /// Holds back replay on the standby (it keeps receiving WAL), as a lagging replica would.
    async fn pause_replay(&self) {
        let standby = connect(&self.standby_url("postgres")).await;
        standby.execute_unprepared("SELECT pg_wal_replay_pause()").await.expect("replay pauses");
        standby.close().await.ok();
        self.wait_until_standby_answers("SELECT pg_get_wal_replay_pause_state()", "paused").await;
    }

    /// Polls `sql` on the standby until it answers `expected`.
    async fn wait_until_standby_answers(&self, sql: &str, expected: &str) {
        let standby = connect(&self.standby_url("postgres")).await;
        let started = Instant::now();
        while query_text(&standby, sql).await != expected {
            assert!(started.elapsed() < CATCH_UP, "the standby did not answer {expected} to {sql}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        standby.close().await.ok();
    }

    async fn resume_replay(&self) {
        let standby = connect(&self.standby_url("postgres")).await;
        standby.execute_unprepared("SELECT pg_wal_replay_resume()").await.expect("replay resumes");
        standby.close().await.ok();
    }
}

impl Drop for PrimaryAndStandby {
    fn drop(&mut self) {
        // Stopped even when the test panicked; neither cluster's data is worth a clean shutdown.
        let bin = PathBuf::from(std::env::var("TEST_PG_BIN").unwrap_or_else(|_| DEFAULT_PG_BIN.to_owned()));
        for data in [self.standby_dir(), self.primary_dir()] {
            if data.join("postmaster.pid").exists() {
                let _ = as_postgres(&bin.join("pg_ctl"))
                    .args(["-w", "-t", "30", "-m", "immediate", "-D"])
                    .arg(&data)
                    .arg("stop")
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nobody listens on now (the cluster binds it a moment later).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn running_as_root() -> bool {
    let id = Command::new("id").arg("-u").output().expect("`id -u` runs");
    String::from_utf8_lossy(&id.stdout).trim() == "0"
}

/// `program` run as the `postgres` OS user when the tests run as root (CI does), else as the
/// current user.
fn as_postgres(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// Runs `command`, panicking with its output unless it succeeds.
fn run(command: &mut Command) {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn append(file: &Path, lines: &str) {
    use std::io::Write;
    let mut opened = std::fs::OpenOptions::new().append(true).open(file).expect("the configuration opens");
    opened.write_all(lines.as_bytes()).expect("the configuration is written");
}

async fn connect(url: &str) -> DatabaseConnection {
    Database::connect(url).await.unwrap_or_else(|e| panic!("{url} is reachable: {e}"))
}

async fn query_text(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql} returned no row"));
    row.try_get_by_index::<String>(0).unwrap_or_else(|e| panic!("{sql}: {e}"))
}
