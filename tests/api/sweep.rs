//! Housekeeping deletes what can no longer matter, and nothing that still does.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::json;
use time::Duration;

both_backends!(sweeping_deletes_expired_rows_and_keeps_live_ones);

const PASSWORD: &str = "correct horse battery";

async fn sweeping_deletes_expired_rows_and_keeps_live_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", PASSWORD).await;
    let engine = &app.instance.engine;
    let _idle = app.token("ann@example.test", PASSWORD).await; // will expire
    let ended = app.token("ann@example.test", PASSWORD).await;
    app.post_auth("/v1/logout", &ended, json!({})).await; // revoked
    for _ in 0..5 {
        app.login("bo@example.test", "wrong password").await; // a lock
    }
    app.post("/v1/password/forgot", json!({"email": "ann@example.test"}))
        .await; // a code
    assert_eq!(engine.sweep().await.unwrap(), 0, "nothing has expired yet");

    app.advance(Duration::days(32));
    let live = app.token("ann@example.test", PASSWORD).await;
    // 2 sessions, 2 device tokens (30 days), 1 code, bo's lock (its bucket's row, which holds
    // its rate limit too), the rate bucket of the reset message, the reset mail in the outbox
    // (7 days), and the lockout bucket of ann's known source, last used 32 days ago (her
    // anonymous one was just used again, and the sign-in just now renewed the known source
    // itself).
    assert_eq!(engine.sweep().await.unwrap(), 9);
    assert!(engine.outbox().await.unwrap().is_empty());
    assert_eq!(
        engine.sweep().await.unwrap(),
        0,
        "a second sweep finds nothing"
    );
    assert_eq!(
        app.get_auth("/v1/session", &live).await.status(),
        200,
        "live sessions stay"
    );
    assert_eq!(
        app.login("bo@example.test", "wrong password")
            .await
            .status(),
        401,
        "the old lock is gone"
    );

    // The audit trail is kept a year.
    assert!(!crate::helpers::all_events(engine).await.is_empty());
    app.advance(Duration::days(364));
    engine.sweep().await.unwrap();
    assert!(
        !crate::helpers::all_events(engine).await.is_empty(),
        "not yet a year"
    );
    app.advance(Duration::days(2));
    engine.sweep().await.unwrap();
    assert!(crate::helpers::all_events(engine).await.is_empty());
}
