//! Account state and organisation checks run only after a correct password (DESIGN.md §3),
//! except the external-account hint; and the application's host list.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};

both_backends!(
    account_states_are_told_only_after_the_right_password,
    external_and_directory_accounts_get_their_hint,
    tooling_password_signs_an_external_account_in_from_a_cli,
    organisation_rules_apply_at_sign_in,
    application_admits_only_its_hosts_and_members,
);

const PASSWORD: &str = "correct horse battery";
const APP: &str = "be517433-c4b8-4788-9258-1ba220432134";

async fn expect(app: &TestApp, body: Value, status: u16, code: &str) {
    let response = app.post("/v1/login", body).await;
    assert_eq!(response.status(), status, "{code}");
    assert_eq!(code_of(response).await, code);
}

fn login(email: &str) -> Value {
    json!({"login": email, "password": PASSWORD})
}

async fn account_states_are_told_only_after_the_right_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"users": [
        {"email": "pending@example.test", "password": PASSWORD, "status": "pending_activation"},
        {"email": "off@example.test", "password": PASSWORD, "status": "disabled"},
    ]}))
    .await;
    expect(
        &app,
        login("pending@example.test"),
        403,
        "account_pending_activation",
    )
    .await;
    expect(&app, login("off@example.test"), 403, "account_disabled").await;
    for email in ["pending@example.test", "off@example.test"] {
        expect(
            &app,
            json!({"login": email, "password": "wrong"}),
            401,
            "invalid_credentials",
        )
        .await;
    }
}

async fn external_and_directory_accounts_get_their_hint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"users": [
        {"email": "ext@example.test", "external_idp": "okta"},
        {"email": "dir@example.test", "realm": "directory"},
    ]}))
    .await;
    expect(
        &app,
        json!({"login": "ext@example.test", "password": "anything"}),
        403,
        "external_account",
    )
    .await;
    expect(
        &app,
        json!({"login": "dir@example.test", "password": "anything"}),
        501,
        "directory_unavailable",
    )
    .await;
}

async fn tooling_password_signs_an_external_account_in_from_a_cli(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"users": [
        {"email": "ext@example.test", "external_idp": "okta", "tooling_password": "cli secret 123"},
    ]}))
    .await;
    let cli = |password: &str| json!({"login": "ext@example.test", "password": password, "client": "cli"});
    expect(&app, cli("wrong"), 403, "external_account_tooling").await;
    expect(
        &app,
        json!({"login": "ext@example.test", "password": "cli secret 123"}),
        403,
        "external_account",
    )
    .await;
    assert_eq!(
        app.post("/v1/login", cli("cli secret 123")).await.status(),
        200
    );
}

async fn organisation_rules_apply_at_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "organizations": [
            {"id": "100", "name": "Acme"},
            {"id": "200", "name": "Waiting", "status": "pending"},
            {"id": "300", "name": "Strict", "idp_required": true},
            {"id": "400", "name": "Other"},
        ],
        "users": [
            {"email": "ann@example.test", "password": PASSWORD,
             "memberships": [{"organization": "100"}, {"organization": "300"}]},
            {"email": "pat@example.test", "password": PASSWORD,
             "memberships": [{"organization": "200"}]},
            {"email": "inv@example.test", "password": PASSWORD,
             "memberships": [{"organization": "100", "status": "pending"}]},
        ]
    }))
    .await;
    let with_org =
        |email: &str, org: &str| json!({"login": email, "password": PASSWORD, "organization": org});
    expect(
        &app,
        with_org("ann@example.test", "400"),
        403,
        "organization_not_member",
    )
    .await;
    expect(
        &app,
        with_org("ann@example.test", "300"),
        403,
        "idp_required",
    )
    .await;
    expect(&app, login("pat@example.test"), 403, "organization_pending").await;
    expect(&app, login("inv@example.test"), 403, "organization_pending").await;
    let response = app
        .post("/v1/login", with_org("ann@example.test", "100"))
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["organization"]["name"], "Acme");
}

async fn application_admits_only_its_hosts_and_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme"}],
        "applications": [{"id": APP, "name": "Demo", "hostnames": ["demo.example.test"], "organization": "100"}],
        "users": [
            {"email": "ann@example.test", "password": PASSWORD, "memberships": [{"organization": "100"}]},
            {"email": "out@example.test", "password": PASSWORD},
        ]
    }))
    .await;
    let attempt = |email: &str, host: &str| {
        app.client
            .post(app.url("/v1/login"))
            .header("host", host)
            .json(&json!({"login": email, "password": PASSWORD, "application": APP}))
            .send()
    };
    let elsewhere = attempt("ann@example.test", "evil.example.test")
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    assert_eq!(code_of(elsewhere).await, "hostname_not_allowed");
    let outsider = attempt("out@example.test", "demo.example.test")
        .await
        .unwrap();
    assert_eq!(code_of(outsider).await, "application_forbidden");
    let member = attempt("ann@example.test", "Demo.Example.Test:443")
        .await
        .unwrap();
    assert_eq!(member.status(), 200);
    let unknown = app
        .post(
            "/v1/login",
            json!({"login": "ann@example.test", "password": PASSWORD, "application": "nope"}),
        )
        .await;
    assert_eq!(code_of(unknown).await, "unknown_application");
}
