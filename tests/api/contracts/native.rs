//! The native API's answers (`/v1/…`), pinned.

use crate::helpers::{Backend, TestApp};
use crate::{both_backends, pin};
use serde_json::json;

both_backends!(native_contract);

const PASSWORD: &str = "correct horse battery";

async fn native_contract(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.rate_limits.login_per_address.burst = 1_000).await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme", "kind": "corporate"}],
        "users": [
            {"id": "1001", "email": "ann@example.test", "username": "ann", "name": "Ann Example",
             "password": PASSWORD, "memberships": [{"organization": "100", "role": "owner"}]},
            {"email": "reset@example.test", "password": PASSWORD, "password_state": "reset_required"},
            {"email": "off@example.test", "password": PASSWORD, "status": "disabled"}
        ]
    }))
    .await;
    let login = |body: serde_json::Value| app.post("/v1/login", body);

    pin!(
        "native_login_ok",
        login(json!({"login": "ann", "password": PASSWORD})).await
    );
    pin!(
        "native_login_wrong_password",
        login(json!({"login": "ann@example.test", "password": "wrong"})).await
    );
    pin!(
        "native_login_unknown_user",
        login(json!({"login": "nobody@example.test", "password": "wrong"})).await
    );
    pin!("native_login_missing_fields", login(json!({})).await);
    pin!(
        "native_login_password_reset",
        login(json!({"login": "reset@example.test", "password": PASSWORD})).await
    );
    pin!(
        "native_login_disabled",
        login(json!({"login": "off@example.test", "password": PASSWORD})).await
    );
    let malformed = app
        .client
        .post(app.url("/v1/login"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    pin!("native_malformed_json", malformed);
    let form = app
        .client
        .post(app.url("/v1/login"))
        .form(&[("login", "ann")])
        .send()
        .await
        .unwrap();
    pin!("native_wrong_media_type", form);
    pin!(
        "native_unknown_path",
        app.client.get(app.url("/v1/nothing")).send().await.unwrap()
    );
    pin!(
        "native_wrong_method",
        app.client.get(app.url("/v1/login")).send().await.unwrap()
    );

    let token = app.token("ann@example.test", PASSWORD).await;
    pin!("native_session", app.get_auth("/v1/session", &token).await);
    pin!(
        "native_identities",
        app.get_auth("/v1/identities", &token).await
    );
    pin!(
        "native_access_token",
        app.post_auth("/v1/access_token", &token, json!({"organization": "100"}))
            .await
    );
    pin!(
        "native_logout",
        app.post_auth("/v1/logout", &token, json!({})).await
    );
    pin!(
        "native_session_after_logout",
        app.get_auth("/v1/session", &token).await
    );

    for _ in 0..5 {
        login(json!({"login": "ann@example.test", "password": "wrong"})).await;
    }
    pin!(
        "native_login_locked",
        login(json!({"login": "ann@example.test", "password": PASSWORD})).await
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    pin!(
        "native_maintenance",
        login(json!({"login": "ann", "password": PASSWORD})).await
    );
}
