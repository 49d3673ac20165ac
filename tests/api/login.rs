//! `POST /v1/login`: the response, validation, and no user enumeration.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};

both_backends!(
    login_returns_a_token_and_the_session_shows_it,
    login_by_username_ignores_case,
    unknown_user_and_wrong_password_are_identical,
    missing_fields_are_named,
    token_in_the_query_string_is_not_accepted,
);

async fn login_returns_a_token_and_the_session_shows_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.user("ann@example.test", "correct horse battery").await;

    let response = app.login("Ann@Example.test", "correct horse battery").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "auth");
    assert_eq!(body["assurance"], "aal1");
    assert_eq!(body["user"]["id"], id.as_str());
    assert_eq!(body["user"]["email"], "ann@example.test");
    assert_eq!(
        body["expires_at"], "2026-03-01T09:05:00Z",
        "idle window of 5 minutes"
    );
    assert_eq!(
        body["session_expires_at"], "2026-03-01T21:00:00Z",
        "absolute cap of 12 hours"
    );

    let token = body["token"].as_str().unwrap();
    let session = app.get_auth("/v1/session", token).await;
    assert_eq!(session.status(), 200);
    assert_eq!(session.headers()["cache-control"], "no-store");
    let session: Value = session.json().await.unwrap();
    assert_eq!(session["user"]["id"], id.as_str());
    assert_eq!(session["session"]["token_type"], "auth");
}

async fn login_by_username_ignores_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"users": [{"email": "bo@example.test", "username": "Bo", "password": "a long passphrase"}]}))
        .await;
    assert_eq!(app.login("bo", "a long passphrase").await.status(), 200);
    assert_eq!(app.login("BO", "a long passphrase").await.status(), 200);
}

async fn unknown_user_and_wrong_password_are_identical(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", "correct horse battery").await;

    let wrong = app.login("ann@example.test", "not the password").await;
    let unknown = app.login("nobody@example.test", "not the password").await;

    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.status(), unknown.status());
    let headers = |r: &reqwest::Response| {
        let mut all: Vec<(String, String)> = r
            .headers()
            .iter()
            // The date and the request's own id differ by request, never by account.
            .filter(|(name, _)| *name != "date" && *name != "x-request-id")
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        all.sort();
        all
    };
    assert_eq!(headers(&wrong), headers(&unknown));
    let (wrong, unknown) = (wrong.bytes().await.unwrap(), unknown.bytes().await.unwrap());
    assert_eq!(wrong, unknown);
    assert!(String::from_utf8_lossy(&wrong).contains("invalid_credentials"));
}

async fn missing_fields_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .post("/v1/login", json!({"login": "not an email@"}))
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["login", "password"]);
}

async fn token_in_the_query_string_is_not_accepted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", "correct horse battery").await;
    let token = app.token("ann@example.test", "correct horse battery").await;
    let response = app
        .client
        .get(app.url(&format!("/v1/session?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(code_of(response).await, "invalid_token");
}
