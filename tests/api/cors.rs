//! CORS per application: a listed origin gets credentials and its preflights answered; any
//! other origin gets no CORS headers.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use reqwest::Method;
use serde_json::json;

both_backends!(
    listed_origins_get_cors_and_others_nothing,
    an_application_chooses_its_origins_methods_and_headers
);

const APP_ORIGIN: &str = "https://app.example.test";

async fn listed_origins_get_cors_and_others_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(
        json!({"applications": [{"name": "Portal", "cors_origins": ["https://App.example.test"]}]}),
    )
    .await;
    let token = {
        app.user("ann@example.test", "correct horse battery").await;
        app.token("ann@example.test", "correct horse battery").await
    };
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/v1/session"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let listed = preflight(APP_ORIGIN).await.unwrap();
    assert_eq!(listed.status(), 204);
    let h = listed.headers();
    assert_eq!(h["access-control-allow-origin"], APP_ORIGIN);
    assert_eq!(h["access-control-allow-credentials"], "true");
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("GET")
    );
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );

    let other = preflight("https://evil.example.test").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    assert!(
        other
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    assert_eq!(other.status(), 405, "no preflight for an unlisted origin");

    let call = |origin: &'static str| {
        app.client
            .get(app.url("/v1/session"))
            .header("origin", origin)
            .bearer_auth(&token)
            .send()
    };
    let from_app = call(APP_ORIGIN).await.unwrap();
    assert_eq!(from_app.status(), 200);
    assert_eq!(
        from_app.headers()["access-control-allow-origin"],
        APP_ORIGIN
    );
    assert_eq!(from_app.headers()["vary"], "origin");
    let from_evil = call("https://evil.example.test").await.unwrap();
    assert_eq!(
        from_evil.status(),
        200,
        "CORS is the browser's guard, not the server's"
    );
    assert!(
        from_evil
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // A face's path gets the same treatment.
    let face = app
        .client
        .request(Method::OPTIONS, app.url("/amplify/api/v1/auth/login"))
        .header("origin", APP_ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(face.status(), 204);
    assert_eq!(face.headers()["access-control-allow-origin"], APP_ORIGIN);

    // Origins are read from the store at most every few seconds, not on every browser call:
    // one added through another instance shows here once that time has passed.
    let other = app.another_instance().await;
    other
        .engine
        .import_json(&doorward::domain::Actor::Cli,
            json!({"applications": [{"name": "Shop", "cors_origins": ["https://shop.example.test"]}]})
                .to_string()
                .as_bytes(),
        )
        .await
        .unwrap();
    let shop = || call("https://shop.example.test");
    assert!(
        shop()
            .await
            .unwrap()
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "this instance still uses the origins it read"
    );
    app.advance(time::Duration::seconds(5));
    assert_eq!(
        shop().await.unwrap().headers()["access-control-allow-origin"],
        "https://shop.example.test"
    );

    // A bad origin in the import is refused with its path.
    let refused = app
        .instance
        .engine
        .import_json(
            &doorward::domain::Actor::Cli,
            json!({"applications": [{"name": "Bad", "cors_origins": ["https://x.test/path"]}]})
                .to_string()
                .as_bytes(),
        )
        .await
        .unwrap_err();
    assert!(format!("{refused:?}").contains("$.applications[0].cors_origins[0]"));
}

async fn an_application_chooses_its_origins_methods_and_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({"applications": [
        {"name": "Reader", "cors_origins": ["https://read.example.test"],
         "cors_methods": ["get"], "cors_headers": ["Authorization"]},
        {"name": "Full", "cors_origins": ["https://full.example.test"]}]}))
        .await;
    let preflight = |origin: &'static str, method: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/v1/logout"))
            .header("origin", origin)
            .header("access-control-request-method", method)
            .send()
    };
    let get = preflight("https://read.example.test", "GET").await.unwrap();
    assert_eq!(get.status(), 204);
    assert_eq!(get.headers()["access-control-allow-methods"], "GET");
    assert_eq!(
        get.headers()["access-control-allow-headers"],
        "authorization"
    );
    let post = preflight("https://read.example.test", "POST")
        .await
        .unwrap();
    assert!(
        post.headers().get("access-control-allow-origin").is_none(),
        "a method the application does not allow gets no CORS"
    );
    let full = preflight("https://full.example.test", "DELETE")
        .await
        .unwrap();
    assert_eq!(full.status(), 204);
    let methods = full.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(
        methods.contains("DELETE") && methods.contains("PATCH"),
        "{methods}"
    );
    assert!(
        full.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("doorward-device")
    );

    // A re-import that does not mention them keeps them; a bad one is refused with its path.
    app.import(json!({"applications": [{"name": "Reader"}]}))
        .await;
    let post = preflight("https://read.example.test", "POST")
        .await
        .unwrap();
    assert!(post.headers().get("access-control-allow-origin").is_none());
    for (field, value) in [("cors_methods", "TRACE"), ("cors_headers", "bad header")] {
        let refused = app
            .instance
            .engine
            .import_json(
                &doorward::domain::Actor::Cli,
                json!({"applications": [{"name": "Reader", field: [value]}]})
                    .to_string()
                    .as_bytes(),
            )
            .await
            .unwrap_err();
        assert!(
            format!("{refused:?}").contains(&format!("$.applications[0].{field}[0]")),
            "{refused:?}"
        );
    }
}
