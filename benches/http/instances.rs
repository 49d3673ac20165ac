//! `cargo bench --bench http -- --instances`: two instances on one PostgreSQL
//! (`DOORWARD_BENCH_POSTGRES_URL`, else `DOORWARD_TEST_POSTGRES_URL`), beside one alone.
//!
//! A fresh database (`doorward_bench`) is provisioned with the binary's own `import`. One
//! instance is loaded alone with 8 connections; then a second one starts on the same database
//! and the same load generator drives both at once, 4 connections each. The database's
//! committed transactions during each phase (`pg_stat_database`) show what validation asks of
//! it. All of it shares this machine's cores, so the two instances split the CPU the lone one
//! had: the sum of the two against the lone rate is what the shared database costs.

use crate::CONNECTIONS;
use crate::load::{Target, load, repeats, sign_in, summary};
use crate::processes::{Process, provision, start_doorward};
use sqlx::Connection;

const DATABASE: &str = "doorward_bench";

pub fn run(runtime: &tokio::runtime::Runtime) {
    let Some(url) = std::env::var("DOORWARD_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("DOORWARD_TEST_POSTGRES_URL"))
        .ok()
    else {
        println!("--instances needs DOORWARD_BENCH_POSTGRES_URL (or DOORWARD_TEST_POSTGRES_URL)");
        return;
    };
    let url = runtime.block_on(fresh_database(&url));
    let env = [("DOORWARD_DATABASE_URL", url.as_str())];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    provision(dir_a.path(), &env);
    let a = start_doorward(dir_a.path(), &env);
    runtime.block_on(async {
        let token_a = token(&a).await;
        let alone = [session(&a, &token_a)];
        let mut lone = Vec::new();
        for _ in 0..repeats() {
            let commits = Commits::start(&url).await;
            let run = load(&alone, CONNECTIONS, None).await;
            lone.push(run.rate());
            commits.print(&url, run.took, "  (one instance)").await;
        }
        let b = start_doorward(dir_b.path(), &env);
        let token_b = token(&b).await;
        let (at_a, at_b) = ([session(&a, &token_a)], [session(&b, &token_b)]);
        let mut pairs = Vec::new();
        for _ in 0..repeats() {
            let commits = Commits::start(&url).await;
            let (ra, rb) = tokio::join!(
                load(&at_a, CONNECTIONS / 2, None),
                load(&at_b, CONNECTIONS / 2, None)
            );
            pairs.push((ra.rate(), rb.rate()));
            commits.print(&url, ra.took, "  (two instances)").await;
        }
        let mean = |v: &[f64]| summary(v).0;
        let lone_mean = mean(&lone);
        let each: Vec<f64> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
        let sums: Vec<f64> = pairs.iter().map(|(a, b)| a + b).collect();
        println!(
            "{:<58} {lone_mean:>9.1}/s  ({})",
            "one instance on PostgreSQL, 8 connections",
            list(&lone)
        );
        println!(
            "{:<58} {:>9.1}/s  ({})  each {:.2} of the lone rate",
            "two instances on it, 4 connections each (per instance)",
            mean(&each),
            list(&each),
            mean(&each) / lone_mean
        );
        println!(
            "{:<58} {:>9.1}/s  ({})  ratio {:.2} of the lone rate",
            "  the two together",
            mean(&sums),
            list(&sums),
            mean(&sums) / lone_mean
        );
        drop(b);
    });
    drop(a);
}

fn list(rates: &[f64]) -> String {
    summary(rates).1
}

async fn token(server: &Process) -> String {
    sign_in(Target::login(server.address, "ann@example.test"), "/token").await
}

fn session(server: &Process, token: &str) -> Target {
    Target::get(server.address, "/v1/session").header("authorization", format!("Bearer {token}"))
}

/// Drops and creates the bench's database; returns its URL.
async fn fresh_database(url: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
        .execute(&mut admin)
        .await
        .unwrap();
    // postgres://user@host:port/database?options: the same server, another database.
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{DATABASE}?{query}"),
        None => format!("{server}/{DATABASE}"),
    }
}

/// The database's committed transactions, counted from the start of a phase.
struct Commits(i64);

impl Commits {
    async fn read(url: &str) -> i64 {
        let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
        // The statistics are sent to the collector at the end of each transaction, with a delay.
        sqlx::query_scalar::<_, i64>(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&mut connection)
        .await
        .unwrap()
    }

    async fn start(url: &str) -> Self {
        Self(Self::read(url).await)
    }

    async fn print(self, url: &str, took: std::time::Duration, what: &str) {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        // The two reads are themselves transactions on this database.
        let during = Self::read(url).await - self.0 - 1;
        println!(
            "{what:<58} {during} database transactions in {:.1} s",
            took.as_secs_f64()
        );
    }
}
