//! The server's own log, as the binary writes it: JSON lines (standard error is no terminal),
//! each request line with its request id, route, face, status and latency, security events
//! with the audit event's id, and not one secret across a full sign-in, MFA, step-up, TOTP
//! enrolment and password change. At the default level, a request line only for answers of 400
//! and above.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::{Value, json};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

both_backends!(
    no_secret_reaches_the_log,
    at_info_only_refused_requests_write_a_request_line,
    a_streamed_import_logs_its_event_with_the_request_id
);

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new passphrase";
const API_KEY: &str = "k-weavr-5e3c1a";

struct Server {
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
    _child: tokio::process::Child,
}

async fn start(database_url: &str, level: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorward"))
        .arg("serve")
        .env("DOORWARD_DATABASE_URL", database_url)
        .env("DOORWARD_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", level)
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stderr.take().unwrap()).lines();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let base = loop {
        let line = reader.next_line().await.unwrap().expect("a listening line");
        lines.lock().unwrap().push(line.clone());
        let entry: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if entry["fields"]["message"] == "doorward listening" {
            break format!("http://{}", entry["fields"]["address"].as_str().unwrap());
        }
    };
    let collected = Arc::clone(&lines);
    tokio::spawn(async move {
        while let Ok(Some(line)) = reader.next_line().await {
            collected.lock().unwrap().push(line);
        }
    });
    Server {
        base,
        lines,
        _child: child,
    }
}

/// An `all` admin token made by the command line (the server runs on the wall clock).
async fn admin_token(database_url: &str, name: &str) -> String {
    let created = Command::new(env!("CARGO_BIN_EXE_doorward"))
        .args(["admin", "token", "create", "--name", name])
        .env("DOORWARD_DATABASE_URL", database_url)
        .output()
        .await
        .unwrap();
    assert!(created.status.success());
    String::from_utf8(created.stdout).unwrap().trim().to_owned()
}

/// The server's lines so far, each parsed.
fn entries(server: &Server) -> Vec<Value> {
    server
        .lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The code of the one message in the outbox not `seen` before (the server keeps messages
/// there: no channel is configured).
async fn new_code(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    seen: &mut Vec<String>,
) -> String {
    let outbox: Value = crate::helpers::json_of(
        client
            .get(format!("{base}/v1/admin/outbox"))
            .bearer_auth(admin),
    )
    .await;
    let fresh: Vec<&Value> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !seen.iter().any(|id| m["id"] == id.as_str()))
        .collect();
    assert_eq!(fresh.len(), 1, "{outbox}");
    seen.push(fresh[0]["id"].as_str().unwrap().to_owned());
    let body = fresh[0]["body"].as_str().unwrap();
    body.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 6)
        .unwrap_or_else(|| panic!("a code in {body}"))
        .to_owned()
}

async fn no_secret_reaches_the_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let server = start(app.database_url(), "debug").await;
    let admin = admin_token(app.database_url(), "logs").await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut request = client.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let mut seen = Vec::new();
    let mut secrets: Vec<String> = vec![
        PASSWORD.into(),
        NEW_PASSWORD.into(),
        API_KEY.into(),
        admin.clone(),
    ];

    let imported = post(
        "/v1/admin/import",
        Some(&admin),
        json!({"applications": [{"name": "weavr", "api_keys": [API_KEY]}],
               "organizations": [{"id": "100", "name": "Acme"}],
               "users": [{"email": "ann@example.test", "password": PASSWORD, "mfa": true,
                          "phone": "+447700900123",
                          "memberships": [{"organization": "100", "role": "owner"}],
                          "factors": [{"type": "sms", "status": "active"}]}]}),
    )
    .await
    .unwrap();
    assert_eq!(imported.status(), 200);

    // Sign-in with a second factor.
    let step: Value = post(
        "/v1/login",
        None,
        json!({"login": "ann@example.test", "password": PASSWORD}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let mfa_token = step["mfa_token"].as_str().expect("mfa_required").to_owned();
    let code = new_code(&client, &base, &admin, &mut seen).await;
    let signed_in: Value = post(
        "/v1/login/mfa",
        None,
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = signed_in["token"].as_str().expect("signed in").to_owned();
    secrets.extend([mfa_token, code, token.clone()]);
    if let Some(device) = signed_in["device_token"].as_str() {
        secrets.push(device.to_owned());
    }

    // Step-up, then a TOTP factor enrolled and proven.
    let challenge: Value = post("/v1/stepup", Some(&token), json!({"factor": "sms"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = challenge["challenge_id"].as_str().unwrap();
    let code = new_code(&client, &base, &admin, &mut seen).await;
    let stepped = post(
        &format!("/v1/stepup/{id}/verify"),
        Some(&token),
        json!({"code": code}),
    )
    .await
    .unwrap();
    assert_eq!(stepped.status(), 200);
    secrets.push(code);
    let enrolled: Value = post("/v1/factors/totp", Some(&token), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let totp_secret = enrolled["secret"].as_str().unwrap().to_owned();
    // The server under test runs on the wall clock.
    let now = doorward::clock::Clock::now(&doorward::clock::SystemClock).unix_timestamp();
    let totp = doorward::crypto::otp::totp_at(
        &secrecy::SecretString::from(totp_secret.clone()),
        doorward::crypto::otp::totp_step(now),
    )
    .unwrap();
    let factor = enrolled["id"].as_str().unwrap();
    let proven = post(
        &format!("/v1/factors/{factor}/verify"),
        Some(&token),
        json!({"code": totp}),
    )
    .await
    .unwrap();
    assert_eq!(proven.status(), 200);
    secrets.extend([totp_secret, totp]);

    // A password change, an access token, an API key in use.
    let changed: Value = post(
        "/v1/password",
        Some(&token),
        json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    // Her account asks for a second factor at every sign-in: the fresh session too. She answers
    // by SMS (the code of this TOTP step is spent).
    let pending = changed["mfa_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{changed}"))
        .to_owned();
    if changed["challenge"]["kind"] != "sms" {
        let sent = post(
            "/v1/login/mfa/send",
            None,
            json!({"mfa_token": pending, "factor": "sms"}),
        )
        .await
        .unwrap();
        assert!(sent.status().is_success(), "{}", sent.status());
    }
    let code = new_code(&client, &base, &admin, &mut seen).await;
    let finished: Value = post(
        "/v1/login/mfa",
        None,
        json!({"mfa_token": pending, "code": code}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let fresh = finished["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{finished}"))
        .to_owned();
    secrets.extend([pending, code]);
    let access: Value = post("/v1/access_token", Some(&fresh), json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = access["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{access}"))
        .to_owned();
    secrets.extend([fresh, access]);
    let weavr = client
        .post(format!("{base}/weavr/multi/login_with_password"))
        .header("api-key", API_KEY)
        .json(&json!({"email": "ann@example.test", "password": {"value": NEW_PASSWORD}}))
        .send()
        .await
        .unwrap();
    assert_eq!(weavr.status(), 200);
    let weavr: Value = weavr.json().await.unwrap();
    secrets.push(weavr["token"].as_str().unwrap().to_owned());
    // And a wrong one, which a careless server would echo.
    let wrong = post(
        "/v1/login",
        None,
        json!({"login": "ann@example.test", "password": "a wrong guess of hers"}),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    secrets.push("a wrong guess of hers".into());

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let lines = server.lines.lock().unwrap().clone();
    assert!(lines.len() > 20, "the debug log has lines: {}", lines.len());
    for line in &lines {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a secret in the log: {line}"
            );
        }
    }

    // Request lines carry their id, route, face, status and latency; security events their
    // audit id.
    let entries = entries(&server);
    let finished = entries
        .iter()
        .find(|e| {
            e["fields"]["message"] == "finished processing request"
                && e["span"]["route"] == "/v1/login/mfa"
        })
        .expect("the request line of the MFA answer");
    assert_eq!(finished["span"]["face"], "native");
    assert_eq!(finished["span"]["request_id"].as_str().unwrap().len(), 32);
    assert_eq!(finished["fields"]["status"], 200);
    assert!(finished["fields"]["latency_ms"].is_f64());
    assert_eq!(finished["target"], "doorward::request");
    let security = entries
        .iter()
        .find(|e| e["fields"]["message"] == "security event" && e["fields"]["kind"] == "login_mfa")
        .expect("the sign-in's security event");
    assert_eq!(security["fields"]["outcome"], "success");
    assert_eq!(security["fields"]["audit_id"].as_str().unwrap().len(), 36);
}

async fn at_info_only_refused_requests_write_a_request_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let server = start(app.database_url(), "info").await;
    let client = reqwest::Client::new();
    let healthy = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(healthy.status(), 200);
    let refused = client
        .get(format!("{}/v1/session", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let id = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let requests: Vec<Value> = entries(&server)
        .into_iter()
        .filter(|e| e["fields"]["message"] == "finished processing request")
        .collect();
    assert_eq!(requests.len(), 1, "only the 401 has a line: {requests:?}");
    let line = &requests[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["target"], "doorward::request");
    assert_eq!(line["fields"]["status"], 401);
    assert_eq!(line["span"]["route"], "/v1/session");
    assert_eq!(line["span"]["request_id"], id.as_str());
}

async fn a_streamed_import_logs_its_event_with_the_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let server = start(app.database_url(), "info").await;
    let admin = admin_token(app.database_url(), "streamed").await;
    // The import runs on its own task while its progress streams.
    let streamed = reqwest::Client::new()
        .post(format!("{}/v1/admin/import", server.base))
        .bearer_auth(&admin)
        .header("accept", "application/x-ndjson")
        .json(&json!({"organizations": [{"id": "100", "name": "Acme"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(streamed.status(), 200);
    let id = streamed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = streamed.text().await.unwrap();
    assert!(text.contains("\"created\""), "{text}");

    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let lines = entries(&server);
    let event = lines
        .iter()
        .find(|e| e["fields"]["message"] == "security event" && e["fields"]["kind"] == "import")
        .unwrap_or_else(|| panic!("the import's event: {lines:?}"));
    assert_eq!(event["span"]["request_id"], id.as_str(), "{event}");
    assert_eq!(event["span"]["route"], "/v1/admin/import");
}
