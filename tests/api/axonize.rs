//! The Axonize face against its contract (`../shared/contracts/axonize.md`): the application by
//! `appId` or `url` (longest prefix), exact bodies, the 403 MFA answer with the binding code
//! through the real SMS webhook or SMTP (the outbox in sandbox), verify, resend and its cap,
//! validateToken, case-insensitive paths and keys.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::peers::{
    next, next_post, six_digits, smtp_config, smtp_listener, webhook_config, webhook_receiver,
};
use serde_json::{Value, json};

both_backends!(
    the_application_comes_from_app_id_or_the_longest_url_prefix,
    application_selection_errors,
    refused_sign_ins_answer_401_with_the_error_body,
    paths_and_keys_are_case_insensitive,
    mfa_binding_code_by_sms_through_the_webhook,
    mfa_binding_code_by_email_over_smtp,
    sandbox_binding_codes_are_kept_in_the_outbox,
    five_wrong_binding_codes_end_it,
    resend_replaces_the_code_and_is_capped,
    validate_token_before_and_after,
    maintenance_and_unknown_paths_in_the_face_shape,
);

const PASSWORD: &str = "correct horse battery";
const MAIN: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const SUB: &str = "a1a1a1a1-0000-4000-8000-000000000002";
const STRICT: &str = "a1a1a1a1-0000-4000-8000-000000000003";
const BOUND: &str = "a1a1a1a1-0000-4000-8000-000000000004";
const PHONE: &str = "+447700900123";

async fn provision(app: &TestApp, phone: Option<&str>) {
    app.import(json!({
        "organizations": [{"id": "500", "name": "Closed"}],
        "applications": [
            {"id": MAIN, "name": "main", "hostnames": ["demo.example.test"]},
            {"id": SUB, "name": "sub", "hostnames": ["demo.example.test/sub"]},
            {"id": STRICT, "name": "strict", "hostnames": ["secure.example.test"], "mfa": "required"},
            {"id": BOUND, "name": "bound", "organization": "500"}
        ],
        "users": [{"email": "ann@example.test", "name": "Ann Example", "password": PASSWORD,
                   "phone": phone}]
    }))
    .await;
}

async fn login(app: &TestApp, app_id: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/axonize/api/auth/login"))
        .json(&body);
    if let Some(id) = app_id {
        request = request.header("appId", id);
    }
    request.send().await.unwrap()
}

fn credentials() -> Value {
    json!({"email": "ann@example.test", "password": PASSWORD})
}

async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/axonize/api/auth/{path}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn validate(app: &TestApp, token: &str, app_id: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(app.url("/axonize/api/auth/validateToken"))
        .header("authorization", format!("bearer {token}"));
    if let Some(id) = app_id {
        request = request.header("appId", id);
    }
    request.send().await.unwrap()
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn error(message: &str) -> Value {
    json!({"error": {"message": message}})
}

async fn token_of(response: reqwest::Response) -> String {
    let (status, body) = answer(response).await;
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn the_application_comes_from_app_id_or_the_longest_url_prefix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, None).await;

    let (status, body) = answer(login(&app, Some(MAIN), credentials()).await).await;
    assert_eq!(status, 200);
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        body,
        json!({"name": "Ann Example", "token": token, "redirectUrl": null})
    );
    assert_eq!(validate(&app, token, Some(MAIN)).await.status(), 200);

    let by_url = |url: &str| {
        let mut body = credentials();
        body["url"] = json!(url);
        body
    };
    for (url, expected) in [
        ("demo.example.test", MAIN),
        ("https://demo.example.test/home", MAIN),
        ("demo.example.test/sub", SUB),
        ("https://demo.example.test/sub/page", SUB),
        ("demo.example.test/subway", MAIN),
    ] {
        let token = token_of(login(&app, None, by_url(url)).await).await;
        assert_eq!(
            validate(&app, &token, Some(expected)).await.status(),
            200,
            "{url}"
        );
        let other = if expected == MAIN { SUB } else { MAIN };
        assert_eq!(
            validate(&app, &token, Some(other)).await.status(),
            401,
            "{url}"
        );
    }
}

async fn application_selection_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, None).await;
    let mut with_url = credentials();
    with_url["url"] = json!("demo.example.test/sub");

    assert_eq!(
        answer(login(&app, None, credentials()).await).await,
        (400, error("The appId header or the url is required."))
    );
    assert_eq!(
        answer(login(&app, Some(MAIN), with_url.clone()).await).await,
        (
            400,
            error("The appId and the url name different applications.")
        )
    );
    assert_eq!(
        login(&app, Some(SUB), with_url).await.status(),
        200,
        "both, agreeing"
    );
    assert_eq!(
        answer(
            login(
                &app,
                Some("a1a1a1a1-0000-4000-8000-00000000dead"),
                credentials()
            )
            .await
        )
        .await,
        (400, error("Application not found."))
    );
    let mut unknown_url = credentials();
    unknown_url["url"] = json!("elsewhere.example.test");
    assert_eq!(
        answer(login(&app, None, unknown_url).await).await,
        (400, error("Application not found."))
    );
    assert_eq!(
        answer(login(&app, Some(BOUND), credentials()).await).await,
        (401, error("Invalid email or password.")),
        "an application that does not admit the user"
    );
}

async fn refused_sign_ins_answer_401_with_the_error_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, None).await;
    app.import(json!({"users": [
        {"email": "off@example.test", "password": PASSWORD, "status": "disabled"}
    ]}))
    .await;
    let refused = (401, error("Invalid email or password."));
    for body in [
        json!({"email": "ann@example.test", "password": "not the password"}),
        json!({"email": "nobody@example.test", "password": PASSWORD}),
        json!({"email": "off@example.test", "password": PASSWORD}),
    ] {
        assert_eq!(
            answer(login(&app, Some(MAIN), body.clone()).await).await,
            refused,
            "{body}"
        );
    }
    assert_eq!(
        answer(login(&app, Some(MAIN), json!({"email": "ann@example.test"})).await).await,
        (400, error("Email and password are required."))
    );
    let not_json = app
        .client
        .post(app.url("/axonize/api/auth/login"))
        .header("appId", MAIN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(not_json).await,
        (400, error("The request body must be a JSON object."))
    );
    let huge = login(
        &app,
        Some(MAIN),
        json!({"email": "x".repeat(100_000), "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        answer(huge).await,
        (413, error("The request body is too large."))
    );

    for _ in 0..4 {
        login(
            &app,
            Some(MAIN),
            json!({"email": "ann@example.test", "password": "wrong"}),
        )
        .await;
    }
    let locked = login(&app, Some(MAIN), credentials()).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(
        answer(locked).await,
        (
            401,
            error("The account is locked after too many failed sign-ins. Try again later.")
        )
    );
}

async fn paths_and_keys_are_case_insensitive(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, None).await;
    let response = app
        .client
        .post(app.url("/axonize/API/AUTH/LOGIN"))
        .header("APPID", MAIN)
        .json(&json!({"Email": "ann@example.test", "PASSWORD": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = token_of(response).await;
    let validated = app
        .client
        .get(app.url("/axonize/Api/Auth/ValidateToken"))
        .header("Authorization", format!("BEARER {token}"))
        .header("appid", MAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(validated.status(), 200);
}

/// Signs in to the MFA application; returns the 403 body.
async fn mfa_login(app: &TestApp) -> Value {
    let (status, body) = answer(login(app, Some(STRICT), credentials()).await).await;
    assert_eq!(status, 403, "{body}");
    body
}

async fn verify(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    post(
        app,
        "verifyMultifactorBindingCode",
        json!({"token": token, "authenticatorCode": "SMS", "bindingCode": code}),
    )
    .await
}

async fn mfa_binding_code_by_sms_through_the_webhook(backend: Backend) {
    let (url, mut sms) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.sms = Some(webhook_config(&url))).await;
    provision(&app, Some(PHONE)).await;

    let body = mfa_login(&app).await;
    let mfa = body["token"].as_str().unwrap();
    assert_eq!(
        body,
        json!({"token": mfa, "authenticatorCode": "SMS", "authenticator": "Doorward"})
    );
    let texted = next_post(&mut sms).await;
    assert_eq!(texted["to"], PHONE, "the phone on file");
    let code = six_digits(texted["text"].as_str().unwrap());
    assert_eq!(validate(&app, mfa, Some(STRICT)).await.status(), 401);

    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_eq!(
        answer(verify(&app, mfa, wrong).await).await,
        (401, error("Invalid binding code."))
    );
    let (status, done) = answer(verify(&app, mfa, &code).await).await;
    assert_eq!(status, 200);
    let token = done["token"].as_str().unwrap();
    assert_eq!(
        done,
        json!({"token": token, "authenticatorCode": "SMS", "authenticator": "Doorward"})
    );
    assert_eq!(validate(&app, token, Some(STRICT)).await.status(), 200);
    assert_eq!(
        verify(&app, mfa, &code).await.status(),
        401,
        "the MFA token stopped working"
    );
}

async fn mfa_binding_code_by_email_over_smtp(backend: Backend) {
    let (port, mut mail) = smtp_listener().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.smtp = Some(smtp_config(port))).await;
    provision(&app, None).await;
    let body = mfa_login(&app).await;
    assert_eq!(body["authenticatorCode"], "Email");
    let message = next(&mut mail).await;
    assert!(message.contains("To: ann@example.test"));
    let code = six_digits(&message[message.find("Your code is").unwrap()..]);
    let done = verify(&app, body["token"].as_str().unwrap(), &code).await;
    assert_eq!(done.status(), 200);
}

async fn sandbox_binding_codes_are_kept_in_the_outbox(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    provision(&app, Some(PHONE)).await;
    let body = mfa_login(&app).await;
    let kept = app.instance.engine.outbox().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].channel.as_str(), kept[0].recipient.as_str()),
        ("sms", PHONE)
    );
    assert!(kept[0].body.contains("123456"));
    let done = verify(&app, body["token"].as_str().unwrap(), "123456").await;
    assert_eq!(done.status(), 200);
}

async fn five_wrong_binding_codes_end_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    provision(&app, Some(PHONE)).await;
    let body = mfa_login(&app).await;
    let mfa = body["token"].as_str().unwrap();
    for _ in 0..5 {
        assert_eq!(
            answer(verify(&app, mfa, "999999").await).await,
            (401, error("Invalid binding code."))
        );
    }
    assert_eq!(
        answer(verify(&app, mfa, "123456").await).await,
        (401, error("Invalid or expired token."))
    );
    // An expired one is refused too.
    let again = mfa_login(&app).await;
    app.advance(time::Duration::minutes(5));
    assert_eq!(
        verify(&app, again["token"].as_str().unwrap(), "123456")
            .await
            .status(),
        401
    );
}

async fn resend_replaces_the_code_and_is_capped(backend: Backend) {
    let (url, mut sms) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.sms = Some(webhook_config(&url))).await;
    provision(&app, Some(PHONE)).await;
    let body = mfa_login(&app).await;
    let mfa = body["token"].as_str().unwrap();
    let first = six_digits(next_post(&mut sms).await["text"].as_str().unwrap());

    let resend = |authenticator: &'static str| {
        post(
            &app,
            "resendMultifactorBindingCode",
            json!({"token": mfa, "authenticator": authenticator}),
        )
    };
    let (status, resent) = answer(resend("Default").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        resent,
        json!({"token": mfa, "authenticator": "SMS", "email": null, "url": null})
    );
    let second = six_digits(next_post(&mut sms).await["text"].as_str().unwrap());
    assert_ne!(first, second);
    assert_eq!(verify(&app, mfa, &first).await.status(), 401, "replaced");

    for _ in 3..=5 {
        assert_eq!(resend("SMS").await.status(), 200);
        next_post(&mut sms).await;
    }
    let capped = resend("Default").await;
    assert!(capped.headers().contains_key("retry-after"));
    assert_eq!(answer(capped).await, (429, error("Too many requests.")));
    assert_eq!(
        resend("Email").await.status(),
        429,
        "switching channel does not reset the cap"
    );
    assert_eq!(
        resend("Carrier pigeon").await.status(),
        400,
        "an unknown authenticator"
    );
}

async fn validate_token_before_and_after(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, None).await;
    assert_eq!(
        answer(validate(&app, "not-a-token", Some(MAIN)).await).await,
        (401, error("Invalid or expired token."))
    );
    let token = token_of(login(&app, Some(MAIN), credentials()).await).await;
    let (status, body) = answer(validate(&app, &token, Some(MAIN)).await).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"valid": true, "name": "Ann Example", "expiresAt": "2026-03-01T09:05:00Z"})
    );
    let (status, without) = answer(validate(&app, &token, None).await).await;
    assert_eq!(
        (status, without),
        (200, body),
        "without appId the token is validated for the application it was issued for"
    );
    assert_eq!(
        answer(validate(&app, &token, Some(SUB)).await).await,
        (401, error("Invalid or expired token.")),
        "with appId the two must match"
    );
    let by_url = login(
        &app,
        None,
        json!({"email": "ann@example.test", "password": PASSWORD,
               "url": "https://demo.example.test/sub/page"}),
    )
    .await;
    let by_url = token_of(by_url).await;
    assert_eq!(
        validate(&app, &by_url, None).await.status(),
        200,
        "a user who signed in by url has no appId to send"
    );
    app.advance(time::Duration::minutes(6));
    assert_eq!(validate(&app, &token, Some(MAIN)).await.status(), 401);
}

async fn maintenance_and_unknown_paths_in_the_face_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, None).await;
    assert_eq!(
        answer(post(&app, "nothing_here", json!({})).await).await,
        (404, error("Not found."))
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    let down = login(&app, Some(MAIN), credentials()).await;
    assert_eq!(down.headers()["retry-after"], "120");
    assert_eq!(
        answer(down).await,
        (
            503,
            error("The service is under maintenance. Try again later.")
        )
    );
}
