//! Message delivery through real peers on loopback: an SMTP listener that speaks the protocol,
//! and an HTTP webhook receiver. Sandbox mode keeps everything in the outbox.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use crate::peers::{next, smtp_config, smtp_listener};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use doorward::config::{NotifyConfig, SmsConfig};
use doorward::notify::{Channel, Message, Notifier};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

both_backends!(
    reset_codes_are_mailed_over_smtp_and_not_kept,
    sandbox_keeps_every_message_in_the_outbox
);

const PASSWORD: &str = "correct horse battery";

async fn reset_codes_are_mailed_over_smtp_and_not_kept(backend: Backend) {
    let (port, mut received) = smtp_listener().await;
    let app = TestApp::spawn_with(backend, |c| c.notify.smtp = Some(smtp_config(port))).await;
    app.user("ann@example.test", PASSWORD).await;

    let asked = app
        .post("/v1/password/forgot", json!({"email": "ann@example.test"}))
        .await;
    assert_eq!(asked.status(), 202);
    let mail = next(&mut received).await;
    assert!(mail.contains("To: ann@example.test"), "{mail}");
    assert!(mail.contains("Subject: Reset your password"), "{mail}");
    // The code stands alone on its line (long lines may be quoted-printable encoded).
    let is_code = |l: &&str| {
        l.len() == 43
            && l.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let token = mail
        .lines()
        .find(is_code)
        .expect("the code on its own line")
        .to_owned();
    assert!(
        app.instance.engine.outbox().await.unwrap().is_empty(),
        "sent, not kept"
    );

    let reset = app
        .post(
            "/v1/password/reset",
            json!({"token": token, "new_password": "mailed me a new one"}),
        )
        .await;
    assert_eq!(reset.status(), 204);
    assert_eq!(
        app.login("ann@example.test", "mailed me a new one")
            .await
            .status(),
        200
    );
}

async fn sandbox_keeps_every_message_in_the_outbox(backend: Backend) {
    let (port, mut received) = smtp_listener().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox = true;
        c.notify.smtp = Some(smtp_config(port));
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    app.post("/v1/password/forgot", json!({"email": "ann@example.test"}))
        .await;
    assert_eq!(app.instance.engine.outbox().await.unwrap().len(), 1);
    let nothing = tokio::time::timeout(Duration::from_millis(300), received.recv()).await;
    assert!(nothing.is_err(), "nothing leaves a sandbox");
    let reset = app
        .post(
            "/v1/password/reset",
            json!({"token": "wrong", "new_password": "whatever it is"}),
        )
        .await;
    assert_eq!(code_of(reset).await, "invalid_code");
}

type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

async fn receive(
    State((seen, fail_first)): State<(Seen, Arc<Mutex<u32>>)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> StatusCode {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    seen.lock().unwrap().push((auth, body));
    let mut failures = fail_first.lock().unwrap();
    if *failures > 0 {
        *failures -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::OK
}

#[tokio::test]
async fn sms_goes_to_the_webhook_with_its_bearer_and_is_retried() {
    let seen: Seen = Arc::default();
    let router = axum::Router::new()
        .route("/sms", axum::routing::post(receive))
        .with_state((Arc::clone(&seen), Arc::new(Mutex::new(2))));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let config = NotifyConfig {
        sms: Some(SmsConfig {
            webhook_url: url,
            bearer: Some("hook-secret".to_owned().into()),
            timeout: Duration::from_secs(5),
            attempts: 3,
        }),
        ..NotifyConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    let store = doorward::store::connect(&url).await.unwrap();
    let notifier = Notifier::new(&config, false, store, Default::default()).unwrap();
    let message = Message {
        channel: Channel::Sms,
        to: "+15550100".into(),
        subject: String::new(),
        body: "code 482913".into(),
    };

    notifier
        .deliver(&message)
        .await
        .expect("delivered on the third attempt");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "two 503 answers were retried");
    assert_eq!(seen[2].0.as_deref(), Some("Bearer hook-secret"));
    assert_eq!(seen[2].1, json!({"to": "+15550100", "text": "code 482913"}));
}
