//! `/v1/admin/users`: create, list, disable (ends sessions), enable, set a password.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};

both_backends!(
    admin_manages_users_and_disabling_ends_sessions,
    admin_endpoints_refuse_other_tokens,
    one_field_of_a_user_changes_and_nothing_else,
    a_deleted_user_is_gone_with_her_sessions_and_the_audit_keeps_her_events,
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

async fn patch(app: &TestApp, admin: &str, user: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(app.url(&format!("/v1/admin/users/{user}")))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn one_field_of_a_user_changes_and_nothing_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    app.import(
        json!({"users": [{"id": "1001", "email": "ann@example.test", "username": "ann",
        "name": "Ann Example", "password": PASSWORD, "phone": "+15550100"}]}),
    )
    .await;
    let renamed = patch(
        &app,
        &admin,
        "ann@example.test",
        json!({"name": "Ann Other"}),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let users = app.instance.engine.list_users().await.unwrap();
    let ann = &users[0];
    assert_eq!(ann.name, "Ann Other");
    assert_eq!(ann.username.as_deref(), Some("ann"));
    assert_eq!(ann.phone.as_deref(), Some("+15550100"));
    assert_eq!(
        app.login("ann", PASSWORD).await.status(),
        200,
        "the password stayed"
    );

    let cleared = patch(
        &app,
        &admin,
        "1001",
        json!({"username": null, "phone": "+447700900123"}),
    )
    .await;
    assert_eq!(cleared.status(), 200);
    let ann = app.instance.engine.list_users().await.unwrap().remove(0);
    assert_eq!(ann.username, None);
    assert_eq!(ann.phone.as_deref(), Some("+447700900123"));

    // Bad input is the native 400 and changes nothing.
    for bad in [
        json!({"phone": "0123"}),
        json!({"name": "  "}),
        json!({"email": "x@example.test"}),
        json!({"username": "has space"}),
    ] {
        let refused = patch(&app, &admin, "1001", bad.clone()).await;
        assert_eq!(refused.status(), 400, "{bad}");
    }
    assert_eq!(
        app.instance.engine.list_users().await.unwrap().remove(0),
        ann
    );
    assert_eq!(
        patch(&app, &admin, "9999", json!({"name": "X"}))
            .await
            .status(),
        404
    );
}

async fn a_deleted_user_is_gone_with_her_sessions_and_the_audit_keeps_her_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let other = app.another_instance().await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme"}],
        "users": [{"id": "1001", "email": "ann@example.test", "password": PASSWORD,
                   "memberships": [{"organization": "100"}],
                   "factors": [{"type": "email", "status": "active"}]},
                  {"email": "bo@example.test", "password": PASSWORD}]
    }))
    .await;
    let token = app.token("ann@example.test", PASSWORD).await;
    assert_eq!(other.session_status(&app.client, &token).await, 200);

    let delete = |user: &str| {
        app.client
            .delete(app.url(&format!("/v1/admin/users/{user}")))
            .bearer_auth(&admin)
            .send()
    };
    assert_eq!(delete("ann@example.test").await.unwrap().status(), 204);
    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        401,
        "here at once"
    );
    app.advance(time::Duration::seconds(1));
    assert_eq!(
        other.session_status(&app.client, &token).await,
        401,
        "on another instance within a second"
    );
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 401);
    assert_eq!(delete("1001").await.unwrap().status(), 404, "already gone");
    let users = app.instance.engine.list_users().await.unwrap();
    assert_eq!(users.len(), 1, "bo stays");

    let events: Vec<Value> = app.audit(&admin, "").await;
    let hers: Vec<&str> = events
        .iter()
        .filter(|e| e["user_id"] == "1001")
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(hers.contains(&"login"), "{hers:?}");
    assert!(hers.contains(&"user_deleted"), "{hers:?}");
    // The email is free again: a new Ann is a new user.
    let again = app
        .post_auth(
            "/v1/admin/users",
            &admin,
            json!({"email": "ann@example.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(again.status(), 201);
}
