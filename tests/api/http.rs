//! HTTP hygiene: health probes, body limit, content type, malformed JSON, unknown routes.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};

both_backends!(probes_answer, bad_requests_get_problem_responses);

async fn probes_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

async fn bad_requests_get_problem_responses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/v1/login"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let big = post(vec![b' '; 65 * 1024], "application/json")
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    assert_eq!(big.headers()["content-type"], "application/problem+json");

    let text = post(b"{}".to_vec(), "text/plain").await.unwrap();
    assert_eq!(text.status(), 415);

    let broken = post(b"{\"login\":".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    assert_eq!(code_of(broken).await, "malformed_json");

    let wrong_type = post(
        br#"{"login": 5, "password": "x"}"#.to_vec(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(wrong_type.status(), 400);
    let body: serde_json::Value = wrong_type.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "login");

    let unknown_field = post(
        br#"{"login": "a@b.test", "password": "x", "role": "admin"}"#.to_vec(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(unknown_field.status(), 400);

    let missing = app.client.get(app.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(code_of(missing).await, "not_found");

    let method = app.client.get(app.url("/v1/login")).send().await.unwrap();
    assert_eq!(method.status(), 405);
    assert_eq!(method.headers()["content-type"], "application/problem+json");
}
