//! The audit trail.

use super::StoreResult;
use super::rows::{self, AuditRow, ts};
use super::sql::sql_impl;
use super::statements as sql;
use crate::domain::{AuditEvent, User};
use async_trait::async_trait;
use time::OffsetDateTime;

/// The audit trail.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records a security event.
    async fn insert_audit(&self, event: &AuditEvent) -> StoreResult<()>;
    /// Security events, newest first, optionally of one user and since a time.
    /// The newest events since a time; for a user, those that name her by id and those (such
    /// as lockouts, which never say whether an account exists) that name her email or username.
    async fn audit_events(
        &self,
        user: Option<&User>,
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
            user: Option<&User>,
            since: Option<OffsetDateTime>,
            limit: u32,
        ) -> StoreResult<Vec<AuditEvent>> {
            let username = user.and_then(|u| u.username.as_ref()).map(|n| n.to_lowercase());
            let found: Vec<AuditRow> = sqlx::query_as(sql::AUDIT_EVENTS)
                .bind(user.map(|u| u.id.as_str()))
                .bind(since.map_or(i64::MIN, ts))
                .bind(i64::from(limit))
                .bind(user.map(|u| u.email.as_str()))
                .bind(username.as_deref())
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }
    }
}
