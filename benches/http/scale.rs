//! `cargo bench --bench http -- --scale`: the same validations and sign-ins over a store of 1 000
//! users and sessions, then over one of `BENCH_SCALE` (default 1 000 000) of each, side by side.
//!
//! The users are imported with the binary's own `import`, all with one argon2id hash made here
//! at the server's parameters (1 M hashes would take hours); the sessions are written straight
//! into the SQLite file, as sign-ins would have left them (a random token each, stored as its
//! SHA-256), live for the whole run. Both stores are then loaded the same way: validation of a
//! hot set of 1 000 tokens spread over the whole range (as a day's active users would be), and
//! sign-ins of 64 accounts spread the same way. After the big run's phases, 50 000 distinct
//! tokens are validated once each and the growth of the server's resident memory, divided by
//! their number, is the session cache's memory per session.

use crate::load::{Run, Target, env_number, load, phase};
use crate::processes::{Process, doorward, start_doorward};
use crate::{CONNECTIONS, PASSWORD};
use argon2::PasswordHasher;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

/// The tokens validated over and over.
const HOT: usize = 1_000;
/// The accounts signed in over and over.
const ACCOUNTS: usize = 64;
/// The tokens validated once each to measure the session cache.
const COLD: usize = 50_000;
/// The application the sessions belong to (the native API's).
const NATIVE_APP: &str = "00000000-0000-0000-0000-000000000000";

/// What one store size measured.
struct Figures {
    validation: f64,
    logins: f64,
}

pub fn run(runtime: &tokio::runtime::Runtime) {
    let big = env_number("BENCH_SCALE", 1_000_000) as usize;
    let hash = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(19_456, 2, 1, Some(32)).unwrap(),
    )
    .hash_password(
        PASSWORD.as_bytes(),
        &argon2::password_hash::SaltString::generate(&mut rand::rngs::OsRng),
    )
    .unwrap()
    .to_string();
    let mut figures = Vec::new();
    for n in [1_000, big] {
        let dir = tempfile::tempdir().unwrap();
        let tokens = generate(dir.path(), n, &hash, runtime);
        let server = start_doorward(dir.path(), &[]);
        println!("-- {n} users, {n} live sessions");
        figures.push(runtime.block_on(measure(&server, n, &tokens)));
        if n == big {
            runtime.block_on(cache_memory(&server, &tokens));
        }
    }
    let (small, large) = (&figures[0], &figures[1]);
    println!(
        "at {big} vs 1 000: validation {:.2}, logins {:.2} (target: within 10 %)",
        large.validation / small.validation,
        large.logins / small.logins
    );
}

/// Imports `n` users and writes `n` live sessions; returns the sessions' tokens.
fn generate(dir: &Path, n: usize, hash: &str, runtime: &tokio::runtime::Runtime) -> Vec<String> {
    let started = Instant::now();
    let file = std::fs::File::create(dir.join("users.json")).unwrap();
    let mut out = std::io::BufWriter::new(file);
    write!(out, r#"{{"users": ["#).unwrap();
    for i in 0..n {
        let comma = if i == 0 { "" } else { "," };
        let user = json!({"id": (i + 1).to_string(), "email": format!("user{i}@example.test"),
                          "password_hash": hash});
        write!(out, "{comma}{user}").unwrap();
    }
    write!(out, "]}}").unwrap();
    out.flush().unwrap();
    drop(out);
    let status = doorward(dir, &["import", "users.json"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the scale import failed");
    let imported = started.elapsed();
    let tokens: Vec<String> = (0..n)
        .map(|i| {
            hex::encode(Sha256::digest(format!(
                "scale {i} {}",
                rand::random::<u64>()
            )))
        })
        .collect();
    runtime.block_on(write_sessions(&dir.join("bench.db"), &tokens));
    println!(
        "{n} users imported in {:.1} s; {n} sessions written in {:.1} s",
        imported.as_secs_f64(),
        (started.elapsed() - imported).as_secs_f64()
    );
    tokens
}

/// One session per token, for the user with id `i + 1`, as a password sign-in leaves it, idle for an hour.
async fn write_sessions(db: &Path, tokens: &[String]) {
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let now = doorward::clock::Clock::now(&doorward::clock::SystemClock).unix_timestamp();
    let mut tx = connection.begin().await.unwrap();
    for (i, token) in tokens.iter().enumerate() {
        sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, kind, assurance, application_id, \
             created_at, last_seen_at, idle_secs, expires_at, client) \
             VALUES (?, ?, ?, 'auth', 'aal1', ?, ?, ?, 3600, ?, 'web')",
        )
        .bind(format!("s{i}"))
        .bind(hex::encode(Sha256::digest(token.as_bytes())))
        .bind((i + 1).to_string())
        .bind(NATIVE_APP)
        .bind(now)
        .bind(now)
        .bind(now + 12 * 3600)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// `count` indices spread evenly over `0..n`.
fn spread(n: usize, count: usize) -> impl Iterator<Item = usize> {
    let count = count.min(n);
    (0..count).map(move |k| k * n / count)
}

async fn measure(server: &Process, n: usize, tokens: &[String]) -> Figures {
    let at = server.address;
    let hot: Vec<Target> = spread(n, HOT)
        .map(|i| {
            Target::get(at, "/v1/session").header("authorization", format!("Bearer {}", tokens[i]))
        })
        .collect();
    let (validation, _) = phase(
        &format!("validation, {HOT} hot tokens of {n}"),
        None,
        async || load(&hot, CONNECTIONS, None).await,
    )
    .await;
    let accounts: Vec<Target> = spread(n, ACCOUNTS)
        .map(|i| Target::login(at, &format!("user{i}@example.test")))
        .collect();
    let (logins, _) = phase(
        &format!("POST /v1/login, {ACCOUNTS} accounts of {n}"),
        None,
        async || load(&accounts, CONNECTIONS, None).await,
    )
    .await;
    Figures { validation, logins }
}

/// Validates `COLD` tokens the cache has not seen, once each, and prints the growth of the
/// server's resident memory per token.
async fn cache_memory(server: &Process, tokens: &[String]) {
    let (before, _) = server.rss_mib();
    let cold: Vec<&String> = tokens.iter().rev().take(COLD).collect();
    let started = Instant::now();
    let chunks: Vec<Vec<String>> = cold
        .chunks(cold.len().div_ceil(CONNECTIONS))
        .map(|c| c.iter().map(|t| (*t).clone()).collect())
        .collect();
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| tokio::spawn(validate_each(server.address, chunk)))
        .collect();
    let mut run = Run::default();
    for task in tasks {
        let (ok, refused) = task.await.unwrap();
        run.ok += ok;
        run.refused += refused;
    }
    run.took = started.elapsed();
    let (after, _) = server.rss_mib();
    println!(
        "{} tokens validated once each ({:.0}/s, each a cache miss, non-2xx {}): RSS {before:.1} → \
         {after:.1} MiB, {:.0} bytes per cached session",
        run.ok,
        run.rate(),
        run.refused,
        (after - before) * 1024.0 * 1024.0 / run.ok as f64
    );
}

/// Validates each token once over one connection; returns the successes and the refusals.
async fn validate_each(address: std::net::SocketAddr, tokens: Vec<String>) -> (u64, u64) {
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let (mut ok, mut refused) = (0, 0);
    for token in tokens {
        let request = hyper::Request::get("/v1/session")
            .header("host", address.to_string())
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = sender.send_request(request).await.unwrap();
        let status = response.status();
        let _ = response.into_body().collect().await;
        if status.is_success() {
            ok += 1;
        } else {
            refused += 1;
        }
    }
    (ok, refused)
}
