//! The Weavr Multi face's answers, pinned row by row of its contract.

use crate::helpers::{Backend, TestApp};
use crate::{both_backends, pin};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(weavr_contract);

const BASE: &str = "/weavr/multi";
const KEY: &str = "weavr-contract-key";
const PASSWORD: &str = "correct horse battery";
const APP: &str = "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c01";

async fn weavr_contract(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox = true;
        c.rate_limits.login_per_address.burst = 1_000;
    })
    .await;
    app.import(json!({
        "organizations": [
            {"id": "100", "name": "Acme", "kind": "corporate"},
            {"id": "200", "name": "Ann", "kind": "consumer"}
        ],
        "applications": [{"id": APP, "name": "weavr", "api_keys": [KEY]}],
        "users": [
            {"id": "1001", "email": "ann@example.test", "password": PASSWORD,
             "phone": "+447700900123",
             "memberships": [{"organization": "100", "role": "owner"},
                             {"organization": "200", "role": "member"}]},
            {"id": "1002", "email": "exp@example.test", "password": PASSWORD,
             "password_state": "expired", "memberships": [{"organization": "100"}]},
            {"email": "off@example.test", "password": PASSWORD, "status": "disabled"}
        ]
    }))
    .await;
    let call = |method: Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, app.url(&format!("{BASE}{path}")))
            .header("api-key", KEY);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    let login = |email: &str, password: &str| {
        call(
            Method::POST,
            "/login_with_password",
            None,
            Some(json!({"email": email, "password": {"value": password}})),
        )
    };

    let ok = login("ann@example.test", PASSWORD).await.unwrap();
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    pin!(
        "weavr_login_ok",
        login("ann@example.test", PASSWORD).await.unwrap()
    );
    pin!(
        "weavr_login_wrong_password",
        login("ann@example.test", "wrong").await.unwrap()
    );
    pin!(
        "weavr_login_unknown_user",
        login("nobody@example.test", "wrong").await.unwrap()
    );
    pin!(
        "weavr_login_expired_password",
        login("exp@example.test", PASSWORD).await.unwrap()
    );
    pin!(
        "weavr_login_disabled",
        login("off@example.test", PASSWORD).await.unwrap()
    );
    pin!(
        "weavr_login_missing_fields",
        call(Method::POST, "/login_with_password", None, Some(json!({})))
            .await
            .unwrap()
    );
    let no_key = app
        .client
        .post(app.url(&format!("{BASE}/login_with_password")))
        .json(&json!({"email": "ann@example.test", "password": {"value": PASSWORD}}))
        .send()
        .await
        .unwrap();
    pin!("weavr_no_api_key", no_key);

    pin!(
        "weavr_identities",
        call(Method::GET, "/identities", Some(&token), None)
            .await
            .unwrap()
    );
    pin!(
        "weavr_identities_no_token",
        call(Method::GET, "/identities", None, None).await.unwrap()
    );
    let identity = |id: &str, kind: &str| json!({"identity": {"type": kind, "id": id}});
    pin!(
        "weavr_access_token",
        call(
            Method::POST,
            "/access_token",
            Some(&token),
            Some(identity("100", "CORPORATE"))
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_access_token_foreign",
        call(
            Method::POST,
            "/access_token",
            Some(&token),
            Some(identity("300", "CORPORATE"))
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_access_token_malformed",
        call(
            Method::POST,
            "/access_token",
            Some(&token),
            Some(identity("abc", "CORPORATE"))
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_factors",
        call(Method::GET, "/authentication_factors", Some(&token), None)
            .await
            .unwrap()
    );
    pin!(
        "weavr_enrol_sms",
        call(
            Method::POST,
            "/authentication_factors/otp/SMS",
            Some(&token),
            None
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_enrol_sms_verify",
        call(
            Method::POST,
            "/authentication_factors/otp/SMS/verify",
            Some(&token),
            Some(json!({"verificationCode": "123456"}))
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_stepup_start",
        call(
            Method::POST,
            "/stepup/challenges/otp/SMS",
            Some(&token),
            None
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_stepup_wrong_code",
        call(
            Method::POST,
            "/stepup/challenges/otp/SMS/verify",
            Some(&token),
            Some(json!({"verificationCode": "000000"}))
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_stepup_unsupported_channel",
        call(
            Method::POST,
            "/stepup/challenges/otp/EMAIL",
            Some(&token),
            None
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_password_update_missing",
        call(
            Method::POST,
            "/passwords/update",
            Some(&token),
            Some(json!({}))
        )
        .await
        .unwrap()
    );
    pin!(
        "weavr_logout",
        call(Method::POST, "/logout", Some(&token), None)
            .await
            .unwrap()
    );
    pin!(
        "weavr_identities_after_logout",
        call(Method::GET, "/identities", Some(&token), None)
            .await
            .unwrap()
    );
    pin!(
        "weavr_unknown_path",
        call(Method::GET, "/nothing", None, None).await.unwrap()
    );
    for _ in 0..5 {
        login("ann@example.test", "wrong").await.unwrap();
    }
    pin!(
        "weavr_login_locked",
        login("ann@example.test", PASSWORD).await.unwrap()
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    pin!(
        "weavr_maintenance",
        login("ann@example.test", PASSWORD).await.unwrap()
    );
}
