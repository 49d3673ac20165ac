//! Load benchmark: `cargo bench --bench load`. Starts the real server on loopback over a fresh
//! SQLite file and measures, in one run on the same machine:
//! - raw argon2id verifies/s at the server's parameters, one thread per core (the ceiling);
//! - logins/s through HTTP;
//! - a bare axum endpoint returning a constant (the stack's ceiling) vs token validations/s;
//! - validation latency and throughput during a login flood at 4 × hashing capacity.
//!
//! `BENCH_SECONDS` sets each phase's length (default 5).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use argon2::Argon2;
use doorward::clock::SystemClock;
use doorward::config::{Config, DatabaseUrl};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";

fn phase() -> Duration {
    let secs = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Raw argon2id verifies per second, one thread per core, each reusing its memory block as the
/// server's workers do (the true ceiling; allocating per call is much slower).
fn raw_argon2() -> f64 {
    let params = argon2::Params::new(19_456, 2, 1, Some(32)).unwrap();
    let argon = Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.clone(),
    );
    let salt = [7u8; 16];
    let mut expected = [0u8; 32];
    let mut memory = vec![argon2::Block::default(); params.block_count()];
    argon
        .hash_password_into_with_memory(PASSWORD.as_bytes(), &salt, &mut expected, &mut memory)
        .unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..cores())
        .map(|_| {
            let (argon, count) = (argon.clone(), Arc::clone(&count));
            let mut memory = memory.clone();
            std::thread::spawn(move || {
                let mut out = [0u8; 32];
                while start.elapsed() < phase() {
                    argon
                        .hash_password_into_with_memory(
                            PASSWORD.as_bytes(),
                            &salt,
                            &mut out,
                            &mut memory,
                        )
                        .unwrap();
                    assert_eq!(out, expected);
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Runs `clients` loops of `request` for one phase; returns (ok/s, latencies in µs).
async fn load<F, Fut>(clients: usize, request: F) -> (f64, Vec<u64>)
where
    F: Fn() -> Fut + Send + Sync + 'static + Clone,
    Fut: std::future::Future<Output = bool> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut ok = 0u64;
                while start.elapsed() < phase() {
                    let t = Instant::now();
                    if request().await {
                        ok += 1;
                    }
                    latencies.push(t.elapsed().as_micros() as u64);
                }
                (ok, latencies)
            })
        })
        .collect();
    let mut ok = 0;
    let mut all = Vec::new();
    for task in tasks {
        let (n, mut l) = task.await.unwrap();
        ok += n;
        all.append(&mut l);
    }
    (ok as f64 / start.elapsed().as_secs_f64(), all)
}

fn p99_ms(mut latencies: Vec<u64>) -> f64 {
    latencies.sort_unstable();
    let index = (latencies.len() as f64 * 0.99) as usize;
    latencies
        .get(index.min(latencies.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0) as f64
        / 1000.0
}

async fn bare_axum() -> String {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn doorward_server(dir: &std::path::Path) -> String {
    let defaults = Config::default();
    // One user signs in over and over: lift the limits that would (rightly) stop that.
    let unlimited = doorward::config::Rate {
        burst: 1_000_000,
        per: Duration::from_secs(1),
    };
    let config = Config {
        database_url: DatabaseUrl::new(format!("sqlite://{}", dir.join("bench.db").display())),
        rate_limits: doorward::config::RateLimitConfig {
            login_per_address: unlimited,
            login_per_identifier: unlimited,
            ..defaults.rate_limits
        },
        ..defaults
    };
    let server = doorward::server::build(config, Arc::new(SystemClock))
        .await
        .unwrap();
    server
        .engine
        .import_json(
            &doorward::domain::Actor::Cli,
            json!({"users": [{"email": "ann@example.test", "password": PASSWORD}]})
                .to_string()
                .as_bytes(),
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        doorward::server::serve(listener, server, std::future::pending())
            .await
            .unwrap()
    });
    base
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let base = doorward_server(dir.path()).await;
    let client = reqwest::Client::new();
    let login_url = format!("{base}/v1/login");
    let session_url = format!("{base}/v1/session");
    let body = json!({"login": "ann@example.test", "password": PASSWORD});
    let token: serde_json::Value = client
        .post(&login_url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap().to_owned();

    let raw = tokio::task::spawn_blocking(raw_argon2).await.unwrap();
    println!(
        "raw argon2id verifies/s (m=19456 t=2 p=1, {} threads): {raw:.1}",
        cores()
    );

    let login = {
        let (client, url, body) = (client.clone(), login_url.clone(), body.clone());
        move || {
            let (client, url, body) = (client.clone(), url.clone(), body.clone());
            async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    };
    let (logins, _) = load(cores() * 2, login.clone()).await;
    println!("logins/s: {logins:.1} ({:.2} × raw argon2id)", logins / raw);

    let bare_url = bare_axum().await;
    let bare = {
        let client = client.clone();
        move || {
            let (client, url) = (client.clone(), bare_url.clone());
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    };
    let validate = {
        let (client, url, token) = (client.clone(), session_url.clone(), token.clone());
        move || {
            let (client, url, token) = (client.clone(), url.clone(), token.clone());
            async move {
                client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        }
    };
    let (bare_rps, _) = load(16, bare).await;
    let (validations, unloaded) = load(16, validate.clone()).await;
    println!("bare axum constant endpoint req/s: {bare_rps:.0}");
    println!(
        "token validations/s: {validations:.0} ({:.2} × bare axum), p99 {:.2} ms",
        validations / bare_rps,
        p99_ms(unloaded)
    );

    let (quiet, _) = load(4, validate.clone()).await;
    let flooding = Arc::new(AtomicBool::new(true));
    let flood: Vec<_> = (0..cores() * 4)
        .map(|_| {
            let (login, flooding) = (login.clone(), Arc::clone(&flooding));
            tokio::spawn(async move {
                while flooding.load(Ordering::Relaxed) {
                    login().await;
                }
            })
        })
        .collect();
    let (under_flood, latencies) = load(4, validate).await;
    flooding.store(false, Ordering::Relaxed);
    for task in flood {
        task.await.unwrap();
    }
    println!(
        "validations/s during a login flood (4 × hashing capacity, 4 clients): {under_flood:.0}, p99 {:.2} ms ({:.2} × the unloaded 4-client rate {quiet:.0})",
        p99_ms(latencies),
        under_flood / quiet
    );
}
