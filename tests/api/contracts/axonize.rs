//! The Axonize face's answers, pinned row by row of its contract.

use crate::helpers::{Backend, TestApp};
use crate::{both_backends, pin};
use serde_json::{Value, json};

both_backends!(axonize_contract);

const PASSWORD: &str = "correct horse battery";
const MAIN: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const STRICT: &str = "a1a1a1a1-0000-4000-8000-000000000003";

async fn axonize_contract(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox = true;
        c.rate_limits.login_per_address.burst = 1_000;
    })
    .await;
    app.import(json!({
        "applications": [
            {"id": MAIN, "name": "main", "hostnames": ["demo.example.test"]},
            {"id": STRICT, "name": "strict", "hostnames": ["secure.example.test"], "mfa": "required"}
        ],
        "users": [{"email": "ann@example.test", "name": "Ann Example", "password": PASSWORD,
                   "phone": "+447700900123"}]
    }))
    .await;
    let post = |path: &str, app_id: Option<&str>, body: Value| {
        let mut request = app
            .client
            .post(app.url(&format!("/axonize/api/auth/{path}")))
            .json(&body);
        if let Some(id) = app_id {
            request = request.header("appId", id);
        }
        request.send()
    };
    let credentials = |password: &str| json!({"email": "ann@example.test", "password": password});

    let ok = post("login", Some(MAIN), credentials(PASSWORD))
        .await
        .unwrap();
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    pin!(
        "axonize_login_ok",
        post("login", Some(MAIN), credentials(PASSWORD))
            .await
            .unwrap()
    );
    pin!(
        "axonize_login_by_url",
        post(
            "login",
            None,
            json!({"email": "ann@example.test", "password": PASSWORD,
                   "url": "https://demo.example.test/x"})
        )
        .await
        .unwrap()
    );
    let rows: [(&str, Option<&str>, Value); 6] = [
        (
            "axonize_login_wrong_password",
            Some(MAIN),
            credentials("wrong"),
        ),
        ("axonize_login_missing_fields", Some(MAIN), json!({})),
        ("axonize_login_no_application", None, credentials(PASSWORD)),
        (
            "axonize_login_unknown_application",
            Some("a1a1a1a1-0000-4000-8000-00000000ffff"),
            credentials(PASSWORD),
        ),
        (
            "axonize_login_unknown_url",
            None,
            json!({"email": "ann@example.test", "password": PASSWORD,
                   "url": "https://elsewhere.example.test/"}),
        ),
        ("axonize_login_mfa", Some(STRICT), credentials(PASSWORD)),
    ];
    for (name, app_id, body) in rows {
        pin!(name, post("login", app_id, body).await.unwrap());
    }
    let mfa = post("login", Some(STRICT), credentials(PASSWORD))
        .await
        .unwrap();
    let mfa_token = mfa.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let verify = |code: &str| {
        post(
            "verifyMultifactorBindingCode",
            None,
            json!({"token": mfa_token, "authenticatorCode": "SMS", "bindingCode": code}),
        )
    };
    pin!("axonize_verify_wrong", verify("000000").await.unwrap());
    pin!(
        "axonize_resend",
        post(
            "resendMultifactorBindingCode",
            None,
            json!({"token": mfa_token, "authenticator": "Default"})
        )
        .await
        .unwrap()
    );
    pin!("axonize_verify_ok", verify("123456").await.unwrap());

    let validate = |token: &str, app_id: Option<&str>| {
        let mut request = app
            .client
            .get(app.url("/axonize/api/auth/validateToken"))
            .header("authorization", format!("bearer {token}"));
        if let Some(id) = app_id {
            request = request.header("appId", id);
        }
        request.send()
    };
    pin!(
        "axonize_validate",
        validate(&token, Some(MAIN)).await.unwrap()
    );
    pin!(
        "axonize_validate_bad_token",
        validate("nope", Some(MAIN)).await.unwrap()
    );
    pin!(
        "axonize_unknown_path",
        app.client
            .get(app.url("/axonize/api/nothing"))
            .send()
            .await
            .unwrap()
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    pin!(
        "axonize_maintenance",
        post("login", Some(MAIN), credentials(PASSWORD))
            .await
            .unwrap()
    );
}
