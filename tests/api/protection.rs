//! Account protection: lockout per identifier that heals by itself, cannot be abused to lock
//! the owner out (device tokens), cannot be slipped past in parallel, and holds across
//! instances; admin unlock; rate limits.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of, post_at};
use serde_json::{Value, json};
use time::Duration;

both_backends!(
    five_failures_lock_for_thirty_minutes_then_the_lock_heals,
    a_success_resets_the_failure_count,
    parallel_failures_lock_once_and_check_at_most_five_passwords,
    the_owner_keeps_signing_in_with_its_device_token,
    locked_unknown_identifier_looks_like_a_locked_real_one,
    lock_holds_on_every_instance,
    admin_unlock_lifts_the_lock,
    identifier_rate_limit_answers_429_with_retry_after_on_every_instance,
    an_attempt_whose_password_is_never_checked_spends_no_rate_token,
    address_rate_limit_believes_forwarded_for_only_from_trusted_proxies,
);

const PASSWORD: &str = "correct horse battery";

/// Rate limits out of the way, so that lockout alone is under test.
async fn app(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address.burst = 10_000;
        c.rate_limits.login_per_identifier.burst = 10_000;
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    app
}

async fn fail(app: &TestApp, times: usize) {
    for _ in 0..times {
        assert_eq!(
            app.login("ann@example.test", "wrong password")
                .await
                .status(),
            401
        );
    }
}

async fn five_failures_lock_for_thirty_minutes_then_the_lock_heals(backend: Backend) {
    let app = app(backend).await;
    fail(&app, 5).await;

    let locked = app.login("ann@example.test", PASSWORD).await;
    assert_eq!(
        locked.status(),
        423,
        "the right password is refused while locked"
    );
    assert_eq!(locked.headers()["retry-after"], "1800");
    let body: Value = locked.json().await.unwrap();
    assert_eq!(body["code"], "account_locked");
    assert_eq!(body["locked_until"], "2026-03-01T09:30:00Z");

    app.advance(Duration::minutes(29));
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 423);
    app.advance(Duration::minutes(1));
    assert_eq!(
        app.login("ann@example.test", PASSWORD).await.status(),
        200,
        "healed by itself"
    );
}

async fn a_success_resets_the_failure_count(backend: Backend) {
    let app = app(backend).await;
    fail(&app, 4).await;
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 200);
    fail(&app, 4).await;
    assert_eq!(
        app.login("ann@example.test", PASSWORD).await.status(),
        200,
        "only 4 since the success"
    );
}

async fn parallel_failures_lock_once_and_check_at_most_five_passwords(backend: Backend) {
    let app = app(backend).await;
    let checks_before = app.instance.engine.hasher().verifications();
    let attempts: Vec<_> = (0..100)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/v1/login"));
            tokio::spawn(async move {
                let body = json!({"login": "ann@example.test", "password": "wrong password"});
                post_at(&client, &url, body, None).await.status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let checked = app.instance.engine.hasher().verifications() - checks_before;
    assert!(checked <= 5, "{checked} passwords checked");
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count() as u64,
        checked
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 423),
        "{statuses:?}"
    );
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 423);
}

async fn device_token(app: &TestApp) -> String {
    let body: Value = app
        .login("ann@example.test", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    body["device_token"]
        .as_str()
        .expect("a device token")
        .to_owned()
}

async fn login_from(app: &TestApp, device: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/login"))
        .header("doorward-device", device)
        .json(&json!({"login": "ann@example.test", "password": password}))
        .send()
        .await
        .unwrap()
}

async fn the_owner_keeps_signing_in_with_its_device_token(backend: Backend) {
    let app = app(backend).await;
    let device = device_token(&app).await;

    fail(&app, 5).await; // an attacker, without the device token
    assert_eq!(
        app.login("ann@example.test", PASSWORD).await.status(),
        423,
        "locked for everyone else"
    );
    let owner = login_from(&app, &device, PASSWORD).await;
    assert_eq!(owner.status(), 200, "the owner's device is not locked out");
    let body: Value = owner.json().await.unwrap();
    assert_eq!(
        body["device_token"],
        device.as_str(),
        "the same device token is kept"
    );

    let forged = login_from(&app, "made-up-device-token", PASSWORD).await;
    assert_eq!(
        forged.status(),
        423,
        "an unknown device token counts as none"
    );

    for _ in 0..5 {
        assert_eq!(
            login_from(&app, &device, "wrong password").await.status(),
            401
        );
    }
    assert_eq!(
        login_from(&app, &device, PASSWORD).await.status(),
        423,
        "its own failures lock it"
    );
}

async fn locked_unknown_identifier_looks_like_a_locked_real_one(backend: Backend) {
    let app = app(backend).await;
    fail(&app, 5).await;
    for _ in 0..5 {
        app.login("nobody@example.test", "wrong password").await;
    }
    let real = app.login("ann@example.test", "wrong password").await;
    let unknown = app.login("nobody@example.test", "wrong password").await;
    assert_eq!(real.status(), 423);
    assert_eq!(unknown.status(), 423);
    assert_eq!(real.bytes().await.unwrap(), unknown.bytes().await.unwrap());
}

async fn lock_holds_on_every_instance(backend: Backend) {
    let app = app(backend).await;
    let other = app.another_instance().await;
    fail(&app, 5).await;
    let url = format!("{}/v1/login", other.base);
    let body = json!({"login": "ann@example.test", "password": PASSWORD});
    assert_eq!(post_at(&app.client, &url, body, None).await.status(), 423);
}

async fn admin_unlock_lifts_the_lock(backend: Backend) {
    let app = app(backend).await;
    fail(&app, 5).await;
    let admin = app.admin_token().await;
    let response = app
        .post_auth("/v1/admin/users/ann@example.test/unlock", &admin, json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["unlocked"], true);
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 200);
}

async fn identifier_rate_limit_answers_429_with_retry_after_on_every_instance(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_identifier.burst = 3;
        c.rate_limits.login_per_identifier.per = std::time::Duration::from_secs(30);
        c.lockout.max_failures = 100;
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    let other = app.another_instance().await;
    for _ in 0..5 {
        assert_eq!(
            app.login("ann@example.test", PASSWORD).await.status(),
            200,
            "a right password gives its token back"
        );
    }
    for _ in 0..2 {
        assert_eq!(app.login("ann@example.test", "wrong").await.status(), 401);
    }
    let url = format!("{}/v1/login", other.base);
    let wrong = json!({"login": "ann@example.test", "password": "wrong"});
    assert_eq!(
        post_at(&app.client, &url, wrong.clone(), None)
            .await
            .status(),
        401
    );
    let limited = post_at(&app.client, &url, wrong, None).await;
    assert_eq!(
        limited.status(),
        429,
        "the bucket is shared by both instances"
    );
    assert_eq!(limited.headers()["retry-after"], "10");
    assert_eq!(code_of(limited).await, "rate_limited");
    assert_eq!(
        app.login("bob@example.test", PASSWORD).await.status(),
        401,
        "other identifiers are not limited"
    );
    app.advance(Duration::seconds(10));
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 200);
}

async fn an_attempt_whose_password_is_never_checked_spends_no_rate_token(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address.burst = 10_000;
        c.rate_limits.login_per_identifier.burst = 3;
        c.rate_limits.login_per_identifier.per = std::time::Duration::from_secs(30);
    })
    .await;
    app.import(json!({"users": [{"email": "ext@example.test", "external_idp": "okta"}]}))
        .await;
    // The home-realm hint comes before any password is checked: it guesses nothing.
    for _ in 0..6 {
        let hinted = app.login("ext@example.test", "anything").await;
        assert_eq!(hinted.status(), 403, "the hint, not 429");
    }
    app.user("ann@example.test", PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(app.login("ann@example.test", "wrong").await.status(), 401);
    }
    assert_eq!(
        app.login("ann@example.test", "wrong").await.status(),
        429,
        "wrong passwords do spend it"
    );
}

async fn address_rate_limit_believes_forwarded_for_only_from_trusted_proxies(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address.burst = 2;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let from = |client_ip: &'static str| {
        app.client
            .post(app.url("/v1/login"))
            .header("x-forwarded-for", format!("{client_ip}, 127.0.0.1"))
            .json(&json!({"login": "x@example.test", "password": "whatever"}))
            .send()
    };
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 401);
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 401);
    let limited = from("198.51.100.1").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        from("198.51.100.2").await.unwrap().status(),
        401,
        "another client behind the proxy"
    );

    let untrusted = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.rate_limits.login_per_address.burst = 2
    })
    .await;
    for (i, expected) in [401, 401, 429].into_iter().enumerate() {
        let response = untrusted
            .client
            .post(untrusted.url("/v1/login"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .json(&json!({"login": format!("u{i}@example.test"), "password": "whatever"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            expected,
            "a forged header from an untrusted peer is ignored"
        );
    }
}
