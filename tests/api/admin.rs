//! `/v1/admin/users`: create, list, disable (ends sessions), enable, set a password.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};

both_backends!(
    admin_manages_users_and_disabling_ends_sessions,
    admin_endpoints_refuse_other_tokens
);

const PASSWORD: &str = "correct horse battery";

async fn admin_manages_users_and_disabling_ends_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let other = app.another_instance().await;

    let created = app
        .post_auth(
            "/v1/admin/users",
            &admin,
            json!({"email": "Ann@Example.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.unwrap();
    assert_eq!(user["email"], "ann@example.test");
    let id = user["id"].as_str().unwrap().to_owned();

    let duplicate = app
        .post_auth(
            "/v1/admin/users",
            &admin,
            json!({"email": "ann@example.test"}),
        )
        .await;
    assert_eq!(duplicate.status(), 409);

    let listed: Value = app
        .get_auth("/v1/admin/users", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["status"], "active");

    let token = app.token("ann@example.test", PASSWORD).await;
    assert_eq!(other.session_status(&app.client, &token).await, 200);
    let disabled = app
        .post_auth(&format!("/v1/admin/users/{id}/disable"), &admin, json!({}))
        .await;
    assert_eq!(disabled.status(), 200);
    assert_eq!(app.get_auth("/v1/session", &token).await.status(), 401);
    app.advance(time::Duration::seconds(1));
    assert_eq!(
        other.session_status(&app.client, &token).await,
        401,
        "on every instance"
    );
    let refused = app.login("ann@example.test", PASSWORD).await;
    assert_eq!(code_of(refused).await, "account_disabled");

    let enabled = app
        .post_auth("/v1/admin/users/ann@example.test/enable", &admin, json!({}))
        .await;
    assert_eq!(enabled.status(), 200);
    let token = app.token("ann@example.test", PASSWORD).await;

    let set = app
        .post_auth(
            &format!("/v1/admin/users/{id}/password"),
            &admin,
            json!({"password": "set by the admin"}),
        )
        .await;
    assert_eq!(set.status(), 204);
    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        401,
        "sessions ended"
    );
    assert_eq!(
        app.login("ann@example.test", "set by the admin")
            .await
            .status(),
        200
    );

    let missing = app
        .post_auth("/v1/admin/users/424242/disable", &admin, json!({}))
        .await;
    assert_eq!(missing.status(), 404);
}

async fn admin_endpoints_refuse_other_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", PASSWORD).await;
    let user_token = app.token("ann@example.test", PASSWORD).await;
    assert_eq!(
        app.get_auth("/v1/admin/users", &user_token).await.status(),
        401
    );
    assert_eq!(
        app.client
            .get(app.url("/v1/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}
