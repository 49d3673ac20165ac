//! The Amplify Platform face against its contract (`../shared/contracts/amplify.md`): every row
//! of the login error table (exact `description`, `code`, `internalCode`), SessionInfo, the
//! `connect.sid` cookie and the bearer, device authorisation for MFA, logout, findSession,
//! checkSession and switchLoggedInOrg; the sign-in order of DESIGN.md §3.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use serde_json::{Value, json};

both_backends!(
    login_answers_session_info_and_sets_the_cookie,
    form_bodies_and_the_cookie_work_like_json_and_the_bearer,
    parameter_errors,
    refusals_before_and_after_the_password,
    organisation_rows,
    external_accounts,
    host_and_application_rows,
    rate_limited_logins,
    device_authorisation_finishes_an_mfa_sign_in,
    logout_find_and_check_session,
    switching_organisation,
    maintenance_and_unknown_paths_in_the_face_shape,
    the_cookie_works_everywhere_and_is_secure_behind_an_https_proxy,
);

const BASE: &str = "/amplify/api/v1";
const PASSWORD: &str = "correct horse battery";
const PORTAL: &str = "b0b0b0b0-0000-4000-8000-000000000001";

async fn provision(app: &TestApp) {
    app.import(json!({
        "organizations": [
            {"id": "100", "name": "Acme"},
            {"id": "200", "name": "Waiting", "status": "pending"},
            {"id": "300", "name": "Federated", "idp_required": true},
            {"id": "400", "name": "Closed shop", "consumer_access": false},
            {"id": "500", "name": "Gone", "status": "disabled"},
            {"id": "600", "name": "Second"}
        ],
        "users": [
            {"id": "1001", "email": "ann@example.test", "username": "ann", "name": "Ann Marie Example",
             "password": PASSWORD, "phone": "+15550100",
             "memberships": [{"organization": "100", "role": "owner"},
                             {"organization": "600", "role": "member"},
                             {"organization": "200", "status": "pending"},
                             {"organization": "300"}]},
            {"email": "loner@example.test", "password": PASSWORD},
            {"email": "waiting@example.test", "password": PASSWORD,
             "memberships": [{"organization": "200"}]},
            {"email": "fed@example.test", "password": PASSWORD,
             "memberships": [{"organization": "300"}]},
            {"email": "reset@example.test", "password": PASSWORD, "password_state": "reset_required",
             "memberships": [{"organization": "100"}]},
            {"email": "new@example.test", "password": PASSWORD, "status": "pending_activation",
             "memberships": [{"organization": "100"}]},
            {"email": "off@example.test", "password": PASSWORD, "status": "disabled",
             "memberships": [{"organization": "100"}]}
        ]
    }))
    .await;
}

async fn login(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("{BASE}/auth/login")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn ann() -> Value {
    json!({"username": "ann@example.test", "password": PASSWORD})
}

fn as_user(email: &str, password: &str) -> Value {
    json!({"username": email, "password": password})
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn failure(code: u16, description: &str, internal: Option<u32>) -> Value {
    let mut body = json!({"success": false, "code": code, "description": description});
    if let Some(internal) = internal {
        body["internalCode"] = json!(internal);
    }
    body
}

const INVALID_LOGIN: &str = "Invalid username or password.";

fn invalid_login() -> (u16, Value) {
    (400, failure(400, INVALID_LOGIN, Some(2)))
}

async fn get(app: &TestApp, path: &str, sid: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(&format!("{BASE}{path}")));
    if let Some(sid) = sid {
        request = request.bearer_auth(sid);
    }
    request.send().await.unwrap()
}

async fn login_answers_session_info_and_sets_the_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let response = login(&app, ann()).await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let sid = body["result"]["sid"].as_str().unwrap();
    assert_eq!(
        set_cookie,
        format!("connect.sid={sid}; Path=/; HttpOnly; SameSite=Lax")
    );
    assert_eq!(
        body,
        json!({"success": true, "result": {
            "sid": sid,
            "guid": "1001", "user_guid": "1001",
            "email": "ann@example.test", "username": "ann",
            "firstname": "Ann", "lastname": "Marie Example",
            "org_id": "100",
            "org": {"org_id": "100", "guid": "100", "name": "Acme", "entitlements": {}},
            "orgs": [
                {"org_id": "100", "guid": "100", "name": "Acme", "role": "administrator"},
                {"org_id": "300", "guid": "300", "name": "Federated", "role": "developer"},
                {"org_id": "600", "guid": "600", "name": "Second", "role": "developer"}
            ],
            "role": "administrator", "roles": ["administrator"],
            "user": {"guid": "1001", "org_id": "100", "email": "ann@example.test",
                     "firstname": "Ann", "lastname": "Marie Example", "phone": "+15550100",
                     "date_activated": null},
            "from": "web",
            "expiry": "2026-03-01T09:05:00Z",
            "deviceAuthRequired": false
        }})
    );
}

async fn form_bodies_and_the_cookie_work_like_json_and_the_bearer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let response = app
        .client
        .post(app.url(&format!("{BASE}/auth/login")))
        .form(&[
            ("username", "ann@example.test"),
            ("password", PASSWORD),
            ("from", "cli"),
            ("org_hint", "600"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = answer(response).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["from"], "cli");
    assert_eq!(body["result"]["org_id"], "600");
    assert_eq!(body["result"]["role"], "developer");
    let sid = body["result"]["sid"].as_str().unwrap();

    let by_cookie = app
        .client
        .get(app.url(&format!("{BASE}/auth/checkSession")))
        .header("cookie", format!("lang=en; connect.sid={sid}"))
        .send()
        .await
        .unwrap();
    let (status, checked) = answer(by_cookie).await;
    assert_eq!(status, 200);
    assert_eq!(checked["result"]["sid"], sid);
    let (status, found) = answer(get(&app, "/auth/findSession", Some(sid)).await).await;
    assert_eq!(status, 200);
    assert_eq!(found["result"]["org"]["name"], "Second");
}

async fn parameter_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    for (body, expected) in [
        (
            json!({}),
            failure(400, "\"username\" is a required parameter.", Some(77)),
        ),
        (
            json!({"username": "ann@example.test"}),
            failure(400, "\"password\" is a required parameter.", Some(77)),
        ),
        (
            json!({"username": "", "password": PASSWORD}),
            failure(400, "\"username\" is a required parameter.", Some(77)),
        ),
        (
            json!({"username": 42, "password": PASSWORD}),
            failure(400, "\"username\" contained an invalid value.", Some(74)),
        ),
        (
            json!({"username": "ann@example.test", "password": PASSWORD, "from": "tablet"}),
            failure(400, "\"from\" contained an invalid value.", Some(74)),
        ),
        (
            json!({"username": "ann", "password": PASSWORD}),
            failure(400, "Username must be a valid email address.", Some(2)),
        ),
    ] {
        assert_eq!(
            answer(login(&app, body.clone()).await).await,
            (400, expected),
            "{body}"
        );
    }
}

async fn refusals_before_and_after_the_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    // With a wrong password, no account state shows (DESIGN.md §3).
    for email in [
        "ann@example.test",
        "nobody@example.test",
        "off@example.test",
        "new@example.test",
        "reset@example.test",
        "loner@example.test",
        "waiting@example.test",
    ] {
        assert_eq!(
            answer(login(&app, as_user(email, "not the password")).await).await,
            invalid_login(),
            "{email}"
        );
    }
    // With the right one, the state is told.
    for (email, expected) in [
        (
            "reset@example.test",
            (400, failure(400, "User must reset password.", Some(13))),
        ),
        (
            "new@example.test",
            (
                400,
                failure(
                    400,
                    "Your account has not been activated yet. Please check your email.",
                    Some(3),
                ),
            ),
        ),
        (
            "off@example.test",
            (
                401,
                failure(
                    401,
                    "Your account is not active. Please contact your administrator or the Amplify Platform support team.",
                    Some(4),
                ),
            ),
        ),
    ] {
        assert_eq!(
            answer(login(&app, as_user(email, PASSWORD)).await).await,
            expected,
            "{email}"
        );
    }
    // A locked identifier answers like a wrong password, even with the right one.
    for _ in 0..5 {
        login(&app, as_user("loner@example.test", "wrong")).await;
    }
    assert_eq!(
        answer(login(&app, as_user("loner@example.test", PASSWORD)).await).await,
        invalid_login()
    );
}

async fn organisation_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let switch = failure(
        400,
        "You are not a member of this organization or it is no longer active. Please contact your administrator or the Amplify Platform support team.",
        None,
    );
    for hint in ["500", "200", "999"] {
        let mut body = ann();
        body["org_hint"] = json!(hint);
        assert_eq!(
            answer(login(&app, body).await).await,
            (400, switch.clone()),
            "{hint}"
        );
    }
    let mut body = ann();
    body["org_hint"] = json!("300");
    assert_eq!(
        answer(login(&app, body).await).await,
        (
            401,
            failure(
                401,
                "You must sign in using the Identity Provider configured by your organization's administrators to access this organization.",
                Some(235)
            )
        )
    );
    assert_eq!(
        answer(login(&app, as_user("fed@example.test", PASSWORD)).await)
            .await
            .1["internalCode"],
        235
    );
    let mut body = ann();
    body["provider_guid"] = json!("400");
    assert_eq!(
        answer(login(&app, body).await).await,
        (
            400,
            failure(400, "Consumer organization access is disabled.", Some(431))
        )
    );
    assert_eq!(
        answer(login(&app, as_user("loner@example.test", PASSWORD)).await).await,
        (
            403,
            failure(
                403,
                "You are not a member of any active organizations. Please contact your administrator or the Amplify Platform support team.",
                Some(626)
            )
        )
    );
    assert_eq!(
        answer(login(&app, as_user("waiting@example.test", PASSWORD)).await).await,
        (
            403,
            failure(
                403,
                "Your organization requires approval. You will be notified by email when the organization is approved.",
                Some(7)
            )
        )
    );
}

async fn external_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    app.import(json!({"users": [
        {"email": "ext@example.test", "external_idp": "okta",
         "memberships": [{"organization": "100"}]},
        {"email": "tool@example.test", "external_idp": "okta", "tooling_password": "tooling secret 1",
         "memberships": [{"organization": "100"}]}
    ]}))
    .await;
    let external_cli = failure(
        400,
        "Your account is associated with an external identity provider. Please visit /user/credentials to set tooling credentials for your account.",
        Some(12),
    );
    let cli = |email: &str, password: &str| json!({"username": email, "password": password, "from": "cli"});
    assert_eq!(
        answer(login(&app, as_user("ext@example.test", "anything at all")).await).await,
        (
            400,
            failure(
                400,
                "Your account is associated with an external identity provider. Please sign in via the service you created your account with.",
                None
            )
        )
    );
    assert_eq!(
        answer(login(&app, cli("ext@example.test", "anything at all")).await).await,
        (400, external_cli.clone())
    );
    assert_eq!(
        answer(login(&app, cli("tool@example.test", "not the tooling one")).await).await,
        (400, external_cli)
    );
    let (status, body) =
        answer(login(&app, cli("tool@example.test", "tooling secret 1")).await).await;
    assert_eq!(
        status, 200,
        "a matching tooling password signs in from the CLI"
    );
    assert_eq!(body["result"]["from"], "cli");
}

async fn host_and_application_rows(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.faces.amplify.application = Some(PORTAL.to_owned());
    })
    .await;
    provision(&app).await;
    app.import(json!({"applications": [
        {"id": PORTAL, "name": "portal", "hostnames": ["login.example.test"], "organization": "600"}
    ]}))
    .await;
    assert_eq!(
        answer(login(&app, ann()).await).await,
        (
            400,
            failure(400, "Sign-in not supported on this hostname.", None)
        )
    );
    let on_host = |body: Value| {
        app.client
            .post(app.url(&format!("{BASE}/auth/login")))
            .header("host", "login.example.test")
            .json(&body)
            .send()
    };
    let (status, body) = answer(on_host(ann()).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["result"]["org_id"], "600",
        "the application's organisation"
    );
    app.import(
        json!({"users": [{"email": "other@example.test", "password": PASSWORD,
                                 "memberships": [{"organization": "100"}]}]}),
    )
    .await;
    assert_eq!(
        answer(
            on_host(as_user("other@example.test", PASSWORD))
                .await
                .unwrap()
        )
        .await,
        (
            403,
            failure(
                403,
                "You do not have access privileges to view this content.",
                None
            )
        )
    );
}

async fn rate_limited_logins(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_identifier = doorward::config::Rate {
            burst: 2,
            per: std::time::Duration::from_secs(60),
        };
    })
    .await;
    provision(&app).await;
    // Guesses spend the identifier's allowance; right passwords give their token back.
    login(&app, ann()).await;
    login(&app, as_user("ann@example.test", "wrong password")).await;
    login(&app, as_user("ann@example.test", "wrong password")).await;
    let limited = login(&app, ann()).await;
    assert_eq!(limited.headers()["retry-after"], "30");
    assert_eq!(
        answer(limited).await,
        (429, failure(429, "Too many requests.", None))
    );
}

async fn device_authorisation_finishes_an_mfa_sign_in(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.sandbox = true).await;
    provision(&app).await;
    app.import(
        json!({"users": [{"email": "mfa@example.test", "name": "Mo", "password": PASSWORD,
                                 "mfa": true, "memberships": [{"organization": "100"}]}]}),
    )
    .await;
    let (status, body) = answer(login(&app, as_user("mfa@example.test", PASSWORD)).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["deviceAuthRequired"], true);
    let pending = body["result"]["sid"].as_str().unwrap().to_owned();
    let login_required = (
        401,
        json!({"success": false, "description": "Sign-in Required", "code": 401}),
    );
    assert_eq!(
        answer(get(&app, "/auth/checkSession", Some(&pending)).await).await,
        login_required.clone(),
        "the pending session is good for nothing else"
    );
    let device_auth = |code: &str| {
        app.client
            .post(app.url(&format!("{BASE}/auth/deviceauth")))
            .header("cookie", format!("connect.sid={pending}"))
            .json(&json!({"code": code, "remember": false}))
            .send()
    };
    assert_eq!(
        answer(device_auth("000000").await.unwrap()).await,
        (400, failure(400, "Invalid authorization code.", Some(233)))
    );
    let done = device_auth("123456").await.unwrap();
    let set_cookie = done.headers()["set-cookie"].to_str().unwrap().to_owned();
    let (status, body) = answer(done).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["deviceAuthRequired"], false);
    let sid = body["result"]["sid"].as_str().unwrap();
    assert_ne!(sid, pending);
    assert!(set_cookie.starts_with(&format!("connect.sid={sid};")));
    assert_eq!(
        get(&app, "/auth/checkSession", Some(sid)).await.status(),
        200
    );

    // Five wrong codes end the challenge.
    let again = answer(login(&app, as_user("mfa@example.test", PASSWORD)).await)
        .await
        .1;
    let pending = again["result"]["sid"].as_str().unwrap().to_owned();
    let wrong = || {
        app.client
            .post(app.url(&format!("{BASE}/auth/deviceauth")))
            .bearer_auth(&pending)
            .json(&json!({"code": "000000"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(wrong().await.unwrap().status(), 400);
    }
    let late = app
        .client
        .post(app.url(&format!("{BASE}/auth/deviceauth")))
        .bearer_auth(&pending)
        .json(&json!({"code": "123456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(late).await, login_required);
}

async fn logout_find_and_check_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    assert_eq!(
        answer(get(&app, "/auth/findSession", None).await).await,
        (200, json!({"success": true, "result": null}))
    );
    let sid = answer(login(&app, ann()).await).await.1["result"]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, found) = answer(get(&app, "/auth/findSession", Some(&sid)).await).await;
    assert_eq!(status, 200);
    assert_eq!(found["result"]["user"]["email"], "ann@example.test");

    let out = get(&app, "/auth/logout", Some(&sid)).await;
    assert_eq!(
        out.headers()["set-cookie"],
        "connect.sid=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    );
    assert_eq!(
        answer(out).await,
        (200, json!({"success": true, "result": "Signed out."}))
    );
    assert_eq!(
        answer(get(&app, "/auth/findSession", Some(&sid)).await).await,
        (200, json!({"success": true, "result": null}))
    );
    let checked = get(&app, "/auth/checkSession", Some(&sid)).await;
    assert_eq!(
        checked.text().await.unwrap(),
        r#"{"success":false,"description":"Sign-in Required","code":401}"#,
        "to the byte"
    );
}

async fn switching_organisation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    let sid = answer(login(&app, ann()).await).await.1["result"]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let switch = |org: Value, sid: Option<String>| {
        let mut request = app
            .client
            .post(app.url(&format!("{BASE}/auth/switchLoggedInOrg")))
            .json(&json!({"org_id": org}));
        if let Some(sid) = sid {
            request = request.bearer_auth(sid);
        }
        request.send()
    };
    let (status, body) = answer(switch(json!(600), Some(sid.clone())).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["result"]["org"]["org_id"], "600");
    assert_eq!(body["result"]["role"], "developer");
    // The switch gives the session a new sid, as the platform does; the old one is dead.
    let old = sid;
    let sid = body["result"]["sid"].as_str().unwrap().to_owned();
    assert_ne!(sid, old);
    let (_, gone) = answer(get(&app, "/auth/findSession", Some(&old)).await).await;
    assert_eq!(gone["result"], Value::Null, "the old sid stopped working");
    let (_, found) = answer(get(&app, "/auth/findSession", Some(&sid)).await).await;
    assert_eq!(found["result"]["org_id"], "600", "the session moved");
    for org in ["200", "500", "999"] {
        let (status, body) = answer(switch(json!(org), Some(sid.clone())).await.unwrap()).await;
        assert_eq!(status, 400, "{org}");
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .starts_with("You are not a member of this organization")
        );
    }
    assert_eq!(
        answer(switch(json!("300"), Some(sid.clone())).await.unwrap())
            .await
            .1["internalCode"],
        235
    );
    assert_eq!(
        answer(switch(json!("100"), None).await.unwrap()).await,
        (
            401,
            json!({"success": false, "description": "Sign-in Required", "code": 401})
        )
    );
}

async fn maintenance_and_unknown_paths_in_the_face_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    provision(&app).await;
    assert_eq!(
        answer(get(&app, "/auth/nothing", None).await).await,
        (404, failure(404, "Not Found", None))
    );
    let malformed = app
        .client
        .post(app.url(&format!("{BASE}/auth/login")))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(malformed).await,
        (400, failure(400, "Invalid request body.", None))
    );
    let huge = login(
        &app,
        json!({"username": "x".repeat(100_000), "password": PASSWORD}),
    )
    .await;
    assert_eq!(
        answer(huge).await,
        (413, failure(413, "Request entity too large.", None))
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    let down = login(&app, ann()).await;
    assert_eq!(down.headers()["retry-after"], "120");
    assert_eq!(
        answer(down).await,
        (
            503,
            failure(
                503,
                "The service is down for maintenance. Please try again later.",
                None
            )
        )
    );
}

async fn the_cookie_works_everywhere_and_is_secure_behind_an_https_proxy(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    provision(&app).await;
    let response = app
        .client
        .post(app.url(&format!("{BASE}/auth/login")))
        .header("x-forwarded-proto", "https")
        .json(&ann())
        .send()
        .await
        .unwrap();
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.ends_with("; HttpOnly; SameSite=Lax; Secure"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let switched = app
        .client
        .post(app.url(&format!("{BASE}/auth/switchLoggedInOrg")))
        .header("cookie", &cookie)
        .header("x-forwarded-proto", "https")
        .json(&json!({"org_id": "600"}))
        .send()
        .await
        .unwrap();
    // The new sid comes back in the cookie, as secure as the first.
    let rotated = switched.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(rotated.ends_with("; Secure"), "{rotated}");
    let cookie = rotated.split(';').next().unwrap().to_owned();
    assert_eq!(answer(switched).await.1["result"]["org_id"], "600");
    let found = app
        .client
        .get(app.url(&format!("{BASE}/auth/findSession")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(found).await.1["result"]["org_id"], "600");
    let out = app
        .client
        .get(app.url(&format!("{BASE}/auth/logout")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let checked = app
        .client
        .get(app.url(&format!("{BASE}/auth/checkSession")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(checked.status(), 401, "the cookie's session ended");

    // Plain HTTP: no Secure.
    let plain = login(&app, ann()).await;
    let set_cookie = plain.headers()["set-cookie"].to_str().unwrap();
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
}
