//! The Weavr Multi face against its contract (`../shared/contracts/weavr.md`): exact bodies and
//! headers, the `api-key` gate, `request-ref`, every `errorCode`, restricted tokens, lockout,
//! rate limits, the 5-minute idle rule, SMS and push step-up, factors.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::mfa::Device;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    login_answers_token_identity_and_credentials,
    the_api_key_gate_answers_401_without_a_body,
    malformed_logins_name_their_fields,
    refused_logins_say_nothing_about_the_account,
    five_failures_lock_for_thirty_minutes,
    rate_limited_logins_carry_the_limit_headers,
    expired_password_token_works_only_on_password_update,
    password_update_error_codes,
    identities_access_tokens_and_logout,
    six_idle_minutes_end_the_token,
    sms_factor_enrolment_and_step_up,
    step_up_codes_expire_and_run_out,
    push_factors_need_a_step_up,
    maintenance_and_unknown_paths_in_the_face_shape,
);

const BASE: &str = "/weavr/multi";
const KEY: &str = "weavr-test-key";
const PASSWORD: &str = "correct horse battery";
const APP: &str = "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c01";

/// An application with an API key (and the given session override), a corporate identity owned
/// by user 1001 and a consumer identity where it is a plain user.
async fn provision(app: &TestApp, session: Value, user: Value) {
    let mut user_entry = json!({
        "id": "1001", "email": "ann@example.test", "password": PASSWORD,
        "phone": "+447700900123",
        "memberships": [
            {"organization": "100", "role": "owner"},
            {"organization": "200", "role": "member"}
        ]
    });
    if let (Some(entry), Value::Object(extra)) = (user_entry.as_object_mut(), user) {
        entry.extend(extra);
    }
    app.import(json!({
        "organizations": [
            {"id": "100", "name": "Acme", "kind": "corporate"},
            {"id": "200", "name": "Ann", "kind": "consumer"}
        ],
        "applications": [{"id": APP, "name": "weavr", "api_keys": [KEY], "session": session}],
        "users": [user_entry]
    }))
    .await;
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
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
    request.send().await.unwrap()
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    call(app, Method::POST, path, token, Some(body)).await
}

async fn get(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    call(app, Method::GET, path, Some(token), None).await
}

async fn login(app: &TestApp, password: &str) -> reqwest::Response {
    post(
        app,
        "/login_with_password",
        None,
        json!({"email": "ann@example.test", "password": {"value": password}}),
    )
    .await
}

async fn auth_token(app: &TestApp) -> String {
    let response = login(app, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// Status, and the body (empty string when there is none).
async fn answer(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn error_code(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["errorCode"].clone())
}

fn syntax(fields: Value) -> Value {
    json!({"message": "Bad Request", "syntaxErrors": {"invalidFields": fields}})
}

async fn login_answers_token_identity_and_credentials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    let response = login(&app, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers.contains_key("request-ref"));
    assert_eq!(headers["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        body,
        json!({
            "token": token,
            "tokenType": "AUTH",
            "identity": {"type": "CORPORATE", "id": "100"},
            "credentials": {"type": "ROOT", "id": "1001"}
        })
    );
    // Each response has its own request-ref.
    let again = login(&app, PASSWORD).await;
    assert_ne!(again.headers()["request-ref"], headers["request-ref"]);
}

async fn the_api_key_gate_answers_401_without_a_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    let body = json!({"email": "ann@example.test", "password": {"value": PASSWORD}});
    let url = app.url(&format!("{BASE}/login_with_password"));
    for key in [None, Some("wrong-key")] {
        let mut request = app.client.post(&url).json(&body);
        if let Some(key) = key {
            request = request.header("api-key", key);
        }
        let response = request.send().await.unwrap();
        assert!(response.headers().contains_key("request-ref"));
        assert_eq!(answer(response).await, (401, String::new()), "{key:?}");
    }
    let token = auth_token(&app).await;
    let no_key = app
        .client
        .get(app.url(&format!("{BASE}/identities")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(no_key).await, (401, String::new()));
    // A removed key stops working once the 30-second key cache has run out.
    app.import(json!({"applications": [{"id": APP, "name": "weavr", "api_keys": []}]}))
        .await;
    assert_eq!(
        get(&app, "/identities", &token).await.status(),
        200,
        "cached"
    );
    app.advance(time::Duration::seconds(31));
    assert_eq!(
        answer(get(&app, "/identities", &token).await).await,
        (401, String::new())
    );
}

async fn malformed_logins_name_their_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    let cases = [
        (
            json!({}),
            json!([
                {"params": [], "fieldName": "email", "error": "REQUIRED"},
                {"params": [], "fieldName": "password.value", "error": "REQUIRED"}
            ]),
        ),
        (
            json!({"email": "not-an-email", "password": {"value": PASSWORD}}),
            json!([{"params": ["^[^@\\s]+@[^@\\s]+$"], "fieldName": "email", "error": "REGEX"}]),
        ),
        (
            json!({"email": "ann@example.test", "password": {"value": "x".repeat(101)}}),
            json!([{"params": ["0", "100"], "fieldName": "password.value", "error": "SIZE"}]),
        ),
    ];
    for (body, fields) in cases {
        let response = post(&app, "/login_with_password", None, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let got: Value = response.json().await.unwrap();
        assert_eq!(got, syntax(fields), "{body}");
    }
    let not_json = app
        .client
        .post(app.url(&format!("{BASE}/login_with_password")))
        .header("api-key", KEY)
        .header("content-type", "text/plain")
        .body("email=ann")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let got: Value = not_json.json().await.unwrap();
    assert_eq!(
        got,
        syntax(json!([{"params": [], "fieldName": "body", "error": "REQUIRED"}]))
    );
    let huge = post(
        &app,
        "/login_with_password",
        None,
        json!({"email": "ann@example.test", "password": {"value": "x".repeat(100_000)}}),
    )
    .await;
    assert!(huge.headers().contains_key("request-ref"));
    assert_eq!(answer(huge).await, (413, String::new()));
}

async fn refused_logins_say_nothing_about_the_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({"status": "disabled"})).await;
    app.import(json!({"users": [
        {"email": "pending@example.test", "password": PASSWORD, "status": "pending_activation"}
    ]}))
    .await;
    let wrong = login(&app, "not the password").await;
    assert_eq!(answer(wrong).await, (403, String::new()));
    let disabled = login(&app, PASSWORD).await;
    assert_eq!(answer(disabled).await, (403, String::new()));
    let pending = post(
        &app,
        "/login_with_password",
        None,
        json!({"email": "pending@example.test", "password": {"value": PASSWORD}}),
    )
    .await;
    assert_eq!(answer(pending).await, (403, String::new()));
    let unknown = post(
        &app,
        "/login_with_password",
        None,
        json!({"email": "nobody@example.test", "password": {"value": PASSWORD}}),
    )
    .await;
    assert_eq!(answer(unknown).await, (403, String::new()));
}

async fn five_failures_lock_for_thirty_minutes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    for attempt in 1..=5 {
        let failed = login(&app, "not the password").await;
        assert_eq!(failed.status(), 403, "attempt {attempt}");
    }
    let locked = login(&app, PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(answer(locked).await, (423, String::new()));
    app.advance(time::Duration::minutes(29));
    assert_eq!(login(&app, PASSWORD).await.status(), 423);
    app.advance(time::Duration::minutes(1));
    assert_eq!(login(&app, PASSWORD).await.status(), 200, "the lock heals");
}

async fn rate_limited_logins_carry_the_limit_headers(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_identifier = doorward::config::Rate {
            burst: 2,
            per: std::time::Duration::from_secs(60),
        };
    })
    .await;
    provision(&app, json!({}), json!({})).await;
    // Guesses spend the identifier's allowance; right passwords give their token back.
    login(&app, PASSWORD).await;
    login(&app, "wrong password").await;
    login(&app, "wrong password").await;
    let limited = login(&app, PASSWORD).await;
    let headers = limited.headers().clone();
    assert_eq!(answer(limited).await, (429, String::new()));
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-reset"], "30");
    assert_eq!(headers["retry-after"], "30");
    assert!(headers.contains_key("request-ref"));
}

async fn expired_password_token_works_only_on_password_update(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({"password_state": "expired"})).await;
    let response = login(&app, PASSWORD).await;
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    let restricted = body["token"].as_str().unwrap();
    assert_eq!(body, json!({"token": restricted}));

    assert_eq!(
        answer(get(&app, "/identities", restricted).await).await,
        (403, String::new())
    );
    let updated = post(
        &app,
        "/passwords/update",
        Some(restricted),
        json!({"oldPassword": {"value": PASSWORD}, "newPassword": {"value": "a fresh passphrase"}}),
    )
    .await;
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    let token = updated["token"].as_str().unwrap();
    assert_eq!(
        updated,
        json!({
            "passwordInfo": {"identityId": {"type": "CORPORATE", "id": "100"}, "expiryDate": 0},
            "token": token
        })
    );
    assert_eq!(get(&app, "/identities", token).await.status(), 200);
    assert_eq!(
        answer(get(&app, "/identities", restricted).await).await,
        (401, String::new()),
        "the restricted token stopped working"
    );
}

async fn password_update_error_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    let token = auth_token(&app).await;
    let update = |old: &str, new: &str| json!({"oldPassword": {"value": old}, "newPassword": {"value": new}});
    for (old, new, code) in [
        (
            "wrong old password",
            "a fresh passphrase",
            "PASSWORD_INCORRECT",
        ),
        (PASSWORD, PASSWORD, "PASSWORD_ALREADY_USED"),
        (PASSWORD, "short", "PASSWORD_TOO_SHORT"),
        (PASSWORD, &"long".repeat(40), "PASSWORD_TOO_LONG"),
        (PASSWORD, "password1", "PASSWORD_TOO_SIMPLE"),
    ] {
        let response = post(&app, "/passwords/update", Some(&token), update(old, new)).await;
        assert_eq!(error_code(response).await, (409, json!(code)), "{new}");
    }
    let missing = post(&app, "/passwords/update", Some(&token), json!({})).await;
    assert_eq!(missing.status(), 400);
}

async fn identities_access_tokens_and_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    app.import(json!({"organizations": [{"id": "300", "name": "Other", "kind": "corporate"}]}))
        .await;
    let token = auth_token(&app).await;
    let identities: Value = get(&app, "/identities", &token).await.json().await.unwrap();
    assert_eq!(
        identities,
        json!([
            {"id": {"type": "CORPORATE", "id": "100"}, "name": "Acme"},
            {"id": {"type": "CONSUMER", "id": "200"}, "name": "Ann"}
        ])
    );

    let issued = post(
        &app,
        "/access_token",
        Some(&token),
        json!({"identity": {"type": "CONSUMER", "id": "200"}}),
    )
    .await;
    assert_eq!(issued.status(), 200);
    let issued: Value = issued.json().await.unwrap();
    let access = issued["token"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT");
    assert_eq!(
        issued,
        json!({
            "token": access,
            "identity": {"type": "CONSUMER", "id": "200"},
            "credentials": {"type": "USER", "id": "1001"}
        })
    );
    assert_eq!(
        get(&app, "/identities", access).await.status(),
        200,
        "an ACCESS token is accepted wherever an AUTH token is"
    );
    let foreign = post(
        &app,
        "/access_token",
        Some(&token),
        json!({"identity": {"type": "CORPORATE", "id": "300"}}),
    )
    .await;
    assert_eq!(answer(foreign).await, (403, String::new()));
    let bad = post(
        &app,
        "/access_token",
        Some("not-a-token"),
        json!({"identity": {"type": "CORPORATE", "id": "100"}}),
    )
    .await;
    assert_eq!(answer(bad).await, (401, String::new()));
    let malformed = post(
        &app,
        "/access_token",
        Some(&token),
        json!({"identity": {"type": "CORPORATE", "id": "abc"}}),
    )
    .await;
    assert_eq!(malformed.status(), 400);

    let out = call(&app, Method::POST, "/logout", Some(&token), None).await;
    assert_eq!(answer(out).await, (204, String::new()));
    assert_eq!(get(&app, "/identities", &token).await.status(), 401);
    assert_eq!(get(&app, "/identities", access).await.status(), 401);
}

async fn six_idle_minutes_end_the_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({"idle": "5m"}), json!({})).await;
    let token = auth_token(&app).await;
    app.advance(time::Duration::minutes(4));
    assert_eq!(get(&app, "/identities", &token).await.status(), 200);
    app.advance(time::Duration::minutes(4));
    assert_eq!(
        get(&app, "/identities", &token).await.status(),
        200,
        "activity slides the window"
    );
    app.advance(time::Duration::minutes(6));
    assert_eq!(
        answer(get(&app, "/identities", &token).await).await,
        (401, String::new())
    );
}

async fn sms_factor_enrolment_and_step_up(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    provision(&app, json!({}), json!({})).await;
    app.import(json!({"users": [{"email": "nophone@example.test", "password": PASSWORD}]}))
        .await;
    let token = auth_token(&app).await;
    let empty = call(
        &app,
        Method::POST,
        "/stepup/challenges/otp/SMS",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        error_code(empty).await,
        (409, json!("CHANNEL_NOT_REGISTERED"))
    );
    let email = call(
        &app,
        Method::POST,
        "/stepup/challenges/otp/EMAIL",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        error_code(email).await,
        (409, json!("CHANNEL_NOT_SUPPORTED"))
    );

    let enrol = || {
        call(
            &app,
            Method::POST,
            "/authentication_factors/otp/SMS",
            Some(&token),
            None,
        )
    };
    assert_eq!(answer(enrol().await).await, (204, String::new()));
    let listed: Value = get(&app, "/authentication_factors", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed,
        json!({"factors": [{"type": "OTP", "status": "PENDING_VERIFICATION", "channel": "SMS"}]})
    );
    let verify = |code: &str| {
        post(
            &app,
            "/authentication_factors/otp/SMS/verify",
            Some(&token),
            json!({"verificationCode": code}),
        )
    };
    assert_eq!(
        error_code(verify("654321").await).await,
        (409, json!("VERIFICATION_CODE_INVALID"))
    );
    assert_eq!(answer(verify("123456").await).await, (204, String::new()));
    let listed: Value = get(&app, "/authentication_factors", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["factors"][0]["status"], "ACTIVE");
    assert_eq!(
        error_code(enrol().await).await,
        (409, json!("CHANNEL_ALREADY_REGISTERED"))
    );
    assert_eq!(
        error_code(verify("123456").await).await,
        (409, json!("CHANNEL_ALREADY_REGISTERED"))
    );

    // Step-up raises the session; an access token issued after it says so.
    let started = call(
        &app,
        Method::POST,
        "/stepup/challenges/otp/SMS",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(answer(started).await, (204, String::new()));
    let kept = app.instance.engine.outbox().await.unwrap();
    assert!(kept.iter().all(|m| m.recipient == "+447700900123"));
    let stepped = post(
        &app,
        "/stepup/challenges/otp/SMS/verify",
        Some(&token),
        json!({"verificationCode": "123456"}),
    )
    .await;
    assert_eq!(answer(stepped).await, (204, String::new()));
    let issued: Value = post(
        &app,
        "/access_token",
        Some(&token),
        json!({"identity": {"type": "CORPORATE", "id": "100"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let claims = issued["token"].as_str().unwrap().split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aal"], "aal2");
    let reused = post(
        &app,
        "/stepup/challenges/otp/SMS/verify",
        Some(&token),
        json!({"verificationCode": "123456"}),
    )
    .await;
    assert_eq!(error_code(reused).await, (409, json!("STATE_INVALID")));

    let nophone = post(
        &app,
        "/login_with_password",
        None,
        json!({"email": "nophone@example.test", "password": {"value": PASSWORD}}),
    )
    .await;
    let nophone: Value = nophone.json().await.unwrap();
    let missing = call(
        &app,
        Method::POST,
        "/authentication_factors/otp/SMS",
        nophone["token"].as_str(),
        None,
    )
    .await;
    assert_eq!(
        error_code(missing).await,
        (409, json!("MOBILE_NUMBER_NOT_AVAILABLE"))
    );
}

/// A sandbox app whose user has an active SMS factor and a long idle timeout, signed in.
async fn signed_in_with_sms_factor(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    provision(
        &app,
        json!({"idle": "1h"}),
        json!({"factors": [{"type": "sms", "phone": "+447700900123"}]}),
    )
    .await;
    let token = auth_token(&app).await;
    (app, token)
}

async fn step_up_codes_expire_and_run_out(backend: Backend) {
    let (app, token) = signed_in_with_sms_factor(backend).await;
    let start = || {
        call(
            &app,
            Method::POST,
            "/stepup/challenges/otp/SMS",
            Some(&token),
            None,
        )
    };
    let verify = |code: &str| {
        post(
            &app,
            "/stepup/challenges/otp/SMS/verify",
            Some(&token),
            json!({"verificationCode": code}),
        )
    };
    let none = verify("123456").await;
    assert_eq!(
        error_code(none).await,
        (409, json!("STATE_INVALID")),
        "nothing pending"
    );

    assert_eq!(start().await.status(), 204);
    app.advance(time::Duration::minutes(5));
    assert_eq!(
        error_code(verify("123456").await).await,
        (409, json!("VERIFICATION_CODE_EXPIRED"))
    );

    assert_eq!(start().await.status(), 204);
    for _ in 0..5 {
        assert_eq!(
            error_code(verify("000000").await).await,
            (409, json!("VERIFICATION_CODE_INVALID"))
        );
    }
    assert_eq!(
        error_code(verify("123456").await).await,
        (409, json!("STATE_INVALID")),
        "five wrong codes spent it"
    );
    let malformed = verify("12").await;
    assert_eq!(malformed.status(), 400);
}

async fn push_factors_need_a_step_up(backend: Backend) {
    let (app, token) = signed_in_with_sms_factor(backend).await;
    let push = || {
        call(
            &app,
            Method::POST,
            "/stepup/challenges/push/BIOMETRIC",
            Some(&token),
            None,
        )
    };
    assert_eq!(
        error_code(push().await).await,
        (409, json!("CHANNEL_NOT_REGISTERED"))
    );
    let device = Device::new();
    let enrol = || {
        post(
            &app,
            "/authentication_factors/push/BIOMETRIC",
            Some(&token),
            json!({"publicKey": device.public_key(), "name": "phone"}),
        )
    };
    let refused = enrol().await;
    assert_eq!(error_code(refused).await, (403, json!("STEP_UP_REQUIRED")));

    call(
        &app,
        Method::POST,
        "/stepup/challenges/otp/SMS",
        Some(&token),
        None,
    )
    .await;
    post(
        &app,
        "/stepup/challenges/otp/SMS/verify",
        Some(&token),
        json!({"verificationCode": "123456"}),
    )
    .await;
    assert_eq!(answer(enrol().await).await, (204, String::new()));
    let listed: Value = get(&app, "/authentication_factors", &token)
        .await
        .json()
        .await
        .unwrap();
    let factors = listed["factors"].as_array().unwrap();
    assert_eq!(factors.len(), 2);
    assert!(
        factors.contains(&json!({"type": "PUSH", "status": "ACTIVE", "channel": "BIOMETRIC"})),
        "{listed}"
    );

    let started = push().await;
    assert_eq!(started.status(), 200);
    let started: Value = started.json().await.unwrap();
    let id = started["id"].as_str().unwrap();
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
    assert_eq!(started, json!({"id": id}));
    assert_eq!(
        error_code(push().await).await,
        (409, json!("STATE_INVALID")),
        "one push in flight"
    );
    let authy = call(
        &app,
        Method::POST,
        "/stepup/challenges/push/SMS",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        error_code(authy).await,
        (409, json!("CHANNEL_NOT_SUPPORTED"))
    );

    app.advance(time::Duration::minutes(16));
    let remove = || {
        call(
            &app,
            Method::DELETE,
            "/authentication_factors/push/BIOMETRIC",
            Some(&token),
            None,
        )
    };
    assert_eq!(
        error_code(remove().await).await,
        (403, json!("STEP_UP_REQUIRED"))
    );
}

async fn maintenance_and_unknown_paths_in_the_face_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app, json!({}), json!({})).await;
    let unknown = post(&app, "/no_such_endpoint", None, json!({})).await;
    assert!(unknown.headers().contains_key("request-ref"));
    assert_eq!(answer(unknown).await, (404, String::new()));
    let method = call(&app, Method::GET, "/login_with_password", None, None).await;
    assert_eq!(answer(method).await, (405, String::new()));

    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    let down = login(&app, PASSWORD).await;
    let headers = down.headers().clone();
    assert_eq!(answer(down).await, (503, String::new()));
    assert_eq!(headers["retry-after"], "120");
    assert!(headers.contains_key("request-ref"));
}
