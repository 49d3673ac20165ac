//! The Elastic Cloud Enterprise face against its contract (`../shared/contracts/ece.md`): token
//! login, the 302 with the token and the base64url state, 44 hostile `login_state.path` values,
//! refresh, logout, the error body with `x-cloud-error-codes`; and the LDAP directory through a
//! real `slapd` on loopback: success, wrong password (401), none configured (501), down (502).

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::peers::{DIRECTORY_PASSWORD, Slapd};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use doorward::config::DirectoryConfig;
use serde_json::{Value, json};
use std::time::Duration;

both_backends!(
    login_answers_a_token_and_its_expiration,
    login_state_redirects_with_the_token_and_state,
    hostile_paths_are_refused_and_never_redirect,
    refusals_and_malformed_bodies,
    refresh_replaces_the_token_and_logout_ends_it,
    auth_info_methods_rate_limits_and_maintenance,
    directory_user_signs_in_by_dn_template,
    directory_user_signs_in_by_search_then_bind,
    no_directory_configured_is_501,
    directory_down_is_502,
    a_refused_search_account_is_a_configuration_502,
);

const BASE: &str = "/ece/api/v1";
const PASSWORD: &str = "correct horse battery";

async fn post(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(&format!("{BASE}{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("{BASE}{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn login(app: &TestApp, body: Value) -> reqwest::Response {
    post(app, "/users/auth/_login", None, Some(body)).await
}

/// Status, the `x-cloud-error-codes` header and the body.
async fn error_of(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let code = response
        .headers()
        .get("x-cloud-error-codes")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, code, response.json().await.unwrap())
}

fn error(code: &str, message: &str) -> Value {
    json!({"errors": [{"code": code, "message": message}]})
}

fn invalid(fields: &[&str]) -> Value {
    json!({"errors": [{"code": "root.invalid_request", "message": "The request is invalid.", "fields": fields}]})
}

async fn provision(app: &TestApp) {
    app.import(json!({"users": [
        {"email": "ann@example.test", "username": "ann", "password": PASSWORD},
        {"email": "mo@example.test", "password": PASSWORD, "mfa": true},
        {"email": "dora@example.test", "username": "dora", "realm": "directory"}
    ]}))
    .await;
}

async fn token_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn login_answers_a_token_and_its_expiration(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    for username in ["ann", "ann@example.test"] {
        let response = login(&app, json!({"username": username, "password": PASSWORD})).await;
        assert_eq!(response.status(), 200, "{username}");
        let body: Value = response.json().await.unwrap();
        let token = body["token"].as_str().unwrap();
        assert_eq!(
            body,
            json!({"token": token, "session_expiration_time": "2026-03-01T09:05:00Z"})
        );
        assert_eq!(get(&app, "/users/auth", Some(token)).await.status(), 200);
    }
}

async fn login_state_redirects_with_the_token_and_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let state = json!({"path": "/deployments/abc?tab=overview", "nonce": "n-1"});
    let response = login(
        &app,
        json!({"username": "ann", "password": PASSWORD, "login_state": state}),
    )
    .await;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
    let rest = location.strip_prefix("/sso/token#").expect(&location);
    let (token, encoded) = rest.split_once("?state=").unwrap();
    let decoded: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap();
    assert_eq!(decoded, state);
    assert_eq!(get(&app, "/users/auth", Some(token)).await.status(), 200);
}

/// Forty-four ways to leave the site.
const HOSTILE: [&str; 44] = [
    "/.//evil.example",
    "/..//evil.example",
    "/deployments/../..//evil.example",
    "/%2e%2e//evil.example",
    "//evil.example",
    "///evil.example",
    "//evil.example/deployments",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https://evil.example",
    "http://evil.example/",
    "HTTPS://EVIL.EXAMPLE",
    "//evil.example:443",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "evil.example",
    "deployments",
    "",
    " /deployments",
    "%2F%2Fevil.example",
    "/%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%252Fevil.example",
    "/%25252Fevil.example",
    "/%2F%2F%2Fevil.example",
    "%2Fdeployments",
    "/\tevil.example",
    "/\nevil.example",
    "/\r\nLocation: https://evil.example",
    "/%0d%0aLocation:%20https://evil.example",
    "/%09/evil.example",
    "/%00evil.example",
    "/\u{7f}evil.example",
    "/\u{2215}\u{2215}evil.example",
    "/\u{ff0f}evil.example",
    "/deployments/%zz",
    "/%",
    "/a\\b",
];

async fn hostile_paths_are_refused_and_never_redirect(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let before = app.events().await.len();
    for path in HOSTILE {
        let response = login(
            &app,
            json!({"username": "ann", "password": PASSWORD, "login_state": {"path": path}}),
        )
        .await;
        assert!(response.headers().get("location").is_none(), "{path:?}");
        assert_eq!(
            error_of(response).await,
            (
                400,
                "root.invalid_request".to_owned(),
                invalid(&["login_state.path"])
            ),
            "{path:?}"
        );
    }
    let after = app.events().await.len();
    assert_eq!(before, after, "no sign-in was even attempted");
    let typed = login(
        &app,
        json!({"username": "ann", "password": PASSWORD, "login_state": {"path": 7}}),
    )
    .await;
    assert_eq!(error_of(typed).await.2, invalid(&["login_state.path"]));
}

async fn refusals_and_malformed_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let unauthenticated = (
        401,
        "root.unauthenticated".to_owned(),
        error(
            "root.unauthenticated",
            "The supplied authentication is invalid.",
        ),
    );
    for body in [
        json!({"username": "ann", "password": "not the password"}),
        json!({"username": "nobody", "password": PASSWORD}),
    ] {
        assert_eq!(error_of(login(&app, body).await).await, unauthenticated);
    }
    let (status, code, body) = error_of(
        login(
            &app,
            json!({"username": "mo@example.test", "password": PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!((status, code.as_str()), (401, "root.unauthenticated"));
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("/v1/login"),
        "a second factor is needed: the message points to the native API"
    );
    for (body, fields) in [
        (json!({}), vec!["username", "password"]),
        (json!({"username": "ann"}), vec!["password"]),
        (json!({"username": "ann", "password": 42}), vec!["password"]),
        (
            json!({"username": "ann", "password": PASSWORD, "login_state": "x"}),
            vec!["login_state"],
        ),
    ] {
        assert_eq!(
            error_of(login(&app, body.clone()).await).await,
            (400, "root.invalid_request".to_owned(), invalid(&fields)),
            "{body}"
        );
    }
    let not_json = app
        .client
        .post(app.url(&format!("{BASE}/users/auth/_login")))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(not_json).await.2, invalid(&["body"]));
    let huge = login(
        &app,
        json!({"username": "x".repeat(100_000), "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        error_of(huge).await,
        (
            413,
            "root.payload_too_large".to_owned(),
            error("root.payload_too_large", "The request body is too large.")
        )
    );
    for _ in 0..5 {
        login(&app, json!({"username": "ann", "password": "wrong"})).await;
    }
    assert_eq!(
        error_of(login(&app, json!({"username": "ann", "password": PASSWORD})).await).await,
        unauthenticated,
        "a locked identifier says nothing more"
    );
}

async fn refresh_replaces_the_token_and_logout_ends_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let old = token_of(login(&app, json!({"username": "ann", "password": PASSWORD})).await).await;
    let refreshed = post(&app, "/users/auth/_refresh", Some(&old), None).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let new = refreshed["token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(refreshed["session_expiration_time"], "2026-03-01T09:05:00Z");
    assert_eq!(get(&app, "/users/auth", Some(new)).await.status(), 200);
    let unauthorized = (
        401,
        "root.unauthorized".to_owned(),
        error(
            "root.unauthorized",
            "The authentication token is invalid or expired.",
        ),
    );
    assert_eq!(
        error_of(get(&app, "/users/auth", Some(&old)).await).await,
        unauthorized
    );
    assert_eq!(
        error_of(post(&app, "/users/auth/_refresh", Some(&old), None).await).await,
        unauthorized
    );

    let out = post(&app, "/users/auth/_logout", Some(new), None).await;
    assert_eq!(out.status(), 200);
    assert_eq!(out.json::<Value>().await.unwrap(), json!({}));
    assert_eq!(
        error_of(get(&app, "/users/auth", Some(new)).await).await,
        unauthorized
    );
    assert_eq!(
        error_of(post(&app, "/users/auth/_logout", None, None).await).await,
        unauthorized
    );
}

async fn auth_info_methods_rate_limits_and_maintenance(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_identifier = doorward::config::Rate {
            burst: 2,
            per: Duration::from_secs(60),
        };
    })
    .await;
    provision(&app).await;
    let token = token_of(login(&app, json!({"username": "ann", "password": PASSWORD})).await).await;
    let info: Value = get(&app, "/users/auth", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        info,
        json!({
            "has_elevated_permissions": false,
            "refresh_token_url": "/ece/api/v1/users/auth/_refresh",
            "expires_at": "2026-03-01T09:05:00Z"
        })
    );
    let methods: Value = get(&app, "/users/auth/methods", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        methods,
        json!({"password": true, "saml": false, "openid": false, "sso_methods": []})
    );

    // Guesses spend the identifier's allowance; right passwords give their token back.
    for _ in 0..2 {
        login(
            &app,
            json!({"username": "ann", "password": "wrong password"}),
        )
        .await;
    }
    let limited = login(&app, json!({"username": "ann", "password": PASSWORD})).await;
    assert_eq!(limited.headers()["retry-after"], "30");
    let (status, code, _) = error_of(limited).await;
    assert_eq!((status, code.as_str()), (429, "root.too_many_requests"));

    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    let down = get(&app, "/users/auth/methods", None).await;
    assert_eq!(down.headers()["retry-after"], "120");
    let (status, code, _) = error_of(down).await;
    assert_eq!((status, code.as_str()), (503, "root.unavailable"));
}

fn template_directory(url: &str) -> DirectoryConfig {
    DirectoryConfig {
        url: url.to_owned(),
        starttls: false,
        tls_verify: true,
        timeout: Duration::from_secs(2),
        bind_dn: Some("uid={username},ou=people,dc=example,dc=test".to_owned()),
        search_base: None,
        search_filter: None,
        search_bind_dn: None,
        search_bind_password: None,
    }
}

async fn directory_user_signs_in_by_dn_template(backend: Backend) {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let url = slapd.url.clone();
    let app = TestApp::spawn_with(backend, |c| c.directory = Some(template_directory(&url))).await;
    provision(&app).await;
    let token = token_of(
        login(
            &app,
            json!({"username": "dora", "password": DIRECTORY_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(get(&app, "/users/auth", Some(&token)).await.status(), 200);
    assert_eq!(
        app.instance.session_status(&app.client, &token).await,
        200,
        "a normal session, on every face"
    );
    let wrong = login(&app, json!({"username": "dora", "password": "not it"})).await;
    assert_eq!(
        error_of(wrong).await,
        (
            401,
            "root.unauthenticated".to_owned(),
            error(
                "root.unauthenticated",
                "The supplied authentication is invalid."
            )
        )
    );
    // Local users still sign in as before.
    assert_eq!(
        login(&app, json!({"username": "ann", "password": PASSWORD}))
            .await
            .status(),
        200
    );
    drop(slapd);
}

async fn directory_user_signs_in_by_search_then_bind(backend: Backend) {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let url = slapd.url.clone();
    let app = TestApp::spawn_with(backend, |c| {
        c.directory = Some(search_directory(&url, "admin-secret"))
    })
    .await;
    provision(&app).await;
    let signed_in = login(
        &app,
        json!({"username": "dora@example.test", "password": DIRECTORY_PASSWORD}),
    )
    .await;
    assert_eq!(signed_in.status(), 200);
    let wrong = login(
        &app,
        json!({"username": "dora@example.test", "password": "nope"}),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    drop(slapd);
}

async fn no_directory_configured_is_501(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    assert_eq!(
        error_of(
            login(
                &app,
                json!({"username": "dora", "password": DIRECTORY_PASSWORD})
            )
            .await
        )
        .await,
        (
            501,
            "authc.no_authentication_cluster".to_owned(),
            error(
                "authc.no_authentication_cluster",
                "The administrator needs to configure the authentication cluster."
            )
        )
    );
}

async fn directory_down_is_502(backend: Backend) {
    // A port that nothing listens on.
    let port = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("ldap://127.0.0.1:{port}");
    let app = TestApp::spawn_with(backend, |c| c.directory = Some(template_directory(&url))).await;
    provision(&app).await;
    let (status, code, body) = error_of(
        login(
            &app,
            json!({"username": "dora", "password": DIRECTORY_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (502, "authc.authentication_cluster_error")
    );
    // A curated message; the cause (host, port, the LDAP library's text) goes to the log only.
    assert_eq!(
        body["errors"][0]["message"],
        "The authentication cluster could not be reached; try again later.",
        "{body}"
    );
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");
    assert!(!body.to_string().contains(&port.to_string()), "{body}");
    // The failure was not the user's: it does not count towards a lock.
    for _ in 0..6 {
        login(
            &app,
            json!({"username": "dora", "password": DIRECTORY_PASSWORD}),
        )
        .await;
    }
    let still = login(
        &app,
        json!({"username": "dora", "password": DIRECTORY_PASSWORD}),
    )
    .await;
    assert_eq!(still.status(), 502, "not locked");
}

async fn a_refused_search_account_is_a_configuration_502(backend: Backend) {
    let Some(slapd) = Slapd::start().await else {
        return;
    };
    let url = slapd.url.clone();
    let app = TestApp::spawn_with(backend, |c| {
        c.directory = Some(search_directory(&url, "not-the-admin-secret"))
    })
    .await;
    provision(&app).await;
    let (status, code, body) = error_of(
        login(
            &app,
            json!({"username": "dora@example.test", "password": DIRECTORY_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (502, "authc.authentication_cluster_error")
    );
    assert_eq!(
        body["errors"][0]["message"],
        "The authentication cluster is not configured correctly; the administrator must fix it."
    );
    assert!(!body.to_string().contains("result code"), "{body}");
    drop(slapd);
}

/// The directory found by a search under `ou=people` by mail, bound as the admin with
/// `password`.
fn search_directory(url: &str, password: &str) -> DirectoryConfig {
    DirectoryConfig {
        bind_dn: None,
        search_base: Some("ou=people,dc=example,dc=test".to_owned()),
        search_filter: Some("(mail={email})".to_owned()),
        search_bind_dn: Some("cn=admin,dc=example,dc=test".to_owned()),
        search_bind_password: Some(password.to_owned().into()),
        ..template_directory(url)
    }
}
