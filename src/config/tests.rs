use super::*;
use std::io::Write;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn load(pairs: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
    Config::load(None, env(pairs))
}

#[test]
fn defaults_listen_on_localhost_8080_with_a_sqlite_file() {
    let config = load(&[]).unwrap().config;
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.database_url.expose(), "sqlite://doorward.db");
    assert_eq!(config.session.idle, Duration::from_secs(300));
    assert!(!config.sandbox);
}

#[test]
fn environment_overrides_nested_keys_and_ignores_test_variables() {
    let loaded = load(&[
        ("DOORWARD_SESSION__IDLE", "30s"),
        ("DOORWARD_SANDBOX", "true"),
        ("DOORWARD_TEST_POSTGRES_URL", "postgres://x"),
        ("HOME", "/root"),
    ])
    .unwrap();
    assert_eq!(loaded.config.session.idle, Duration::from_secs(30));
    assert!(loaded.config.sandbox);
    assert!(loaded.ignored_env.is_empty(), "{:?}", loaded.ignored_env);
}

#[test]
fn kubernetes_service_variables_are_passed_over_by_name_and_start_up_goes_on() {
    let loaded = load(&[
        ("DOORWARD_PORT", "tcp://10.0.0.7:8080"),
        ("DOORWARD_PORT_8080_TCP_ADDR", "10.0.0.7"),
        ("DOORWARD_SERVICE_HOST", "10.0.0.7"),
        ("DOORWARD_SESSION__IDEL", "5m"),
        ("DOORWARD_LISTEN", "0.0.0.0:9000"),
    ])
    .unwrap();
    assert_eq!(loaded.config.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(
        loaded.ignored_env,
        [
            "DOORWARD_PORT",
            "DOORWARD_PORT_8080_TCP_ADDR",
            "DOORWARD_SERVICE_HOST",
            "DOORWARD_SESSION__IDEL"
        ]
    );
}

#[test]
fn a_bad_environment_value_names_its_variable_and_key_once() {
    let err = load(&[("DOORWARD_SESSION__ABSOLUTE", "soon")]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("environment variable DOORWARD_SESSION__ABSOLUTE: `session.absolute`: "),
        "{text}"
    );
    assert_eq!(text.matches("session.absolute").count(), 1, "{text}");
    assert!(text.contains("`soon` is not a duration"), "{text}");
}

#[test]
fn an_unknown_key_in_the_file_is_named_once_with_its_line() {
    let f = file("sandbox = true\n\n[session]\nidel = \"5m\"\n");
    let err = Config::load(Some(f.path()), env(&[])).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(", line 4: `session.idel`: not a configuration key"),
        "{text}"
    );
    assert_eq!(text.matches("idel").count(), 1, "{text}");
    assert!(text.contains("idle"), "names the keys that exist: {text}");
}

#[test]
fn a_bad_value_in_the_file_gives_its_line() {
    let f = file("[lockout]\nmax_failures = \"five\"\n");
    let text = Config::load(Some(f.path()), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains(", line 2: `lockout.max_failures`: "),
        "{text}"
    );
}

#[test]
fn a_toml_syntax_error_gives_its_line() {
    let f = file("listen = \"127.0.0.1:1\"\n[session\nidle = \"1m\"\n");
    let err = Config::load(Some(f.path()), env(&[])).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { line: 2, .. }), "{err}");
}

#[test]
fn the_environment_overrides_the_file() {
    let f = file("[session]\nidle = \"1m\"\nabsolute = \"1h\"\n");
    let config = Config::load(Some(f.path()), env(&[("DOORWARD_SESSION__IDLE", "2m")]))
        .unwrap()
        .config;
    assert_eq!(config.session.idle, Duration::from_secs(120));
    assert_eq!(config.session.absolute, Duration::from_secs(3600));
}

#[test]
fn a_broken_rule_names_its_key() {
    let err = load(&[("DOORWARD_SESSION__ABSOLUTE", "1s")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "configuration key `session.absolute` must not be shorter than session.idle"
    );
}

#[test]
fn lists_and_tables_can_come_from_the_environment() {
    let config = load(&[
        (
            "DOORWARD_TRUSTED_PROXIES",
            r#"["10.0.0.0/8", "127.0.0.1/32"]"#,
        ),
        (
            "DOORWARD_RATE_LIMITS__LOGIN_PER_ADDRESS",
            r#"{burst = 3, per = "1s"}"#,
        ),
    ])
    .unwrap()
    .config;
    assert_eq!(config.trusted_proxies.len(), 2);
    assert_eq!(config.rate_limits.login_per_address.burst, 3);
}

#[test]
fn the_engine_gets_its_sections() {
    let config = load(&[("DOORWARD_LOCKOUT__MAX_FAILURES", "7")])
        .unwrap()
        .config;
    assert_eq!(config.engine().lockout.max_failures, 7);
}

#[test]
fn database_url_debug_hides_credentials() {
    let url = DatabaseUrl::new("postgres://user:hunter2@db/doorward");
    assert!(!format!("{url:?}").contains("hunter2"));
}

#[test]
fn a_directory_search_account_needs_its_password() {
    let f = file(
        "[directory]\nurl = \"ldap://127.0.0.1:389\"\nsearch_base = \"dc=example\"\n\
         search_filter = \"(uid={username})\"\nsearch_bind_dn = \"cn=reader,dc=example\"\n",
    );
    let err = Config::load(Some(f.path()), env(&[])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("configuration key `directory.search_bind_password` is required"),
        "{err}"
    );
}

#[test]
fn a_host_serves_one_face_only() {
    let err = load(&[
        ("DOORWARD_FACES__AMPLIFY__HOSTS", r#"["api.example.test"]"#),
        ("DOORWARD_FACES__ECE__HOSTS", r#"["API.example.test"]"#),
    ])
    .unwrap_err();
    assert!(err.to_string().contains("faces.*.hosts"), "{err}");
    let err = load(&[("DOORWARD_FACES__ECE__HOSTS", r#"["api.example.test:443"]"#)]).unwrap_err();
    assert!(err.to_string().contains("faces.ece.hosts"), "{err}");
    let config = load(&[("DOORWARD_FACES__ECE__HOSTS", r#"["api.example.test"]"#)])
        .unwrap()
        .config;
    assert_eq!(config.faces.ece.hosts, ["api.example.test"]);
}

#[test]
fn a_face_configured_without_its_base_keeps_the_default_base() {
    let config = load(&[("DOORWARD_FACES__WEAVR__ENABLED", "false")])
        .unwrap()
        .config;
    assert!(!config.faces.weavr.enabled);
    assert_eq!(config.faces.weavr.base, "/weavr/multi");
}
