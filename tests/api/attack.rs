//! Sign-in under concurrency and attack, through the real router: parallel right passwords
//! never lock, parallel wrong ones check at most `max_failures` passwords and lock once, the
//! owner signs in on every face from a known source or with a device token while an attacker
//! keeps the anonymous bucket locked, and failed API-key checks are limited per address.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::{Value, json};
use time::Duration;

both_backends!(
    two_hundred_parallel_right_passwords_all_succeed,
    two_hundred_parallel_wrong_passwords_check_five_and_lock_once,
    parallel_wrong_passwords_check_no_more_than_the_rate_allows,
    a_parallel_mix_of_right_and_wrong_passwords_never_answers_5xx,
    the_owner_signs_in_on_every_face_while_the_anonymous_bucket_is_locked,
    the_owner_signs_in_every_time_during_a_two_minute_attack,
    a_trusted_proxy_is_never_a_known_source,
    only_the_faces_that_hand_out_device_tokens_store_them,
    a_known_source_is_renewed_at_most_hourly_and_stays_known_while_used,
    wrong_api_keys_are_rate_limited_per_address,
);

const PASSWORD: &str = "correct horse battery";
const APP: &str = "5f0c6a8e-6b4f-4c55-9a51-0d0f8a1e7c01";
const KEY: &str = "attack-test-key";
const OWNER_IP: &str = "203.0.113.7";
const ATTACKER_IP: &str = "198.51.100.9";

/// Per-address limits lifted, a trusted proxy (so tests can speak from several addresses) and a
/// generous queue wait (CI runs other tests beside these on two cores).
async fn app(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address.burst = 100_000;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.lockout.queue_wait = std::time::Duration::from_secs(120);
        c.hashing.queue = 1_000;
    })
    .await;
    app.import(json!({
        "organizations": [{"id": "100", "name": "Acme", "kind": "corporate"}],
        "applications": [{"id": APP, "name": "attack", "api_keys": [KEY]}],
        "users": [{"id": "1001", "email": "ann@example.test", "password": PASSWORD,
                   "memberships": [{"organization": "100", "role": "owner"}]}]
    }))
    .await;
    app
}

/// `POST /v1/login` as if from `ip` (behind the trusted proxy), with an optional device token.
async fn native(
    app: &TestApp,
    ip: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/v1/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"login": "ann@example.test", "password": password}));
    if let Some(device) = device {
        request = request.header("doorward-device", device);
    }
    request.send().await.unwrap()
}

async fn parallel(app: &TestApp, passwords: Vec<&'static str>) -> Vec<u16> {
    let attempts: Vec<_> = passwords
        .into_iter()
        .map(|password| {
            let (client, url) = (app.client.clone(), app.url("/v1/login"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"login": "ann@example.test", "password": password}))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    statuses
}

async fn lockouts(app: &TestApp) -> usize {
    let events = app.events().await;
    events.iter().filter(|e| e.kind == "lockout").count()
}

async fn two_hundred_parallel_right_passwords_all_succeed(backend: Backend) {
    let app = app(backend).await;
    let statuses = parallel(&app, vec![PASSWORD; 200]).await;
    let refused: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
    assert_eq!(lockouts(&app).await, 0);
    assert_eq!(
        app.login("ann@example.test", PASSWORD).await.status(),
        200,
        "and the account is not locked afterwards"
    );
}

async fn two_hundred_parallel_wrong_passwords_check_five_and_lock_once(backend: Backend) {
    let app = app(backend).await;
    let before = app.instance.engine.hasher().verifications();
    let statuses = parallel(&app, vec!["wrong password"; 200]).await;
    let checked = app.instance.engine.hasher().verifications() - before;
    assert!(checked <= 5, "{checked} passwords checked");
    let wrong = statuses.iter().filter(|s| **s == 401).count() as u64;
    assert_eq!(wrong, checked, "each check answered 401: {statuses:?}");
    assert!(
        statuses.iter().all(|s| [401, 423, 429].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(lockouts(&app).await, 1, "exactly one lock");
    assert_eq!(app.login("ann@example.test", PASSWORD).await.status(), 423);
}

async fn parallel_wrong_passwords_check_no_more_than_the_rate_allows(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address.burst = 100_000;
        c.rate_limits.login_per_identifier.burst = 3;
        c.rate_limits.login_per_identifier.per = std::time::Duration::from_secs(60);
        c.lockout.max_failures = 100;
        c.lockout.queue_wait = std::time::Duration::from_secs(120);
        c.hashing.queue = 1_000;
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    let before = app.instance.engine.hasher().verifications();
    let statuses = parallel(&app, vec!["wrong password"; 100]).await;
    let checked = app.instance.engine.hasher().verifications() - before;
    // The admission takes the rate token in the statement that counts the attempt, so no
    // parallel attempt slips between the two.
    assert_eq!(checked, 3, "{checked} passwords checked: {statuses:?}");
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((wrong, limited), (3, 97), "{statuses:?}");
    assert_eq!(lockouts(&app).await, 0, "no lock: far below max_failures");
}

async fn a_parallel_mix_of_right_and_wrong_passwords_never_answers_5xx(backend: Backend) {
    let app = app(backend).await;
    let mix = (0..200)
        .map(|i| {
            if i % 2 == 0 {
                PASSWORD
            } else {
                "wrong password"
            }
        })
        .collect();
    let statuses = parallel(&app, mix).await;
    assert!(statuses.iter().all(|s| *s < 500), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
}

/// Signs in on `face` from `ip`, with a device token if given; the status.
async fn face_login(app: &TestApp, face: &str, ip: &str, device: Option<&str>) -> u16 {
    let (path, body) = match face {
        "native" => (
            "/v1/login",
            json!({"login": "ann@example.test", "password": PASSWORD}),
        ),
        "weavr" => (
            "/weavr/multi/login_with_password",
            json!({"email": "ann@example.test", "password": {"value": PASSWORD}}),
        ),
        "amplify" => (
            "/amplify/api/v1/auth/login",
            json!({"username": "ann@example.test", "password": PASSWORD}),
        ),
        "ece" => (
            "/ece/api/v1/users/auth/_login",
            json!({"username": "ann@example.test", "password": PASSWORD}),
        ),
        _ => (
            "/axonize/api/auth/login",
            json!({"email": "ann@example.test", "password": PASSWORD}),
        ),
    };
    let mut request = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", ip)
        .header("api-key", KEY)
        .header("appId", APP)
        .json(&body);
    if let Some(device) = device {
        request = request.header("doorward-device", device);
    }
    request.send().await.unwrap().status().as_u16()
}

const FACES: [&str; 5] = ["native", "weavr", "amplify", "ece", "axonize"];

async fn lock_the_anonymous_bucket(app: &TestApp) {
    for _ in 0..5 {
        assert_eq!(native(app, ATTACKER_IP, "wrong", None).await.status(), 401);
    }
    let locked = native(app, ATTACKER_IP, PASSWORD, None).await;
    assert_eq!(locked.status(), 423, "locked for the attacker");
}

async fn the_owner_signs_in_on_every_face_while_the_anonymous_bucket_is_locked(backend: Backend) {
    let app = app(backend).await;
    let first = native(&app, OWNER_IP, PASSWORD, None).await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.unwrap();
    let device = body["device_token"].as_str().unwrap().to_owned();

    // Amplify carries the device token in an HttpOnly cookie of its own.
    let amplify = app
        .client
        .post(app.url("/amplify/api/v1/auth/login"))
        .header("x-forwarded-for", "198.18.0.10")
        .json(&json!({"username": "ann@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> = amplify
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let device_cookie = cookies
        .iter()
        .find(|c| c.starts_with("doorward_device="))
        .expect("a device cookie")
        .clone();
    assert!(device_cookie.contains("HttpOnly"), "{device_cookie}");
    let cookie_pair = device_cookie.split(';').next().unwrap().to_owned();

    lock_the_anonymous_bucket(&app).await;
    for (i, face) in FACES.into_iter().enumerate() {
        // A fresh network each time: a success with the device token makes its network known.
        let (unknown, roaming) = (format!("100.64.{i}.99"), format!("100.65.{i}.99"));
        assert_ne!(
            face_login(&app, face, &unknown, None).await,
            200,
            "{face}: an unknown network without a device token is locked out"
        );
        assert_eq!(
            face_login(&app, face, OWNER_IP, None).await,
            200,
            "{face}: from the owner's known network"
        );
        assert_eq!(
            face_login(&app, face, &roaming, Some(&device)).await,
            200,
            "{face}: with the owner's device token"
        );
    }
    let with_cookie = app
        .client
        .post(app.url("/amplify/api/v1/auth/login"))
        .header("x-forwarded-for", "100.66.0.1")
        .header("cookie", cookie_pair)
        .json(&json!({"username": "ann@example.test", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), 200, "amplify: with the device cookie");
}

async fn the_owner_signs_in_every_time_during_a_two_minute_attack(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.user("ann@example.test", PASSWORD).await;
    let first = native(&app, OWNER_IP, PASSWORD, None).await;
    let body: Value = first.json().await.unwrap();
    let device = body["device_token"].as_str().unwrap().to_owned();
    // One wrong password every 2 seconds for two minutes, with the default limits.
    for second in (0..120).step_by(2) {
        let attacked = native(&app, ATTACKER_IP, "wrong password", None).await;
        assert_ne!(attacked.status(), 200);
        let known = native(&app, OWNER_IP, PASSWORD, None).await;
        assert_eq!(known.status(), 200, "known source, at {second} s");
        let roaming = native(&app, "192.0.2.33", PASSWORD, Some(&device)).await;
        assert_eq!(roaming.status(), 200, "device token, at {second} s");
        app.advance(Duration::seconds(2));
    }
    assert_eq!(
        native(&app, "100.64.5.1", PASSWORD, None).await.status(),
        423,
        "the attacker kept the anonymous bucket locked"
    );
}

async fn a_trusted_proxy_is_never_a_known_source(backend: Backend) {
    let app = app(backend).await;
    let through_proxy = || {
        app.client
            .post(app.url("/v1/login"))
            .json(&json!({"login": "ann@example.test", "password": PASSWORD}))
            .send()
    };
    // No X-Forwarded-For: the client is the proxy itself, which stands for everyone behind it.
    assert_eq!(through_proxy().await.unwrap().status(), 200);
    lock_the_anonymous_bucket(&app).await;
    assert_eq!(
        through_proxy().await.unwrap().status(),
        423,
        "the proxy's network did not become a known source"
    );
}

async fn only_the_faces_that_hand_out_device_tokens_store_them(backend: Backend) {
    let app = app(backend).await;
    let stored = || app.column("SELECT token_hash FROM device_tokens");
    for (face, hands_out) in [
        ("native", true),
        ("amplify", true),
        ("ece", false),
        ("weavr", false),
        ("axonize", false),
    ] {
        let before = stored().await.len();
        assert_eq!(face_login(&app, face, OWNER_IP, None).await, 200, "{face}");
        let made = stored().await.len() - before;
        assert_eq!(made, usize::from(hands_out), "{face}: device tokens stored");
    }
}

/// Until when the owner's network is a known source, as stored (Unix seconds).
async fn known_until(app: &TestApp) -> i64 {
    let stored = app
        .column("SELECT CAST(expires_at AS TEXT) FROM known_sources")
        .await;
    assert_eq!(stored.len(), 1, "one known source: {stored:?}");
    stored[0].parse().unwrap()
}

async fn a_known_source_is_renewed_at_most_hourly_and_stays_known_while_used(backend: Backend) {
    let app = app(backend).await;
    let lifetime = Duration::days(30).whole_seconds();
    let start = doorward::clock::Clock::now(&app.clock).unix_timestamp();
    assert_eq!(native(&app, OWNER_IP, PASSWORD, None).await.status(), 200);
    let first = known_until(&app).await;
    assert!(
        (first - (start + lifetime)).abs() <= 1,
        "known for its lifetime"
    );

    // Within the hour a sign-in from the network writes nothing; past it, one renews.
    app.advance(Duration::minutes(50));
    assert_eq!(native(&app, OWNER_IP, PASSWORD, None).await.status(), 200);
    assert_eq!(
        known_until(&app).await,
        first,
        "renewed at most once an hour"
    );
    app.advance(Duration::minutes(20));
    assert_eq!(native(&app, OWNER_IP, PASSWORD, None).await.status(), 200);
    assert!(
        (known_until(&app).await - (start + 70 * 60 + lifetime)).abs() <= 1,
        "renewed from the sign-in past the hour"
    );

    // Signing in keeps it known past the first lifetime: the owner still gets past a lock.
    app.advance(Duration::days(29));
    assert_eq!(native(&app, OWNER_IP, PASSWORD, None).await.status(), 200);
    app.advance(Duration::days(29));
    lock_the_anonymous_bucket(&app).await;
    assert_eq!(
        native(&app, OWNER_IP, PASSWORD, None).await.status(),
        200,
        "58 days on, still a known source"
    );
}

async fn wrong_api_keys_are_rate_limited_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.rate_limits.login_per_address.burst = 3;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    app.import(json!({"applications": [{"id": APP, "name": "attack", "api_keys": [KEY]}]}))
        .await;
    let identities = |ip: &'static str, key: &'static str| {
        app.client
            .get(app.url("/weavr/multi/identities"))
            .header("x-forwarded-for", ip)
            .header("api-key", key)
            .bearer_auth("not-a-session")
            .send()
    };
    for _ in 0..3 {
        let guess = identities(ATTACKER_IP, "guessed-key").await.unwrap();
        assert_eq!(guess.status(), 401);
    }
    let limited = identities(ATTACKER_IP, "guessed-key").await.unwrap();
    assert_eq!(limited.status(), 429, "the guesser is slowed down");
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        identities(ATTACKER_IP, KEY).await.unwrap().status(),
        429,
        "even the right key is not checked for that address now"
    );
    assert_eq!(
        identities(OWNER_IP, KEY).await.unwrap().status(),
        401,
        "another address gets past the key (and is refused its made-up session)"
    );

    let basic = |ip: &'static str| {
        app.client
            .post(app.url("/v1/introspect"))
            .header("x-forwarded-for", ip)
            .basic_auth(APP, Some("guessed-key"))
            .form(&[("token", "x")])
            .send()
    };
    for _ in 0..3 {
        assert_eq!(basic("192.0.2.5").await.unwrap().status(), 401);
    }
    let limited = basic("192.0.2.5").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(code_of(limited).await, "rate_limited");
}
