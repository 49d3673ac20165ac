//! Contract snapshots: every face's answers — status, the headers a client reads, and the body —
//! pinned with `insta` for the rows of its contract, so that moving code cannot change the wire
//! unnoticed. Random values (tokens, UUIDs, JWTs) are redacted; times come from the manual
//! clock and are pinned as they are. Both stores answer byte-for-byte the same, so both runs
//! compare against one snapshot.

mod amplify;
mod ece;
mod native;
mod weavr;

mod axonize;

use serde_json::{Map, Value, json};

/// The headers a platform client reads; the rest are the framework's.
const PINNED_HEADERS: [&str; 12] = [
    "content-type",
    "cache-control",
    "x-content-type-options",
    "retry-after",
    "location",
    "set-cookie",
    "www-authenticate",
    "x-cloud-error-codes",
    "x-ratelimit-limit",
    "x-ratelimit-reset",
    "request-ref",
    "allow",
];

/// A response as a snapshot: `{"status", "headers", "body"}`, redacted.
pub async fn record(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for name in PINNED_HEADERS {
        let values: Vec<Value> = response
            .headers()
            .get_all(name)
            .iter()
            .map(|v| Value::String(redact_text(v.to_str().unwrap_or("<binary>"))))
            .collect();
        match values.len() {
            0 => {}
            1 => {
                headers.insert(name.to_owned(), values[0].clone());
            }
            _ => {
                headers.insert(name.to_owned(), Value::Array(values));
            }
        }
    }
    let text = response.text().await.unwrap();
    let mut body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    redact(&mut body);
    json!({"status": status, "headers": headers, "body": body})
}

/// Pins a response under `name`.
#[macro_export]
macro_rules! pin {
    ($name:expr, $response:expr) => {{
        let recorded = $crate::contracts::record($response).await;
        insta::assert_json_snapshot!($name, recorded);
    }};
}

fn redact(value: &mut Value) {
    match value {
        Value::String(text) => *text = redact_text(text),
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(map) => map.values_mut().for_each(redact),
        _ => {}
    }
}

/// Replaces each token-like run of a text (UUID, JWT, 256-bit token) by a placeholder.
fn redact_text(text: &str) -> String {
    let is_run = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\u{0}')) {
        if is_run(c) {
            run.push(c);
            continue;
        }
        out.push_str(placeholder(&run).unwrap_or(&run));
        run.clear();
        if c != '\u{0}' {
            out.push(c);
        }
    }
    out
}

fn placeholder(run: &str) -> Option<&'static str> {
    let bytes = run.as_bytes();
    let uuid = run.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-')
        && run.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if uuid {
        return Some("[uuid]");
    }
    if run.matches('.').count() == 2 && run.len() > 80 {
        return Some("[jwt]");
    }
    let token = run.len() >= 40 && !run.contains('.');
    token.then_some("[token]")
}

#[test]
fn random_values_are_redacted_and_the_rest_kept() {
    assert_eq!(
        redact_text("connect.sid=Qm3xV9aZ1b2c3d4e5f6g7h8i9j0kLmNoPqRsTuVwXyZ_-12; Path=/"),
        "connect.sid=[token]; Path=/"
    );
    assert_eq!(
        redact_text("5b0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c01"),
        "[uuid]"
    );
    assert_eq!(
        redact_text("2026-03-01T09:05:00Z ann@example.test"),
        "2026-03-01T09:05:00Z ann@example.test"
    );
}
