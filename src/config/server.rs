//! The sections the process and its HTTP side run with: the database, hashing pool, HTTP
//! limits and the platform faces. The hashing section is the pool's own type
//! ([`crate::crypto::HashingConfig`]), re-exported by `config`.

use super::{duration, yes};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::time::Duration;

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
            weavr: FaceConfig::at(WEAVR_BASE),
            axonize: FaceConfig::at(AXONIZE_BASE),
            amplify: FaceConfig::at(AMPLIFY_BASE),
            ece: FaceConfig::at(ECE_BASE),
        }
    }
}

const WEAVR_BASE: &str = "/weavr/multi";
const AXONIZE_BASE: &str = "/axonize";
const AMPLIFY_BASE: &str = "/amplify/api/v1";
const ECE_BASE: &str = "/ece/api/v1";

impl FacesConfig {
    /// Gives a face configured without a `base` (only `enabled` or `hosts`, say) its default.
    pub(super) fn fill_bases(&mut self) {
        for (face, base) in [
            (&mut self.weavr, WEAVR_BASE),
            (&mut self.axonize, AXONIZE_BASE),
            (&mut self.amplify, AMPLIFY_BASE),
            (&mut self.ece, ECE_BASE),
        ] {
            if face.base.is_empty() {
                face.base = base.to_owned();
            }
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
    /// Where it is mounted (starts with `/`, no trailing `/`); left out, the face's default.
    #[serde(default)]
    pub base: String,
    /// The application its sign-ins are for, where its clients name none (Amplify); the
    /// built-in default application when unset.
    #[serde(default)]
    pub application: Option<String>,
    /// Hosts on which the face is also served at the platform's own root paths (Amplify and ECE
    /// `/api/v1`, Weavr `/multi`, Axonize `/`), for SDKs that ignore any base path.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The version of the platform's API the face speaks: `seed` (the one its contract was
    /// written from) or `current`. Only Weavr has two.
    #[serde(default)]
    pub version: ApiVersion,
}

/// A version of a platform's API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// The version the face's contract was written from.
    #[default]
    Seed,
    /// The platform's current API (Weavr Multi: identities in an envelope with counts, the
    /// access token's `status`).
    Current,
}

impl FaceConfig {
    /// An enabled face at `base`.
    pub fn at(base: &str) -> Self {
        Self {
            enabled: true,
            base: base.to_owned(),
            application: None,
            hosts: Vec::new(),
            version: ApiVersion::Seed,
        }
    }
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
        let scheme = self
            .0
            .split_once(':')
            .map_or(self.0.as_str(), |(scheme, _)| scheme);
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

/// Prometheus metrics.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Whether `GET /metrics` is served at all.
    pub enabled: bool,
    /// A separate address to serve `/metrics` on (then the main listener does not serve it),
    /// so that it need not be public.
    pub listen: Option<std::net::SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: None,
        }
    }
}

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text on a terminal, JSON otherwise.
    #[default]
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line, with the request's fields.
    Json,
}

/// Logging.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `auto` (the default), `text` or `json`.
    pub format: LogFormat,
}
