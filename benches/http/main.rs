//! The out-of-process benchmark: `cargo bench --bench http`. The server runs as its own
//! process (the release binary, over a fresh SQLite file, provisioned by its own CLI), beside a
//! bare axum server in a second process (this bench, re-run with `--ceiling`) that answers a
//! constant: the ceiling of the stack on this machine. This process is the load generator: a
//! hyper client on 2 threads with keep-alive connections, as `wrk -t2 -c8` would be. Raw
//! argon2id at the server's parameters runs here too, in the same sitting, as the ceiling of
//! sign-ins. Each phase runs `BENCH_REPEAT` times (default 3) for `BENCH_SECONDS` (default 5),
//! and every figure is printed with its spread and as a ratio to its ceiling of this run.
//!
//! Two more runs, each on its own: `-- --scale` (1 k against 1 M users and sessions, see
//! `scale.rs`) and `-- --instances` (two instances on one PostgreSQL, see `instances.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod ceilings;
mod instances;
mod load;
mod processes;
mod scale;

use load::{Target, load, phase, repeats, seconds, sign_in};
use processes::{Process, provision, start_doorward};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery";
pub const CONNECTIONS: usize = 8;
const FLOOD_CONNECTIONS: usize = 32;
pub const USERS: usize = 64;
pub const APP: &str = "7c0e5a2b-1d34-4f6a-9b8c-2e4f6a8b0c1d";

fn main() {
    let flag = |name: &str| std::env::args().any(|a| a == name);
    if flag("--ceiling") {
        return ceilings::ceiling_server();
    }
    if flag("--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if flag("--scale") {
        return scale::run(&runtime);
    }
    if flag("--instances") {
        return instances::run(&runtime);
    }
    let dir = tempfile::tempdir().unwrap();
    provision(dir.path(), &[]);
    let server = start_doorward(dir.path(), &[]);
    std::thread::sleep(Duration::from_secs(1));
    let (idle_rss, _) = server.rss_mib();
    let ceiling = ceilings::start_ceiling();
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
            rates.push(
                tokio::task::spawn_blocking(ceilings::raw_argon2)
                    .await
                    .unwrap(),
            );
        }
        let (mean, spread) = load::summary(&rates);
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
        .map(|i| Target::login(at, &format!("user{i}@example.test")))
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
