//! Administration of organisations and memberships, through the admin API and the CLI.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::{Value, json};

both_backends!(
    admin_manages_organisations_and_memberships,
    losing_an_organisation_ends_the_sessions_acting_for_it,
);

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
    assert_eq!(
        app.instance.session_status(&app.client, &session).await,
        401,
        "the session acting for an organisation that is no longer active ends"
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
    let session = app.token("ann@example.test", PASSWORD).await;
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
    assert_eq!(
        app.instance.session_status(&app.client, &session).await,
        401,
        "leaving the organisation a session acts for ends it"
    );

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

async fn losing_an_organisation_ends_the_sessions_acting_for_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(serde_json::json!({
        "organizations": [{"id": "100", "name": "Acme"}, {"id": "200", "name": "Beta"},
                          {"id": "300", "name": "Gamma"}],
        "users": [{"email": "ann@example.test", "password": "correct horse battery",
                   "memberships": [{"organization": "100"}, {"organization": "200"},
                                   {"organization": "300"}]}]
    }))
    .await;
    let sign_in = |org: &'static str| {
        app.post(
            "/v1/login",
            serde_json::json!({"login": "ann@example.test", "password": "correct horse battery",
                               "organization": org}),
        )
    };
    let mut tokens = Vec::new();
    for org in ["100", "200", "300"] {
        let body: serde_json::Value = sign_in(org).await.json().await.unwrap();
        tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    let other = app.another_instance().await;
    for token in &tokens {
        assert_eq!(other.session_status(&app.client, token).await, 200);
    }
    let admin = app.admin_token().await;

    let removed = app
        .client
        .delete(app.url("/v1/admin/memberships/100/ann@example.test"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_eq!(
        app.instance.session_status(&app.client, &tokens[0]).await,
        401,
        "the session acting for the organisation the user left ends at once"
    );
    assert_eq!(
        app.instance.session_status(&app.client, &tokens[1]).await,
        200
    );

    let disabled = app
        .client
        .patch(app.url("/v1/admin/organizations/200"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"status": "disabled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);
    assert_eq!(
        app.instance.session_status(&app.client, &tokens[1]).await,
        401
    );
    assert_eq!(
        app.instance.session_status(&app.client, &tokens[2]).await,
        200,
        "sessions acting for other organisations go on"
    );

    // Another instance learns within its cache's second.
    app.advance(time::Duration::seconds(2));
    assert_eq!(other.session_status(&app.client, &tokens[0]).await, 401);
    assert_eq!(other.session_status(&app.client, &tokens[1]).await, 401);
    assert_eq!(other.session_status(&app.client, &tokens[2]).await, 200);
}
