//! The HTTP import of a large directory: not cut by the request timeout, progress streamed as
//! NDJSON when asked for, a failure reported in the stream with nothing written, and the import
//! audited with its actor and counts.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use doorward::domain::AdminScope;
use serde_json::{Value, json};

both_backends!(
    the_import_outlasts_the_request_timeout,
    a_streamed_import_reports_progress_then_the_report,
    a_streamed_import_that_fails_writes_nothing
);

fn users(n: usize, password: bool) -> Value {
    let users: Vec<Value> = (0..n)
        .map(|i| {
            let mut user = json!({"email": format!("user{i}@example.test")});
            if password {
                user["password"] = json!(format!("passphrase number {i}"));
            }
            user
        })
        .collect();
    json!({ "users": users })
}

async fn post_import(app: &TestApp, admin: &str, doc: &Value, ndjson: bool) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/v1/admin/import"))
        .bearer_auth(admin)
        .json(doc);
    if ndjson {
        request = request.header("accept", "application/x-ndjson");
    }
    request.send().await.unwrap()
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

async fn the_import_outlasts_the_request_timeout(backend: Backend) {
    // A timeout shorter than one password hash: every other request that hashes is cut.
    let app = TestApp::spawn_with(backend, |c| {
        c.http.request_timeout = std::time::Duration::from_millis(1);
    })
    .await;
    let admin = app.admin_token().await;
    let cut = app
        .post_auth(
            "/v1/login",
            "",
            json!({"login": "nobody@example.test", "password": "some passphrase"}),
        )
        .await;
    assert_eq!(cut.status(), 408, "the timeout holds for other routes");
    for (name, value) in [
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert_eq!(cut.headers()[name], value, "a 408 carries {name} too");
    }
    assert_eq!(cut.headers()["x-request-id"].len(), 32);

    let response = post_import(&app, &admin, &users(6, true), false).await;
    assert_eq!(response.status(), 200, "six hashes take longer than 1 ms");
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["created"], 6);
    assert_eq!(app.instance.engine.list_users().await.unwrap().len(), 6);
}

async fn a_streamed_import_reports_progress_then_the_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.scoped_admin_token("provisioner", AdminScope::All).await;
    let response = post_import(&app, &admin, &users(250, false), true).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let lines = ndjson(&response.text().await.unwrap());
    let progress: Vec<(u64, u64, bool)> = lines
        .iter()
        .filter_map(|l| l.get("progress"))
        .map(|p| {
            (
                p["users_done"].as_u64().unwrap(),
                p["users_total"].as_u64().unwrap(),
                p["writing"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        progress,
        [(100, 250, false), (200, 250, false), (250, 250, true)]
    );
    let last = lines.last().unwrap();
    assert_eq!(last["report"]["created"], 250, "{last}");
    assert_eq!(app.instance.engine.list_users().await.unwrap().len(), 250);

    let import = app.audit(&admin, "kind=import").await;
    assert_eq!(import[0]["actor"], "admin:provisioner");
    assert_eq!(import[0]["detail"], "created 250, updated 0, unchanged 0");
}

async fn a_streamed_import_that_fails_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    let mut doc = users(150, false);
    doc["users"][120]["memberships"] = json!([{"organization": "999"}]);
    let response = post_import(&app, &admin, &doc, true).await;
    assert_eq!(response.status(), 200, "the stream had begun");
    let lines = ndjson(&response.text().await.unwrap());
    assert_eq!(lines[0]["progress"]["users_done"], 100);
    let error = &lines.last().unwrap()["error"];
    assert_eq!(error["code"], "import_invalid", "{error}");
    assert_eq!(error["path"], "$.users[120].memberships[0].organization");
    assert!(app.instance.engine.list_users().await.unwrap().is_empty());

    // A document that does not parse fails before any progress.
    let response = app
        .client
        .post(app.url("/v1/admin/import"))
        .bearer_auth(&admin)
        .header("accept", "application/x-ndjson")
        .header("content-type", "application/json")
        .body("{\"users\": [")
        .send()
        .await
        .unwrap();
    let lines = ndjson(&response.text().await.unwrap());
    assert_eq!(lines.len(), 1);
    assert!(lines[0]["error"]["code"].is_string());
}
