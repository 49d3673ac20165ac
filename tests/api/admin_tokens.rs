//! Admin credentials and the audit trail as an operator uses them: named, scoped, expiring
//! tokens created, listed and revoked through the API; every event names its actor; the trail
//! pages with a cursor, filters, and exports as NDJSON.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use doorward::domain::AdminScope;
use serde_json::{Value, json};
use std::collections::HashSet;

both_backends!(
    admin_tokens_are_named_scoped_expiring_and_revocable,
    every_event_names_its_actor,
    the_audit_trail_pages_filters_and_exports
);

async fn create(app: &TestApp, by: &str, body: Value) -> reqwest::Response {
    app.post_auth("/v1/admin/tokens", by, body).await
}

async fn admin_tokens_are_named_scoped_expiring_and_revocable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ops = app.scoped_admin_token("ops", AdminScope::Security).await;

    // Created through the API: the secret once, the record beside it.
    let response = create(&app, &ops, json!({"name": "reader", "scope": "read"})).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let reader = created["token"].as_str().unwrap().to_owned();
    assert_eq!(created["scope"], "read");
    assert_eq!(created["name"], "reader");
    let at = |field: &str| {
        time::OffsetDateTime::parse(
            created[field].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    assert_eq!(
        at("expires_at") - at("created_at"),
        time::Duration::days(90),
        "90 days unless told otherwise"
    );
    let short: Value = create(
        &app,
        &ops,
        json!({"name": "writer", "scope": "users", "expires_in": "1h"}),
    )
    .await
    .json()
    .await
    .unwrap();
    let writer = short["token"].as_str().unwrap().to_owned();

    // Stored only as SHA-256: the database never holds a secret.
    let stored = app.column("SELECT token_hash FROM admin_tokens").await;
    assert_eq!(stored.len(), 3);
    for secret in [&ops, &reader, &writer] {
        use sha2::Digest;
        assert!(!stored.contains(secret));
        assert!(stored.contains(&hex::encode(sha2::Sha256::digest(secret.as_bytes()))));
    }

    // Names are unique among live tokens; bad scopes and durations are refused.
    let again = create(&app, &ops, json!({"name": "reader", "scope": "all"})).await;
    assert_eq!(again.status(), 409);
    let bad = create(&app, &ops, json!({"name": "x", "scope": "root"})).await;
    assert_eq!(bad.status(), 400);
    let bad = create(
        &app,
        &ops,
        json!({"name": "x", "scope": "read", "expires_in": "soon"}),
    );
    assert_eq!(code_of(bad.await).await, "validation_failed");

    // Scopes: read reads and writes nothing; users manages users and not tokens.
    assert_eq!(app.get_auth("/v1/admin/users", &reader).await.status(), 200);
    let refused = app
        .post_auth(
            "/v1/admin/users",
            &reader,
            json!({"email": "ann@example.test"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "insufficient_scope");
    assert_eq!(problem["needed_scope"], "users");
    let made = app
        .post_auth(
            "/v1/admin/users",
            &writer,
            json!({"email": "ann@example.test"}),
        )
        .await;
    assert_eq!(made.status(), 201);
    assert_eq!(
        app.get_auth("/v1/admin/tokens", &writer).await.status(),
        403
    );
    let import = app
        .client
        .post(app.url("/v1/admin/import"))
        .bearer_auth(&writer)
        .json(&json!({"users": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(import.status(), 403, "an import needs all");

    // Listed without secrets, with their last use.
    let response = app.get_auth("/v1/admin/tokens", &ops).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for secret in [&ops, &reader, &writer] {
        assert!(!text.contains(secret.as_str()), "no secret in the listing");
    }
    let listed: Vec<Value> = serde_json::from_str(&text).unwrap();
    let find = |name: &str| listed.iter().find(|t| t["name"] == name).unwrap().clone();
    assert!(find("reader")["last_used_at"].is_string(), "{listed:?}");
    assert!(find("writer")["revoked_at"].is_null());

    // Expiry: an hour later the writer is dead, the reader lives.
    app.advance(time::Duration::minutes(61));
    assert_eq!(app.get_auth("/v1/admin/users", &writer).await.status(), 401);
    assert_eq!(app.get_auth("/v1/admin/users", &reader).await.status(), 200);

    // Revocation, by name or by id, at once; an unknown one is 404.
    let id = find("reader")["id"].as_str().unwrap().to_owned();
    let revoke = |what: String| {
        let app = &app;
        let ops = ops.clone();
        async move {
            app.client
                .delete(app.url(&format!("/v1/admin/tokens/{what}")))
                .bearer_auth(ops)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(revoke(id.clone()).await, 204);
    assert_eq!(app.get_auth("/v1/admin/users", &reader).await.status(), 401);
    assert_eq!(revoke(id).await, 404, "already revoked");
    assert_eq!(revoke("nobody".into()).await, 404);
    // A revoked name is free again.
    let renewed = create(&app, &ops, json!({"name": "reader", "scope": "read"})).await;
    assert_eq!(renewed.status(), 201);
    let listed: Vec<Value> = app
        .get_auth("/v1/admin/tokens", &ops)
        .await
        .json()
        .await
        .unwrap();
    let readers: Vec<&Value> = listed.iter().filter(|t| t["name"] == "reader").collect();
    assert_eq!(readers.len(), 2);
    assert_eq!(
        readers
            .iter()
            .filter(|t| t["revoked_at"].is_string())
            .count(),
        1
    );
}

async fn every_event_names_its_actor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ops = app.scoped_admin_token("ops", AdminScope::All).await;
    let id = app.user("ann@example.test", "correct horse battery").await;
    for _ in 0..5 {
        app.login("ann@example.test", "wrong password one").await;
    }
    app.post_auth("/v1/admin/users/ann@example.test/unlock", &ops, json!({}))
        .await;
    let token = app.token("ann@example.test", "correct horse battery").await;
    app.post_auth("/v1/logout", &token, json!({})).await;
    app.get_auth("/v1/admin/outbox", &ops).await;

    let events = app.audit(&ops, "").await;
    let actor_of = |kind: &str, outcome: &str| -> String {
        events
            .iter()
            .find(|e| e["kind"] == kind && e["outcome"] == outcome)
            .unwrap_or_else(|| panic!("{kind}/{outcome} in {events:?}"))["actor"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        actor_of("import", "success"),
        "cli",
        "the test imports as the CLI"
    );
    assert_eq!(actor_of("admin_token_created", "success"), "cli");
    assert_eq!(actor_of("login", "invalid_credentials"), "anonymous");
    assert_eq!(actor_of("lockout", "locked"), "system");
    assert_eq!(actor_of("unlock", "success"), "admin:ops");
    assert_eq!(actor_of("login", "success"), format!("user:{id}"));
    assert_eq!(actor_of("admin_read", "success"), "admin:ops");
    assert!(events.iter().all(|e| e["actor"].is_string()));
    let detail = events.iter().find(|e| e["kind"] == "import").unwrap()["detail"].clone();
    assert_eq!(
        detail, "created 1, updated 0, unchanged 0",
        "the import's counts"
    );
}

async fn the_audit_trail_pages_filters_and_exports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.scoped_admin_token("auditor", AdminScope::Read).await;
    app.user("ann@example.test", "correct horse battery").await;
    app.user("bo@example.test", "correct horse battery").await;
    for i in 0..7 {
        app.login("bo@example.test", &format!("wrong password {i}"))
            .await;
        if i % 2 == 0 {
            app.advance(time::Duration::seconds(1));
        }
    }
    use doorward::clock::Clock;
    let split = app.clock.now();
    app.advance(time::Duration::seconds(5));
    app.token("ann@example.test", "correct horse battery").await;

    // Every filter at once narrows; each matches what it says.
    let failures = app
        .audit(
            &admin,
            "user=bo@example.test&kind=login&outcome=invalid_credentials",
        )
        .await;
    assert_eq!(
        failures.len(),
        5,
        "five failures before the lock: {failures:?}"
    );
    let anonymous = app.audit(&admin, "kind=login&actor=anonymous").await;
    assert!(anonymous.len() >= 5);
    assert!(anonymous.iter().all(|e| e["actor"] == "anonymous"));
    let until = split
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let before: Vec<Value> = app
        .audit(&admin, &format!("kind=login&until={until}"))
        .await;
    assert!(
        before.iter().all(|e| e["outcome"] != "success"),
        "ann signed in later"
    );
    let since: Vec<Value> = app
        .audit(&admin, &format!("kind=login&since={until}"))
        .await;
    assert!(since.iter().any(|e| e["outcome"] == "success"));

    // Paging: two at a time, newest first, every event once, in the same order as one page.
    let whole: Vec<String> = app
        .audit(&admin, "kind=login")
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(whole.len() >= 7);
    let mut paged = Vec::new();
    let mut query = "kind=login&limit=2".to_owned();
    loop {
        let page: Value = app
            .get_auth(&format!("/v1/admin/audit?{query}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= 2);
        paged.extend(events.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        match page["next"].as_str() {
            Some(cursor) => query = format!("kind=login&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(paged, whole);
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), paged.len());

    // Export: every matching event, one JSON object per line, whatever the page size.
    let export = app
        .get_auth("/v1/admin/audit?kind=login&format=ndjson&limit=1", &admin)
        .await;
    assert_eq!(export.status(), 200);
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let text = export.text().await.unwrap();
    let exported: Vec<String> = text
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            event["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(exported, whole);

    // Bad queries are the API's 400, naming the parameter.
    for (query, field) in [
        ("cursor=bm9wZQ", "cursor"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("format=xml", "format"),
        ("until=yesterday", "until"),
        ("colour=red", "query"),
    ] {
        let response = app
            .get_auth(&format!("/v1/admin/audit?{query}"), &admin)
            .await;
        assert_eq!(response.status(), 400, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
}
