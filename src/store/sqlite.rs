//! The embedded SQLite store: one file, zero set-up, WAL journal for concurrent readers.

use super::StoreResult;
use super::factors::impl_factor_store;
use super::sql::impl_sql_store;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Connections to the file; writers queue on SQLite's lock with a busy timeout.
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the file a `sqlite://PATH` URL names.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }
}

impl_sql_store!(SqliteStore, sqlx::Sqlite, "sqlite");
impl_factor_store!(SqliteStore, sqlx::Sqlite);
