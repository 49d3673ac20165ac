//! The sections that reach other systems: message delivery (SMTP, webhooks) and the LDAP
//! directory.

use super::{duration, yes};
use serde::Deserialize;
use std::time::Duration;

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
