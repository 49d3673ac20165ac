//! The one input rule: text no store can hold (a NUL, a lone surrogate, an over-long value)
//! gets a 400 in the face's own shape on every endpoint that takes a string, on both stores,
//! and changes nothing.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(nul_in_any_string_gets_400_in_the_face_shape);

const PASSWORD: &str = "correct horse battery";
const APP: &str = "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c01";
const KEY: &str = "input-test-key";

async fn provisioned(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme", "kind": "corporate"}],
        "applications": [{"id": APP, "name": "input", "api_keys": [KEY]}],
        "users": [{"id": "1001", "email": "ann@example.test", "password": PASSWORD,
                   "memberships": [{"organization": "100", "role": "owner"}]}]
    }))
    .await;
    app
}

/// A request that carries a NUL somewhere: (method, path, extra headers, JSON body).
type Case = (
    Method,
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<Value>,
);

fn nul_cases() -> Vec<Case> {
    const NUL: &str = "x\u{0}y";
    let weavr: &'static [(&str, &str)] = &[("api-key", KEY)];
    let axonize: &'static [(&str, &str)] = &[("appId", APP)];
    vec![
        (
            Method::POST,
            "/v1/login",
            &[],
            Some(json!({"login": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/v1/login",
            &[],
            Some(json!({"login": "ann@example.test", "password": PASSWORD, "application": NUL})),
        ),
        (
            Method::POST,
            "/v1/login/mfa",
            &[],
            Some(json!({"mfa_token": NUL, "code": "1"})),
        ),
        (
            Method::POST,
            "/v1/login/mfa/send",
            &[],
            Some(json!({"mfa_token": NUL})),
        ),
        (
            Method::POST,
            "/v1/devices/nonce",
            &[],
            Some(json!({"device_id": NUL})),
        ),
        (
            Method::POST,
            "/v1/password/forgot",
            &[],
            Some(json!({"email": NUL})),
        ),
        (
            Method::POST,
            "/v1/password/reset",
            &[],
            Some(json!({"token": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/v1/activation",
            &[],
            Some(json!({"token": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/v1/activation/send",
            &[],
            Some(json!({"email": NUL})),
        ),
        (
            Method::POST,
            "/v1/factors/sms",
            &[],
            Some(json!({"phone": NUL})),
        ),
        (
            Method::POST,
            "/v1/factors/email",
            &[],
            Some(json!({"email": NUL})),
        ),
        (
            Method::POST,
            "/v1/factors/push",
            &[],
            Some(json!({"public_key": NUL})),
        ),
        (
            Method::POST,
            "/v1/session/organization",
            &[],
            Some(json!({"organization": NUL})),
        ),
        (
            Method::POST,
            "/v1/access_token",
            &[],
            Some(json!({"organization": NUL})),
        ),
        (
            Method::POST,
            "/v1/stepup",
            &[],
            Some(json!({"factor": NUL})),
        ),
        (
            Method::POST,
            "/v1/factors/a%00b/verify",
            &[],
            Some(json!({"code": "1"})),
        ),
        (Method::GET, "/v1/login/mfa/a%00b", &[], None),
        (Method::GET, "/v1/stepup/a%00b", &[], None),
        (
            Method::POST,
            "/v1/devices/challenges/a%00b",
            &[],
            Some(json!({"approve": true})),
        ),
        (
            Method::POST,
            "/v1/admin/users",
            &[],
            Some(json!({"email": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/v1/admin/organizations",
            &[],
            Some(json!({"name": NUL})),
        ),
        (
            Method::POST,
            "/v1/admin/memberships",
            &[],
            Some(json!({"user": NUL, "organization": "100"})),
        ),
        (
            Method::POST,
            "/v1/admin/users/a%00b/disable",
            &[],
            Some(json!({})),
        ),
        (Method::GET, "/v1/admin/audit?user=a%00b", &[], None),
        (
            Method::POST,
            "/v1/admin/import",
            &[],
            Some(json!({"users": [{"email": NUL}]})),
        ),
        (
            Method::POST,
            "/v1/stepup/a%00b/verify",
            &[],
            Some(json!({"code": "1"})),
        ),
        (
            Method::POST,
            "/v1/stepup/some-id/verify",
            &[],
            Some(json!({"code": NUL})),
        ),
        (Method::POST, "/v1/stepup/a%00b/send", &[], None),
        (Method::DELETE, "/v1/factors/a%00b", &[], None),
        (Method::POST, "/v1/factors/a%00b/send", &[], None),
        (
            Method::POST,
            "/v1/factors/some-id/verify",
            &[],
            Some(json!({"code": NUL})),
        ),
        (
            Method::POST,
            "/v1/factors/push",
            &[],
            Some(json!({"public_key": "k", "name": NUL})),
        ),
        (
            Method::POST,
            "/v1/password",
            &[],
            Some(json!({"current_password": NUL, "new_password": "a new passphrase"})),
        ),
        (Method::POST, "/v1/logout?scope=%00", &[], None),
        (Method::GET, "/v1/session?x=%00", &[], None),
        (
            Method::PATCH,
            "/v1/admin/organizations/100",
            &[],
            Some(json!({"name": NUL})),
        ),
        (Method::DELETE, "/v1/admin/organizations/a%00b", &[], None),
        (Method::DELETE, "/v1/admin/memberships/100/a%00b", &[], None),
        (
            Method::POST,
            "/v1/admin/users/a%00b/enable",
            &[],
            Some(json!({})),
        ),
        (
            Method::POST,
            "/v1/admin/users/a%00b/unlock",
            &[],
            Some(json!({})),
        ),
        (
            Method::POST,
            "/v1/admin/users/ann@example.test/password",
            &[],
            Some(json!({"password": NUL})),
        ),
        (
            Method::POST,
            "/weavr/multi/passwords/update",
            weavr,
            Some(json!({"oldPassword": {"value": NUL}, "newPassword": {"value": "x"}})),
        ),
        (
            Method::POST,
            "/weavr/multi/stepup/challenges/otp/SMS/verify",
            weavr,
            Some(json!({"verificationCode": NUL})),
        ),
        (
            Method::POST,
            "/weavr/multi/stepup/challenges/push/a%00b",
            weavr,
            None,
        ),
        (
            Method::POST,
            "/weavr/multi/authentication_factors/otp/a%00b",
            weavr,
            None,
        ),
        (
            Method::POST,
            "/weavr/multi/authentication_factors/otp/SMS/verify",
            weavr,
            Some(json!({"verificationCode": NUL})),
        ),
        (
            Method::POST,
            "/weavr/multi/authentication_factors/push/AUTHY",
            weavr,
            Some(json!({"publicKey": NUL})),
        ),
        (
            Method::POST,
            "/amplify/api/v1/auth/deviceauth",
            &[],
            Some(json!({"code": NUL})),
        ),
        (
            Method::GET,
            "/amplify/api/v1/auth/checkSession?x=%00",
            &[],
            None,
        ),
        (Method::GET, "/amplify/api/v1/auth/logout?x=%00", &[], None),
        (
            Method::POST,
            "/ece/api/v1/users/auth/_refresh?x=%00",
            &[],
            None,
        ),
        (Method::GET, "/ece/api/v1/users/auth?x=%00", &[], None),
        (
            Method::POST,
            "/axonize/api/auth/verifymultifactorbindingcode",
            axonize,
            Some(json!({"token": "t", "code": NUL})),
        ),
        (
            Method::POST,
            "/axonize/api/auth/resendmultifactorbindingcode",
            axonize,
            Some(json!({"token": NUL})),
        ),
        (
            Method::GET,
            "/axonize/api/auth/validatetoken?x=%00",
            axonize,
            None,
        ),
        (
            Method::POST,
            "/weavr/multi/login_with_password",
            weavr,
            Some(json!({"email": NUL, "password": {"value": "p"}})),
        ),
        (
            Method::POST,
            "/weavr/multi/access_token",
            weavr,
            Some(json!({"identity": {"type": "CORPORATE", "id": NUL}})),
        ),
        (
            Method::POST,
            "/weavr/multi/stepup/challenges/otp/a%00b",
            weavr,
            None,
        ),
        (
            Method::POST,
            "/amplify/api/v1/auth/login",
            &[],
            Some(json!({"username": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/amplify/api/v1/auth/switchLoggedInOrg",
            &[],
            Some(json!({"org_id": NUL})),
        ),
        (
            Method::GET,
            "/amplify/api/v1/auth/findSession?x=%00",
            &[],
            None,
        ),
        (
            Method::POST,
            "/ece/api/v1/users/auth/_login",
            &[],
            Some(json!({"username": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/axonize/api/auth/login",
            axonize,
            Some(json!({"email": NUL, "password": "p"})),
        ),
        (
            Method::POST,
            "/axonize/api/auth/login",
            &[],
            Some(json!({"email": "ann@example.test", "password": "p", "url": NUL})),
        ),
    ]
}

async fn nul_in_any_string_gets_400_in_the_face_shape(backend: Backend) {
    let app = provisioned(backend).await;
    let admin = app.admin_token().await;
    for (method, path, headers, body) in nul_cases() {
        let mut request = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&admin);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 400, "{method} {path}: {text}");
    }
    let escaped = app
        .client
        .post(app.url("/v1/login"))
        .header("content-type", "application/json")
        .body(r#"{"login": "\ud800@example.test", "password": "p"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(escaped.status(), 400, "a lone surrogate");
    let introspect = app
        .client
        .post(app.url("/v1/introspect"))
        .basic_auth(APP, Some(KEY))
        .form(&[("token", "x\u{0}y")])
        .send()
        .await
        .unwrap();
    assert_eq!(introspect.status(), 400, "a NUL in a form field");
    let long = "a".repeat(5000);
    let over_long = app
        .post(
            "/v1/login",
            json!({"login": "ann@example.test", "password": "p", "application": long}),
        )
        .await;
    assert_eq!(over_long.status(), 400, "an over-long identifier");
    assert_eq!(
        app.login("ann@example.test", PASSWORD).await.status(),
        200,
        "nothing was changed and nothing locked"
    );
}
