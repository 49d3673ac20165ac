//! The load generator: keep-alive connections sending requests in turn, and the phases that
//! repeat a load and print its rate, spread and ratio.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub fn seconds() -> Duration {
    Duration::from_secs(env_number("BENCH_SECONDS", 5))
}

pub fn repeats() -> usize {
    env_number("BENCH_REPEAT", 3) as usize
}

pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One request, sent again and again.
#[derive(Clone)]
pub struct Target {
    pub address: std::net::SocketAddr,
    pub method: hyper::Method,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
}

impl Target {
    pub fn get(address: std::net::SocketAddr, path: &str) -> Self {
        Self {
            address,
            method: hyper::Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post_json(address: std::net::SocketAddr, path: &str, body: &Value) -> Self {
        Self {
            method: hyper::Method::POST,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Some(Bytes::from(body.to_string())),
            ..Self::get(address, path)
        }
    }

    /// A native password sign-in.
    pub fn login(address: std::net::SocketAddr, login: &str) -> Self {
        Self::post_json(
            address,
            "/v1/login",
            &serde_json::json!({"login": login, "password": crate::PASSWORD}),
        )
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn request(&self) -> hyper::Request<Full<Bytes>> {
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
pub struct Run {
    pub ok: u64,
    pub refused: u64,
    pub errors: u64,
    pub latencies: Vec<u64>,
    pub took: Duration,
}

impl Run {
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.took.as_secs_f64()
    }

    pub fn p99_ms(&mut self) -> f64 {
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
pub async fn load(targets: &[Target], connections: usize, until: Option<Arc<AtomicBool>>) -> Run {
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
/// Signs in once by a face and returns what the face hands back (a token or a sid).
pub async fn sign_in(target: Target, pick: &str) -> String {
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
pub async fn phase(
    name: &str,
    ceiling: Option<f64>,
    mut each: impl AsyncFnMut() -> Run,
) -> (f64, Vec<Run>) {
    let mut runs = Vec::new();
    for _ in 0..repeats() {
        runs.push(each().await);
    }
    let rates: Vec<f64> = runs.iter().map(Run::rate).collect();
    let (mean, spread) = summary(&rates);
    let refused: u64 = runs.iter().map(|r| r.refused + r.errors).sum();
    let ratio = ceiling.map_or(String::new(), |c| format!("  ratio {:.2}", mean / c));
    println!("{name:<58} {mean:>9.1}/s  ({spread}){ratio}  non-2xx {refused}");
    (mean, runs)
}

/// The mean of some rates, and the rates themselves as `a / b / c`.
pub fn summary(rates: &[f64]) -> (f64, String) {
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    let spread = rates
        .iter()
        .map(|r| format!("{r:.0}"))
        .collect::<Vec<_>>()
        .join(" / ");
    (mean, spread)
}
