//! The audit trail.

use super::StoreResult;
use super::rows::{self, AuditRow, ts};
use super::sql::sql_impl;
use super::statements as sql;
use crate::domain::AuditEvent;
use async_trait::async_trait;
use time::OffsetDateTime;

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records a security event.
    async fn insert_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Security events, newest first, optionally of one user and since a time.
    async fn audit_events(
        &self,
        user_id: Option<&str>,
        since: Option<OffsetDateTime>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;
}

sql_impl! {
    impl AuditStore {
        async fn insert_audit(&self, e: &AuditEvent) -> StoreResult<()> {
            sqlx::query(sql::INSERT_AUDIT)
                .bind(&e.id)
                .bind(ts(e.at))
                .bind(&e.kind)
                .bind(&e.outcome)
                .bind(&e.user_id)
                .bind(&e.identifier)
                .bind(&e.application_id)
                .bind(&e.source)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn audit_events(
            &self,
            user_id: Option<&str>,
            since: Option<OffsetDateTime>,
            limit: u32,
        ) -> StoreResult<Vec<AuditEvent>> {
            let found: Vec<AuditRow> = sqlx::query_as(sql::AUDIT_EVENTS)
                .bind(user_id)
                .bind(since.map_or(i64::MIN, ts))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }
    }
}
