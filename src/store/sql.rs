//! The one SQL implementation of every store role, generic over the backend. SQLite (3.35+) and
//! PostgreSQL agree on every statement Doorward needs (`$n` parameters, `ON CONFLICT … DO
//! UPDATE`, `RETURNING`, expression indexes), so [`SqlStore`] is written once, in the role
//! modules beside this one, and compiled for each backend. What differs (connection settings,
//! the name in the start-up line) is the [`Backend`] trait. Both backends share `migrations/`:
//! the schema is the same SQL, so there is one folder until the two need to differ.

use super::StoreResult;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPoolOptions, PgQueryResult, Postgres};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Database, Pool};
use std::str::FromStr;
use std::time::Duration;

/// The schema of both backends.
pub(super) static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a PostgreSQL connection may sit idle before it is pinged on its way out of the pool.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// The store over one database pool.
#[derive(Debug, Clone)]
pub struct SqlStore<DB: Database> {
    /// Connections to the database.
    pub(super) pool: Pool<DB>,
}

/// The embedded SQLite store: one file, zero set-up, WAL journal for concurrent readers.
pub type SqliteStore = SqlStore<Sqlite>;
/// The PostgreSQL store: several Doorward instances share one database, so lockouts, logouts
/// and limits hold across all of them.
pub type PostgresStore = SqlStore<Postgres>;

/// What differs between the backends.
pub trait Backend: Database {
    /// `"sqlite"` or `"postgres"`, for the start-up log line.
    const KIND: &'static str;
}

impl Backend for Sqlite {
    const KIND: &'static str = "sqlite";
}

impl Backend for Postgres {
    const KIND: &'static str = "postgres";
}

/// How many rows a statement changed; each backend's result type has it as an inherent method.
pub trait RowsAffected {
    /// The number of rows changed.
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        SqliteQueryResult::rows_affected(self)
    }
}

impl RowsAffected for PgQueryResult {
    fn rows_affected(&self) -> u64 {
        PgQueryResult::rows_affected(self)
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the file a `sqlite://PATH` URL names. Writers queue on
    /// SQLite's lock with a busy timeout.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // sqlx pings a connection as the pool takes it back, and by default again as it hands
        // it out; for an embedded file the second ping is only one more round trip to the
        // connection's thread per statement (a file cannot hang up).
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }
}

impl PostgresStore {
    /// Connects to the database a `postgres://…` URL names.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // The pool pings every connection it takes back; one that sat idle a second or more is
        // pinged again before it is handed out (the server may have restarted, or a proxy
        // dropped it, in the meantime), and replaced if it is gone. One idle for less is used
        // unchecked: should the database end it in that second, that one statement fails.
        // Pinging every time, sqlx's default, is a second network round trip per statement.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await?;
        Ok(Self { pool })
    }
}

/// Implements a role trait (or, with `inherent`, helper methods) for [`SqlStore`] over every
/// [`Backend`] that can run the shared SQL. The macro only spells the bound list once: Rust does
/// not carry a trait's `where` clauses to its users, so without it each role would repeat them.
/// The bodies are ordinary generic code, compiled once per backend.
macro_rules! sql_impl {
    (inherent { $($body:tt)* }) => {
        $crate::store::sql::sql_impl!(@bounds [impl<DB> $crate::store::sql::SqlStore<DB>] { $($body)* });
    };
    (impl $role:ident { $($body:tt)* }) => {
        $crate::store::sql::sql_impl!(@bounds
            [#[async_trait::async_trait] impl<DB> $role for $crate::store::sql::SqlStore<DB>]
            { $($body)* });
    };
    (@bounds [$($head:tt)*] { $($body:tt)* }) => {
        $($head)*
        where
            DB: $crate::store::sql::Backend,
            DB::Connection: sqlx::migrate::Migrate,
            DB::QueryResult: $crate::store::sql::RowsAffected,
            for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
            for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
            for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'q> Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            for<'r> (String,): sqlx::FromRow<'r, DB::Row>,
            for<'r> (i64,): sqlx::FromRow<'r, DB::Row>,
            for<'r> (Option<i64>,): sqlx::FromRow<'r, DB::Row>,
            for<'r> (Option<i64>, i64): sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::UserRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::OrganizationRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::MembershipRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::FactorRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::OwnedFactorRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::ApplicationRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::SessionRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::AuditRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::OutboxRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::KeyRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::ChallengeRow: sqlx::FromRow<'r, DB::Row>,
            for<'r> $crate::store::rows::AdminTokenRow: sqlx::FromRow<'r, DB::Row>,
        {
            $($body)*
        }
    };
}

pub(super) use sql_impl;
