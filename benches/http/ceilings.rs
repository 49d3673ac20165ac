//! The ceilings a run is measured against: a bare axum server answering a constant, in its own
//! process, and raw argon2id at the server's parameters, in this one.

use crate::PASSWORD;
use crate::load::seconds;
use crate::processes::Process;
use argon2::Argon2;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub fn raw_argon2() -> f64 {
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
pub fn ceiling_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening {}", listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    });
}

pub fn start_ceiling() -> Process {
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
