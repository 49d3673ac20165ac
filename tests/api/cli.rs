//! The `doorward` binary: configuration errors stop start-up; `migrate`, `import`, `admin token
//! create` and `user …` act on the same store as the HTTP API.

use crate::both_backends;
use crate::helpers::{Backend, TestApp, code_of};
use serde_json::Value;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

both_backends!(
    cli_commands_act_on_the_shared_store,
    cli_prints_json_and_manages_admin_tokens
);

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn doorward(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_doorward"));
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("run doorward");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("doorward finished")
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn serve_starts_with_nothing_and_stops_gracefully_on_sigterm() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_doorward"))
        .arg("serve")
        .current_dir(dir.path())
        .env("DOORWARD_LISTEN", "127.0.0.1:0")
        .env("DOORWARD_METRICS__LISTEN", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Standard error is no terminal here, so the log lines are JSON.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut metrics_at = None;
    let address = loop {
        let line = lines.next_line().await.unwrap().expect("a listening line");
        let entry: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let fields = &entry["fields"];
        if fields["message"] == "metrics listening" {
            metrics_at = fields["address"].as_str().map(str::to_owned);
        }
        if fields["message"] == "doorward listening" {
            assert_eq!(fields["store"], "sqlite", "{line}");
            break fields["address"].as_str().unwrap().to_owned();
        }
    };
    let metrics_at = metrics_at.expect("the metrics listener is announced first");
    let scraped = reqwest::get(format!("http://{metrics_at}/metrics"))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .unwrap()
            .contains("doorward_build_info")
    );
    let public = reqwest::get(format!("http://{address}/metrics"))
        .await
        .unwrap();
    assert_eq!(
        public.status(),
        404,
        "with metrics.listen, not on the public listener"
    );
    assert!(
        dir.path().join("doorward.db").exists(),
        "created ./doorward.db"
    );
    let health = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // What the container's HEALTHCHECK runs.
    let listen = [("DOORWARD_LISTEN", address.as_str())];
    let probe = doorward(&["health"], &listen, None).await;
    assert!(probe.ok, "{}", probe.stderr);
    assert!(probe.stdout.contains("/readyz: 200"), "{}", probe.stdout);

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "graceful exit, got {status}");
    let probe = doorward(&["health"], &listen, None).await;
    assert!(!probe.ok, "a stopped server is not healthy");
}

#[tokio::test]
async fn bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("d.db").display());

    let run = doorward(
        &["serve"],
        &[
            ("DOORWARD_DATABASE_URL", &db),
            ("DOORWARD_SESSION__IDLE", "soon"),
        ],
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("environment variable DOORWARD_SESSION__IDLE: `session.idle`: `soon`"),
        "{}",
        run.stderr
    );

    let file = dir.path().join("doorward.toml");
    std::fs::write(&file, "[session]\nidel = \"5m\"\n").unwrap();
    let config = file.to_str().unwrap();
    let run = doorward(
        &["serve", "--config", config],
        &[("DOORWARD_DATABASE_URL", &db)],
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("doorward.toml, line 2: `session.idel`: not a configuration key"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.matches("idel").count(), 1, "{}", run.stderr);

    let run = doorward(
        &["serve"],
        &[
            ("DOORWARD_DATABASE_URL", &db),
            ("DOORWARD_SESSION__IDLE", "soon"),
        ],
        None,
    )
    .await;
    assert!(!run.ok);
    assert!(run.stderr.contains("session.idle"), "{}", run.stderr);
}

async fn cli_commands_act_on_the_shared_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let env = [("DOORWARD_DATABASE_URL", app.database_url())];

    let migrate = doorward(&["migrate"], &env, None).await;
    assert!(migrate.ok, "{}", migrate.stderr);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.json");
    std::fs::write(
        &file,
        r#"{"users": [{"email": "bo@example.test", "password": "imported passphrase"}]}"#,
    )
    .unwrap();
    let import = doorward(&["import", file.to_str().unwrap()], &env, None).await;
    assert!(import.ok, "{}", import.stderr);
    assert!(import.stdout.contains("\"created\":1"), "{}", import.stdout);
    assert_eq!(
        app.login("bo@example.test", "imported passphrase")
            .await
            .status(),
        200
    );

    let create = doorward(
        &[
            "user",
            "create",
            "--email",
            "ann@example.test",
            "--password-stdin",
        ],
        &env,
        Some("first passphrase\n"),
    )
    .await;
    assert!(create.ok, "{}", create.stderr);
    assert!(!create.stdout.contains("first passphrase"));
    assert_eq!(
        app.login("ann@example.test", "first passphrase")
            .await
            .status(),
        200
    );

    let list = doorward(&["user", "list"], &env, None).await;
    assert!(
        list.stdout.contains("ann@example.test\tactive"),
        "{}",
        list.stdout
    );

    assert!(
        doorward(&["user", "disable", "ann@example.test"], &env, None)
            .await
            .ok
    );
    assert_eq!(
        code_of(app.login("ann@example.test", "first passphrase").await).await,
        "account_disabled"
    );
    assert!(
        doorward(&["user", "enable", "ann@example.test"], &env, None)
            .await
            .ok
    );
    let set = doorward(
        &["user", "set-password", "ann@example.test"],
        &env,
        Some("second passphrase\n"),
    )
    .await;
    assert!(set.ok, "{}", set.stderr);
    assert_eq!(
        app.login("ann@example.test", "second passphrase")
            .await
            .status(),
        200
    );

    for _ in 0..5 {
        app.login("bo@example.test", "wrong password").await;
    }
    assert_eq!(
        app.login("bo@example.test", "imported passphrase")
            .await
            .status(),
        423
    );
    let unlock = doorward(&["user", "unlock", "bo@example.test"], &env, None).await;
    // The binary runs on the wall clock, the test on its own: only the effect is compared.
    assert!(unlock.ok, "{}", unlock.stderr);
    assert_eq!(
        app.login("bo@example.test", "imported passphrase")
            .await
            .status(),
        200
    );

    assert!(doorward(&["maintenance", "on"], &env, None).await.ok);
    app.advance(time::Duration::seconds(1));
    assert_eq!(
        app.login("ann@example.test", "second passphrase")
            .await
            .status(),
        503
    );
    assert!(doorward(&["maintenance", "off"], &env, None).await.ok);
    app.advance(time::Duration::seconds(1));

    let rotated = doorward(&["keys", "rotate"], &env, None).await;
    assert!(rotated.ok, "{}", rotated.stderr);
    let kid = rotated.stdout.trim().to_owned();
    assert_eq!(kid.len(), 32, "{kid}");
    app.advance(time::Duration::minutes(1));
    let jwks: Value =
        crate::helpers::json_of(app.client.get(app.url("/.well-known/jwks.json"))).await;
    assert!(
        jwks.to_string().contains(&kid),
        "the running server publishes the rotated key"
    );

    let token = doorward(&["admin", "token", "create"], &env, None).await;
    assert!(token.ok, "{}", token.stderr);
    let admin = token.stdout.trim();
    assert_eq!(app.get_auth("/v1/admin/users", admin).await.status(), 200);
}

#[tokio::test]
async fn doorward_variables_that_are_not_keys_are_warned_about_and_start_up_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("d.db").display());
    // What a Kubernetes Service named `doorward` injects, and a misspelt key.
    let run = doorward(
        &["migrate"],
        &[
            ("DOORWARD_DATABASE_URL", &db),
            ("DOORWARD_PORT", "tcp://10.0.0.7:8080"),
            ("DOORWARD_PORT_8080_TCP_ADDR", "10.0.0.7"),
            ("DOORWARD_SESION__IDLE", "5m"),
        ],
        None,
    )
    .await;
    assert!(run.ok, "{}", run.stderr);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("not configuration keys"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning: {}", run.stderr);
    for name in [
        "DOORWARD_PORT",
        "DOORWARD_PORT_8080_TCP_ADDR",
        "DOORWARD_SESION__IDLE",
    ] {
        assert!(warnings[0].contains(name), "{}", warnings[0]);
    }
    assert!(
        !run.stderr.contains("tcp://10.0.0.7"),
        "values are never logged"
    );
}

async fn cli_prints_json_and_manages_admin_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let env = [("DOORWARD_DATABASE_URL", app.database_url())];
    let json_of = |run: &Run| -> serde_json::Value {
        assert!(run.ok, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    };

    let created = doorward(
        &[
            "--output",
            "json",
            "admin",
            "token",
            "create",
            "--name",
            "deploy",
            "--scope",
            "users",
            "--expires-in",
            "30d",
        ],
        &env,
        None,
    )
    .await;
    let record = json_of(&created);
    assert_eq!(record["name"], "deploy");
    assert_eq!(record["scope"], "users");
    let token = record["token"].as_str().unwrap().to_owned();
    let made = app
        .post_auth(
            "/v1/admin/users",
            &token,
            serde_json::json!({"email": "cy@example.test"}),
        )
        .await;
    assert_eq!(made.status(), 201, "a users token creates users");
    assert_eq!(app.get_auth("/v1/admin/tokens", &token).await.status(), 403);

    let users = json_of(&doorward(&["user", "list", "--output", "json"], &env, None).await);
    assert_eq!(users[0]["email"], "cy@example.test");
    assert!(users[0].get("password_hash").is_none());

    let listed = doorward(&["admin", "token", "list", "--output", "json"], &env, None).await;
    assert!(
        !listed.stdout.contains(&token),
        "never a secret in a listing"
    );
    let listed = json_of(&listed);
    assert_eq!(listed[0]["name"], "deploy");

    let revoked = doorward(&["admin", "token", "revoke", "deploy"], &env, None).await;
    assert!(revoked.ok, "{}", revoked.stderr);
    assert_eq!(app.get_auth("/v1/admin/users", &token).await.status(), 401);
    let again = doorward(&["admin", "token", "revoke", "deploy"], &env, None).await;
    assert!(!again.ok, "nothing live to revoke");

    // The CLI is the actor of what it does.
    let admin = app.admin_token().await;
    let events = app.audit(&admin, "kind=admin_token_revoked").await;
    let outcomes: Vec<&Value> = events.iter().map(|e| &e["outcome"]).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        outcomes.contains(&&Value::from("success"))
            && outcomes.contains(&&Value::from("not_found"))
    );
    assert!(events.iter().all(|e| e["actor"] == "cli"), "{events:?}");

    // Enumerated arguments are clap value enums: a wrong one is refused, naming the choices.
    let wrong = doorward(&["admin", "token", "create", "--scope", "root"], &env, None).await;
    assert!(!wrong.ok);
    assert!(wrong.stderr.contains("security"), "{}", wrong.stderr);
}

#[tokio::test]
async fn completions_and_the_man_page_are_generated_without_a_store() {
    // A store that cannot be reached: these commands never open it.
    let nowhere = [(
        "DOORWARD_DATABASE_URL",
        "postgres://nobody@127.0.0.1:1/none",
    )];
    let bash = doorward(&["completions", "bash"], &nowhere, None).await;
    assert!(bash.ok, "{}", bash.stderr);
    assert!(
        bash.stdout.contains("_doorward()"),
        "a bash completion function"
    );
    assert!(bash.stdout.contains("revoke"), "subcommands are completed");
    let zsh = doorward(&["completions", "zsh"], &nowhere, None).await;
    assert!(
        zsh.stdout.starts_with("#compdef doorward"),
        "{}",
        zsh.stdout
    );
    let man = doorward(&["man"], &nowhere, None).await;
    assert!(man.ok, "{}", man.stderr);
    assert!(
        man.stdout.contains(".TH doorward 1"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(man.stdout.contains("completions"));
}
