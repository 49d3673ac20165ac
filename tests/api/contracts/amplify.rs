//! The Amplify Platform face's answers, pinned row by row of its contract.

use crate::helpers::{Backend, TestApp};
use crate::{both_backends, pin};
use serde_json::{Value, json};

both_backends!(amplify_contract);

const BASE: &str = "/amplify/api/v1";
const PASSWORD: &str = "correct horse battery";

async fn provision(app: &TestApp) {
    app.import(json!({
        "organizations": [
            {"id": "100", "name": "Acme"},
            {"id": "200", "name": "Waiting", "status": "pending"},
            {"id": "300", "name": "Federated", "idp_required": true},
            {"id": "400", "name": "Closed shop", "consumer_access": false},
            {"id": "600", "name": "Second"}
        ],
        "users": [
            {"id": "1001", "email": "ann@example.test", "username": "ann", "name": "Ann Marie Example",
             "password": PASSWORD, "phone": "+15550100",
             "memberships": [{"organization": "100", "role": "owner"},
                             {"organization": "600", "role": "member"}]},
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
             "memberships": [{"organization": "100"}]},
            {"email": "ext@example.test", "external_idp": "okta",
             "memberships": [{"organization": "100"}]},
            {"id": "1009", "email": "mfa@example.test", "password": PASSWORD, "mfa": true,
             "memberships": [{"organization": "100"}]}
        ]
    }))
    .await;
}

/// The session id a response's `Set-Cookie: connect.sid=…` carries.
fn sid_of(response: &reqwest::Response) -> String {
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let pair = cookie.split(';').next().unwrap();
    pair.trim_start_matches("connect.sid=").to_owned()
}

fn as_user(email: &str, password: &str) -> Value {
    json!({"username": email, "password": password})
}

async fn amplify_contract(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.sandbox = true;
        c.rate_limits.login_per_address.burst = 1_000;
    })
    .await;
    provision(&app).await;
    let url = |path: &str| app.url(&format!("{BASE}{path}"));
    let login = |body: Value| app.client.post(url("/auth/login")).json(&body).send();

    let ok = login(as_user("ann@example.test", PASSWORD)).await.unwrap();
    let sid = sid_of(&ok);
    pin!("amplify_login_ok", ok);
    let rows: [(&str, Value); 14] = [
        (
            "amplify_login_username_missing",
            json!({"password": PASSWORD}),
        ),
        (
            "amplify_login_password_empty",
            as_user("ann@example.test", ""),
        ),
        (
            "amplify_login_from_invalid",
            json!({"username": "ann@example.test", "password": PASSWORD, "from": 5}),
        ),
        ("amplify_login_username_not_email", as_user("ann", PASSWORD)),
        (
            "amplify_login_wrong_password",
            as_user("ann@example.test", "wrong"),
        ),
        (
            "amplify_login_unknown_user",
            as_user("nobody@example.test", "wrong"),
        ),
        (
            "amplify_login_external_web",
            as_user("ext@example.test", PASSWORD),
        ),
        (
            "amplify_login_external_cli",
            json!({"username": "ext@example.test", "password": PASSWORD, "from": "cli"}),
        ),
        (
            "amplify_login_reset_required",
            as_user("reset@example.test", PASSWORD),
        ),
        (
            "amplify_login_not_activated",
            as_user("new@example.test", PASSWORD),
        ),
        (
            "amplify_login_disabled",
            as_user("off@example.test", PASSWORD),
        ),
        (
            "amplify_login_org_hint_not_member",
            json!({"username": "ann@example.test", "password": PASSWORD, "org_hint": "400"}),
        ),
        (
            "amplify_login_idp_required",
            as_user("fed@example.test", PASSWORD),
        ),
        (
            "amplify_login_no_active_orgs",
            as_user("loner@example.test", PASSWORD),
        ),
    ];
    for (name, body) in rows {
        pin!(name, login(body).await.unwrap());
    }
    pin!(
        "amplify_login_pending_org",
        login(as_user("waiting@example.test", PASSWORD))
            .await
            .unwrap()
    );
    let cli = login(json!({"username": "ann@example.test", "password": PASSWORD, "from": "cli"}))
        .await
        .unwrap();
    let cli_sid = sid_of(&cli);
    pin!("amplify_login_cli", cli);
    // The session remembers that it was opened from a CLI.
    let found = app
        .client
        .get(url("/auth/findSession"))
        .bearer_auth(&cli_sid)
        .send()
        .await
        .unwrap();
    let found: Value = found.json().await.unwrap();
    assert_eq!(found["result"]["from"], "cli");
    pin!(
        "amplify_check_session_cli",
        app.client
            .get(url("/auth/checkSession"))
            .bearer_auth(&cli_sid)
            .send()
            .await
            .unwrap()
    );
    let malformed = app
        .client
        .post(url("/auth/login"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    pin!("amplify_login_malformed", malformed);
    let form = app
        .client
        .post(url("/auth/login"))
        .form(&[("username", "ann@example.test"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    pin!("amplify_login_form", form);

    let cookie = format!("connect.sid={sid}");
    let with_cookie = |path: &str| app.client.get(url(path)).header("cookie", &cookie).send();
    pin!(
        "amplify_find_session",
        with_cookie("/auth/findSession").await.unwrap()
    );
    pin!(
        "amplify_find_session_none",
        app.client
            .get(url("/auth/findSession"))
            .send()
            .await
            .unwrap()
    );
    pin!(
        "amplify_check_session",
        with_cookie("/auth/checkSession").await.unwrap()
    );
    pin!(
        "amplify_check_session_none",
        app.client
            .get(url("/auth/checkSession"))
            .send()
            .await
            .unwrap()
    );
    let switch = |sid: String, org: &str| {
        app.client
            .post(url("/auth/switchLoggedInOrg"))
            .bearer_auth(sid)
            .json(&json!({"org_id": org}))
            .send()
    };
    let switched = switch(sid.clone(), "600").await.unwrap();
    // The switch rotates the sid (issue 15): the next call carries the new one.
    let sid = sid_of(&switched);
    pin!("amplify_switch_org", switched);
    pin!(
        "amplify_switch_org_not_member",
        switch(sid.clone(), "400").await.unwrap()
    );

    let mfa = login(as_user("mfa@example.test", PASSWORD)).await.unwrap();
    let mfa_sid = sid_of(&mfa);
    pin!("amplify_login_mfa", mfa);
    let device_auth = |code: &str| {
        app.client
            .post(url("/auth/deviceauth"))
            .bearer_auth(&mfa_sid)
            .json(&json!({"code": code}))
            .send()
    };
    pin!(
        "amplify_deviceauth_wrong",
        device_auth("000000").await.unwrap()
    );
    pin!(
        "amplify_deviceauth_ok",
        device_auth("123456").await.unwrap()
    );

    pin!("amplify_logout", with_cookie("/auth/logout").await.unwrap());
    pin!(
        "amplify_unknown_path",
        app.client.get(url("/nothing")).send().await.unwrap()
    );
    for _ in 0..5 {
        login(as_user("ann@example.test", "wrong")).await.unwrap();
    }
    pin!(
        "amplify_login_locked",
        login(as_user("ann@example.test", PASSWORD)).await.unwrap()
    );
    app.instance
        .engine
        .set_maintenance(&doorward::domain::Actor::Cli, true)
        .await
        .unwrap();
    pin!(
        "amplify_maintenance",
        login(as_user("ann@example.test", PASSWORD)).await.unwrap()
    );
}
