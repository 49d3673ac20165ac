//! Activation and forgotten passwords: answers that reveal nothing, single-use short-lived
//! tokens through the outbox, sessions ended by a reset; and the optional password maximum age.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};
use time::Duration;

both_backends!(
    forgot_password_answers_the_same_for_unknown_emails,
    reset_token_sets_the_password_once_and_ends_every_session,
    reset_token_expires_after_thirty_minutes,
    activation_code_activates_a_pending_account_once,
    sending_codes_is_rate_limited,
    guessing_codes_is_rate_limited_per_address,
    password_max_age_expires_new_passwords_when_configured,
);

const PASSWORD: &str = "correct horse battery";
const NEW: &str = "a brand new passphrase";

/// The token in the newest outbox message to `to`.
async fn token_sent_to(app: &TestApp, to: &str) -> String {
    let admin = app.admin_token().await;
    let messages: Vec<Value> = app
        .get_auth("/v1/admin/outbox", &admin)
        .await
        .json()
        .await
        .unwrap();
    let body = messages
        .iter()
        .find(|m| m["recipient"] == to)
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .expect("a message");
    let start = body.find("\"token\": \"").expect("a token") + "\"token\": \"".len();
    body[start..].split('"').next().unwrap().to_owned()
}

async fn outbox_len(app: &TestApp) -> usize {
    app.instance.engine.outbox().await.unwrap().len()
}

async fn forgot_password_answers_the_same_for_unknown_emails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", PASSWORD).await;
    let known = app
        .post("/v1/password/forgot", json!({"email": "ann@example.test"}))
        .await;
    let unknown = app
        .post(
            "/v1/password/forgot",
            json!({"email": "nobody@example.test"}),
        )
        .await;
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    assert_eq!(known.bytes().await.unwrap(), unknown.bytes().await.unwrap());
    assert_eq!(
        outbox_len(&app).await,
        1,
        "only the real account gets a message"
    );
    assert_eq!(
        app.login("ann@example.test", PASSWORD).await.status(),
        200,
        "nothing is locked"
    );
}

async fn reset_token_sets_the_password_once_and_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", PASSWORD).await;
    let session = app.token("ann@example.test", PASSWORD).await;
    app.post("/v1/password/forgot", json!({"email": "ann@example.test"}))
        .await;
    let token = token_sent_to(&app, "ann@example.test").await;

    let weak = app
        .post(
            "/v1/password/reset",
            json!({"token": token, "new_password": "password"}),
        )
        .await;
    assert_eq!(
        code_of(weak).await,
        "password_too_common",
        "a refusal keeps the token usable"
    );

    let reset = app
        .post(
            "/v1/password/reset",
            json!({"token": token, "new_password": NEW}),
        )
        .await;
    assert_eq!(reset.status(), 204, "no session is handed out");
    assert_eq!(
        app.get_auth("/v1/session", &session).await.status(),
        401,
        "sessions ended"
    );
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 401);
    assert_eq!(app.login("ann@example.test", NEW).await.status(), 200);

    let again = app
        .post(
            "/v1/password/reset",
            json!({"token": token, "new_password": "yet another passphrase"}),
        )
        .await;
    assert_eq!(again.status(), 400);
    assert_eq!(code_of(again).await, "invalid_code", "single use");
}

async fn reset_token_expires_after_thirty_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", PASSWORD).await;
    app.post("/v1/password/forgot", json!({"email": "ann@example.test"}))
        .await;
    let token = token_sent_to(&app, "ann@example.test").await;
    app.advance(Duration::minutes(30));
    let late = app
        .post(
            "/v1/password/reset",
            json!({"token": token, "new_password": NEW}),
        )
        .await;
    assert_eq!(code_of(late).await, "invalid_code");
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 200);
}

async fn activation_code_activates_a_pending_account_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"users": [{"email": "new@example.test", "password": PASSWORD, "status": "pending_activation"}]}))
        .await;
    assert_eq!(
        code_of(app.login("new@example.test", PASSWORD).await).await,
        "account_pending_activation"
    );

    let unknown = app
        .post(
            "/v1/activation/send",
            json!({"email": "ghost@example.test"}),
        )
        .await;
    assert_eq!(unknown.status(), 202);
    assert_eq!(outbox_len(&app).await, 0);
    let sent = app
        .post("/v1/activation/send", json!({"email": "new@example.test"}))
        .await;
    assert_eq!(sent.status(), 202);
    let token = token_sent_to(&app, "new@example.test").await;

    app.advance(Duration::hours(23));
    let activated = app.post("/v1/activation", json!({"token": token})).await;
    assert_eq!(activated.status(), 204);
    assert_eq!(app.login("new@example.test", PASSWORD).await.status(), 200);
    let reused = app.post("/v1/activation", json!({"token": token})).await;
    assert_eq!(code_of(reused).await, "invalid_code");
}

async fn sending_codes_is_rate_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..5 {
        let response = app
            .post(
                "/v1/password/forgot",
                json!({"email": "nobody@example.test"}),
            )
            .await;
        assert_eq!(response.status(), 202);
    }
    let limited = app
        .post(
            "/v1/password/forgot",
            json!({"email": "nobody@example.test"}),
        )
        .await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "180");
}

async fn password_max_age_expires_new_passwords_when_configured(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.password.max_age = Some(std::time::Duration::from_secs(90 * 86_400))
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    let token = app.token("ann@example.test", PASSWORD).await;
    let changed = app
        .post_auth(
            "/v1/password",
            &token,
            json!({"current_password": PASSWORD, "new_password": NEW}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    app.advance(Duration::days(89));
    assert_eq!(app.login("ann@example.test", NEW).await.status(), 200);
    app.advance(Duration::days(1));
    assert_eq!(
        code_of(app.login("ann@example.test", NEW).await).await,
        "password_update_required"
    );
}

async fn guessing_codes_is_rate_limited_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.rate_limits.login_per_address.burst = 3).await;
    for _ in 0..3 {
        let guess = app
            .post("/v1/activation", json!({"token": "guessed-code"}))
            .await;
        assert_eq!(code_of(guess).await, "invalid_code");
    }
    let limited = app
        .post(
            "/v1/password/reset",
            json!({"token": "guessed-code", "new_password": NEW}),
        )
        .await;
    assert_eq!(
        limited.status(),
        429,
        "activation and reset share the per-address budget"
    );
}
