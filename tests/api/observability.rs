//! What an operator sees: `/metrics` scraped after a scripted set of sign-ins matches them
//! exactly, with labels that carry no identifier; every answer has a request id.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::json;
use std::collections::HashSet;

both_backends!(
    metrics_count_what_happened,
    challenges_are_counted_by_event_and_outcome,
    every_answer_carries_its_own_request_id
);

const PASSWORD: &str = "correct horse battery";

fn value(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0, |v| v.trim().parse::<f64>().expect("a number") as u64)
}

async fn metrics_count_what_happened(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "applications": [{"name": "weavr", "api_keys": ["k-weavr"]}],
        "organizations": [{"id": "100", "name": "Acme"}],
        "users": [
            {"email": "ann@example.test", "password": PASSWORD,
             "memberships": [{"organization": "100", "role": "owner"}]},
            {"email": "bo@example.test", "password": PASSWORD}]}))
        .await;
    let admin = app.admin_token().await;

    let mut tokens = Vec::new();
    for _ in 0..3 {
        tokens.push(app.token("ann@example.test", PASSWORD).await);
    }
    for _ in 0..2 {
        app.login("ann@example.test", "not her password").await;
    }
    for _ in 0..5 {
        app.login("bo@example.test", "not his password").await;
    }
    assert_eq!(app.login("bo@example.test", PASSWORD).await.status(), 423);
    app.post_auth("/v1/admin/users/bo@example.test/unlock", &admin, json!({}))
        .await;
    let weavr = app
        .client
        .post(app.url("/weavr/multi/login_with_password"))
        .header("api-key", "k-weavr")
        .json(&json!({"email": "ann@example.test", "password": {"value": PASSWORD}}))
        .send()
        .await
        .unwrap();
    assert_eq!(weavr.status(), 200);
    for token in &tokens {
        app.get_auth("/v1/session", token).await;
    }
    app.get_auth("/v1/session", &tokens[0]).await;
    app.get_auth("/v1/session", "not-a-token").await;

    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    let count = |series: &str| value(&text, series);
    assert_eq!(
        count(r#"doorward_sign_ins_total{face="native",outcome="success"}"#),
        3
    );
    assert_eq!(
        count(r#"doorward_sign_ins_total{face="native",outcome="invalid_credentials"}"#),
        7,
        "{text}"
    );
    assert_eq!(
        count(r#"doorward_sign_ins_total{face="native",outcome="account_locked"}"#),
        1
    );
    assert_eq!(
        count(r#"doorward_sign_ins_total{face="weavr",outcome="success"}"#),
        1
    );
    assert_eq!(count(r#"doorward_lockouts_total{event="set"}"#), 1);
    assert_eq!(count(r#"doorward_lockouts_total{event="lifted"}"#), 1);
    assert_eq!(
        count(r#"doorward_token_validations_total{face="native",result="valid"}"#),
        4
    );
    assert_eq!(
        count(r#"doorward_token_validations_total{face="native",result="invalid"}"#),
        1
    );
    assert_eq!(
        count(
            r#"doorward_http_request_duration_seconds_count{face="native",route="/v1/session",status="200"}"#
        ),
        4
    );
    assert_eq!(
        count(
            r#"doorward_http_request_duration_seconds_count{face="weavr",route="/weavr/multi/login_with_password",status="200"}"#
        ),
        1
    );
    assert_eq!(count("doorward_hashing_workers"), 2);
    assert_eq!(count("doorward_hashing_refusals_total"), 0);
    assert!(text.contains("doorward_build_info{version="));
    // Labels are closed sets: no email, no token, no address.
    for secret in [
        "ann@example.test",
        "bo@example.test",
        &tokens[0],
        "127.0.0.1",
        "k-weavr",
    ] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
}

async fn every_answer_carries_its_own_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut ids = HashSet::new();
    for path in [
        "/healthz",
        "/v1/session",
        "/no/such/route",
        "/amplify/api/v1/auth/checkSession",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32, "{path}: {id}");
        assert!(ids.insert(id), "ids are unique");
    }
    let unmatched = app.client.get(app.url("/metrics")).send().await.unwrap();
    let text = unmatched.text().await.unwrap();
    assert!(
        !text.contains("/no/such/route"),
        "an unmatched path is counted as `unmatched`, never by its text"
    );
    assert!(text.contains(r#"route="unmatched""#));
}

async fn challenges_are_counted_by_event_and_outcome(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    app.import(
        json!({"users": [{"email": "ann@example.test", "password": PASSWORD,
        "mfa": true, "phone": "+447700900123", "factors": [{"type": "sms", "status": "active"}]}]}),
    )
    .await;
    let step: serde_json::Value = app
        .login("ann@example.test", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let mfa_token = step["mfa_token"].as_str().unwrap();
    for code in ["000000", "123456"] {
        app.post(
            "/v1/login/mfa",
            json!({"mfa_token": mfa_token, "code": code}),
        )
        .await;
    }
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |series: &str| value(&text, series);
    let series = |event: &str, outcome: &str| {
        format!(
            r#"doorward_challenges_total{{event="{event}",purpose="login",factor="sms",outcome="{outcome}"}}"#
        )
    };
    assert_eq!(count(&series("sent", "success")), 1, "{text}");
    assert_eq!(count(&series("answered", "invalid_code")), 1);
    assert_eq!(count(&series("answered", "success")), 1);
}
