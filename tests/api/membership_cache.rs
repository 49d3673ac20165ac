//! A session's identities come from a one-second cache, as sessions do: a validation that hits
//! it reads nothing from the store. A membership changed on another instance shows within a
//! second; one changed here shows at once.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::{Value, json};

both_backends!(identities_are_cached_for_a_second_and_cleared_by_local_changes);

const PASSWORD: &str = "correct horse battery";

async fn check_session(app: &TestApp, sid: &str) -> Value {
    let response = app
        .client
        .get(app.url("/amplify/api/v1/auth/checkSession"))
        .bearer_auth(sid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn orgs(app: &TestApp, sid: &str) -> Vec<String> {
    let body = check_session(app, sid).await;
    let mut ids: Vec<String> = body["result"]["orgs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["org_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

async fn identities_are_cached_for_a_second_and_cleared_by_local_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme"}, {"id": "600", "name": "Second"}],
        "users": [{"id": "1001", "email": "ann@example.test", "password": PASSWORD,
                   "memberships": [{"organization": "100", "role": "owner"}]}]}))
        .await;
    let admin = app.admin_token().await;
    let login: Value = crate::helpers::json_of(
        app.client
            .post(app.url("/amplify/api/v1/auth/login"))
            .json(&json!({"username": "ann@example.test", "password": PASSWORD})),
    )
    .await;
    let sid = login["result"]["sid"].as_str().unwrap().to_owned();
    assert_eq!(orgs(&app, &sid).await, ["100"]);

    // Another instance adds her to 600: this one keeps what it read for up to a second.
    let other = app.another_instance().await;
    let added = app
        .client
        .post(format!("{}/v1/admin/memberships", other.base))
        .bearer_auth(&admin)
        .json(&json!({"user": "1001", "organization": "600"}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    assert_eq!(
        orgs(&app, &sid).await,
        ["100"],
        "read from the cache, not the store"
    );
    app.advance(time::Duration::seconds(1));
    assert_eq!(orgs(&app, &sid).await, ["100", "600"], "within a second");

    // A change made on this instance shows at once.
    let removed = app
        .client
        .delete(app.url("/v1/admin/memberships/600/1001"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(orgs(&app, &sid).await, ["100"]);
    let disabled = app
        .client
        .patch(app.url("/v1/admin/organizations/100"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Acme Renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    let body = check_session(&app, &sid).await;
    assert_eq!(body["result"]["orgs"][0]["name"], "Acme Renamed");
}
