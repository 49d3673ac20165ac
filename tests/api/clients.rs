//! Requests built the way the platforms' own clients build them (issue 15): multipart bodies
//! with real boundaries, cookies carried from response to request, `BEARER` in capitals,
//! `text/json` and forms with odd-case keys, strict generated clients reading Weavr errors.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

both_backends!(
    amplify_sdk_signs_in_with_multipart_and_follows_its_cookie,
    amplify_device_authorisation_says_valid_and_not_expired,
    amplify_cli_reads_team_org_and_user_views,
    axonize_client_sends_text_json_forms_odd_keys_and_capital_bearer,
    weavr_generated_client_reads_only_platform_error_values,
    faces_served_by_host_answer_at_the_platforms_own_paths,
    weavr_current_api_wraps_identities_and_says_the_token_status,
);

const PASSWORD: &str = "correct horse battery";
const AMPLIFY: &str = "/amplify/api/v1";

/// A `multipart/form-data` body as browsers and the Appcelerator SDK send it.
fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "----doorwardFormBoundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The `connect.sid` of a response's `Set-Cookie` headers.
fn sid_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("connect.sid="))
        .and_then(|c| c.split(';').next())
        .expect("a connect.sid cookie")
        .to_owned()
}

async fn amplify_app(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    app.import(json!({
        "organizations": [
            {"id": "100", "name": "Acme"},
            {"id": "600", "name": "Second"},
            {"id": "700", "name": "Not hers"}
        ],
        "users": [
            {"id": "1001", "email": "ann@example.test", "name": "Ann Example", "password": PASSWORD,
             "memberships": [{"organization": "100", "role": "owner"},
                             {"organization": "600", "role": "member"}]},
            {"email": "mfa@example.test", "password": PASSWORD, "mfa": true,
             "phone": "+15550100", "memberships": [{"organization": "100"}]}
        ]
    }))
    .await;
    app
}

async fn amplify_sdk_signs_in_with_multipart_and_follows_its_cookie(backend: Backend) {
    let app = amplify_app(backend).await;
    let url = |path: &str| app.url(&format!("{AMPLIFY}{path}"));
    let post = |path: &str, cookie: Option<&str>, fields: &[(&str, &str)]| {
        let (content_type, body) = multipart(fields);
        let mut request = app
            .client
            .post(url(path))
            .header(CONTENT_TYPE, content_type)
            .body(body);
        if let Some(sid) = cookie {
            request = request.header(COOKIE, format!("connect.sid={sid}"));
        }
        request.send()
    };

    let login = post(
        "/auth/login",
        None,
        &[("username", "ann@example.test"), ("password", PASSWORD)],
    )
    .await
    .unwrap();
    assert_eq!(login.status(), 200);
    let first = sid_cookie(&login);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["result"]["sid"], first.as_str());
    assert_eq!(body["result"]["user"]["org_id"], "100", "the current org");

    // The switch rotates the session id: the old one stops, the new one comes back in Set-Cookie.
    let switched = post(
        "/auth/switchLoggedInOrg",
        Some(&first),
        &[("org_id", "600")],
    )
    .await
    .unwrap();
    assert_eq!(switched.status(), 200);
    let second = sid_cookie(&switched);
    assert_ne!(second, first);
    let body: Value = switched.json().await.unwrap();
    assert_eq!(body["result"]["sid"], second.as_str());
    assert_eq!(body["result"]["org_id"], "600");
    assert_eq!(body["result"]["user"]["org_id"], "600");

    let check = |sid: String| {
        app.client
            .get(url("/auth/checkSession"))
            .header(COOKIE, format!("theme=dark; connect.sid={sid}"))
            .send()
    };
    assert_eq!(check(first.clone()).await.unwrap().status(), 401);
    let current = check(second.clone()).await.unwrap();
    assert_eq!(current.status(), 200);
    let body: Value = current.json().await.unwrap();
    assert_eq!(body["result"]["user"]["org_id"], "600");

    // A multipart body that is not well formed is the face's 400, never a 500.
    let broken = app
        .client
        .post(url("/auth/login"))
        .header(CONTENT_TYPE, "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nno headers here")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let body: Value = broken.json().await.unwrap();
    assert_eq!(body["success"], false);

    let out = post("/auth/logout", Some(&second), &[]).await.unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(check(second).await.unwrap().status(), 401);
}

async fn amplify_device_authorisation_says_valid_and_not_expired(backend: Backend) {
    let app = amplify_app(backend).await;
    let url = |path: &str| app.url(&format!("{AMPLIFY}{path}"));
    let (content_type, body) =
        multipart(&[("username", "mfa@example.test"), ("password", PASSWORD)]);
    let login = app
        .client
        .post(url("/auth/login"))
        .header(CONTENT_TYPE, content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let sid = sid_cookie(&login);
    let pending: Value = login.json().await.unwrap();
    assert_eq!(pending["result"]["deviceAuthRequired"], true);
    assert!(pending["result"].get("valid").is_none());

    let (content_type, body) = multipart(&[("code", "123456")]);
    let authorised = app
        .client
        .post(url("/auth/deviceauth"))
        .header(CONTENT_TYPE, content_type)
        .header(COOKIE, format!("connect.sid={sid}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(authorised.status(), 200);
    let body: Value = authorised.json().await.unwrap();
    assert_eq!(body["result"]["valid"], true);
    assert_eq!(body["result"]["expired"], false);
    assert_eq!(body["result"]["deviceAuthRequired"], false);
}

async fn amplify_cli_reads_team_org_and_user_views(backend: Backend) {
    let app = amplify_app(backend).await;
    let url = |path: &str| app.url(&format!("{AMPLIFY}{path}"));
    let login: Value = crate::helpers::json_of(
        app.client
            .post(url("/auth/login"))
            .json(&json!({"username": "ann@example.test", "password": PASSWORD, "from": "cli"})),
    )
    .await;
    let sid = login["result"]["sid"].as_str().unwrap().to_owned();
    let get = |path: &str| app.client.get(url(path)).bearer_auth(&sid).send();

    let teams = get("/team?org_id=100").await.unwrap();
    assert_eq!(teams.status(), 200);
    assert_eq!(
        teams.json::<Value>().await.unwrap(),
        json!({"success": true, "result": []})
    );

    let org = get("/org/100").await.unwrap();
    assert_eq!(org.status(), 200);
    let org: Value = org.json().await.unwrap();
    assert_eq!(org["result"]["org_id"], "100");
    assert_eq!(org["result"]["guid"], "100");
    assert_eq!(org["result"]["name"], "Acme");
    assert_eq!(org["result"]["active"], true);
    assert_eq!(org["result"]["role"], "administrator");

    // Not hers, and not there at all: the same refusal, in the platform's shape.
    for other in ["/org/700", "/org/999"] {
        let refused = get(other).await.unwrap();
        assert_eq!(refused.status(), 403, "{other}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], 403);
    }

    let orgs: Value = get("/user/organizations")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = orgs["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["org_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["100", "600"]);

    // Without a session: LOGIN_REQUIRED.
    let anonymous = app.client.get(url("/team")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn axonize_client_sends_text_json_forms_odd_keys_and_capital_bearer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.import(json!({
        "applications": [{"id": "7d2b0c1e-3f4a-4b5c-8d6e-9f0a1b2c3d4e", "name": "Plant", "hostnames": ["plant.example.test"]}],
        "users": [{"email": "ann@example.test", "name": "Ann", "password": PASSWORD}]
    }))
    .await;
    let login = app.url("/axonize/api/auth/login");
    let as_text_json = app
        .client
        .post(&login)
        .header(CONTENT_TYPE, "text/json; charset=utf-8")
        .header("appId", "7d2b0c1e-3f4a-4b5c-8d6e-9f0a1b2c3d4e")
        .body(json!({"EMAIL": "ann@example.test", "Password": PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(as_text_json.status(), 200);
    let token = as_text_json.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let as_form = app
        .client
        .post(&login)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "Email=ann%40example.test&PASSWORD={}&Url=https%3A%2F%2Fplant.example.test%2F",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(as_form.status(), 200);

    let validated = app
        .client
        .get(app.url("/axonize/api/auth/validateToken"))
        .header("Authorization", format!("BEARER {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(validated.status(), 200);
    assert_eq!(validated.json::<Value>().await.unwrap()["valid"], true);

    // A type the platform does not list is still refused in its shape.
    let xml = app
        .client
        .post(&login)
        .header(CONTENT_TYPE, "application/xml")
        .header("appId", "7d2b0c1e-3f4a-4b5c-8d6e-9f0a1b2c3d4e")
        .body("<login/>")
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 400);
    assert!(xml.json::<Value>().await.unwrap()["error"]["message"].is_string());
}

/// Every `error` of a Weavr 400 is one of the platform's values.
fn assert_platform_errors(body: &Value) {
    const VALUES: [&str; 12] = [
        "REQUIRED",
        "HAS_TEXT",
        "REQUIRES",
        "SIZE",
        "RANGE",
        "IN",
        "NOT_IN",
        "REGEX",
        "EXACTLY",
        "AT_LEAST",
        "AT_MOST",
        "ALL_OR_NONE",
    ];
    let fields = body["syntaxErrors"]["invalidFields"].as_array().unwrap();
    assert!(!fields.is_empty(), "{body}");
    for field in fields {
        let error = field["error"].as_str().unwrap();
        assert!(VALUES.contains(&error), "{error} in {body}");
    }
}

async fn weavr_generated_client_reads_only_platform_error_values(backend: Backend) {
    const KEY: &str = "weavr-client-key";
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme", "kind": "corporate"}],
        "applications": [{"id": "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c09", "name": "weavr", "api_keys": [KEY]}],
        "users": [
            {"email": "ann@example.test", "password": PASSWORD, "phone": "+447700900123",
             "memberships": [{"organization": "100", "role": "owner"}]},
            {"email": "loner@example.test", "password": PASSWORD}
        ]
    }))
    .await;
    let url = |path: &str| app.url(&format!("/weavr/multi{path}"));
    let login = |body: String| {
        app.client
            .post(url("/login_with_password"))
            .header("api-key", KEY)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };

    for unreadable in ["{not json", "[1, 2]", ""] {
        let answer = login(unreadable.to_owned()).await.unwrap();
        assert_eq!(answer.status(), 400, "{unreadable:?}");
        assert_platform_errors(&answer.json().await.unwrap());
    }
    let too_long = "x".repeat(5000);
    let answer =
        login(json!({"email": "ann@example.test", "password": {"value": too_long}}).to_string())
            .await
            .unwrap();
    assert_eq!(answer.status(), 400);
    assert_platform_errors(&answer.json().await.unwrap());

    // No active organisation: no `identity` key at all, never `null`.
    let loner =
        login(json!({"email": "loner@example.test", "password": {"value": PASSWORD}}).to_string())
            .await
            .unwrap();
    assert_eq!(loner.status(), 200);
    let body: Value = loner.json().await.unwrap();
    assert!(body.get("identity").is_none(), "{body}");
    assert!(body["token"].is_string());

    let ann: Value =
        login(json!({"email": "ann@example.test", "password": {"value": PASSWORD}}).to_string())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(ann["identity"]["id"], "100");
    let token = ann["token"].as_str().unwrap().to_owned();

    // A bad push key (after the step-up it needs) is a REGEX, not an invented value.
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, url(path))
            .header("api-key", KEY)
            .bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };
    step_up_by_sms(&app, KEY, &token).await;
    let bad_key = call(
        reqwest::Method::POST,
        "/authentication_factors/push/BIOMETRIC",
        Some(json!({"publicKey": "not a key"})),
    )
    .await
    .unwrap();
    assert_eq!(bad_key.status(), 400);
    let body: Value = bad_key.json().await.unwrap();
    assert_platform_errors(&body);
    assert_eq!(body["syntaxErrors"]["invalidFields"][0]["error"], "REGEX");
}

async fn faces_served_by_host_answer_at_the_platforms_own_paths(backend: Backend) {
    // Amplify's and ECE's SDKs both call `/api/v1/...` whatever base they are given.
    let app = TestApp::spawn_with(backend, |c| {
        c.faces.amplify.hosts = vec!["amplify.example.test".to_owned()];
        c.faces.ece.hosts = vec!["ECE.example.test".to_owned()];
    })
    .await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme"}],
        "users": [{"email": "ann@example.test", "password": PASSWORD,
                   "memberships": [{"organization": "100"}]}]
    }))
    .await;
    let post = |host: &str, path: &str, body: Value| {
        app.client
            .post(app.url(path))
            .header(reqwest::header::HOST, host)
            .json(&body)
            .send()
    };
    let credentials = json!({"username": "ann@example.test", "password": PASSWORD});

    let amplify = post(
        "amplify.example.test",
        "/api/v1/auth/login",
        credentials.clone(),
    )
    .await
    .unwrap();
    assert_eq!(amplify.status(), 200);
    let body: Value = amplify.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["result"]["org_id"], "100");

    let ece = post(
        "ece.example.test:8443",
        "/api/v1/users/auth/_login",
        credentials.clone(),
    )
    .await
    .unwrap();
    assert_eq!(ece.status(), 200);
    let body: Value = ece.json().await.unwrap();
    assert!(body["token"].is_string(), "{body}");

    // The same path on the other face's host is that face's own 404.
    let wrong = post(
        "amplify.example.test",
        "/api/v1/users/auth/_login",
        credentials.clone(),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 404);
    assert_eq!(wrong.json::<Value>().await.unwrap()["success"], false);

    // Health checks and the native API keep their paths on a face's host; the base paths work
    // on every host.
    let health = app
        .client
        .get(app.url("/healthz"))
        .header(reqwest::header::HOST, "amplify.example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let native = post(
        "amplify.example.test",
        "/v1/login",
        json!({
            "login": "ann@example.test", "password": PASSWORD
        }),
    )
    .await
    .unwrap();
    assert_eq!(native.status(), 200);
    let based = post(
        "other.example.test",
        "/amplify/api/v1/auth/login",
        credentials.clone(),
    )
    .await
    .unwrap();
    assert_eq!(based.status(), 200);
    // Elsewhere `/api/v1` is nobody's: the native 404.
    let nowhere = post("other.example.test", "/api/v1/auth/login", credentials)
        .await
        .unwrap();
    assert_eq!(nowhere.status(), 404);
    assert_eq!(
        nowhere.headers()["content-type"],
        "application/problem+json"
    );
}

async fn weavr_current_api_wraps_identities_and_says_the_token_status(backend: Backend) {
    const KEY: &str = "weavr-current-key";
    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox = true;
        c.faces.weavr.version = doorward::config::ApiVersion::Current;
    })
    .await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme", "kind": "corporate"},
                          {"id": "200", "name": "Ann", "kind": "consumer"}],
        "applications": [{"id": "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c0a", "name": "weavr",
                          "api_keys": [KEY]}],
        "users": [{"email": "ann@example.test", "password": PASSWORD, "phone": "+447700900123",
                   "memberships": [{"organization": "100", "role": "owner"},
                                   {"organization": "200"}]}]
    }))
    .await;
    let url = |path: &str| app.url(&format!("/weavr/multi{path}"));
    let login: Value = crate::helpers::json_of(
        app.client
            .post(url("/login_with_password"))
            .header("api-key", KEY)
            .json(&json!({"email": "ann@example.test", "password": {"value": PASSWORD}})),
    )
    .await;
    let token = login["token"].as_str().unwrap().to_owned();
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = app
            .client
            .request(method, url(path))
            .header("api-key", KEY)
            .bearer_auth(&token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send()
    };

    let identities: Value = call(reqwest::Method::GET, "/identities", None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identities["count"], 2);
    assert_eq!(identities["responseCount"], 2);
    assert_eq!(identities["identities"][0]["id"]["type"], "CORPORATE");
    assert_eq!(identities["identities"][1]["name"], "Ann");

    let corporate = json!({"identity": {"type": "CORPORATE", "id": "100"}});
    let status = |body: Value| async {
        let answer: Value = call(reqwest::Method::POST, "/access_token", Some(body))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(corporate.clone()).await, "STANDARD");
    step_up_by_sms(&app, KEY, &token).await;
    assert_eq!(status(corporate).await, "STEPPED_UP");
}

/// Enrols the account's phone and steps the session up by SMS (sandbox codes).
async fn step_up_by_sms(app: &TestApp, key: &str, token: &str) {
    for (path, body) in [
        ("/authentication_factors/otp/SMS", None),
        (
            "/authentication_factors/otp/SMS/verify",
            Some(json!({"verificationCode": "123456"})),
        ),
        ("/stepup/challenges/otp/SMS", None),
        (
            "/stepup/challenges/otp/SMS/verify",
            Some(json!({"verificationCode": "123456"})),
        ),
    ] {
        let mut request = app
            .client
            .post(app.url(&format!("/weavr/multi{path}")))
            .header("api-key", key)
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        assert_eq!(request.send().await.unwrap().status(), 204, "{path}");
    }
}
