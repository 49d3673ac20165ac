//! The server under test as its own process: the release binary over a fresh SQLite file (or a
//! given database), provisioned by its own `import`.

use crate::{APP, PASSWORD, USERS};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

pub struct Process {
    pub child: std::process::Child,
    pub address: std::net::SocketAddr,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Resident memory now and at its peak, in MiB (`/proc`).
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

pub fn doorward(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_doorward"));
    command
        .args(args)
        .current_dir(dir)
        .env(
            "DOORWARD_DATABASE_URL",
            format!("sqlite://{}", dir.join("bench.db").display()),
        )
        // One account signs in over and over: lift the limits that would (rightly) stop that.
        .env(
            "DOORWARD_RATE_LIMITS__LOGIN_PER_ADDRESS__BURST",
            "100000000",
        )
        .env("DOORWARD_RATE_LIMITS__LOGIN_PER_ADDRESS__PER", "1s")
        .env(
            "DOORWARD_RATE_LIMITS__LOGIN_PER_IDENTIFIER__BURST",
            "100000000",
        )
        .env("DOORWARD_RATE_LIMITS__LOGIN_PER_IDENTIFIER__PER", "1s")
        .env("DOORWARD_LOG__FORMAT", "json");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

pub fn start_doorward(dir: &Path, env: &[(&str, &str)]) -> Process {
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let child = doorward(dir, &["serve"], env)
        .env("DOORWARD_LISTEN", "127.0.0.1:0")
        .stderr(log)
        .spawn()
        .unwrap();
    let address = loop {
        let text = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        if let Some(address) = text.lines().find_map(|line| {
            let entry: Value = serde_json::from_str(line).ok()?;
            (entry["fields"]["message"] == "doorward listening")
                .then(|| entry["fields"]["address"].as_str()?.parse().ok())?
        }) {
            break address;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Process { child, address }
}

/// Imports the bench's users (64 plus `ann`, an owner of Acme) and applications.
pub fn provision(dir: &Path, env: &[(&str, &str)]) {
    let users: Vec<Value> = (0..USERS)
        .map(|i| json!({"email": format!("user{i}@example.test"), "password": PASSWORD}))
        .collect();
    let mut users = users;
    users.push(
        json!({"id": "1001", "email": "ann@example.test", "username": "ann",
        "password": PASSWORD, "memberships": [{"organization": "100", "role": "owner"}]}),
    );
    let doc = json!({
        "organizations": [{"id": "100", "name": "Acme"}],
        "applications": [{"name": "weavr", "api_keys": ["k-bench"]},
                         {"id": APP, "name": "axonize"}],
        "users": users,
    });
    std::fs::write(dir.join("seed.json"), doc.to_string()).unwrap();
    let status = doorward(dir, &["import", "seed.json"], env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the bench's import failed");
}
