//! The PostgreSQL pool hands out a connection without pinging it when it was in use a moment
//! ago (`store/sql.rs`); one that sat idle longer is pinged first, so a connection the database
//! ended in the meantime (a restart, a proxy's idle cut) is replaced, never used. One ended
//! within that moment fails the statement it is given: the request answers 503 with
//! `Retry-After` (the database is out of reach), never 500, and the pool replaces it.

use crate::helpers::{Backend, TestApp};
use std::time::Duration;

/// Ends every connection to `database` but the caller's, as a database restart would.
async fn end_connections(admin_url: &str, database: &str) -> i64 {
    let pool = sqlx::PgPool::connect(admin_url).await.unwrap();
    let (ended,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()) ended",
    )
    .bind(database)
    .fetch_one(&pool)
    .await
    .unwrap();
    ended
}

/// An app on PostgreSQL whose pool has just served a sign-in, and the server's URL; `None`
/// (skipped, loudly) without PostgreSQL.
async fn signed_in() -> Option<(TestApp, String)> {
    let Some(Backend::Postgres(base)) = Backend::postgres() else {
        return None;
    };
    let app = TestApp::spawn(Backend::Postgres(base.clone())).await;
    app.user("ann@example.test", "correct horse battery").await;
    app.token("ann@example.test", "correct horse battery").await;
    Some((app, base))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_ended_while_idle_are_replaced() {
    let Some((app, base)) = signed_in().await else {
        return;
    };
    let database = app.database_name();
    assert!(
        end_connections(&base, &database).await > 0,
        "the app held connections to end"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..3 {
        let response = app.login("ann@example.test", "correct horse battery").await;
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_ended_a_moment_ago_answers_503_never_500() {
    let Some((app, base)) = signed_in().await else {
        return;
    };
    assert!(end_connections(&base, &app.database_name()).await > 0);
    // At once: the pooled connections were in use milliseconds ago, so they are not pinged.
    let mut refused = 0;
    let signed_in = loop {
        let response = app.login("ann@example.test", "correct horse battery").await;
        match response.status().as_u16() {
            503 => {
                assert!(response.headers().contains_key("retry-after"));
                refused += 1;
                assert!(refused <= 16, "every dead connection is used at most once");
            }
            status => break (status, response.text().await.unwrap()),
        }
    };
    assert_eq!(signed_in.0, 200, "{}", signed_in.1);
    assert!(refused > 0, "a dead connection was handed out unchecked");
}
