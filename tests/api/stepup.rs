//! A user's factors and step-up: enrolment proven by a code (SMS, email, TOTP), push devices
//! enrolled after a step-up, removal gated by a step-up that expires, push step-up with number
//! matching and signatures.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use crate::mfa::Device;
use crate::peers::{next_post, six_digits, webhook_config, webhook_receiver};
use serde_json::{Value, json};

both_backends!(
    sms_factor_is_usable_only_once_its_code_proves_the_phone,
    totp_enrolment_is_proven_by_a_current_code,
    removing_a_factor_needs_a_step_up_that_expires,
    push_step_up_needs_the_right_number_and_signature,
    a_bad_device_signature_fails_the_challenge,
    totp_secrets_are_sealed_with_the_encryption_key,
    device_nonces_are_rate_limited_per_address,
);

const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "+447700900123";

async fn signed_in(app: &TestApp) -> String {
    app.user("ann@example.test", PASSWORD).await;
    app.token("ann@example.test", PASSWORD).await
}

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// Steps the session up with the account's email (sandbox code `123456`); returns the
/// challenge id.
async fn step_up_by_email(app: &TestApp, token: &str) -> String {
    let started = json_of(
        app.post_auth("/v1/stepup", token, json!({"factor": "email"}))
            .await,
    )
    .await;
    let id = started["challenge_id"].as_str().unwrap();
    let verified = app
        .post_auth(
            &format!("/v1/stepup/{id}/verify"),
            token,
            json!({"code": "123456"}),
        )
        .await;
    assert_eq!(verified.status(), 200);
    id.to_owned()
}

async fn sms_factor_is_usable_only_once_its_code_proves_the_phone(backend: Backend) {
    let (url, mut sms) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.sms = Some(webhook_config(&url))).await;
    let token = signed_in(&app).await;

    let bad = app
        .post_auth("/v1/factors/sms", &token, json!({"phone": "07700 900123"}))
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(code_of(bad).await, "validation_failed");

    let enrolled = app
        .post_auth("/v1/factors/sms", &token, json!({"phone": PHONE}))
        .await;
    assert_eq!(enrolled.status(), 201);
    let enrolled = json_of(enrolled).await;
    assert_eq!(enrolled["status"], "pending_verification");
    let id = enrolled["id"].as_str().unwrap();
    let texted = next_post(&mut sms).await;
    assert_eq!(texted["to"], PHONE);
    let code = six_digits(texted["text"].as_str().unwrap());

    // Not usable before it is proven: no sign-in or step-up code is texted to it.
    let early = app
        .post_auth("/v1/stepup", &token, json!({"factor": "sms"}))
        .await;
    assert_eq!(early.status(), 404);

    let wrong = app
        .post_auth(
            &format!("/v1/factors/{id}/verify"),
            &token,
            json!({"code": if code == "000000" { "000001" } else { "000000" }}),
        )
        .await;
    assert_eq!(code_of(wrong).await, "invalid_code");
    let proven = app
        .post_auth(
            &format!("/v1/factors/{id}/verify"),
            &token,
            json!({"code": code}),
        )
        .await;
    assert_eq!(proven.status(), 200);
    assert_eq!(json_of(proven).await["status"], "active");

    let listed = json_of(app.get_auth("/v1/factors", &token).await).await;
    assert_eq!(listed["factors"][0]["id"], id);
    assert_eq!(listed["factors"][0]["status"], "active");

    let step = app
        .post_auth("/v1/stepup", &token, json!({"factor": "sms"}))
        .await;
    assert_eq!(step.status(), 201);
    let step = json_of(step).await;
    assert_eq!(step["factor_id"], id);
    let code = six_digits(next_post(&mut sms).await["text"].as_str().unwrap());
    let verified = app
        .post_auth(
            &format!(
                "/v1/stepup/{}/verify",
                step["challenge_id"].as_str().unwrap()
            ),
            &token,
            json!({"code": code}),
        )
        .await;
    assert_eq!(verified.status(), 200);
    assert_eq!(json_of(verified).await["assurance"], "aal2");
}

async fn totp_enrolment_is_proven_by_a_current_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = signed_in(&app).await;
    let enrolled = app.post_auth("/v1/factors/totp", &token, json!({})).await;
    assert_eq!(enrolled.status(), 201);
    let enrolled = json_of(enrolled).await;
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    let uri = enrolled["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/doorward:ann%40example.test?secret="),
        "{uri}"
    );
    assert!(uri.contains(&secret));
    let id = enrolled["id"].as_str().unwrap();

    let secret = secrecy::SecretString::from(secret);
    let step =
        doorward::crypto::otp::totp_step(doorward::clock::Clock::now(&app.clock).unix_timestamp());
    let stale = doorward::crypto::otp::totp_at(&secret, step - 3).unwrap();
    let current = doorward::crypto::otp::totp_at(&secret, step).unwrap();
    let path = format!("/v1/factors/{id}/verify");
    let wrong = app.post_auth(&path, &token, json!({"code": stale})).await;
    assert_eq!(code_of(wrong).await, "invalid_code");
    let right = app.post_auth(&path, &token, json!({"code": current})).await;
    assert_eq!(right.status(), 200);
    let listed = json_of(app.get_auth("/v1/factors", &token).await).await;
    assert_eq!(listed["factors"][0]["kind"], "totp");
    assert_eq!(listed["factors"][0]["status"], "active");
    assert!(
        listed["factors"][0].get("secret").is_none(),
        "the secret is shown once"
    );
}

/// Sandbox mode, and sessions that outlive a step-up when left idle.
fn sandbox_long_idle(c: &mut doorward::config::Config) {
    c.sandbox = true;
    c.session.idle = std::time::Duration::from_secs(3600);
}

async fn removing_a_factor_needs_a_step_up_that_expires(backend: Backend) {
    let app = TestApp::spawn_with(backend, sandbox_long_idle).await;
    let token = signed_in(&app).await;
    let enrolled = json_of(
        app.post_auth("/v1/factors/sms", &token, json!({"phone": PHONE}))
            .await,
    )
    .await;
    let id = enrolled["id"].as_str().unwrap();
    let path = format!("/v1/factors/{id}");
    let delete = || app.client.delete(app.url(&path)).bearer_auth(&token).send();

    let refused = delete().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(code_of(refused).await, "step_up_required");

    let challenge = step_up_by_email(&app, &token).await;
    let reused = app
        .post_auth(
            &format!("/v1/stepup/{challenge}/verify"),
            &token,
            json!({"code": "123456"}),
        )
        .await;
    assert_eq!(
        code_of(reused).await,
        "challenge_closed",
        "a code is single use"
    );
    let session = json_of(app.get_auth("/v1/session", &token).await).await;
    assert_eq!(session["session"]["assurance"], "aal2");
    assert_eq!(
        session["session"]["step_up_expires_at"],
        "2026-03-01T09:15:00Z"
    );

    app.advance(time::Duration::minutes(15));
    let expired = delete().await.unwrap();
    assert_eq!(
        code_of(expired).await,
        "step_up_required",
        "a step-up lasts 15 minutes"
    );

    step_up_by_email(&app, &token).await;
    assert_eq!(delete().await.unwrap().status(), 204);
    let listed = json_of(app.get_auth("/v1/factors", &token).await).await;
    assert_eq!(listed["factors"], json!([]));
    assert_eq!(delete().await.unwrap().status(), 404);

    let events = app.events().await;
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["factor_enrol:sms", "factor_remove:sms", "stepup"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

/// Enrols a push device after an email step-up; returns its factor id.
async fn enrol_device(app: &TestApp, token: &str, device: &Device) -> String {
    let early = app
        .post_auth(
            "/v1/factors/push",
            token,
            json!({"public_key": device.public_key(), "name": "Ann's phone"}),
        )
        .await;
    assert_eq!(code_of(early).await, "step_up_required");
    step_up_by_email(app, token).await;
    let enrolled = app
        .post_auth(
            "/v1/factors/push",
            token,
            json!({"public_key": device.public_key(), "name": "Ann's phone"}),
        )
        .await;
    assert_eq!(enrolled.status(), 201);
    let enrolled = json_of(enrolled).await;
    assert_eq!(enrolled["status"], "active");
    assert_eq!(enrolled["name"], "Ann's phone");
    enrolled["id"].as_str().unwrap().to_owned()
}

async fn push_step_up_needs_the_right_number_and_signature(backend: Backend) {
    let app = TestApp::spawn_with(backend, sandbox_long_idle).await;
    let token = signed_in(&app).await;
    let device = Device::new();
    let device_id = enrol_device(&app, &token, &device).await;
    app.advance(time::Duration::minutes(16));

    // The wrong number denies the challenge, and the session stays as it was.
    let first = start_push(&app, &token).await;
    let id = first["challenge_id"].as_str().unwrap().to_owned();
    let number = first["number"].as_u64().unwrap();
    let kept = app.instance.engine.outbox().await.unwrap();
    assert_eq!(
        kept[0].channel, "push",
        "the gateway notice is kept in sandbox"
    );
    let wrong = if number == 99 { 10 } else { number + 1 };
    let denied = json_of(device.answer(&app, &id, true, wrong).await).await;
    assert_eq!(denied["status"], "denied");
    assert_eq!(step_state(&app, &token, &id).await, "denied");
    assert_eq!(
        device.answer(&app, &id, true, number).await.status(),
        400,
        "a denied challenge takes no second answer"
    );
    let refused = app
        .post_auth(
            "/v1/factors/push",
            &token,
            json!({"public_key": Device::new().public_key()}),
        )
        .await;
    assert_eq!(code_of(refused).await, "step_up_required");

    // The right number, signed, steps the session up.
    let second = start_push(&app, &token).await;
    let id = second["challenge_id"].as_str().unwrap().to_owned();
    assert_eq!(step_state(&app, &token, &id).await, "pending");
    let listed = json_of(device.pending(&app, &device_id).await).await;
    assert_eq!(listed["challenges"].as_array().unwrap().len(), 1);
    assert_eq!(listed["challenges"][0]["purpose"], "stepup");
    let number = second["number"].as_u64().unwrap();
    let approved = json_of(device.answer(&app, &id, true, number).await).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(step_state(&app, &token, &id).await, "approved");
    let session = json_of(app.get_auth("/v1/session", &token).await).await;
    assert_eq!(session["session"]["stepped_up_at"], "2026-03-01T09:16:00Z");
    let enrolled = app
        .post_auth(
            "/v1/factors/push",
            &token,
            json!({"public_key": Device::new().public_key()}),
        )
        .await;
    assert_eq!(enrolled.status(), 201);

    // A push challenge runs out like any other.
    let third = start_push(&app, &token).await;
    app.advance(time::Duration::minutes(5));
    assert_eq!(
        step_state(&app, &token, third["challenge_id"].as_str().unwrap()).await,
        "expired"
    );
}

async fn start_push(app: &TestApp, token: &str) -> Value {
    let started = app
        .post_auth("/v1/stepup", token, json!({"factor": "push"}))
        .await;
    assert_eq!(started.status(), 201);
    json_of(started).await
}

async fn step_state(app: &TestApp, token: &str, id: &str) -> Value {
    json_of(app.get_auth(&format!("/v1/stepup/{id}"), token).await).await["status"].clone()
}

async fn a_bad_device_signature_fails_the_challenge(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    let token = signed_in(&app).await;
    let device = Device::new();
    let device_id = enrol_device(&app, &token, &device).await;
    let started = json_of(
        app.post_auth("/v1/stepup", &token, json!({"factor": device_id}))
            .await,
    )
    .await;
    let id = started["challenge_id"].as_str().unwrap();
    let number = started["number"].as_u64().unwrap();

    let impostor = Device::new();
    let forged = impostor.answer(&app, id, true, number).await;
    assert_eq!(forged.status(), 401);
    let state = json_of(app.get_auth(&format!("/v1/stepup/{id}"), &token).await).await;
    assert_eq!(state["status"], "denied");

    // Nor can an impostor list the device's challenges.
    let listed = impostor.pending(&app, &device_id).await;
    assert_eq!(listed.status(), 401);
    let unknown = app
        .post("/v1/devices/nonce", json!({"device_id": "no-such-device"}))
        .await;
    assert_eq!(unknown.status(), 404);
}

async fn totp_secrets_are_sealed_with_the_encryption_key(backend: Backend) {
    use base64::Engine as _;
    let kek = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let app = TestApp::spawn_with(backend, |c| {
        c.keys.encryption_key = doorward::crypto::keys::KeyEncryptionKey::from_base64(&kek);
    })
    .await;
    let token = signed_in(&app).await;
    let enrolled = json_of(app.post_auth("/v1/factors/totp", &token, json!({})).await).await;
    let secret = enrolled["secret"].as_str().unwrap().to_owned();
    let id = enrolled["id"].as_str().unwrap();

    let stored: (String,) = {
        use sqlx::Connection;
        let url = app.database_url();
        if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_as("SELECT secret FROM factors")
                .fetch_one(&mut db)
                .await
                .unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as("SELECT secret FROM factors")
                .fetch_one(&mut db)
                .await
                .unwrap()
        }
    };
    assert!(stored.0.starts_with("enc:"), "sealed at rest");
    assert!(!stored.0.contains(&secret));

    let step =
        doorward::crypto::otp::totp_step(doorward::clock::Clock::now(&app.clock).unix_timestamp());
    let code = doorward::crypto::otp::totp_at(&secrecy::SecretString::from(secret), step).unwrap();
    let verified = app
        .post_auth(
            &format!("/v1/factors/{id}/verify"),
            &token,
            json!({"code": code}),
        )
        .await;
    assert_eq!(
        verified.status(),
        200,
        "the sealed secret still checks codes"
    );
}

async fn device_nonces_are_rate_limited_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address = doorward::config::Rate {
            burst: 3,
            per: std::time::Duration::from_secs(60),
        };
    })
    .await;
    for _ in 0..3 {
        let unknown = app
            .post("/v1/devices/nonce", json!({"device_id": "no-such-device"}))
            .await;
        assert_eq!(unknown.status(), 404);
    }
    let limited = app
        .post("/v1/devices/nonce", json!({"device_id": "no-such-device"}))
        .await;
    assert_eq!(limited.status(), 429);
    assert_eq!(code_of(limited).await, "rate_limited");
}
