//! `TestApp`: the real router on `127.0.0.1:0` over a fresh database (SQLite file or a new
//! PostgreSQL database), with a manual clock shared by every instance of the app.

use doorward::clock::ManualClock;
use doorward::config::{Config, DatabaseUrl};
use doorward::domain::Actor;
use doorward::engine::Engine;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Once};
use time::macros::datetime;
use tokio::net::TcpListener;

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    /// PostgreSQL from `DOORWARD_TEST_POSTGRES_URL`; `None` (and one notice) when it is unset.
    /// Under CI the variable is required: a CI run never skips PostgreSQL.
    pub fn postgres() -> Option<Self> {
        match std::env::var("DOORWARD_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Some(Self::Postgres(url)),
            _ => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must set DOORWARD_TEST_POSTGRES_URL: PostgreSQL tests may not be skipped"
                );
                static NOTICE: Once = Once::new();
                NOTICE.call_once(|| {
                    // Written past the test harness's capture so that a local run sees it.
                    let _ = writeln!(
                        std::io::stderr(),
                        "\nNOTICE: DOORWARD_TEST_POSTGRES_URL is not set: the PostgreSQL variants of the \
                         integration tests are SKIPPED (they pass without running).\n"
                    );
                });
                None
            }
        }
    }
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::helpers::Backend::postgres() {
                    super::$name(backend).await;
                }
            }
        }
    )*};
}

/// A database made for one test and removed after it.
struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    async fn create(backend: &Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("doorward.db").display());
                Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres(base) => {
                use sqlx::Connection;
                let name = format!("doorward_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(base)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create database");
                let url = with_database(base, &name);
                Self {
                    url,
                    _dir: None,
                    postgres: Some((base.clone(), name)),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((base, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a fresh thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// `postgres://u@h:5432/postgres?x=y` with its database replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = base
        .split_once('?')
        .map_or((base, None), |(b, q)| (b, Some(q)));
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let root = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// One running server instance.
pub struct Instance {
    pub base: String,
    pub engine: Arc<Engine>,
}

/// A test's application: its database, its clock, its first instance and an HTTP client.
pub struct TestApp {
    pub instance: Instance,
    pub clock: ManualClock,
    pub client: reqwest::Client,
    pub config: Config,
    db: TestDb,
}

/// The configuration tests run with: production hashing parameters, a small pool.
pub fn test_config(url: &str) -> Config {
    let defaults = Config::default();
    Config {
        database_url: DatabaseUrl::new(url),
        hashing: doorward::config::HashingConfig {
            workers: 2,
            ..defaults.hashing
        },
        ..defaults
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::create(&backend).await;
        let mut config = test_config(&db.url);
        tweak(&mut config);
        let clock = ManualClock::new(datetime!(2026-03-01 09:00 UTC));
        let instance = start_instance(config.clone(), clock.clone()).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            instance,
            clock,
            client,
            config,
            db,
        }
    }

    /// Another server instance on the same database and clock (as behind a load balancer).
    pub async fn another_instance(&self) -> Instance {
        start_instance(self.config.clone(), self.clock.clone()).await
    }

    /// The database URL, for running the real binary against it.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// The name of the test's database, from its URL (without the URL's parameters).
    pub fn database_name(&self) -> String {
        let url = self.database_url();
        let path = url.split('?').next().unwrap_or(url);
        path.rsplit('/').next().unwrap_or(path).to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.instance.base)
    }

    pub fn advance(&self, by: time::Duration) {
        self.clock.advance(by);
    }

    pub async fn import(&self, doc: Value) -> doorward::engine::ImportReport {
        self.instance
            .engine
            .import_json(&Actor::Cli, doc.to_string().as_bytes())
            .await
            .expect("import")
    }

    /// Imports one active user with a password, and returns its id.
    pub async fn user(&self, email: &str, password: &str) -> String {
        self.import(json!({"users": [{"email": email, "password": password}]}))
            .await;
        let user = doorward::engine::UserRef::parse(email).unwrap();
        self.instance.engine.user(&user).await.unwrap().id
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        post_at(&self.client, &self.url(path), body, None).await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Value) -> reqwest::Response {
        post_at(&self.client, &self.url(path), body, Some(token)).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        get_at(&self.client, &self.url(path), token).await
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.post("/v1/login", json!({"login": login, "password": password}))
            .await
    }

    /// Logs in and returns the token; panics unless the login succeeds.
    pub async fn token(&self, login: &str, password: &str) -> String {
        let response = self.login(login, password).await;
        assert_eq!(response.status(), 200, "login of {login} failed");
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// A new admin token of scope `all`.
    pub async fn admin_token(&self) -> String {
        let name = format!("test-{}", uuid::Uuid::new_v4().simple());
        self.scoped_admin_token(&name, doorward::domain::AdminScope::All)
            .await
    }

    /// A new admin token with a name and a scope.
    pub async fn scoped_admin_token(
        &self,
        name: &str,
        scope: doorward::domain::AdminScope,
    ) -> String {
        use secrecy::ExposeSecret;
        let new = doorward::engine::NewAdminToken {
            name: name.to_owned(),
            scope,
            lifetime: doorward::engine::ADMIN_TOKEN_LIFETIME,
        };
        let (_, token) = self
            .instance
            .engine
            .create_admin_token(&Actor::Cli, new)
            .await
            .unwrap();
        token.expose_secret().to_owned()
    }

    /// The first page of `GET /v1/admin/audit?{query}` (the events, newest first).
    pub async fn audit(&self, admin: &str, query: &str) -> Vec<Value> {
        let response = self
            .get_auth(&format!("/v1/admin/audit?{query}"), admin)
            .await;
        assert_eq!(response.status(), 200, "audit query {query}");
        let page: Value = response.json().await.unwrap();
        page["events"].as_array().expect("events").clone()
    }

    /// The rows one column of a table holds, as text, read straight from the database.
    pub async fn column(&self, sql: &str) -> Vec<String> {
        use sqlx::Connection;
        let url = self.database_url();
        if url.starts_with("sqlite:") {
            let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut db).await.unwrap()
        } else {
            let mut db = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut db).await.unwrap()
        }
    }

    /// Every audit event, newest first.
    pub async fn events(&self) -> Vec<doorward::domain::AuditEvent> {
        all_events(&self.instance.engine).await
    }
}

/// Every audit event an engine has recorded, newest first.
pub async fn all_events(engine: &doorward::engine::Engine) -> Vec<doorward::domain::AuditEvent> {
    let query = doorward::engine::AuditQuery::default();
    engine.audit_page(&query).await.expect("audit").events
}

impl Instance {
    pub async fn session_status(&self, client: &reqwest::Client, token: &str) -> u16 {
        get_at(client, &format!("{}/v1/session", self.base), token)
            .await
            .status()
            .as_u16()
    }
}

async fn start_instance(config: Config, clock: ManualClock) -> Instance {
    let server = doorward::server::build(config, Arc::new(clock))
        .await
        .expect("engine");
    let engine = Arc::clone(&server.engine);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        doorward::server::serve(listener, server, std::future::pending())
            .await
            .unwrap();
    });
    Instance { base, engine }
}

pub async fn post_at(
    client: &reqwest::Client,
    url: &str,
    body: Value,
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Sends a request and reads its JSON body.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

pub async fn get_at(client: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    client.get(url).bearer_auth(token).send().await.unwrap()
}

/// The problem `code` of a response body.
pub async fn code_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn database_name_is_replaced_in_postgres_urls() {
    assert_eq!(
        with_database("postgres://p@h:5432/postgres", "x"),
        "postgres://p@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://p@h/db?sslmode=disable", "x"),
        "postgres://p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://p@h", "x"), "postgres://p@h/x");
}
