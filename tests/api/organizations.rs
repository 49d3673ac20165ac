//! Administration of organisations and memberships, through the admin API and the CLI.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::{Value, json};

both_backends!(admin_manages_organisations_and_memberships);

const PASSWORD: &str = "correct horse battery";

async fn identity_ids(app: &TestApp, session: &str) -> Vec<String> {
    let body: Value = app
        .get_auth("/v1/identities", session)
        .await
        .json()
        .await
        .unwrap();
    body["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn admin_manages_organisations_and_memberships(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token().await;
    app.user("ann@example.test", PASSWORD).await;

    let created = app
        .post_auth(
            "/v1/admin/organizations",
            &admin,
            json!({"id": "700", "name": "Gamma"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let twice = app
        .post_auth(
            "/v1/admin/organizations",
            &admin,
            json!({"id": "700", "name": "Again"}),
        )
        .await;
    assert_eq!(twice.status(), 409);
    let bad = app
        .post_auth(
            "/v1/admin/organizations",
            &admin,
            json!({"id": "seven", "name": "X"}),
        )
        .await;
    assert_eq!(bad.status(), 400);

    let added = app
        .post_auth(
            "/v1/admin/memberships",
            &admin,
            json!({"user": "ann@example.test", "organization": "700", "role": "admin"}),
        )
        .await;
    assert_eq!(added.status(), 200);
    let session = app.token("ann@example.test", PASSWORD).await;
    assert_eq!(identity_ids(&app, &session).await, ["700"]);

    let paused = app
        .client
        .patch(app.url("/v1/admin/organizations/700"))
        .bearer_auth(&admin)
        .json(&json!({"status": "pending"}))
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status(), 200);
    assert!(
        identity_ids(&app, &session).await.is_empty(),
        "a pending organisation is no identity"
    );

    let env = [("DOORWARD_DATABASE_URL", app.database_url())];
    let run = |args: &'static [&'static str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_doorward"))
            .args(args)
            .envs(env)
            .output()
            .unwrap()
    };
    assert!(
        run(&["org", "set-status", "700", "active"])
            .status
            .success()
    );
    let created = run(&[
        "org", "create", "--name", "Delta", "--id", "800", "--kind", "consumer",
    ]);
    assert_eq!(String::from_utf8_lossy(&created.stdout).trim(), "800");
    assert!(
        run(&[
            "org",
            "add-member",
            "800",
            "ann@example.test",
            "--role",
            "owner"
        ])
        .status
        .success()
    );
    let listed = String::from_utf8_lossy(&run(&["org", "list"]).stdout).into_owned();
    assert!(listed.contains("800\tDelta\tconsumer\tactive"), "{listed}");
    assert_eq!(identity_ids(&app, &session).await, ["700", "800"]);

    assert!(
        run(&["org", "remove-member", "800", "ann@example.test"])
            .status
            .success()
    );
    let removed = app
        .client
        .delete(app.url("/v1/admin/memberships/700/ann@example.test"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert!(identity_ids(&app, &session).await.is_empty());

    app.import(json!({"applications": [{"name": "Bound", "organization": "700"}]}))
        .await;
    let referenced = app
        .client
        .delete(app.url("/v1/admin/organizations/700"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(referenced.status(), 409, "an application still names it");
    let deleted = app
        .client
        .delete(app.url("/v1/admin/organizations/800"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let listed: Value = app
        .get_auth("/v1/admin/organizations", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}
