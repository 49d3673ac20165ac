//! Typed configuration: built-in defaults, then a TOML file, then `DOORWARD_*` environment
//! variables, layered by [figment](https://docs.rs/figment). Loaded once at start-up and passed
//! down. The schema lives in three files by who uses it ([`policy`]: the engine's decisions,
//! [`server`]: the process and its HTTP side, [`delivery`]: the systems Doorward talks to);
//! [`load`] layers the sources and words the errors; [`check`] holds the rules serde cannot.
//! The engine receives only [`EngineConfig`], the sections it decides with.

mod check;
mod delivery;
mod load;
mod policy;
mod server;
#[cfg(test)]
mod tests;

pub use crate::crypto::HashingConfig;
pub use delivery::{
    DirectoryConfig, NotifyConfig, SmsConfig, SmtpConfig, SmtpSecurity, WebhookConfig,
};
pub use load::{ConfigError, Loaded};
pub use policy::{
    AccessTokenConfig, KeysConfig, LockoutConfig, PasswordConfig, Rate, RateLimitConfig,
    RetentionConfig, SessionConfig, StepUpConfig,
};
pub use server::{
    ApiVersion, DatabaseUrl, FaceConfig, FacesConfig, HttpConfig, LogConfig, LogFormat,
    MetricsConfig,
};

use serde::{Deserialize, Deserializer};
use std::net::SocketAddr;
use std::time::Duration;

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
    /// Prometheus metrics.
    pub metrics: MetricsConfig,
    /// Logging.
    pub log: LogConfig,
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
            metrics: MetricsConfig::default(),
            log: LogConfig::default(),
        }
    }
}

/// The sections the engine decides with; the rest of [`Config`] is for the process around it.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Sandbox mode: one-time codes are `123456` and messages stay in the outbox.
    pub sandbox: bool,
    /// Session lifetimes.
    pub session: SessionConfig,
    /// Password rules.
    pub password: PasswordConfig,
    /// Lockout of identifiers after failed sign-ins.
    pub lockout: LockoutConfig,
    /// Request rate limits.
    pub rate_limits: RateLimitConfig,
    /// Proxies, which are never a known source of sign-ins.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Signed access tokens.
    pub access_token: AccessTokenConfig,
    /// Signing-key storage.
    pub keys: KeysConfig,
    /// Step-up authentication.
    pub stepup: StepUpConfig,
    /// An LDAP directory that checks the passwords of `realm: "directory"` users.
    pub directory: Option<DirectoryConfig>,
    /// How long the audit trail and the outbox are kept.
    pub retention: RetentionConfig,
}

impl Config {
    /// The engine's part of the configuration.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            sandbox: self.sandbox,
            session: self.session,
            password: self.password,
            lockout: self.lockout,
            rate_limits: self.rate_limits,
            trusted_proxies: self.trusted_proxies.clone(),
            access_token: self.access_token.clone(),
            keys: self.keys.clone(),
            stepup: self.stepup.clone(),
            directory: self.directory.clone(),
            retention: self.retention,
        }
    }
}

fn yes() -> bool {
    true
}

fn optional_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

/// A duration written the human way: `30s`, `5m`, `12h`, `30d`.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "`{text}` is not a duration like 30s, 5m or 12h ({e})"
        ))
    })
}
