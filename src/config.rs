//! Typed configuration: built-in defaults, then a TOML file, then `DOORWARD_*` environment
//! variables. Loaded once at start-up and passed down; unknown keys and bad values stop start-up
//! with a message that names the key.

use serde::{Deserialize, Deserializer};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use thiserror::Error;

/// Environment variables with this prefix are configuration keys.
const ENV_PREFIX: &str = "DOORWARD_";
/// Variables with this prefix belong to the test suite, not to the server.
const ENV_TEST_PREFIX: &str = "DOORWARD_TEST_";

/// The whole server configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: DatabaseUrl,
    /// Sandbox mode: one-time codes are `123456` and messages stay in the outbox.
    pub sandbox: bool,
    /// Session lifetimes.
    pub session: SessionConfig,
    /// Password hashing parameters and pool size.
    pub hashing: HashingConfig,
    /// HTTP limits.
    pub http: HttpConfig,
    /// Password rules.
    pub password: PasswordConfig,
    /// Lockout of identifiers after failed sign-ins.
    pub lockout: LockoutConfig,
    /// Request rate limits.
    pub rate_limits: RateLimitConfig,
    /// Proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Signed access tokens.
    pub access_token: AccessTokenConfig,
    /// Signing-key storage.
    pub keys: KeysConfig,
    /// Message delivery.
    pub notify: NotifyConfig,
    /// Step-up authentication.
    pub stepup: StepUpConfig,
    /// The platform faces.
    pub faces: FacesConfig,
    /// An LDAP directory that checks the passwords of `realm: "directory"` users.
    pub directory: Option<DirectoryConfig>,
    /// How long the audit trail and the outbox are kept.
    pub retention: RetentionConfig,
}

/// How long records kept for people to read are kept before the sweep deletes them.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Audit events.
    #[serde(deserialize_with = "duration")]
    pub audit: Duration,
    /// Outbox messages (they carry one-time codes; keep them short).
    #[serde(deserialize_with = "duration")]
    pub outbox: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            audit: Duration::from_secs(365 * 24 * 60 * 60),
            outbox: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// An LDAP directory. A user's DN comes from `bind_dn` (a template), or from a search under
/// `search_base` with `search_filter` (bound as `search_bind_dn` when given); the user's password
/// is then checked by binding as that DN. `{username}` and `{email}` are replaced by the user's
/// username (its email when it has none) and email, escaped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// Check the server's certificate (turn off only for a test directory).
    #[serde(default = "yes")]
    pub tls_verify: bool,
    /// Time allowed for connecting and for each operation.
    #[serde(default = "five_seconds", deserialize_with = "duration")]
    pub timeout: Duration,
    /// DN template, e.g. `uid={username},ou=people,dc=example,dc=com`.
    pub bind_dn: Option<String>,
    /// Where to search for the user's entry.
    pub search_base: Option<String>,
    /// The search filter, e.g. `(|(uid={username})(mail={email}))`.
    pub search_filter: Option<String>,
    /// DN to bind as for the search (anonymous when unset).
    pub search_bind_dn: Option<String>,
    /// Its password; never logged.
    pub search_bind_password: Option<secrecy::SecretString>,
}

/// The platform faces: each is mounted under its base path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FacesConfig {
    /// Weavr Multi.
    pub weavr: FaceConfig,
    /// Axonize.
    pub axonize: FaceConfig,
    /// Amplify Platform.
    pub amplify: FaceConfig,
    /// Elastic Cloud Enterprise.
    pub ece: FaceConfig,
}

impl Default for FacesConfig {
    fn default() -> Self {
        Self {
            weavr: FaceConfig::at("/weavr/multi"),
            axonize: FaceConfig::at("/axonize"),
            amplify: FaceConfig::at("/amplify/api/v1"),
            ece: FaceConfig::at("/ece/api/v1"),
        }
    }
}

/// One face.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaceConfig {
    /// Whether it is served.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where it is mounted (starts with `/`, no trailing `/`).
    pub base: String,
    /// The application its sign-ins are for, where its clients name none (Amplify); the
    /// built-in default application when unset.
    #[serde(default)]
    pub application: Option<String>,
}

impl FaceConfig {
    /// An enabled face at `base`.
    pub fn at(base: &str) -> Self {
        Self {
            enabled: true,
            base: base.to_owned(),
            application: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// Step-up authentication: how long a proven second factor counts for sensitive actions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StepUpConfig {
    /// How long a step-up (or the second factor of a sign-in) lasts.
    #[serde(deserialize_with = "duration")]
    pub validity: Duration,
}

impl Default for StepUpConfig {
    fn default() -> Self {
        Self {
            validity: Duration::from_secs(15 * 60),
        }
    }
}

/// Message delivery. A channel that is not configured keeps its messages in the outbox.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// The `From` of emails.
    pub sender: String,
    /// The mail server.
    pub smtp: Option<SmtpConfig>,
    /// The SMS webhook.
    pub sms: Option<WebhookConfig>,
    /// The push gateway webhook, told of each new push challenge.
    pub push: Option<WebhookConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            sender: "Doorward <no-reply@localhost>".to_owned(),
            smtp: None,
            sms: None,
            push: None,
        }
    }
}

/// A mail server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Host name.
    pub host: String,
    /// Port (587 for STARTTLS, 465 for TLS).
    #[serde(default = "smtp_port")]
    pub port: u16,
    /// `starttls` (default), `tls` or `none`.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// User name, if the server wants one.
    pub username: Option<String>,
    /// Password; never logged.
    pub password: Option<secrecy::SecretString>,
}

fn smtp_port() -> u16 {
    587
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Upgrade with STARTTLS (required).
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
    /// None: only for a relay on a trusted network, or tests.
    None,
}

/// An SMS webhook (`POST {"to", "text"}`) or a push gateway webhook
/// (`POST {"device_id", "challenge_id", "purpose"}`).
pub type SmsConfig = WebhookConfig;

/// A webhook Doorward posts JSON to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to post.
    pub webhook_url: String,
    /// Sent as `Authorization: Bearer …`; never logged.
    pub bearer: Option<secrecy::SecretString>,
    /// Time allowed for one attempt.
    #[serde(default = "five_seconds", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Attempts before giving up (with doubling backoff from 200 ms).
    #[serde(default = "three")]
    pub attempts: u32,
}

fn five_seconds() -> Duration {
    Duration::from_secs(5)
}

fn three() -> u32 {
    3
}

/// Signed access tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccessTokenConfig {
    /// How long an access token is valid (and so how long an offline verifier can be fooled).
    #[serde(deserialize_with = "duration")]
    pub lifetime: Duration,
    /// The `iss` claim.
    pub issuer: String,
}

impl Default for AccessTokenConfig {
    fn default() -> Self {
        Self {
            lifetime: Duration::from_secs(5 * 60),
            issuer: "doorward".to_owned(),
        }
    }
}

/// Signing-key storage.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KeysConfig {
    /// Base64 of 32 random bytes; when set, private signing keys are stored encrypted with it.
    #[serde(deserialize_with = "key_encryption_key")]
    pub encryption_key: Option<crate::crypto::keys::KeyEncryptionKey>,
}

fn key_encryption_key<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::crypto::keys::KeyEncryptionKey>, D::Error> {
    let text = String::deserialize(d)?;
    crate::crypto::keys::KeyEncryptionKey::from_base64(&text)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("must be standard base64 of exactly 32 bytes"))
}

/// Lockout of identifiers after failed sign-ins.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LockoutConfig {
    /// Consecutive failures that lock an identifier.
    pub max_failures: u32,
    /// How long a lock lasts; it then lifts by itself.
    #[serde(deserialize_with = "duration")]
    pub duration: Duration,
    /// How long a device token (handed out at sign-in) is honoured.
    #[serde(deserialize_with = "duration")]
    pub device_token_lifetime: Duration,
    /// How long a network from which an identifier signed in successfully keeps a lockout
    /// bucket (and an identifier rate limit) of its own.
    #[serde(deserialize_with = "duration")]
    pub known_source_lifetime: Duration,
    /// The prefix length that makes an IPv4 address a known-source network.
    pub known_source_prefix_v4: u8,
    /// The prefix length that makes an IPv6 address a known-source network.
    pub known_source_prefix_v6: u8,
    /// How long an attempt waits for a free slot when its bucket's attempts in flight are at
    /// the bound; after that it is refused with 429 `rate_limited`.
    #[serde(deserialize_with = "duration")]
    pub queue_wait: Duration,
}

/// A token bucket: `burst` requests at once, refilled evenly over `per`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Requests allowed at once.
    pub burst: u32,
    /// Time in which a full bucket refills.
    #[serde(deserialize_with = "duration")]
    pub per: Duration,
}

impl Rate {
    /// Time between two tokens.
    pub fn interval(&self) -> Duration {
        self.per / self.burst.max(1)
    }
}

/// Request rate limits.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Sign-in attempts per source address (kept by each instance).
    pub login_per_address: Rate,
    /// Sign-in attempts per submitted identifier (shared by every instance).
    pub login_per_identifier: Rate,
    /// Activation and reset messages per address or email (shared by every instance).
    pub send_per_identifier: Rate,
    /// Second-factor challenges started or codes sent, per user (shared by every instance).
    pub challenge_per_user: Rate,
}

/// Session lifetimes; applications may override both.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Idle timeout: a session unused this long ends.
    #[serde(deserialize_with = "duration")]
    pub idle: Duration,
    /// Absolute cap: a session ends this long after sign-in, however active.
    #[serde(deserialize_with = "duration")]
    pub absolute: Duration,
}

/// Argon2id parameters and the hashing pool.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashingConfig {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Time cost (passes).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Jobs that may wait for a worker before new logins are refused with 503.
    pub queue: usize,
}

/// HTTP limits.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// A request still running after this long is answered 408.
    #[serde(deserialize_with = "duration")]
    pub request_timeout: Duration,
    /// How long a client has to send a complete request head (from the connection's opening,
    /// or from the previous response on a kept-alive connection).
    #[serde(deserialize_with = "duration")]
    pub header_timeout: Duration,
    /// A connection on which nothing moves for this long is closed.
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
    /// Connections served at once (also capped by the open-file limit); more wait in the
    /// kernel's backlog.
    pub max_connections: usize,
}

/// Password rules.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordConfig {
    /// Fewest Unicode code points a new password may have.
    pub min_length: usize,
    /// Most Unicode code points a new password may have.
    pub max_length: usize,
    /// Character classes (lowercase, uppercase, digit, other) a new password needs; 0 = no
    /// composition rule (the default, as NIST SP 800-63B advises).
    pub require_classes: u8,
    /// How many previous passwords a new one may not repeat.
    pub history: u32,
    /// Passwords expire this long after they are set; off by default (NIST SP 800-63B advises
    /// against periodic changes).
    #[serde(deserialize_with = "optional_duration")]
    pub max_age: Option<Duration>,
}

/// A database URL; redacted in `Debug` because it may carry a password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL string.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL itself, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.0.split(':').next().unwrap_or_default();
        write!(f, "DatabaseUrl({scheme}://…)")
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let url = String::deserialize(d)?;
        if url.starts_with("sqlite:")
            || url.starts_with("postgres:")
            || url.starts_with("postgresql:")
        {
            Ok(Self(url))
        } else {
            Err(serde::de::Error::custom(
                "must start with sqlite:// or postgres://",
            ))
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: DatabaseUrl::new("sqlite://doorward.db"),
            sandbox: false,
            session: SessionConfig::default(),
            hashing: HashingConfig::default(),
            http: HttpConfig::default(),
            password: PasswordConfig::default(),
            lockout: LockoutConfig::default(),
            rate_limits: RateLimitConfig::default(),
            trusted_proxies: Vec::new(),
            access_token: AccessTokenConfig::default(),
            keys: KeysConfig::default(),
            notify: NotifyConfig::default(),
            stepup: StepUpConfig::default(),
            faces: FacesConfig::default(),
            directory: None,
            retention: RetentionConfig::default(),
        }
    }
}

impl Default for LockoutConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            duration: Duration::from_secs(30 * 60),
            device_token_lifetime: Duration::from_secs(30 * 24 * 60 * 60),
            known_source_lifetime: Duration::from_secs(30 * 24 * 60 * 60),
            known_source_prefix_v4: 24,
            known_source_prefix_v6: 56,
            queue_wait: Duration::from_secs(5),
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            login_per_address: Rate {
                burst: 30,
                per: Duration::from_secs(60),
            },
            login_per_identifier: Rate {
                burst: 10,
                per: Duration::from_secs(60),
            },
            send_per_identifier: Rate {
                burst: 5,
                per: Duration::from_secs(15 * 60),
            },
            challenge_per_user: Rate {
                burst: 10,
                per: Duration::from_secs(15 * 60),
            },
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(5 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
        }
    }
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            workers: 0,
            queue: 64,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

impl Default for PasswordConfig {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 128,
            require_classes: 0,
            history: 5,
            max_age: None,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("configuration file {path} is not valid TOML: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// A key is unknown or its value is invalid.
    #[error("configuration key `{key}`: {message}")]
    Key {
        /// The dotted key (`session.idle`).
        key: String,
        /// What is wrong with it.
        message: String,
    },
}

impl Config {
    /// Loads defaults, then `file` (if any), then the `DOORWARD_*` variables of `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => read_file(path)?,
            None => toml::Table::new(),
        };
        for (name, value) in env {
            if let Some(key) = env_key(&name) {
                set_path(&mut table, &key, env_value(&value))?;
            }
        }
        let config: Config = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| key_error(&e))?;
        config.check()?;
        Ok(config)
    }

    /// Loads the configuration from `file` and the process environment.
    pub fn from_process(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load(file, std::env::vars())
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| ConfigError::Key {
            key: key.to_owned(),
            message: message.to_owned(),
        };
        if self.session.idle.is_zero() {
            return Err(bad("session.idle", "must be longer than zero"));
        }
        if self.session.absolute < self.session.idle {
            return Err(bad(
                "session.absolute",
                "must not be shorter than session.idle",
            ));
        }
        if self.hashing.memory_kib < 8 * self.hashing.parallelism.max(1) {
            return Err(bad(
                "hashing.memory_kib",
                "must be at least 8 × parallelism",
            ));
        }
        if self.hashing.iterations == 0 || self.hashing.parallelism == 0 {
            return Err(bad(
                "hashing",
                "iterations and parallelism must be at least 1",
            ));
        }
        if self.hashing.queue == 0 {
            return Err(bad("hashing.queue", "must be at least 1"));
        }
        if self.http.header_timeout.is_zero() || self.http.idle_timeout.is_zero() {
            return Err(bad(
                "http",
                "header_timeout and idle_timeout must be longer than zero",
            ));
        }
        if !(1..=1_000_000).contains(&self.http.max_connections) {
            return Err(bad("http.max_connections", "must be from 1 to 1000000"));
        }
        if self.lockout.max_failures == 0 {
            return Err(bad("lockout.max_failures", "must be at least 1"));
        }
        // A short prefix would make a large part of the internet one known source.
        if !(16..=32).contains(&self.lockout.known_source_prefix_v4) {
            return Err(bad(
                "lockout.known_source_prefix_v4",
                "must be from 16 to 32",
            ));
        }
        if !(32..=128).contains(&self.lockout.known_source_prefix_v6) {
            return Err(bad(
                "lockout.known_source_prefix_v6",
                "must be from 32 to 128",
            ));
        }
        for (key, rate) in [
            (
                "rate_limits.login_per_address",
                self.rate_limits.login_per_address,
            ),
            (
                "rate_limits.login_per_identifier",
                self.rate_limits.login_per_identifier,
            ),
            (
                "rate_limits.send_per_identifier",
                self.rate_limits.send_per_identifier,
            ),
            (
                "rate_limits.challenge_per_user",
                self.rate_limits.challenge_per_user,
            ),
        ] {
            if rate.burst == 0 || rate.per.is_zero() {
                return Err(bad(key, "burst and per must be more than zero"));
            }
        }
        if let Some(directory) = &self.directory {
            let by_template = directory.bind_dn.is_some();
            let by_search = directory.search_base.is_some() && directory.search_filter.is_some();
            if by_template == by_search {
                return Err(bad(
                    "directory",
                    "set either bind_dn, or search_base and search_filter",
                ));
            }
            if !(directory.url.starts_with("ldap://") || directory.url.starts_with("ldaps://")) {
                return Err(bad("directory.url", "must be an ldap:// or ldaps:// URL"));
            }
        }
        for (key, face) in [
            ("faces.weavr.base", &self.faces.weavr),
            ("faces.axonize.base", &self.faces.axonize),
            ("faces.amplify.base", &self.faces.amplify),
            ("faces.ece.base", &self.faces.ece),
        ] {
            let base = &face.base;
            let valid_base = base.starts_with('/')
                && base.len() > 1
                && !base.ends_with('/')
                && !base.starts_with("/v1")
                && !base.contains(['?', '#', '{', '}', '*']);
            if !valid_base {
                return Err(bad(
                    key,
                    "must start with /, not end with /, and not be under /v1",
                ));
            }
        }
        if self.password.require_classes > 4 {
            return Err(bad("password.require_classes", "must be 0 to 4"));
        }
        if self.password.min_length == 0 || self.password.max_length < self.password.min_length {
            return Err(bad(
                "password.max_length",
                "must be at least password.min_length (≥ 1)",
            ));
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            path: shown,
            message: e.message().to_owned(),
        })
}

/// `DOORWARD_SESSION__IDLE` → `["session", "idle"]`; `None` for variables that are not ours.
fn env_key(name: &str) -> Option<Vec<String>> {
    if name.starts_with(ENV_TEST_PREFIX) {
        return None;
    }
    let rest = name.strip_prefix(ENV_PREFIX)?;
    Some(rest.split("__").map(str::to_ascii_lowercase).collect())
}

/// Environment values are read as TOML values when they are one (`true`, `2`,
/// `["10.0.0.0/8"]`), and as plain strings otherwise (`5m`, `127.0.0.1:8080`).
fn env_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn set_path(
    table: &mut toml::Table,
    key: &[String],
    value: toml::Value,
) -> Result<(), ConfigError> {
    let Some((last, parents)) = key.split_last() else {
        return Ok(());
    };
    let mut current = table;
    for part in parents {
        let entry = current
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry.as_table_mut().ok_or_else(|| ConfigError::Key {
            key: key.join("."),
            message: format!("`{part}` is not a section"),
        })?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

fn key_error(e: &serde_path_to_error::Error<toml::de::Error>) -> ConfigError {
    let message = e.inner().message().to_owned();
    let mut key = e.path().to_string();
    // For an unknown field the path names its section; add the field itself.
    if let Some(field) = unknown_field(&message) {
        key = if key == "." {
            field
        } else {
            format!("{key}.{field}")
        };
    }
    ConfigError::Key { key, message }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next().map(str::to_owned)
}

fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "`{text}` is not a duration like 30s, 5m, 12h ({e})"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_listen_on_localhost_8080_with_a_sqlite_file() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database_url.expose(), "sqlite://doorward.db");
        assert_eq!(config.session.idle, Duration::from_secs(300));
        assert!(!config.sandbox);
    }

    #[test]
    fn environment_overrides_nested_keys_and_ignores_test_variables() {
        let config = Config::load(
            None,
            env(&[
                ("DOORWARD_SESSION__IDLE", "30s"),
                ("DOORWARD_SANDBOX", "true"),
                ("DOORWARD_TEST_POSTGRES_URL", "postgres://x"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(config.session.idle, Duration::from_secs(30));
        assert!(config.sandbox);
    }

    #[test]
    fn unknown_environment_key_is_named_in_the_error() {
        let err = Config::load(None, env(&[("DOORWARD_SESSION__IDEL", "5m")])).unwrap_err();
        assert!(err.to_string().contains("session.idel"), "{err}");
    }

    #[test]
    fn bad_duration_is_named_in_the_error() {
        let err = Config::load(None, env(&[("DOORWARD_SESSION__ABSOLUTE", "soon")])).unwrap_err();
        assert!(err.to_string().contains("session.absolute"), "{err}");
    }

    #[test]
    fn lists_and_tables_can_come_from_the_environment() {
        let config = Config::load(
            None,
            env(&[
                (
                    "DOORWARD_TRUSTED_PROXIES",
                    r#"["10.0.0.0/8", "127.0.0.1/32"]"#,
                ),
                (
                    "DOORWARD_RATE_LIMITS__LOGIN_PER_ADDRESS",
                    r#"{burst = 3, per = "1s"}"#,
                ),
            ]),
        )
        .unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(config.rate_limits.login_per_address.burst, 3);
    }

    #[test]
    fn database_url_debug_hides_credentials() {
        let url = DatabaseUrl::new("postgres://user:hunter2@db/doorward");
        assert!(!format!("{url:?}").contains("hunter2"));
    }
}
