//! The out-of-process benchmark: `cargo bench --bench http`. The server runs as its own
//! process (the release binary, over a fresh SQLite file, provisioned by its own CLI), beside a
//! bare axum server in a second process (this bench, re-run with `--ceiling`) that answers a
//! constant: the ceiling of the stack on this machine. This process is the load generator: a
//! hyper client on 2 threads with keep-alive connections, as `wrk -t2 -c8` would be. Raw
//! argon2id at the server's parameters runs here too, in the same sitting, as the ceiling of
//! sign-ins. Each phase runs `BENCH_REPEAT` times (default 3) for `BENCH_SECONDS` (default 5),
//! and every figure is printed with its spread and as a ratio to its ceiling of this run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use argon2::Argon2;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
const CONNECTIONS: usize = 8;
const FLOOD_CONNECTIONS: usize = 32;
const USERS: usize = 64;
const APP: &str = "7c0e5a2b-1d34-4f6a-9b8c-2e4f6a8b0c1d";

fn seconds() -> Duration {
    Duration::from_secs(env_number("BENCH_SECONDS", 5))
}

fn repeats() -> usize {
    env_number("BENCH_REPEAT", 3) as usize
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One request, sent again and again.
#[derive(Clone)]
struct Target {
    address: std::net::SocketAddr,
    method: hyper::Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<Bytes>,
}

impl Target {
    fn get(address: std::net::SocketAddr, path: &str) -> Self {
        Self {
            address,
            method: hyper::Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    fn post_json(address: std::net::SocketAddr, path: &str, body: &Value) -> Self {
        Self {
            method: hyper::Method::POST,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Some(Bytes::from(body.to_string())),
            ..Self::get(address, path)
        }
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn request(&self) -> hyper::Request<Full<Bytes>> {
        let mut builder = hyper::Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .header("host", self.address.to_string());
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        builder
            .body(Full::new(self.body.clone().unwrap_or_default()))
            .unwrap()
    }
}

/// What one phase measured.
#[derive(Default)]
struct Run {
    ok: u64,
    refused: u64,
    errors: u64,
    latencies: Vec<u64>,
    took: Duration,
}

impl Run {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.took.as_secs_f64()
    }

    fn p99_ms(&mut self) -> f64 {
        self.latencies.sort_unstable();
        let at = ((self.latencies.len() as f64) * 0.99) as usize;
        self.latencies
            .get(at.min(self.latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    }
}

/// `connections` keep-alive connections, each sending `targets[i % len]` in turn until the
/// deadline (or `until` is cleared).
async fn load(targets: &[Target], connections: usize, until: Option<Arc<AtomicBool>>) -> Run {
    let start = Instant::now();
    let deadline = start + seconds();
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let targets: Vec<Target> = targets.to_vec();
            let until = until.clone();
            tokio::spawn(async move {
                let mut run = Run::default();
                let stream = tokio::net::TcpStream::connect(targets[0].address)
                    .await
                    .unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .unwrap();
                tokio::spawn(connection);
                let mut n = i;
                loop {
                    let going = match &until {
                        Some(flag) => flag.load(Ordering::Relaxed),
                        None => Instant::now() < deadline,
                    };
                    if !going {
                        break;
                    }
                    let target = &targets[n % targets.len()];
                    n += 1;
                    let sent = Instant::now();
                    match sender.send_request(target.request()).await {
                        Ok(response) => {
                            let status = response.status();
                            let _ = response.into_body().collect().await;
                            run.latencies.push(sent.elapsed().as_micros() as u64);
                            if status.is_success() {
                                run.ok += 1;
                            } else {
                                run.refused += 1;
                            }
                        }
                        Err(_) => {
                            run.errors += 1;
                            break;
                        }
                    }
                }
                run
            })
        })
        .collect();
    let mut total = Run::default();
    for task in tasks {
        let mut run = task.await.unwrap();
        total.ok += run.ok;
        total.refused += run.refused;
        total.errors += run.errors;
        total.latencies.append(&mut run.latencies);
    }
    total.took = start.elapsed();
    total
}

/// Raw argon2id verifies per second at the server's parameters, a thread per core, each
/// reusing its memory block as the server's workers do.
fn raw_argon2() -> f64 {
    let params = argon2::Params::new(19_456, 2, 1, Some(32)).unwrap();
    let argon = Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.clone(),
    );
    let salt = [7u8; 16];
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (argon, count) = (argon.clone(), Arc::clone(&count));
            let mut memory = vec![argon2::Block::default(); params.block_count()];
            std::thread::spawn(move || {
                let mut out = [0u8; 32];
                while start.elapsed() < seconds() {
                    argon
                        .hash_password_into_with_memory(
                            PASSWORD.as_bytes(),
                            &salt,
                            &mut out,
                            &mut memory,
                        )
                        .unwrap();
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    count.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The bare ceiling: axum answering a constant, in its own process.
fn ceiling_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening {}", listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    });
}

struct Process {
    child: std::process::Child,
    address: std::net::SocketAddr,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Resident memory now and at its peak, in MiB (`/proc`).
    fn rss_mib(&self) -> (f64, f64) {
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

fn start_ceiling() -> Process {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--ceiling")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let address = line
        .trim()
        .strip_prefix("listening ")
        .unwrap()
        .parse()
        .unwrap();
    Process { child, address }
}

fn doorward(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Command {
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

fn start_doorward(dir: &Path, env: &[(&str, &str)]) -> Process {
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

fn provision(dir: &Path) {
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
    let status = doorward(dir, &["import", "seed.json"], &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "the bench's import failed");
}

/// Signs in once by a face and returns what the face hands back (a token or a sid).
async fn sign_in(target: Target, pick: &str) -> String {
    let stream = tokio::net::TcpStream::connect(target.address)
        .await
        .unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(target.request()).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let found = value.pointer(pick).and_then(Value::as_str);
    found
        .unwrap_or_else(|| panic!("{} {status}: {value}", target.path))
        .to_owned()
}

/// Runs a phase `repeats()` times; prints its rates, and returns the mean (and the runs).
async fn phase(
    name: &str,
    ceiling: Option<f64>,
    mut each: impl AsyncFnMut() -> Run,
) -> (f64, Vec<Run>) {
    let mut runs = Vec::new();
    for _ in 0..repeats() {
        runs.push(each().await);
    }
    let rates: Vec<f64> = runs.iter().map(Run::rate).collect();
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    let spread = rates
        .iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(" / ");
    let refused: u64 = runs.iter().map(|r| r.refused + r.errors).sum();
    let ratio = ceiling.map_or(String::new(), |c| format!("  ratio {:.2}", mean / c));
    println!("{name:<58} {mean:>9.1}/s  ({spread}){ratio}  non-2xx {refused}");
    (mean, runs)
}

fn main() {
    if std::env::args().any(|a| a == "--ceiling") {
        return ceiling_server();
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path());
    let server = start_doorward(dir.path(), &[]);
    std::thread::sleep(Duration::from_secs(1));
    let (idle_rss, _) = server.rss_mib();
    let ceiling = start_ceiling();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "out-of-process: doorward (release) and a bare axum ceiling in their own processes; \
         load from this process on 2 threads; {} s × {} per phase",
        seconds().as_secs(),
        repeats()
    );
    runtime.block_on(measure(&server, &ceiling, dir.path()));
    let (rss, peak) = server.rss_mib();
    println!(
        "doorward RSS: idle after start-up {idle_rss:.1} MiB; now {rss:.1} MiB; peak {peak:.1} MiB"
    );
    drop(server);
    let quiet = start_doorward(dir.path(), &[("DOORWARD_METRICS__ENABLED", "false")]);
    runtime.block_on(metrics_off(&quiet));
}

async fn measure(server: &Process, ceiling: &Process, _dir: &Path) {
    let at = server.address;
    let login = json!({"login": "ann@example.test", "password": PASSWORD});
    let token = sign_in(Target::post_json(at, "/v1/login", &login), "/token").await;
    let ece = sign_in(
        Target::post_json(
            at,
            "/ece/api/v1/users/auth/_login",
            &json!({"username": "ann", "password": PASSWORD}),
        ),
        "/token",
    )
    .await;
    let sid = sign_in(
        Target::post_json(
            at,
            "/amplify/api/v1/auth/login",
            &json!({"username": "ann@example.test", "password": PASSWORD}),
        ),
        "/result/sid",
    )
    .await;
    let axonize = sign_in(
        Target::post_json(
            at,
            "/axonize/api/auth/login",
            &json!({"email": "ann@example.test", "password": PASSWORD}),
        )
        .header("appId", APP),
        "/token",
    )
    .await;
    let weavr = sign_in(
        Target::post_json(
            at,
            "/weavr/multi/login_with_password",
            &json!({"email": "ann@example.test", "password": {"value": PASSWORD}}),
        )
        .header("api-key", "k-bench"),
        "/token",
    )
    .await;

    let bare = [Target::get(ceiling.address, "/")];
    let (ceiling_rate, _) = phase("bare axum constant (ceiling)", None, async || {
        load(&bare, CONNECTIONS, None).await
    })
    .await;
    let health = [Target::get(at, "/healthz")];
    phase("GET /healthz", Some(ceiling_rate), async || {
        load(&health, CONNECTIONS, None).await
    })
    .await;
    let native =
        [Target::get(at, "/v1/session").header("authorization", format!("Bearer {token}"))];
    let (unloaded, _) = phase(
        "native GET /v1/session (validation)",
        Some(ceiling_rate),
        async || load(&native, CONNECTIONS, None).await,
    )
    .await;
    let faces = [
        (
            "ECE GET /users/auth",
            Target::get(at, "/ece/api/v1/users/auth")
                .header("authorization", format!("Bearer {ece}")),
        ),
        (
            "Amplify GET /auth/checkSession",
            Target::get(at, "/amplify/api/v1/auth/checkSession")
                .header("authorization", format!("Bearer {sid}")),
        ),
        (
            "Axonize GET /validateToken",
            Target::get(at, "/axonize/api/auth/validateToken")
                .header("authorization", format!("bearer {axonize}"))
                .header("appId", APP),
        ),
        (
            "Weavr GET /identities",
            Target::get(at, "/weavr/multi/identities")
                .header("authorization", format!("Bearer {weavr}"))
                .header("api-key", "k-bench"),
        ),
    ];
    for (name, target) in faces {
        let targets = [target];
        phase(name, Some(ceiling_rate), async || {
            load(&targets, CONNECTIONS, None).await
        })
        .await;
    }

    let raw: f64 = {
        let mut rates = Vec::new();
        for _ in 0..repeats() {
            rates.push(tokio::task::spawn_blocking(raw_argon2).await.unwrap());
        }
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        let spread = rates
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(" / ");
        println!(
            "{:<58} {mean:>9.1}/s  ({spread})",
            "raw argon2id verifies, all cores, reused memory"
        );
        mean
    };
    let one = [Target::post_json(at, "/v1/login", &login)];
    phase("POST /v1/login, one account", Some(raw), async || {
        load(&one, CONNECTIONS, None).await
    })
    .await;
    let many: Vec<Target> = (0..USERS)
        .map(|i| {
            Target::post_json(
                at,
                "/v1/login",
                &json!({"login": format!("user{i}@example.test"), "password": PASSWORD}),
            )
        })
        .collect();
    phase("POST /v1/login, 64 accounts", Some(raw), async || {
        load(&many, CONNECTIONS, None).await
    })
    .await;

    let (flooded, mut runs) = phase(
        "validation during a 32-connection login flood",
        Some(unloaded),
        async || {
            let flooding = Arc::new(AtomicBool::new(true));
            let flood = {
                let (many, flooding) = (many.clone(), Arc::clone(&flooding));
                tokio::spawn(async move { load(&many, FLOOD_CONNECTIONS, Some(flooding)).await })
            };
            let run = load(&native, CONNECTIONS, None).await;
            flooding.store(false, Ordering::Relaxed);
            let mut flood = flood.await.unwrap();
            flood.took = run.took;
            println!(
                "{:<58} {:>9.1}/s  ({} refused busy)",
                "  logins served during that flood",
                flood.rate(),
                flood.refused
            );
            run
        },
    )
    .await;
    let p99: Vec<String> = runs
        .iter_mut()
        .map(|r| format!("{:.2}", r.p99_ms()))
        .collect();
    println!(
        "{:<58} p99 {} ms (flooded rate {flooded:.0}/s)",
        "",
        p99.join(" / ")
    );
}

/// The validation rate of a server that records no metrics, beside the one above.
async fn metrics_off(server: &Process) {
    let at = server.address;
    let login = json!({"login": "ann@example.test", "password": PASSWORD});
    let token = sign_in(Target::post_json(at, "/v1/login", &login), "/token").await;
    let native =
        [Target::get(at, "/v1/session").header("authorization", format!("Bearer {token}"))];
    phase(
        "native GET /v1/session, metrics.enabled = false",
        None,
        async || load(&native, CONNECTIONS, None).await,
    )
    .await;
}
