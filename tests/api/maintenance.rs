//! Maintenance mode: every face answers 503 with `Retry-After` on every instance, except health
//! checks and the admin API.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of, get_at};
use serde_json::json;

both_backends!(maintenance_answers_503_on_every_instance_but_health_and_admin);

async fn maintenance_answers_503_on_every_instance_but_health_and_admin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.user("ann@example.test", "correct horse battery").await;
    let token = app.token("ann@example.test", "correct horse battery").await;
    let admin = app.admin_token().await;
    let other = app.another_instance().await;
    assert_eq!(other.session_status(&app.client, &token).await, 200);

    let on = app
        .post_auth("/v1/admin/maintenance", &admin, json!({"enabled": true}))
        .await;
    assert_eq!(on.status(), 200);

    let login = app.login("ann@example.test", "correct horse battery").await;
    assert_eq!(login.status(), 503);
    assert_eq!(login.headers()["retry-after"], "120");
    assert_eq!(code_of(login).await, "maintenance");
    app.advance(time::Duration::seconds(1));
    assert_eq!(
        other.session_status(&app.client, &token).await,
        503,
        "the other instance too"
    );
    let health = app
        .client
        .get(format!("{}/healthz", other.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let admin_call = get_at(
        &app.client,
        &format!("{}/v1/admin/maintenance", other.base),
        &admin,
    )
    .await;
    assert_eq!(admin_call.status(), 200);

    let off = app
        .post_auth("/v1/admin/maintenance", &admin, json!({"enabled": false}))
        .await;
    assert_eq!(off.status(), 200);
    assert_eq!(app.get_auth("/v1/session", &token).await.status(), 200);
    app.advance(time::Duration::seconds(1));
    assert_eq!(other.session_status(&app.client, &token).await, 200);
}
