//! The PostgreSQL store: several Doorward instances share one database, so lockouts, logouts
//! and limits hold across all of them.

use super::StoreResult;
use super::factors::impl_factor_store;
use super::sql::impl_sql_store;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    /// Connections to the server.
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database a `postgres://…` URL names.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }
}

impl_sql_store!(PostgresStore, sqlx::Postgres, "postgres");
impl_factor_store!(PostgresStore, sqlx::Postgres);
