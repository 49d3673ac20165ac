//! The hashing pool: a full queue refuses logins at once with 503 and `Retry-After`, while
//! health checks and token validation keep answering.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::json;

both_backends!(a_login_flood_is_refused_with_503_and_validation_keeps_working);

async fn a_login_flood_is_refused_with_503_and_validation_keeps_working(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.hashing.workers = 1;
        c.hashing.queue = 1;
        // This test is about the hashing queue, not about lockout or rate limits.
        c.lockout.max_failures = 1000;
        c.rate_limits.login_per_address.burst = 1000;
        c.rate_limits.login_per_identifier.burst = 1000;
    })
    .await;
    app.user("ann@example.test", "correct horse battery").await;
    let token = app.token("ann@example.test", "correct horse battery").await;

    let flood: Vec<_> = (0..24)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/v1/login"));
            tokio::spawn(async move {
                let body = json!({"login": "ann@example.test", "password": "wrong password"});
                client.post(url).json(&body).send().await.unwrap()
            })
        })
        .collect();
    // While the flood runs, validation does not wait behind hashing.
    assert_eq!(app.get_auth("/v1/session", &token).await.status(), 200);

    let mut busy = 0;
    for task in flood {
        let response = task.await.unwrap();
        match response.status().as_u16() {
            401 => {}
            503 => {
                busy += 1;
                let retry: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry >= 1);
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["code"], "busy");
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        busy > 0,
        "a queue of one must refuse part of 24 parallel logins"
    );
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
