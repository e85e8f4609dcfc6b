//! `duban serve` as a real OS process, for what only a process shows: signals, and several
//! processes behind one address.

use std::{
    process::{Child, Command, ExitStatus, Stdio},
    time::Duration,
};

/// A `duban serve` process on a free loopback port; killed when dropped, if still running.
pub struct ServeProcess {
    child: Child,
    pub port: u16,
}

impl ServeProcess {
    /// Starts `duban serve` over `database_url` (not seeding it, rate limits off, JSON logs) with
    /// `env` on top, and waits until it says where it listens.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let binary = duban_binary();
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", crate::helpers::JWT_SECRET)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("SEED_ON_EMPTY", "false")
            .env("RATE_LIMIT", "false")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{} starts: {e}", binary.display()));
        let stderr = child.stderr.take().expect("stderr");
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        // Reads the log to its end, so that a full pipe never blocks the server; shows it with
        // TEST_LOG set, as the in-process servers' logs are.
        let show = std::env::var_os("TEST_LOG").is_some();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if show {
                    eprintln!("{line}");
                }
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
                    && let Some(port) = event["port"].as_u64()
                {
                    let _ = port_tx.send(port);
                }
            }
        });
        let port = port_rx.recv_timeout(Duration::from_secs(30)).expect("the server says where it listens");
        Self { child, port: u16::try_from(port).expect("a port") }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let killed = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        assert!(killed.is_ok_and(|s| s.success()), "SIGTERM is sent");
    }

    /// Waits for the process to exit (blocking).
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().expect("an exit status")
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `duban` binary next to the test binary (`cargo test --workspace` builds it; else
/// `cargo build -p duban-api`).
fn duban_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let binary = dir.join("duban");
    assert!(binary.exists(), "{} is missing: run `cargo build -p duban-api` first", binary.display());
    binary
}
