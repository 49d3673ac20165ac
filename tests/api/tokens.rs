//! Identities, organisation switching, signed access tokens that die with their session,
//! JWKS and key rotation, and introspection.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};
use time::Duration;

both_backends!(
    identities_list_only_active_memberships_of_active_organisations,
    switching_organisation_is_refused_for_pending_disabled_and_foreign_ones,
    access_token_verifies_with_the_jwks_and_dies_with_the_session,
    rotated_keys_keep_old_tokens_valid_until_they_expire,
    forged_and_expired_tokens_are_refused,
    introspection_tells_live_from_dead_tokens_to_known_applications,
    an_application_introspects_only_its_own_tokens,
    sealed_signing_keys_open_only_with_their_encryption_key,
    disabling_the_user_or_changing_the_password_ends_access_tokens_at_once,
    a_rotation_elsewhere_reaches_running_instances_within_a_minute,
);

const PASSWORD: &str = "correct horse battery";
const APP: &str = "be517433-c4b8-4788-9258-1ba220432134";

async fn app_with_orgs(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "applications": [{"id": APP, "name": "Demo", "api_keys": ["k-123"]}],
        "organizations": [
            {"id": "100", "name": "Acme"},
            {"id": "200", "name": "Waiting", "status": "pending"},
            {"id": "300", "name": "Closed", "status": "disabled"},
            {"id": "400", "name": "Beta", "kind": "consumer"},
            {"id": "500", "name": "Invited"},
        ],
        "users": [{"id": "1001", "email": "ann@example.test", "password": PASSWORD, "memberships": [
            {"organization": "100", "role": "owner"},
            {"organization": "200"},
            {"organization": "300"},
            {"organization": "400", "role": "admin"},
            {"organization": "500", "status": "pending"},
        ]}]
    }))
    .await;
    let response = app
        .post(
            "/v1/login",
            json!({"login": "ann@example.test", "password": PASSWORD, "application": APP}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    (app, body["token"].as_str().unwrap().to_owned())
}

async fn access_token(app: &TestApp, session: &str, org: &str) -> String {
    let response = app
        .post_auth("/v1/access_token", session, json!({"organization": org}))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    body["access_token"].as_str().unwrap().to_owned()
}

async fn jwks(app: &TestApp) -> Value {
    app.client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Verifies with an independent JWT library against the published JWKS.
async fn verify_independently(
    app: &TestApp,
    token: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let kid = jsonwebtoken::decode_header(token)?.kid.unwrap_or_default();
    let keys = jwks(app).await;
    let Some(jwk) = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
    else {
        return Err(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat.into());
    };
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let key = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[APP]);
    validation.validate_exp = false; // the test runs on its own clock; exp is checked below
    Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)?.claims)
}

async fn identities_list_only_active_memberships_of_active_organisations(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let body: Value = app
        .get_auth("/v1/identities", &session)
        .await
        .json()
        .await
        .unwrap();
    let listed: Vec<(String, String, String)> = body["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().into(),
                i["kind"].as_str().unwrap().into(),
                i["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("100".into(), "corporate".into(), "owner".into()),
            ("400".into(), "consumer".into(), "admin".into())
        ]
    );
}

async fn switching_organisation_is_refused_for_pending_disabled_and_foreign_ones(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    for (org, code) in [
        ("200", "organization_pending"),
        ("500", "organization_pending"),
        ("300", "organization_disabled"),
        ("999", "organization_not_member"),
    ] {
        let refused = app
            .post_auth(
                "/v1/session/organization",
                &session,
                json!({"organization": org}),
            )
            .await;
        assert_eq!(refused.status(), 403, "{org}");
        assert_eq!(code_of(refused).await, code, "{org}");
    }
    let switched = app
        .post_auth(
            "/v1/session/organization",
            &session,
            json!({"organization": "400"}),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let body: Value = app
        .get_auth("/v1/session", &session)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["session"]["organization"], "400");
    let pending = app
        .post_auth("/v1/access_token", &session, json!({"organization": "200"}))
        .await;
    assert_eq!(
        code_of(pending).await,
        "organization_not_member",
        "no access token for a pending one"
    );
}

async fn access_token_verifies_with_the_jwks_and_dies_with_the_session(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let token = access_token(&app, &session, "400").await;
    let claims = verify_independently(&app, &token).await.expect("verifies");
    assert_eq!(claims["sub"], "1001");
    assert_eq!(claims["org"], "400");
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["aal"], "aal1");
    assert_eq!(claims["aud"], APP);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);

    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        200,
        "accepted as a bearer"
    );
    assert_eq!(
        app.post_auth("/v1/logout", &session, json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        401,
        "dead with its session"
    );
}

async fn rotated_keys_keep_old_tokens_valid_until_they_expire(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let old = access_token(&app, &session, "100").await;
    let old_kid = jsonwebtoken::decode_header(&old).unwrap().kid.unwrap();
    let new_kid = app
        .instance
        .engine
        .rotate_keys(&doorward::domain::Actor::Cli)
        .await
        .unwrap();

    let new = access_token(&app, &session, "100").await;
    assert_eq!(
        jsonwebtoken::decode_header(&new).unwrap().kid.unwrap(),
        new_kid
    );
    assert!(
        verify_independently(&app, &old).await.is_ok(),
        "the old key is still published"
    );
    assert_eq!(app.get_auth("/v1/session", &old).await.status(), 200);
    let other = app.another_instance().await;
    let on_other =
        crate::helpers::get_at(&app.client, &format!("{}/v1/session", other.base), &new).await;
    assert_eq!(on_other.status(), 200, "another instance knows the new key");

    app.advance(Duration::minutes(4));
    assert_eq!(app.get_auth("/v1/session", &session).await.status(), 200); // keep the session alive
    app.advance(Duration::minutes(3));
    let kids: Vec<Value> = jwks(&app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert!(
        !kids.contains(&json!(old_kid)),
        "unpublished once its tokens expired"
    );
    assert!(kids.contains(&json!(new_kid)));
    assert_eq!(app.get_auth("/v1/session", &old).await.status(), 401);
}

async fn forged_and_expired_tokens_are_refused(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let token = access_token(&app, &session, "100").await;
    let parts: Vec<&str> = token.split('.').collect();
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut claims = verify_independently(&app, &token).await.unwrap();
    claims["org"] = json!("400");
    let tampered = format!("{}.{}.{}", parts[0], b64(&claims), parts[2]);
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})),
        parts[1]
    );
    let jwk = jwks(&app).await["keys"][0].clone();
    let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwk["x"].as_str().unwrap())
        .unwrap();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(kid.clone());
    hs_header.typ = Some("at+jwt".into());
    let hs256 =
        jsonwebtoken::encode(&hs_header, &claims, &EncodingKey::from_secret(&public)).unwrap();
    let mut unknown_kid = Header::new(Algorithm::HS256);
    unknown_kid.kid = Some("../../etc/passwd' OR 1=1".into());
    let odd_kid =
        jsonwebtoken::encode(&unknown_kid, &claims, &EncodingKey::from_secret(b"x")).unwrap();
    for (name, forged) in [
        ("tampered", tampered),
        ("alg none", none),
        ("HS256 with the public key", hs256),
        ("odd kid", odd_kid),
    ] {
        let response = app.get_auth("/v1/session", &forged).await;
        assert_eq!(response.status(), 401, "{name}");
    }
    app.advance(Duration::minutes(4));
    assert_eq!(app.get_auth("/v1/session", &session).await.status(), 200);
    app.advance(Duration::minutes(1));
    assert_eq!(
        app.get_auth("/v1/session", &session).await.status(),
        200,
        "the session lives on"
    );
    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        401,
        "the access token expired"
    );
}

async fn introspect(app: &TestApp, credentials: (&str, &str), token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/introspect"))
        .basic_auth(credentials.0, Some(credentials.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn introspection_tells_live_from_dead_tokens_to_known_applications(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let token = access_token(&app, &session, "100").await;
    let wrong = introspect(&app, (APP, "wrong-key"), &token).await;
    assert_eq!(wrong.status(), 401);

    let live: Value = introspect(&app, (APP, "k-123"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(live["active"], true);
    assert_eq!(live["sub"], "1001");
    assert_eq!(live["org"], "100");
    assert_eq!(live["token_type"], "access_token");
    let opaque: Value = introspect(&app, (APP, "k-123"), &session)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(opaque["active"], true);
    assert_eq!(opaque["token_type"], "session");

    app.post_auth("/v1/logout", &session, json!({})).await;
    for dead in [&token, &session, &"garbage".to_owned()] {
        let answer: Value = introspect(&app, (APP, "k-123"), dead)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(answer, json!({"active": false}));
    }
}

async fn an_application_introspects_only_its_own_tokens(backend: Backend) {
    const SECURE: &str = "0b6f3c2a-9d1e-4f7a-8c5b-2e4d6a8f0c13";
    let (app, session) = app_with_orgs(backend).await;
    app.import(
        json!({"applications": [{"id": SECURE, "name": "Secure", "api_keys": ["k-secure"]}]}),
    )
    .await;
    let token = access_token(&app, &session, "100").await;
    // Demo's live tokens are not active to Secure: neither the access token nor the session.
    for presented in [&token, &session] {
        let seen: Value = introspect(&app, (SECURE, "k-secure"), presented)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(seen, json!({"active": false}));
        let own: Value = introspect(&app, (APP, "k-123"), presented)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(own["active"], true, "Demo still sees its own token");
    }
    // And a key cannot be used under another application's id.
    let mixed = introspect(&app, (APP, "k-secure"), &token).await;
    assert_eq!(mixed.status(), 401);
}

async fn sealed_signing_keys_open_only_with_their_encryption_key(backend: Backend) {
    let kek = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let sealed = doorward::crypto::keys::KeyEncryptionKey::from_base64(&kek);
    let app = TestApp::spawn_with(backend, |c| c.keys.encryption_key = sealed.clone()).await;
    app.user("ann@example.test", PASSWORD).await;
    app.import(json!({"organizations": [{"id": "100", "name": "Acme"}],
                      "users": [{"email": "ann@example.test", "memberships": [{"organization": "100"}]}]}))
        .await;
    let session = app.token("ann@example.test", PASSWORD).await;
    let token = access_token(&app, &session, "100").await;
    assert_eq!(app.get_auth("/v1/session", &token).await.status(), 200);

    let mut without = app.config.clone();
    without.keys.encryption_key = None;
    let refused = doorward::server::build(without, std::sync::Arc::new(app.clock.clone())).await;
    assert!(
        refused.is_err(),
        "a sealed key cannot be used without its encryption key"
    );
    let mut wrong = app.config.clone();
    wrong.keys.encryption_key = doorward::crypto::keys::KeyEncryptionKey::from_base64(
        &base64::engine::general_purpose::STANDARD.encode([8u8; 32]),
    );
    let refused = doorward::server::build(wrong, std::sync::Arc::new(app.clock.clone())).await;
    assert!(refused.is_err(), "nor with another one");
}

async fn a_rotation_elsewhere_reaches_running_instances_within_a_minute(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let other = app.another_instance().await;
    let new_kid = other
        .engine
        .rotate_keys(&doorward::domain::Actor::Cli)
        .await
        .unwrap();
    assert_eq!(app.get_auth("/v1/session", &session).await.status(), 200);
    app.advance(Duration::minutes(1));
    let token = access_token(&app, &session, "100").await;
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().kid.unwrap(),
        new_kid,
        "signs with the new key"
    );
    let kids: Vec<Value> = jwks(&app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert!(kids.contains(&json!(new_kid)));
}

async fn disabling_the_user_or_changing_the_password_ends_access_tokens_at_once(backend: Backend) {
    let (app, session) = app_with_orgs(backend).await;
    let token = access_token(&app, &session, "100").await;
    let changed = app
        .post_auth(
            "/v1/password",
            &session,
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        401,
        "a password change ends it"
    );

    let body: Value = changed.json().await.unwrap();
    let fresh = body["token"].as_str().unwrap().to_owned();
    let token = access_token(&app, &fresh, "100").await;
    assert_eq!(app.get_auth("/v1/session", &token).await.status(), 200);
    let admin = app.admin_token().await;
    app.post_auth("/v1/admin/users/1001/disable", &admin, json!({}))
        .await;
    assert_eq!(
        app.get_auth("/v1/session", &token).await.status(),
        401,
        "disabling the user ends it"
    );
}
