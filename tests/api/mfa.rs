//! The second factor of a sign-in: SMS through a real webhook, email over a real SMTP
//! conversation, the outbox and `123456` in sandbox mode, TOTP with its replay guard, push with
//! number matching; wrong, expired, reused and replayed codes; resend caps.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use crate::peers::{
    next, next_post, six_digits, smtp_config, smtp_listener, webhook_config, webhook_receiver,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use doorward::clock::Clock;
use doorward::crypto::otp;
use ed25519_dalek::{Signer, SigningKey};
use secrecy::SecretString;
use serde_json::{Value, json};

both_backends!(
    sms_code_from_the_webhook_finishes_the_sign_in,
    email_code_over_smtp_for_a_user_without_factors,
    sandbox_codes_are_fixed_and_kept_in_the_outbox,
    a_pending_mfa_token_opens_nothing_else,
    five_wrong_codes_end_the_sign_in,
    expired_and_reused_codes_are_refused,
    resend_replaces_the_code_and_is_capped,
    one_totp_code_signs_in_once_even_in_parallel,
    push_sign_in_is_collected_once_after_approval,
    mfa_is_due_when_the_application_requires_it,
    users_switch_their_own_mfa_and_off_needs_a_step_up,
);

const PASSWORD: &str = "correct horse battery";
const PHONE: &str = "+447700900123";
const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// Imports a user whose own MFA switch is on, with the given factors.
async fn mfa_user(app: &TestApp, factors: Value) {
    app.import(json!({"users": [{
        "email": "ann@example.test", "password": PASSWORD, "mfa": true, "factors": factors
    }]}))
    .await;
}

/// Signs in with the password; returns the 403 body (with `mfa_token` and `challenge`).
async fn password_step(app: &TestApp) -> Value {
    let response = app.login("ann@example.test", PASSWORD).await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "mfa_required");
    body
}

async fn finish(app: &TestApp, mfa_token: &str, code: &str) -> reqwest::Response {
    app.post(
        "/v1/login/mfa",
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
}

/// The TOTP code of the test secret at the app's current time, `offset` steps away.
fn totp_now(app: &TestApp, offset: i64) -> String {
    let secret = SecretString::from(TOTP_SECRET.to_owned());
    let step = otp::totp_step(app.clock.now().unix_timestamp()) + offset;
    otp::totp_at(&secret, step).unwrap()
}

async fn sms_code_from_the_webhook_finishes_the_sign_in(backend: Backend) {
    let (url, mut sms) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.sms = Some(webhook_config(&url))).await;
    mfa_user(&app, json!([{"type": "sms", "phone": PHONE}])).await;

    let body = password_step(&app).await;
    assert_eq!(body["token_type"], "mfa_pending");
    assert_eq!(body["challenge"]["kind"], "sms");
    assert_eq!(body["challenge"]["destination"], "+44••••••••23");
    assert_eq!(body["factors"][0]["kind"], "sms");
    let texted = next_post(&mut sms).await;
    assert_eq!(texted["to"], PHONE);
    let code = six_digits(texted["text"].as_str().unwrap());
    assert!(app.instance.engine.outbox().await.unwrap().is_empty());

    let mfa_token = body["mfa_token"].as_str().unwrap();
    let done = finish(&app, mfa_token, &code).await;
    assert_eq!(done.status(), 200);
    let done: Value = done.json().await.unwrap();
    assert_eq!(done["assurance"], "aal2");
    assert_eq!(done["token_type"], "auth");
    let token = done["token"].as_str().unwrap();
    let session: Value = app
        .get_auth("/v1/session", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session["session"]["assurance"], "aal2");
    assert_eq!(
        session["session"]["stepped_up_at"], "2026-03-01T09:00:00Z",
        "the second factor of a sign-in counts as a step-up"
    );
    // The pending token is spent: it never becomes the full one.
    assert_eq!(finish(&app, mfa_token, &code).await.status(), 401);
    let events = app.events().await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.outcome.as_str()))
        .collect();
    assert!(kinds.contains(&("login", "mfa_required")), "{kinds:?}");
    assert!(kinds.contains(&("challenge_sent:login:sms", "success")));
    assert!(kinds.contains(&("login_mfa", "success")));
}

async fn email_code_over_smtp_for_a_user_without_factors(backend: Backend) {
    let (port, mut mail) = smtp_listener().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.smtp = Some(smtp_config(port))).await;
    mfa_user(&app, json!([])).await;

    let body = password_step(&app).await;
    assert_eq!(body["challenge"]["kind"], "email");
    assert_eq!(body["challenge"]["destination"], "a•••@example.test");
    let message = next(&mut mail).await;
    assert!(message.contains("To: ann@example.test"), "{message}");
    let code = six_digits(&message[message.find("Your code is").unwrap()..]);

    let done = finish(&app, body["mfa_token"].as_str().unwrap(), &code).await;
    assert_eq!(done.status(), 200);
}

async fn sandbox_codes_are_fixed_and_kept_in_the_outbox(backend: Backend) {
    let (url, mut sms) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox = true;
        c.notify.sms = Some(webhook_config(&url));
    })
    .await;
    mfa_user(&app, json!([{"type": "sms", "phone": PHONE}])).await;

    let body = password_step(&app).await;
    let kept = app.instance.engine.outbox().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].channel, "sms");
    assert_eq!(kept[0].recipient, PHONE);
    assert!(kept[0].body.contains("123456"));
    let nothing = tokio::time::timeout(std::time::Duration::from_millis(300), sms.recv()).await;
    assert!(nothing.is_err(), "nothing leaves a sandbox");
    let done = finish(&app, body["mfa_token"].as_str().unwrap(), "123456").await;
    assert_eq!(done.status(), 200);
}

async fn a_pending_mfa_token_opens_nothing_else(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    mfa_user(&app, json!([])).await;
    let body = password_step(&app).await;
    let mfa_token = body["mfa_token"].as_str().unwrap();

    for path in ["/v1/session", "/v1/identities", "/v1/factors"] {
        let refused = app.get_auth(path, mfa_token).await;
        assert_eq!(refused.status(), 403, "{path}");
        assert_eq!(code_of(refused).await, "token_restricted", "{path}");
    }
    for (path, body) in [
        ("/v1/logout", json!({})),
        ("/v1/access_token", json!({})),
        ("/v1/stepup", json!({})),
        ("/v1/factors/totp", json!({})),
        (
            "/v1/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        ),
    ] {
        let refused = app.post_auth(path, mfa_token, body).await;
        assert_eq!(refused.status(), 403, "{path}");
    }
    // And a full token is no MFA token.
    let done: Value = finish(&app, mfa_token, "123456")
        .await
        .json()
        .await
        .unwrap();
    let refused = finish(&app, done["token"].as_str().unwrap(), "123456").await;
    assert_eq!(code_of(refused).await, "token_restricted");
}

async fn five_wrong_codes_end_the_sign_in(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    mfa_user(&app, json!([{"type": "sms", "phone": PHONE}])).await;
    let body = password_step(&app).await;
    let mfa_token = body["mfa_token"].as_str().unwrap();

    for attempt in 1..=5 {
        let wrong = finish(&app, mfa_token, "654321").await;
        assert_eq!(wrong.status(), 400, "attempt {attempt}");
        assert_eq!(code_of(wrong).await, "invalid_code");
    }
    let late = finish(&app, mfa_token, "123456").await;
    assert_eq!(
        late.status(),
        401,
        "the sign-in ended with the fifth wrong code"
    );
    let malformed = finish(&app, mfa_token, "12ab").await;
    assert_eq!(code_of(malformed).await, "validation_failed");
}

async fn expired_and_reused_codes_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    mfa_user(&app, json!([{"type": "sms", "phone": PHONE}])).await;
    let body = password_step(&app).await;
    let mfa_token = body["mfa_token"].as_str().unwrap();

    app.advance(time::Duration::minutes(5));
    let expired = finish(&app, mfa_token, "123456").await;
    assert_eq!(expired.status(), 400);
    assert_eq!(code_of(expired).await, "challenge_expired");

    // A new challenge (the old one ran out) takes the code.
    let sent = app
        .post("/v1/login/mfa/send", json!({"mfa_token": mfa_token}))
        .await;
    assert_eq!(sent.status(), 200);
    let sent: Value = sent.json().await.unwrap();
    assert_ne!(sent["challenge_id"], body["challenge"]["challenge_id"]);
    assert_eq!(finish(&app, mfa_token, "123456").await.status(), 200);

    // A code is single use: a second sign-in's challenge is a new one, and the used one
    // cannot be answered again through the step-up API either.
    let again = password_step(&app).await;
    let full: Value = finish(&app, again["mfa_token"].as_str().unwrap(), "123456")
        .await
        .json()
        .await
        .unwrap();
    let token = full["token"].as_str().unwrap();
    let used = app
        .post_auth(
            &format!(
                "/v1/stepup/{}/verify",
                again["challenge"]["challenge_id"].as_str().unwrap()
            ),
            token,
            json!({"code": "123456"}),
        )
        .await;
    assert_eq!(
        used.status(),
        404,
        "a login challenge is no step-up challenge"
    );
}

async fn resend_replaces_the_code_and_is_capped(backend: Backend) {
    let (url, mut sms) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.sms = Some(webhook_config(&url))).await;
    mfa_user(&app, json!([{"type": "sms", "phone": PHONE}])).await;
    let body = password_step(&app).await;
    let mfa_token = body["mfa_token"].as_str().unwrap();
    let first = six_digits(next_post(&mut sms).await["text"].as_str().unwrap());

    let mut latest = first.clone();
    for send in 2..=5 {
        let resent = app
            .post("/v1/login/mfa/send", json!({"mfa_token": mfa_token}))
            .await;
        assert_eq!(resent.status(), 200, "send {send}");
        let resent: Value = resent.json().await.unwrap();
        assert_eq!(resent["challenge_id"], body["challenge"]["challenge_id"]);
        latest = six_digits(next_post(&mut sms).await["text"].as_str().unwrap());
    }
    let capped = app
        .post("/v1/login/mfa/send", json!({"mfa_token": mfa_token}))
        .await;
    assert_eq!(capped.status(), 429);
    assert!(capped.headers().contains_key("retry-after"));

    assert_ne!(first, latest, "each send has its own code");
    let old = finish(&app, mfa_token, &first).await;
    assert_eq!(
        code_of(old).await,
        "invalid_code",
        "a resend replaces the code"
    );
    assert_eq!(finish(&app, mfa_token, &latest).await.status(), 200);
}

async fn one_totp_code_signs_in_once_even_in_parallel(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    mfa_user(&app, json!([{"type": "totp", "secret": TOTP_SECRET}])).await;
    let a = password_step(&app).await;
    let b = password_step(&app).await;
    assert_eq!(a["challenge"]["kind"], "totp");
    assert!(
        app.instance.engine.outbox().await.unwrap().is_empty(),
        "TOTP sends nothing"
    );

    let code = totp_now(&app, 0);
    let (ra, rb) = tokio::join!(
        finish(&app, a["mfa_token"].as_str().unwrap(), &code),
        finish(&app, b["mfa_token"].as_str().unwrap(), &code),
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "one TOTP code is accepted once");

    // A replay later is refused too; the next time step's code works.
    let c = password_step(&app).await;
    let c_token = c["mfa_token"].as_str().unwrap();
    assert_eq!(
        code_of(finish(&app, c_token, &code).await).await,
        "invalid_code"
    );
    app.advance(time::Duration::seconds(30));
    assert_eq!(
        finish(&app, c_token, &totp_now(&app, 0)).await.status(),
        200
    );
}

/// A push device: its key, and its factor id once enrolled.
pub struct Device {
    pub key: SigningKey,
}

impl Device {
    pub fn new() -> Self {
        Self {
            key: SigningKey::from_bytes(&rand_bytes()),
        }
    }

    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.key.sign(message.as_bytes()).to_bytes())
    }

    /// Lists the device's pending challenges, proving itself with a signed nonce.
    pub async fn pending(&self, app: &TestApp, device_id: &str) -> reqwest::Response {
        let nonce: Value = app
            .post("/v1/devices/nonce", json!({"device_id": device_id}))
            .await
            .json()
            .await
            .unwrap();
        let nonce = nonce["nonce"].as_str().unwrap();
        app.client
            .get(app.url("/v1/devices/challenges"))
            .header("doorward-device-id", device_id)
            .header("doorward-device-nonce", nonce)
            .header(
                "doorward-device-signature",
                self.sign(&format!("doorward-device-nonce:{nonce}")),
            )
            .send()
            .await
            .unwrap()
    }

    /// Answers a challenge, signed.
    pub async fn answer(
        &self,
        app: &TestApp,
        challenge_id: &str,
        approve: bool,
        number: u64,
    ) -> reqwest::Response {
        let verdict = if approve { "approve" } else { "deny" };
        let signature = self.sign(&format!("doorward-push:{challenge_id}:{verdict}:{number}"));
        app.post(
            &format!("/v1/devices/challenges/{challenge_id}"),
            json!({"approve": approve, "number": number, "signature": signature}),
        )
        .await
    }
}

fn rand_bytes() -> [u8; 32] {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

async fn push_sign_in_is_collected_once_after_approval(backend: Backend) {
    let (url, mut gateway) = webhook_receiver().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.push = Some(webhook_config(&url))).await;
    let device = Device::new();
    mfa_user(
        &app,
        json!([{"type": "push", "secret": device.public_key()}]),
    )
    .await;
    let body = password_step(&app).await;
    let mfa_token = body["mfa_token"].as_str().unwrap();
    let challenge = &body["challenge"];
    assert_eq!(challenge["kind"], "push");
    let number = challenge["number"].as_u64().unwrap();
    assert!((10..100).contains(&number));
    let id = challenge["challenge_id"].as_str().unwrap();
    let device_id = challenge["factor_id"].as_str().unwrap();
    let notice = next_post(&mut gateway).await;
    assert_eq!(notice["device_id"], device_id);
    assert_eq!(notice["challenge_id"], id);

    let poll_path = format!("/v1/login/mfa/{id}");
    let poll = || app.get_auth(&poll_path, mfa_token);
    let waiting: Value = poll().await.json().await.unwrap();
    assert_eq!(waiting, json!({"status": "pending"}));
    let listed: Value = device.pending(&app, device_id).await.json().await.unwrap();
    assert_eq!(listed["challenges"][0]["id"], id);
    assert!(
        listed["challenges"][0].get("number").is_none(),
        "the device never shows the number: the user types it"
    );
    let approved = device.answer(&app, id, true, number).await;
    assert_eq!(approved.status(), 200);

    let collected = poll().await;
    assert_eq!(collected.status(), 200);
    let collected: Value = collected.json().await.unwrap();
    assert_eq!(collected["status"], "approved");
    assert_eq!(collected["assurance"], "aal2");
    assert_eq!(
        app.instance
            .session_status(&app.client, collected["token"].as_str().unwrap())
            .await,
        200
    );
    assert_eq!(poll().await.status(), 401, "collected once");
}

async fn mfa_is_due_when_the_application_requires_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    app.import(json!({
        "applications": [{"id": "7d1c2a52-8f7e-4a8e-9d7b-2f4c3c9a0b11", "name": "strict", "mfa": "required"}],
        "users": [{"email": "ann@example.test", "password": PASSWORD}]
    }))
    .await;
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 200);
    let strict = app
        .post(
            "/v1/login",
            json!({"login": "ann@example.test", "password": PASSWORD, "application": "7d1c2a52-8f7e-4a8e-9d7b-2f4c3c9a0b11"}),
        )
        .await;
    assert_eq!(strict.status(), 403);
    let body: Value = strict.json().await.unwrap();
    let done: Value = finish(&app, body["mfa_token"].as_str().unwrap(), "123456")
        .await
        .json()
        .await
        .unwrap();
    let session: Value = app
        .get_auth("/v1/session", done["token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        session["session"]["application"],
        "7d1c2a52-8f7e-4a8e-9d7b-2f4c3c9a0b11"
    );
}

async fn users_switch_their_own_mfa_and_off_needs_a_step_up(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    app.user("ann@example.test", PASSWORD).await;
    let token = app.token("ann@example.test", PASSWORD).await;
    let switch = |token: String, enabled: bool| {
        app.client
            .put(app.url("/v1/mfa"))
            .bearer_auth(token)
            .json(&json!({"enabled": enabled}))
            .send()
    };
    let on = switch(token.clone(), true).await.unwrap();
    assert_eq!(on.status(), 200);
    assert_eq!(on.json::<Value>().await.unwrap(), json!({"mfa": true}));

    // From now on a sign-in asks for the second factor.
    let body = password_step(&app).await;
    let off = switch(token.clone(), false).await.unwrap();
    assert_eq!(off.status(), 403);
    assert_eq!(
        code_of(off).await,
        "step_up_required",
        "turning it off weakens the account"
    );

    let done: Value = finish(&app, body["mfa_token"].as_str().unwrap(), "123456")
        .await
        .json()
        .await
        .unwrap();
    let stepped = done["token"].as_str().unwrap().to_owned();
    assert_eq!(
        switch(stepped, false).await.unwrap().status(),
        200,
        "the second factor of a sign-in counts as a step-up"
    );
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 200);
    let events = app.events().await;
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"mfa_enabled") && kinds.contains(&"mfa_disabled"));
}
