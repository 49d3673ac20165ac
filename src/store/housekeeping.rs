//! The schema, the health check and the sweep of what can no longer matter.

use super::rows::ts;
use super::sql::{RowsAffected, sql_impl};
use super::statements as sql;
use super::{StoreError, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// The schema, the health check and the sweep of what can no longer matter.
#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Brings the schema up to date.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// `"sqlite"` or `"postgres"`, for the start-up log line.
    fn kind(&self) -> &'static str;
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
}

sql_impl! {
    impl Housekeeping {
        async fn migrate(&self) -> StoreResult<()> {
            super::sql::MIGRATOR
                .run(&self.pool)
                .await
                .map_err(StoreError::Migration)
        }

        async fn ping(&self) -> StoreResult<()> {
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }

        fn kind(&self) -> &'static str {
            DB::KIND
        }

        async fn sweep(&self, before: OffsetDateTime, now_ms: i64) -> StoreResult<u64> {
            let mut removed = 0;
            for statement in sql::SWEEP_SECONDS {
                removed += sqlx::query(statement)
                    .bind(ts(before))
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
            }
            removed += sqlx::query(sql::SWEEP_RATE_LIMITS)
                .bind(now_ms)
                .execute(&self.pool)
                .await?
                .rows_affected();
            Ok(removed)
        }

        async fn sweep_history(
            &self,
            audit_before: OffsetDateTime,
            outbox_before: OffsetDateTime,
        ) -> StoreResult<u64> {
            let audit = sqlx::query(sql::SWEEP_AUDIT)
                .bind(ts(audit_before))
                .execute(&self.pool)
                .await?
                .rows_affected();
            let outbox = sqlx::query(sql::SWEEP_OUTBOX)
                .bind(ts(outbox_before))
                .execute(&self.pool)
                .await?
                .rows_affected();
            Ok(audit + outbox)
        }
    }
}
