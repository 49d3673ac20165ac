//! Password changes, and expired or reset passwords that yield a restricted token.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};

both_backends!(
    changing_the_password_returns_a_fresh_token_and_ends_other_sessions,
    wrong_current_password_changes_nothing,
    new_password_must_meet_the_length_rules,
    each_password_rule_refuses_with_its_own_code,
    the_last_five_passwords_cannot_be_reused,
    expired_password_yields_a_token_good_only_for_the_change,
    password_past_its_expiry_date_needs_a_change,
);

const OLD: &str = "correct horse battery";
const NEW: &str = "a brand new passphrase";

async fn changing_the_password_returns_a_fresh_token_and_ends_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", OLD).await;
    let current = app.token("ann@example.test", OLD).await;
    let other = app.token("ann@example.test", OLD).await;

    let response = app
        .post_auth(
            "/v1/password",
            &current,
            json!({"current_password": OLD, "new_password": NEW}),
        )
        .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "auth");
    let fresh = body["token"].as_str().unwrap();
    assert_eq!(app.get_auth("/v1/session", fresh).await.status(), 200);
    assert_eq!(app.get_auth("/v1/session", &current).await.status(), 401);
    assert_eq!(app.get_auth("/v1/session", &other).await.status(), 401);
    assert_eq!(app.login("ann@example.test", OLD).await.status(), 401);
    assert_eq!(app.login("ann@example.test", NEW).await.status(), 200);
}

async fn wrong_current_password_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", OLD).await;
    let token = app.token("ann@example.test", OLD).await;
    let response = app
        .post_auth(
            "/v1/password",
            &token,
            json!({"current_password": "guess", "new_password": NEW}),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(code_of(response).await, "current_password_incorrect");
    assert_eq!(app.get_auth("/v1/session", &token).await.status(), 200);
    assert_eq!(app.login("ann@example.test", OLD).await.status(), 200);
}

async fn new_password_must_meet_the_length_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", OLD).await;
    let token = app.token("ann@example.test", OLD).await;
    for (new, code) in [
        ("short", "password_too_short"),
        (&"x".repeat(129)[..], "password_too_long"),
    ] {
        let response = app
            .post_auth(
                "/v1/password",
                &token,
                json!({"current_password": OLD, "new_password": new}),
            )
            .await;
        assert_eq!(response.status(), 400);
        assert_eq!(code_of(response).await, code);
    }
    assert_eq!(app.login("ann@example.test", OLD).await.status(), 200);
}

async fn restricted_login(app: &TestApp, login: &str, password: &str) -> Value {
    let response = app.login(login, password).await;
    assert_eq!(response.status(), 409);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "password_update_required");
    assert_eq!(body["token_type"], "password_update");
    body
}

async fn expired_password_yields_a_token_good_only_for_the_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"users": [{"email": "ann@example.test", "password": OLD, "password_state": "expired"}]}))
        .await;
    let body = restricted_login(&app, "ann@example.test", OLD).await;
    assert_eq!(body["expires_at"], "2026-03-01T09:10:00Z", "ten minutes");
    let restricted = body["token"].as_str().unwrap();

    let elsewhere = app.get_auth("/v1/session", restricted).await;
    assert_eq!(elsewhere.status(), 403);
    assert_eq!(code_of(elsewhere).await, "token_restricted");
    let logout = app.post_auth("/v1/logout", restricted, json!({})).await;
    assert_eq!(logout.status(), 403);
    assert_eq!(
        app.get_auth("/v1/admin/users", restricted).await.status(),
        401
    );

    let change = app
        .post_auth(
            "/v1/password",
            restricted,
            json!({"current_password": OLD, "new_password": NEW}),
        )
        .await;
    assert_eq!(change.status(), 200);
    let body: Value = change.json().await.unwrap();
    assert_eq!(
        app.get_auth("/v1/session", body["token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    let again = app
        .post_auth(
            "/v1/password",
            restricted,
            json!({"current_password": NEW, "new_password": OLD}),
        )
        .await;
    assert_eq!(again.status(), 401, "the restricted token is single use");
    assert_eq!(app.login("ann@example.test", NEW).await.status(), 200);
}

async fn password_past_its_expiry_date_needs_a_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(
        json!({"users": [{"email": "ann@example.test", "password": OLD,
                                  "password_expires_at": "2026-03-02T00:00:00Z"}]}),
    )
    .await;
    assert_eq!(
        app.login("ann@example.test", OLD).await.status(),
        200,
        "not yet expired"
    );
    app.advance(time::Duration::days(1));
    restricted_login(&app, "ann@example.test", OLD).await;
    // Wrong password never reveals the state.
    assert_eq!(
        app.login("ann@example.test", "wrong guess").await.status(),
        401
    );
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> reqwest::Response {
    app.post_auth(
        "/v1/password",
        token,
        json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn each_password_rule_refuses_with_its_own_code(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.password.require_classes = 3).await;
    app.user("annabel@example.test", OLD).await;
    let token = app.token("annabel@example.test", OLD).await;
    for (new, code) in [
        ("short", "password_too_short"),
        ("Password1", "password_too_common"),
        ("I am Annabel 2", "password_contains_email"),
        ("only lowercase words", "password_too_simple"),
    ] {
        let response = change(&app, &token, OLD, new).await;
        assert_eq!(response.status(), 400, "{new}");
        assert_eq!(code_of(response).await, code, "{new}");
    }
    assert_eq!(
        change(&app, &token, OLD, "Tall Giraffe 42").await.status(),
        200
    );
}

async fn the_last_five_passwords_cannot_be_reused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", OLD).await;
    let mut current = OLD.to_owned();
    let mut token = app.token("ann@example.test", OLD).await;
    let reused = change(&app, &token, &current, OLD).await;
    assert_eq!(
        code_of(reused).await,
        "password_reused",
        "the current password"
    );
    for n in 1..=5 {
        let next = format!("passphrase number {n}");
        let response = change(&app, &token, &current, &next).await;
        assert_eq!(response.status(), 200, "{next}");
        let body: Value = response.json().await.unwrap();
        token = body["token"].as_str().unwrap().to_owned();
        current = next;
    }
    let recent = change(&app, &token, &current, "passphrase number 2").await;
    assert_eq!(code_of(recent).await, "password_reused");
    assert_eq!(
        change(&app, &token, &current, OLD).await.status(),
        200,
        "six passwords ago is allowed"
    );
}
