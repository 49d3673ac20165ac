//! Import: the documented format, idempotence, refusal of a bad file as a whole, and hashes
//! of other schemes that sign in and are upgraded.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use doorward::engine::UserRef;
use password_hash::{PasswordHasher, SaltString};
use serde_json::{Value, json};

both_backends!(
    documented_example_imports_and_signs_in,
    importing_twice_changes_nothing,
    bad_file_is_refused_whole_with_its_path,
    imported_foreign_hashes_sign_in_and_are_upgraded,
    import_over_http_needs_an_admin_token,
    an_empty_or_short_totp_secret_is_refused_and_nothing_is_written,
    reimporting_one_field_keeps_everything_else,
    listed_items_are_upserted_and_removed_only_when_asked,
);

fn example() -> Value {
    json!({
      "applications": [{"id": "be517433-c4b8-4788-9258-1ba220432134", "name": "Demo",
        "hostnames": ["demo.example.test", "demo.example.test/sub"], "api_keys": ["k-123"],
        "organization": "100", "mfa": "off", "session": {"idle": "5m", "absolute": "10h"}}],
      "organizations": [{"id": "100", "name": "Acme", "kind": "corporate", "status": "active",
        "consumer_access": true, "idp_required": false}],
      "users": [{"id": "1001", "email": "ann@example.test", "username": "ann", "name": "Ann Example",
        "password": "correct horse battery", "status": "active", "password_state": "ok",
        "password_expires_at": null, "external_idp": null, "tooling_password": null,
        "realm": "local", "phone": "+15550100", "mfa": false,
        "factors": [{"type": "sms", "phone": "+15550100", "status": "active"},
                    {"type": "totp", "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "status": "active"}],
        "memberships": [{"organization": "100", "role": "owner", "status": "active"}]},
        {"email": "bo@example.test", "password": "another passphrase"}]
    })
}

async fn documented_example_imports_and_signs_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = app.import(example()).await;
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (4, 0, 0)
    );

    let response = app.login("ann", "correct horse battery").await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["id"], "1001");
    assert_eq!(body["organization"]["id"], "100");
    let bo = app
        .instance
        .engine
        .user(&UserRef::parse("bo@example.test").unwrap())
        .await
        .unwrap();
    assert_eq!(bo.id.len(), 15, "a generated numeric id");
}

async fn importing_twice_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(example()).await;
    let engine = &app.instance.engine;
    let before = engine.list_users().await.unwrap();

    let report = app.import(example()).await;

    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (0, 0, 4)
    );
    assert_eq!(
        engine.list_users().await.unwrap(),
        before,
        "ids and password hashes kept"
    );
}

async fn bad_file_is_refused_whole_with_its_path(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut doc = example();
    doc["users"][1]["email"] = json!("not-an-email");
    let error = app
        .instance
        .engine
        .import_json(&doorward::domain::Actor::Cli, doc.to_string().as_bytes())
        .await
        .unwrap_err();
    match error {
        doorward::engine::EngineError::ImportInvalid { path, .. } => {
            assert_eq!(path, "$.users[1].email")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        app.instance.engine.list_users().await.unwrap().is_empty(),
        "nothing written"
    );
    assert_eq!(
        app.login("ann", "correct horse battery").await.status(),
        401
    );

    let mut doc = example();
    doc["users"][0]["memberships"][0]["organization"] = json!("999");
    let error = app
        .instance
        .engine
        .import_json(&doorward::domain::Actor::Cli, doc.to_string().as_bytes())
        .await
        .unwrap_err();
    assert!(
        format!("{error:?}").contains("$.users[0].memberships[0].organization"),
        "{error:?}"
    );
}

async fn imported_foreign_hashes_sign_in_and_are_upgraded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let pbkdf = pbkdf2::Pbkdf2
        .hash_password_customized(
            b"pbkdf2 password",
            Some(pbkdf2::Algorithm::Pbkdf2Sha512.ident()),
            None,
            pbkdf2::Params {
                rounds: 10_000,
                output_length: 64,
            },
            &salt,
        )
        .unwrap()
        .to_string();
    let scrypt = scrypt::Scrypt
        .hash_password(b"scrypt password", &salt)
        .unwrap()
        .to_string();
    app.import(json!({"users": [
        {"email": "b@example.test", "password_hash": bcrypt::hash("bcrypt password", 10).unwrap()},
        {"email": "p@example.test", "password_hash": pbkdf},
        {"email": "s@example.test", "password_hash": scrypt},
    ]}))
    .await;

    for (email, password) in [
        ("b@example.test", "bcrypt password"),
        ("p@example.test", "pbkdf2 password"),
        ("s@example.test", "scrypt password"),
    ] {
        assert_eq!(app.login(email, "wrong password").await.status(), 401);
        assert_eq!(app.login(email, password).await.status(), 200, "{email}");
        let user = app
            .instance
            .engine
            .user(&UserRef::parse(email).unwrap())
            .await
            .unwrap();
        let hash = user.password_hash.unwrap().0;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{email} upgraded"
        );
        assert_eq!(
            app.login(email, password).await.status(),
            200,
            "{email} after upgrade"
        );
    }
}

async fn import_over_http_needs_an_admin_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = app.post("/v1/admin/import", example()).await;
    assert_eq!(anonymous.status(), 401);

    let admin = app.admin_token().await;
    let mut bad = example();
    bad["organizations"][0]["id"] = json!("acme");
    let refused = app.post_auth("/v1/admin/import", &admin, bad).await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "import_invalid");
    assert_eq!(body["path"], "$.organizations[0].id");

    let accepted = app.post_auth("/v1/admin/import", &admin, example()).await;
    assert_eq!(accepted.status(), 200);
    let report: Value = accepted.json().await.unwrap();
    assert_eq!(report["created"], 4);
}

async fn an_empty_or_short_totp_secret_is_refused_and_nothing_is_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An empty key makes codes an HMAC with an empty key, which anyone can compute; 80 bits is
    // below RFC 4226's minimum.
    for secret in ["", "JBSWY3DPEHPK3PXP", "not base32 at all"] {
        let doc = json!({"users": [{"email": "eve@example.test", "password": "correct horse battery",
            "factors": [{"type": "totp", "secret": secret, "status": "active"}]}]});
        let refused = app
            .instance
            .engine
            .import_json(&doorward::domain::Actor::Cli, doc.to_string().as_bytes())
            .await
            .unwrap_err();
        match refused {
            doorward::engine::EngineError::ImportInvalid { path, .. } => {
                assert_eq!(path, "$.users[0].factors[0].secret", "{secret:?}");
            }
            other => panic!("{secret:?}: {other:?}"),
        }
    }
    let nobody = app
        .client
        .post(app.url("/v1/login"))
        .json(&json!({"login": "eve@example.test", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(nobody.status(), 401, "the refused import wrote no user");
}

/// The user's factor types and organisations, as she sees them.
async fn what_ann_has(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let token = app.token("ann", "correct horse battery").await;
    let factors: Value = app
        .get_auth("/v1/factors", &token)
        .await
        .json()
        .await
        .unwrap();
    let identities: Value = app
        .get_auth("/v1/identities", &token)
        .await
        .json()
        .await
        .unwrap();
    let mut kinds: Vec<String> = factors["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    let mut orgs: Vec<String> = identities["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    orgs.sort();
    (kinds, orgs)
}

async fn reimporting_one_field_keeps_everything_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(example()).await;
    let engine = &app.instance.engine;
    let before = engine.list_users().await.unwrap();
    let ann_before = before
        .iter()
        .find(|u| u.email == "ann@example.test")
        .unwrap();
    assert_eq!(
        what_ann_has(&app).await,
        (vec!["sms".into(), "totp".into()], vec!["100".into()])
    );

    // Change one field: her phone.
    let report = app
        .import(json!({"users": [{"email": "ann@example.test", "phone": "+15550199"}]}))
        .await;
    assert_eq!((report.created, report.updated), (0, 1));
    let after = engine.list_users().await.unwrap();
    let ann = after
        .iter()
        .find(|u| u.email == "ann@example.test")
        .unwrap();
    assert_eq!(ann.phone.as_deref(), Some("+15550199"));
    assert_eq!(ann.username.as_deref(), Some("ann"), "username kept");
    assert_eq!(ann.name, "Ann Example", "name kept");
    assert_eq!(ann.password_hash, ann_before.password_hash, "password kept");
    assert_eq!(
        what_ann_has(&app).await,
        (vec!["sms".into(), "totp".into()], vec!["100".into()]),
        "memberships and the TOTP factor kept"
    );
    // `null` clears a nullable field, which leaving it out does not.
    app.import(json!({"users": [{"email": "ann@example.test", "username": null}]}))
        .await;
    let ann = engine
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "ann@example.test")
        .unwrap();
    assert_eq!(ann.username, None);
    assert_eq!(ann.name, "Ann Example");

    // Organisations and applications too: a name alone changes nothing else.
    app.import(json!({"organizations": [{"id": "300", "name": "Waiting", "status": "pending"}]}))
        .await;
    let renamed = app
        .import(json!({
            "organizations": [{"id": "300", "name": "Still waiting"}],
            "applications": [{"id": "be517433-c4b8-4788-9258-1ba220432134", "name": "Demo"}]
        }))
        .await;
    assert_eq!(
        (renamed.updated, renamed.unchanged),
        (1, 1),
        "the app is unchanged"
    );
    let orgs = engine.list_organizations().await.unwrap();
    let org = orgs.iter().find(|o| o.id == "300").unwrap();
    assert_eq!(org.name, "Still waiting");
    assert_eq!(
        org.status,
        doorward::domain::OrgStatus::Pending,
        "status kept"
    );
    // The application kept its API key: introspection still authenticates with it.
    let token = app.token("bo@example.test", "another passphrase").await;
    let introspected = app
        .client
        .post(app.url("/v1/introspect"))
        .basic_auth("be517433-c4b8-4788-9258-1ba220432134", Some("k-123"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(introspected.status(), 200);
}

async fn listed_items_are_upserted_and_removed_only_when_asked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(example()).await;
    app.import(json!({
        "organizations": [{"id": "200", "name": "Beta"}],
        "users": [{"email": "ann@example.test",
                   "memberships": [{"organization": "200", "role": "admin"}]}]
    }))
    .await;
    assert_eq!(
        what_ann_has(&app).await.1,
        ["100", "200"],
        "a listed membership is added; the others stay"
    );

    app.import(json!({"users": [{"email": "ann@example.test",
        "memberships": [{"organization": "100", "remove": true}],
        "factors": [{"type": "totp", "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "remove": true}]}]}))
        .await;
    assert_eq!(
        what_ann_has(&app).await,
        (vec!["sms".into()], vec!["200".into()]),
        "removed only what was marked"
    );

    // With `replace`, the listed set is the whole set.
    let replaced = app
        .instance
        .engine
        .import_json_with(
            &doorward::domain::Actor::Cli,
            json!({"users": [{"email": "ann@example.test",
                "memberships": [{"organization": "100", "role": "owner"}],
                "factors": [{"type": "email", "status": "active"}]}]})
            .to_string()
            .as_bytes(),
            doorward::engine::ImportOptions {
                replace: true,
                dry_run: false,
            },
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(replaced.updated, 1);
    assert_eq!(
        what_ann_has(&app).await,
        (vec!["email".into()], vec!["100".into()])
    );

    // The same over HTTP: `?replace=true`, and a bad value is a 400 that changes nothing.
    let admin = app.admin_token().await;
    let doc = json!({"users": [{"email": "ann@example.test",
        "memberships": [{"organization": "200"}]}]});
    let refused = app
        .post_auth("/v1/admin/import?replace=maybe", &admin, doc.clone())
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(what_ann_has(&app).await.1, ["100"]);
    // A dry run counts what would change and writes nothing.
    let dry = app
        .post_auth(
            "/v1/admin/import?replace=true&dry_run=true",
            &admin,
            doc.clone(),
        )
        .await;
    assert_eq!(dry.status(), 200);
    let report: Value = dry.json().await.unwrap();
    assert_eq!(report["updated"], 1);
    assert_eq!(what_ann_has(&app).await.1, ["100"], "nothing written");
    let accepted = app
        .post_auth("/v1/admin/import?replace=true", &admin, doc)
        .await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(
        what_ann_has(&app).await,
        (vec!["email".into()], vec!["200".into()])
    );
}
