//! Edges a black-box battery found: access tokens that managed sessions, ambiguous `Host`
//! headers, and idle or trickling sockets that starved the server.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

both_backends!(
    an_access_token_cannot_manage_its_session,
    a_weavr_token_minted_from_an_access_token_never_outlives_it,
    two_host_headers_or_a_disagreeing_one_get_400,
    idle_and_trickling_sockets_leave_health_and_sign_in_answering,
);

const PASSWORD: &str = "correct horse battery";
const APP: &str = "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c01";
const KEY: &str = "edges-test-key";

async fn provisioned(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme", "kind": "corporate"}],
        "applications": [{"id": APP, "name": "edges", "api_keys": [KEY]}],
        "users": [{"id": "1001", "email": "ann@example.test", "password": PASSWORD,
                   "memberships": [{"organization": "100", "role": "owner"}]}]
    }))
    .await;
    app
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn an_access_token_cannot_manage_its_session(backend: Backend) {
    let app = provisioned(backend).await;
    let session = app.token("ann@example.test", PASSWORD).await;
    let minted = app
        .post_auth("/v1/access_token", &session, json!({"organization": "100"}))
        .await;
    assert_eq!(minted.status(), 200);
    let access = minted.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let managing: [(Method, &str, Option<Value>); 10] = [
        (
            Method::POST,
            "/v1/access_token",
            Some(json!({"organization": "100"})),
        ),
        (
            Method::POST,
            "/v1/session/organization",
            Some(json!({"organization": "100"})),
        ),
        (Method::POST, "/v1/factors/totp", None),
        (
            Method::POST,
            "/v1/factors/sms",
            Some(json!({"phone": "+447700900123"})),
        ),
        (
            Method::POST,
            "/v1/factors/some-factor/verify",
            Some(json!({"code": "123456"})),
        ),
        (Method::DELETE, "/v1/factors/some-factor", None),
        (Method::PUT, "/v1/mfa", Some(json!({"enabled": true}))),
        (
            Method::POST,
            "/v1/password",
            Some(json!({"current_password": PASSWORD, "new_password": "a whole new passphrase"})),
        ),
        (Method::POST, "/v1/stepup", Some(json!({}))),
        (Method::POST, "/v1/logout?scope=all", None),
    ];
    for (method, path, body) in managing {
        let refused = send(&app, method.clone(), path, &access, body).await;
        assert_eq!(refused.status(), 403, "{method} {path}");
        assert_eq!(
            code_of(refused).await,
            "token_restricted",
            "{method} {path}"
        );
    }
    let read = send(&app, Method::GET, "/v1/session", &access, None).await;
    assert_eq!(read.status(), 200, "an access token still reads");
    assert_eq!(
        send(&app, Method::GET, "/v1/session", &session, None)
            .await
            .status(),
        200,
        "and the session was not logged out everywhere"
    );
    let again = app
        .post_auth("/v1/access_token", &session, json!({"organization": "100"}))
        .await;
    assert_eq!(again.status(), 200, "the session token still manages");
}

fn expiry_of(jwt: &str) -> i64 {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["exp"]
        .as_i64()
        .unwrap()
}

async fn weavr(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/weavr/multi{path}")))
        .header("api-key", KEY)
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn a_weavr_token_minted_from_an_access_token_never_outlives_it(backend: Backend) {
    let app = provisioned(backend).await;
    let login = weavr(
        &app,
        "/login_with_password",
        None,
        json!({"email": "ann@example.test", "password": {"value": PASSWORD}}),
    )
    .await;
    let auth = login.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let identity = json!({"identity": {"type": "CORPORATE", "id": "100"}});
    let first = weavr(&app, "/access_token", Some(&auth), identity.clone()).await;
    let first = first.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.advance(time::Duration::minutes(3));
    let second = weavr(&app, "/access_token", Some(&first), identity.clone()).await;
    assert_eq!(second.status(), 200, "Weavr accepts ACCESS wherever AUTH");
    let second = second.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        expiry_of(&second),
        expiry_of(&first),
        "capped at the presented token's expiry"
    );
    app.advance(time::Duration::minutes(2));
    let chained = weavr(&app, "/access_token", Some(&second), identity).await;
    assert_eq!(chained.status(), 401, "the chain ends with its first token");
}

/// Sends raw HTTP/1.1 and returns the status code.
async fn raw_status(app: &TestApp, request: &str) -> u16 {
    let address = app.instance.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

async fn two_host_headers_or_a_disagreeing_one_get_400(backend: Backend) {
    let app = provisioned(backend).await;
    let body = r#"{"login":"ann@example.test","password":"correct horse battery"}"#;
    let login = |hosts: &str| {
        format!(
            "POST /v1/login HTTP/1.1\r\n{hosts}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    assert_eq!(raw_status(&app, &login("Host: a.test\r\n")).await, 200);
    assert_eq!(
        raw_status(&app, &login("Host: a.test\r\nHost: b.test\r\n")).await,
        400
    );
    let absolute = format!(
        "POST http://a.test/v1/login HTTP/1.1\r\nHost: b.test\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    assert_eq!(raw_status(&app, &absolute).await, 400);
    let face = "GET /ece/api/v1/users/auth HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\
                Connection: close\r\n\r\n";
    assert_eq!(raw_status(&app, face).await, 400, "on the faces too");
}

/// Opens a socket that speaks HTTP/2 (preface, SETTINGS) but only ever sends PINGs, and
/// reports how long the server kept it open.
fn pinging_socket(address: String) -> tokio::task::JoinHandle<Duration> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&address).await.unwrap();
        let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
        hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]); // an empty SETTINGS frame
        if stream.write_all(&hello).await.is_err() {
            return started.elapsed();
        }
        let ping = [0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        let mut buf = [0u8; 256];
        for _ in 0..100 {
            if stream.write_all(&ping).await.is_err() {
                break;
            }
            let answer = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf));
            if let Ok(Ok(0) | Err(_)) = answer.await {
                break;
            }
        }
        started.elapsed()
    })
}

/// Opens a socket that sends nothing.
async fn idle_socket(address: &str) -> TcpStream {
    TcpStream::connect(address).await.unwrap()
}

/// Opens a socket that trickles a request head, one byte every 200 ms, and reports how long
/// the server kept it open.
fn trickling_socket(address: String) -> tokio::task::JoinHandle<Duration> {
    tokio::spawn(async move {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&address).await.unwrap();
        let head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for byte in head.iter().cycle().take(100) {
            if stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            let mut buf = [0u8; 64];
            let answer = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf));
            if let Ok(Ok(0) | Err(_)) = answer.await {
                break;
            }
        }
        started.elapsed()
    })
}

async fn idle_and_trickling_sockets_leave_health_and_sign_in_answering(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.http.header_timeout = Duration::from_secs(2);
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    let address = app.instance.base.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    for _ in 0..500 {
        idle.push(idle_socket(&address).await);
    }
    let trickling: Vec<_> = (0..490)
        .map(|_| trickling_socket(address.clone()))
        .collect();
    let pinging: Vec<_> = (0..10).map(|_| pinging_socket(address.clone())).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let quick = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let health = quick.get(app.url("/healthz")).send().await;
    assert_eq!(health.unwrap().status(), 200, "/healthz within a second");
    let sign_in = quick
        .post(app.url("/v1/login"))
        .json(&json!({"login": "ann@example.test", "password": PASSWORD}))
        .send()
        .await;
    assert_eq!(sign_in.unwrap().status(), 200, "a sign-in within a second");

    for held in trickling {
        let held = held.await.unwrap();
        assert!(
            held < Duration::from_secs(8),
            "a trickling socket was kept open {held:?}, past the 2 s header timeout"
        );
    }
    for held in pinging {
        let held = held.await.unwrap();
        assert!(
            held < Duration::from_secs(8),
            "an HTTP/2 connection that never asked for anything was kept open {held:?}"
        );
    }
    let mut first = idle.remove(0);
    let mut buf = [0u8; 16];
    let closed = tokio::time::timeout(Duration::from_secs(5), first.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "an idle socket is closed after the header timeout"
    );
}
