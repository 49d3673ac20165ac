//! Persistence: one role trait per kind of record (users, sessions, lockout, …), all implemented
//! by one generic [`SqlStore`] for SQLite (the embedded default) and PostgreSQL (several
//! instances on one database); [`Store`] is every role at once. Nothing above this module knows
//! which backend runs.
//! The database enforces uniqueness; violations come back as [`StoreError::Conflict`].

mod admin_tokens;
mod applications;
mod audit;
mod factors;
mod housekeeping;
mod import;
mod keys;
mod limits;
mod lockout;
mod organizations;
mod outbox;
mod rows;
mod sessions;
mod sql;
mod statements;
mod tokens;
mod users;

pub use admin_tokens::AdminTokenStore;
pub use applications::ApplicationStore;
pub use audit::{AuditFilter, AuditStore};
pub use factors::FactorStore;
pub use housekeeping::Housekeeping;
pub use import::ImportStore;
pub use keys::KeyStore;
pub use limits::RateLimitStore;
pub use lockout::LockoutStore;
pub use organizations::OrganizationStore;
pub use outbox::OutboxStore;
pub use sessions::SessionStore;
pub use sql::{Backend, PostgresStore, SqlStore, SqliteStore};
pub use tokens::TokenStore;
pub use users::UserStore;

use crate::domain::{Application, Factor, Membership, Organization, User};
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
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database is out of reach for now: a connection it ended or lost, a pool that timed
    /// out or is closed. Worth retrying shortly.
    #[error("database out of reach: {0}")]
    Unreachable(#[source] sqlx::Error),
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
            Some(db) if db.code().as_deref().is_some_and(connection_lost) => Self::Unreachable(e),
            Some(_) => Self::Database(e),
            None if out_of_reach(&e) => Self::Unreachable(e),
            None => Self::Database(e),
        }
    }
}

/// Whether sqlx failed to reach the database at all (rather than the database refusing).
fn out_of_reach(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}

/// Whether a PostgreSQL SQLSTATE says the connection is gone: class 08 (connection
/// exception), or the server shutting down or ending it (57P01–57P03).
fn connection_lost(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
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
    /// The bucket's rate limit has no token left: one comes back in this many milliseconds.
    RateLimited(i64),
}

/// One token of a GCRA rate bucket, in milliseconds: taken at `now_ms` from a bucket that
/// refills one token per `interval_ms` and holds `window_ms / interval_ms` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStep {
    /// Now, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// How long one token takes to come back.
    pub interval_ms: i64,
    /// The bucket's size, as the time it takes to refill from empty.
    pub window_ms: i64,
}

impl RateStep {
    /// How long until a bucket whose theoretical arrival time is `tat` has a token again
    /// (zero or less: it has one now).
    pub fn wait_ms(&self, tat: i64) -> i64 {
        tat.max(self.now_ms) + self.interval_ms - self.now_ms - self.window_ms
    }
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
    /// Users to create or update.
    pub users: Vec<ImportedUser>,
}

/// One user as an import leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedUser {
    /// The user record.
    pub user: User,
    /// Its memberships, all of them.
    pub memberships: Vec<Membership>,
    /// Its factors, all of them: each is written by id (a kept factor keeps its state, such as
    /// the last TOTP step it accepted).
    pub factors: Vec<Factor>,
    /// The ids of its factors the import removes.
    pub removed_factors: Vec<String>,
}

/// All the persistence the engine needs: every role, as one object, implemented by [`SqlStore`]
/// for each backend. A part that needs one role holds only that role (the lockout holds a
/// `dyn LockoutStore`, the notifier a `dyn OutboxStore`).
pub trait Store:
    UserStore
    + OrganizationStore
    + ApplicationStore
    + ImportStore
    + SessionStore
    + LockoutStore
    + RateLimitStore
    + AuditStore
    + OutboxStore
    + TokenStore
    + AdminTokenStore
    + KeyStore
    + FactorStore
    + Housekeeping
    + 'static
{
}

sql::sql_impl! {
    impl Store {}
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
