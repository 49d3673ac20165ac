//! Persistence: one [`Store`] trait, implemented for SQLite (the embedded default) and
//! PostgreSQL (several instances on one database). Nothing above this module knows which runs.
//! The database enforces uniqueness; violations come back as [`StoreError::Conflict`].

mod factors;
mod postgres;
mod rows;
mod sql;
mod sqlite;

pub use factors::FactorStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::domain::{
    Application, AuditEvent, Factor, Membership, Organization, OutboxMessage, PasswordState,
    Session, StoredSigningKey, User, UserStatus,
};
use async_trait::async_trait;
use std::sync::Arc;
use thiserror::Error;
use time::OffsetDateTime;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the text names what was taken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// A stored value could not be read back.
    #[error("corrupt stored value in {0}")]
    Corrupt(&'static str),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e.as_database_error() {
            Some(db) if db.is_unique_violation() => {
                Self::Conflict(db.constraint().unwrap_or("a unique field").to_owned())
            }
            Some(db) if db.is_foreign_key_violation() => {
                Self::Conflict("still referenced by another record".to_owned())
            }
            _ => Self::Database(e),
        }
    }
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A user's membership with its organisation.
pub type MembershipWithOrg = (Membership, Organization);

/// The answer to [`Store::admit_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// The attempt may check its password; it is counted in flight until it is settled.
    Admitted,
    /// The bucket is locked until then.
    Locked(OffsetDateTime),
    /// Confirmed failures and attempts in flight already reach the maximum: try again shortly.
    Full,
}

/// Everything one import writes, in one transaction.
#[derive(Debug, Default, Clone)]
pub struct ImportBatch {
    /// When the import runs; the creation time of new records.
    pub at: Option<OffsetDateTime>,
    /// Organisations to create or replace.
    pub organizations: Vec<Organization>,
    /// Applications to create or replace, each with the SHA-256 of its API keys.
    pub applications: Vec<(Application, Vec<String>)>,
    /// Users to create or replace, with their full sets of memberships and factors.
    pub users: Vec<(User, Vec<Membership>, Vec<Factor>)>,
}

/// The persistence the engine needs.
#[async_trait]
pub trait Store: FactorStore + Send + Sync + 'static {
    /// Brings the schema up to date.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// `"sqlite"` or `"postgres"`, for the start-up log line.
    fn kind(&self) -> &'static str;

    /// A user by id.
    async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>>;
    /// A user by normalised email.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    /// A user by username, ignoring case.
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Every user, ordered by email.
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    /// Creates a user.
    async fn insert_user(&self, user: &User, at: OffsetDateTime) -> StoreResult<()>;
    /// Changes a user's status.
    async fn set_user_status(&self, id: &str, status: UserStatus) -> StoreResult<()>;
    /// Replaces a user's password hash and password state.
    async fn set_password(
        &self,
        id: &str,
        hash: &str,
        state: PasswordState,
        expires_at: Option<OffsetDateTime>,
    ) -> StoreResult<()>;

    /// An organisation by id.
    async fn organization_by_id(&self, id: &str) -> StoreResult<Option<Organization>>;
    /// An organisation by exact name (import matches id-less entries by name).
    async fn organization_by_name(&self, name: &str) -> StoreResult<Option<Organization>>;
    /// A user's memberships with their organisations, ordered by organisation id.
    async fn memberships_of(&self, user_id: &str) -> StoreResult<Vec<MembershipWithOrg>>;
    /// A user's factors, ordered by id.
    async fn factors_of(&self, user_id: &str) -> StoreResult<Vec<Factor>>;

    /// An application by id.
    async fn application_by_id(&self, id: &str) -> StoreResult<Option<Application>>;
    /// An application by exact name.
    async fn application_by_name(&self, name: &str) -> StoreResult<Option<Application>>;
    /// Every application that lists at least one hostname, by id.
    async fn applications_with_hostnames(&self) -> StoreResult<Vec<Application>>;
    /// The application an API key (by SHA-256) belongs to.
    async fn application_by_api_key(&self, key_hash: &str) -> StoreResult<Option<Application>>;
    /// The SHA-256 of an application's API keys, sorted.
    async fn api_key_hashes_of(&self, application_id: &str) -> StoreResult<Vec<String>>;

    /// Writes an import batch atomically: all of it or none.
    async fn apply_import(&self, batch: &ImportBatch) -> StoreResult<()>;

    /// Stores a new session.
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// A session by the SHA-256 of its token, revoked or not.
    async fn session_by_token_hash(&self, token_hash: &str) -> StoreResult<Option<Session>>;
    /// Gives a session a new token (by SHA-256) in place of `old_hash`; `false` if the session
    /// no longer has that token (a parallel refresh won).
    async fn replace_session_token(
        &self,
        id: &str,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool>;
    /// Records activity; never moves `last_seen_at` backwards.
    async fn touch_session(&self, id: &str, last_seen: OffsetDateTime) -> StoreResult<()>;
    /// Ends one session; `false` if it was already ended.
    async fn revoke_session(&self, id: &str, at: OffsetDateTime) -> StoreResult<bool>;
    /// Ends every live session acting for an organisation (only `user_id`'s when given);
    /// returns how many.
    async fn revoke_organization_sessions(
        &self,
        organization_id: &str,
        user_id: Option<&str>,
        at: OffsetDateTime,
    ) -> StoreResult<u64>;
    /// Ends every live session of a user; returns how many.
    async fn revoke_user_sessions(&self, user_id: &str, at: OffsetDateTime) -> StoreResult<u64>;

    /// Admits one sign-in attempt to a bucket (`bucket` names it: empty for the anonymous one)
    /// in one atomic statement: refused while locked, or while its confirmed failures plus the
    /// attempts in flight reach `max_failures`. A lock that has run out is forgotten first.
    /// The admitted attempt stays in flight, under a lease until `lease_until`, until it is
    /// settled by one of the three calls below.
    async fn admit_attempt(
        &self,
        identifier: &str,
        bucket: &str,
        now: OffsetDateTime,
        max_failures: u32,
        lease_until: OffsetDateTime,
    ) -> StoreResult<Admission>;
    /// Settles an attempt whose password was wrong: one more confirmed failure, and the one
    /// that reaches `max_failures` locks until `lock_until`. Returns the failures now counted.
    async fn record_failure(
        &self,
        identifier: &str,
        bucket: &str,
        max_failures: u32,
        lock_until: OffsetDateTime,
    ) -> StoreResult<u32>;
    /// Settles an attempt whose password was right: its bucket's failures are forgotten.
    async fn record_success(&self, identifier: &str, bucket: &str) -> StoreResult<()>;
    /// Settles an attempt whose password was never checked (busy pool, home-realm hint).
    async fn release_attempt(&self, identifier: &str, bucket: &str) -> StoreResult<()>;
    /// Remembers (or renews) a network an identifier signed in from, until `expires_at`.
    async fn remember_source(
        &self,
        identifier: &str,
        network: &str,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Whether an identifier signed in from `network` recently enough.
    async fn known_source_valid(
        &self,
        identifier: &str,
        network: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Forgets every bucket of an identifier (admin unlock); returns how many were locked.
    async fn unlock_identifier(&self, identifier: &str, now: OffsetDateTime) -> StoreResult<u64>;
    /// Stores a device token (by SHA-256) for an identifier.
    async fn insert_device_token(
        &self,
        token_hash: &str,
        identifier: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Whether a device token (by SHA-256) belongs to an identifier and is unexpired.
    async fn device_token_valid(
        &self,
        token_hash: &str,
        identifier: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
    /// Takes one token from a shared GCRA bucket; `Err(wait_ms)` when it is empty.
    async fn take_rate_token(
        &self,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        window_ms: i64,
    ) -> StoreResult<Result<(), i64>>;
    /// Gives one token back to a shared GCRA bucket.
    async fn refund_rate_token(&self, key: &str, interval_ms: i64) -> StoreResult<()>;
    /// Records a password hash in the user's history, keeping only the newest `keep`.
    async fn push_password_history(
        &self,
        user_id: &str,
        hash: &str,
        at: OffsetDateTime,
        keep: u32,
    ) -> StoreResult<()>;
    /// The user's previous password hashes, newest first.
    async fn password_history(&self, user_id: &str) -> StoreResult<Vec<String>>;
    /// A server-wide setting.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a server-wide setting.
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Records a security event.
    async fn insert_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Security events, newest first, optionally of one user and since a time.
    async fn audit_events(
        &self,
        user_id: Option<&str>,
        since: Option<OffsetDateTime>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;
    /// Keeps a message in the outbox.
    async fn insert_outbox(&self, message: &OutboxMessage) -> StoreResult<()>;
    /// Outbox messages, newest first.
    async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMessage>>;
    /// Stores a single-use token (by SHA-256).
    async fn insert_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        user_id: &str,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// The user of a single-use token that is unused, unexpired and for `purpose`, without
    /// using it.
    async fn peek_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>>;
    /// Uses a single-use token atomically: its user when it was unused, unexpired and for
    /// `purpose`; `None` otherwise (and then it stays as it was).
    async fn use_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>>;

    /// Every organisation, by id.
    async fn list_organizations(&self) -> StoreResult<Vec<Organization>>;
    /// Creates or replaces an organisation.
    async fn save_organization(&self, org: &Organization) -> StoreResult<()>;
    /// Removes an organisation and its memberships; `false` if there was none.
    async fn delete_organization(&self, id: &str) -> StoreResult<bool>;
    /// Creates or replaces a membership.
    async fn save_membership(&self, user_id: &str, membership: &Membership) -> StoreResult<()>;
    /// Removes a membership; `false` if there was none.
    async fn delete_membership(&self, user_id: &str, organization_id: &str) -> StoreResult<bool>;
    /// A session by id, revoked or not.
    async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>>;
    /// Moves a session to another organisation.
    async fn set_session_organization(&self, id: &str, organization_id: &str) -> StoreResult<()>;
    /// Stores a new signing key.
    async fn insert_signing_key(&self, key: &StoredSigningKey) -> StoreResult<()>;
    /// Every signing key, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>>;
    /// Marks every key but `current` as no longer signing.
    async fn retire_signing_keys(&self, current: &str, at: OffsetDateTime) -> StoreResult<()>;

    /// Deletes what can no longer matter: sessions ended or expired before `before`, expired
    /// device tokens and single-use tokens, rate buckets that have refilled by `now_ms`, and
    /// lockout buckets whose lock ran out before `before`. Returns how many rows went.
    async fn sweep(&self, before: OffsetDateTime, now_ms: i64) -> StoreResult<u64>;

    /// Deletes audit events recorded before `audit_before` and outbox messages kept before
    /// `outbox_before`; returns how many rows went.
    async fn sweep_history(
        &self,
        audit_before: OffsetDateTime,
        outbox_before: OffsetDateTime,
    ) -> StoreResult<u64>;

    /// Stores an admin token (by SHA-256).
    async fn insert_admin_token(
        &self,
        token_hash: &str,
        name: &str,
        at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Whether an admin token (by SHA-256) exists.
    async fn admin_token_exists(&self, token_hash: &str) -> StoreResult<bool>;
}

/// Connects to the store a URL names (`sqlite://…` or `postgres://…`) and migrates it.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else {
        Arc::new(PostgresStore::connect(url).await?)
    };
    store.migrate().await?;
    Ok(store)
}
