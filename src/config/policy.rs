//! The sections the engine decides with: sessions, passwords, lockout, rate limits, step-up,
//! access tokens, signing keys and retention.

use super::{duration, optional_duration};
use serde::{Deserialize, Deserializer};
use std::time::Duration;

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
