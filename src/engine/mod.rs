//! The engine decides everything: which checks run in which order, what a session is and when it
//! ends, what a password must be. It takes plain types and returns typed outcomes; it never
//! imports axum and never writes SQL. Faces translate to and from it.

mod admin;
mod application;
mod audit;
mod cache;
mod challenge;
mod error;
mod factors;
mod identities;
mod import;
mod lockout;
mod login;
mod maintenance;
mod mfa;
mod notify;
mod organization;
mod organizations;
mod password;
mod policy;
pub mod profile;
mod push;
mod ratelimit;
mod recovery;
mod redirect;
mod session;
mod stepup;
mod sweep;
mod tokens;
mod users;

pub use crate::directory::DirectoryError;
pub use admin::{ADMIN_TOKEN_LIFETIME, AdminPrincipal, NewAdminToken};
pub use application::{AppSelector, CorsGrant, DEFAULT_APPLICATION_ID, SignInLocation};
pub use audit::{AuditPage, AuditQuery, export as audit_export};
pub use challenge::{ChallengeState, FactorChoice, IssuedChallenge};
pub use error::{EngineError, EngineResult, Failure, PasswordRule};
pub use factors::Enrolment;
pub use identities::{Identity, Introspection, SessionWithIdentities, Switched};
pub use import::{ImportDocument, ImportOptions, ImportProgress, ImportReport, ProgressSink};
pub use login::{ClientKind, LoginOutcome, LoginRequest, SecondFactorAt};
pub use mfa::{MfaDue, MfaPoll, MfaVia};
pub use organizations::OrganizationChange;
pub use profile::FaceProfile;
pub use push::{DeviceProof, PushAnswer, answer_message};
pub use redirect::is_local_path;
pub use session::{AccessTokenUse, IssuedSession, LiveSession, LogoutScope, Presented};
pub use stepup::StepUp;
pub use tokens::{AccessClaims, AccessToken};
pub use users::{NewUser, UserChanges, UserRef};

use crate::clock::Clock;
use crate::config::EngineConfig;
use crate::crypto::Hasher;
use crate::store::Store;
use cache::SessionCache;
use std::sync::Arc;
use time::OffsetDateTime;

/// The decision-maker every face and the CLI call. Cheap to share behind an `Arc`.
pub struct Engine {
    /// Where records live.
    store: Arc<dyn Store>,
    /// The password hashing pool; never run on the async runtime.
    hasher: Hasher,
    /// The only source of the current time.
    clock: Arc<dyn Clock>,
    /// The loaded configuration.
    config: Arc<EngineConfig>,
    /// This instance's short-lived copy of recently validated sessions (see `cache.rs`).
    sessions: SessionCache,
    /// Users' memberships, reused for a second (see `cache::MembershipCache`).
    memberships: cache::MembershipCache,
    /// Per-address rate limit buckets of this instance (identifier buckets live in the store).
    limiter: ratelimit::MemoryLimiter,
    /// This instance's copy of the maintenance switch.
    maintenance: maintenance::MaintenanceCache,
    /// Access-token signing and verification keys.
    keys: tokens::Keys,
    /// Delivers messages (email, SMS) or keeps them in the outbox.
    notifier: crate::notify::Notifier,
    /// The LDAP directory that checks directory users' passwords, when configured.
    directory: Option<crate::directory::Directory>,
    /// Applications of recently verified API keys.
    api_keys: application::ApiKeyCache,
    /// The applications' CORS origins, reused for a few seconds.
    cors: application::CorsCache,
    /// This instance's queue of sign-in attempts per lockout bucket (see `lockout.rs`).
    attempt_queues: lockout::AttemptQueues,
    /// What this server counts for Prometheus.
    metrics: Arc<crate::metrics::Metrics>,
}

impl Engine {
    /// Builds an engine over a migrated store and a running hashing pool.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: Hasher,
        notifier: crate::notify::Notifier,
        clock: Arc<dyn Clock>,
        config: Arc<EngineConfig>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            store,
            hasher,
            clock,
            config: Arc::clone(&config),
            sessions: SessionCache::new(),
            memberships: cache::MembershipCache::default(),
            limiter: ratelimit::MemoryLimiter::default(),
            maintenance: maintenance::MaintenanceCache::default(),
            keys: tokens::Keys::default(),
            notifier,
            directory: config
                .directory
                .clone()
                .map(crate::directory::Directory::new),
            api_keys: application::ApiKeyCache::default(),
            cors: application::CorsCache::default(),
            attempt_queues: lockout::AttemptQueues::default(),
            metrics,
        }
    }

    /// What this server counts.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The Prometheus exposition of this server's metrics, the hashing pool as it is now.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(self.hasher.state())
    }

    /// The configuration in force.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The password hashing pool (its counters are useful to tests and metrics).
    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Whether the store answers.
    pub async fn ready(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// The store's kind, for the start-up log line.
    pub fn store_kind(&self) -> &'static str {
        self.store.kind()
    }

    /// The current time, to the second: stored times are whole seconds, so the engine never
    /// compares a sub-second `now` against a truncated stored value.
    fn now(&self) -> OffsetDateTime {
        let now = self.clock.now();
        now.replace_nanosecond(0).unwrap_or(now)
    }

    fn hash_error(&self, e: crate::crypto::HashError) -> EngineError {
        error::hash_error(e, self.hasher.retry_after())
    }
}
