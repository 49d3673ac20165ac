//! The Elastic Cloud Enterprise face's answers, pinned row by row of its contract.

use crate::helpers::{Backend, TestApp};
use crate::{both_backends, pin};
use serde_json::{Value, json};

both_backends!(ece_contract);

const BASE: &str = "/ece/api/v1";
const PASSWORD: &str = "correct horse battery";

async fn ece_contract(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.rate_limits.login_per_address.burst = 1_000).await;
    app.import(json!({"users": [
        {"id": "1001", "email": "ann@example.test", "username": "ann", "password": PASSWORD},
        {"email": "mfa@example.test", "username": "mo", "password": PASSWORD, "mfa": true},
        {"email": "dir@example.test", "username": "dora", "realm": "directory"},
        {"email": "off@example.test", "username": "off", "password": PASSWORD, "status": "disabled"}
    ]}))
    .await;
    let url = |path: &str| app.url(&format!("{BASE}{path}"));
    let login = |body: Value| {
        app.client
            .post(url("/users/auth/_login"))
            .json(&body)
            .send()
    };

    let ok = login(json!({"username": "ann", "password": PASSWORD}))
        .await
        .unwrap();
    let token = ok.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    pin!(
        "ece_login_ok",
        login(json!({"username": "ann@example.test", "password": PASSWORD}))
            .await
            .unwrap()
    );
    pin!(
        "ece_login_redirect",
        login(json!({"username": "ann", "password": PASSWORD,
                     "login_state": {"path": "/deployments"}}))
        .await
        .unwrap()
    );
    let rows: [(&str, Value); 7] = [
        ("ece_login_missing_fields", json!({})),
        (
            "ece_login_wrong_password",
            json!({"username": "ann", "password": "wrong"}),
        ),
        (
            "ece_login_unknown_user",
            json!({"username": "nobody", "password": "wrong"}),
        ),
        (
            "ece_login_hostile_path",
            json!({"username": "ann", "password": PASSWORD,
                   "login_state": {"path": "//evil.example"}}),
        ),
        (
            "ece_login_second_factor",
            json!({"username": "mo", "password": PASSWORD}),
        ),
        (
            "ece_login_no_directory",
            json!({"username": "dora", "password": PASSWORD}),
        ),
        (
            "ece_login_disabled",
            json!({"username": "off", "password": PASSWORD}),
        ),
    ];
    for (name, body) in rows {
        pin!(name, login(body).await.unwrap());
    }
    let malformed = app
        .client
        .post(url("/users/auth/_login"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    pin!("ece_login_malformed", malformed);

    let get = |path: &str, token: Option<&str>| {
        let mut request = app.client.get(url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    pin!(
        "ece_auth_info",
        get("/users/auth", Some(&token)).await.unwrap()
    );
    pin!(
        "ece_auth_info_no_token",
        get("/users/auth", None).await.unwrap()
    );
    pin!(
        "ece_auth_methods",
        get("/users/auth/methods", None).await.unwrap()
    );
    let post = |path: &str, token: &str| app.client.post(url(path)).bearer_auth(token).send();
    let refreshed = post("/users/auth/_refresh", &token).await.unwrap();
    let fresh = refreshed.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    pin!(
        "ece_refresh_old_token",
        post("/users/auth/_refresh", &token).await.unwrap()
    );
    pin!(
        "ece_logout",
        post("/users/auth/_logout", &fresh).await.unwrap()
    );
    pin!(
        "ece_logout_again",
        post("/users/auth/_logout", &fresh).await.unwrap()
    );
    pin!("ece_unknown_path", get("/nothing", None).await.unwrap());
    for _ in 0..5 {
        login(json!({"username": "ann", "password": "wrong"}))
            .await
            .unwrap();
    }
    pin!(
        "ece_login_locked",
        login(json!({"username": "ann", "password": PASSWORD}))
            .await
            .unwrap()
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    pin!(
        "ece_maintenance",
        get("/users/auth/methods", None).await.unwrap()
    );
}
