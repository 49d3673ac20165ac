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
    /// Security events, newest first (by time, then id), that match a filter. For a user, those
    /// that name her by id and those (such as lockouts, which never say whether an account
    /// exists) that name her email or username.
    async fn audit_events(&self, filter: &AuditFilter<'_>) -> StoreResult<Vec<AuditEvent>>;
}

/// Which audit events to return: every field left `None` matches everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditFilter<'a> {
    /// The user the events concern.
    pub user: Option<&'a User>,
    /// The kind (`login`, `lockout`, …).
    pub kind: Option<&'a str>,
    /// The outcome (`success` or an error code).
    pub outcome: Option<&'a str>,
    /// The actor's stored form (`admin:deploy`, `cli`, …).
    pub actor: Option<&'a str>,
    /// At or after this time.
    pub since: Option<OffsetDateTime>,
    /// At or before this time.
    pub until: Option<OffsetDateTime>,
    /// Only events after this one in the order (its time and id): the cursor.
    pub after: Option<(OffsetDateTime, &'a str)>,
    /// At most this many.
    pub limit: u32,
}

sql_impl! {
    impl AuditStore {
        async fn insert_audit(&self, e: &AuditEvent) -> StoreResult<()> {
            sqlx::query(sql::INSERT_AUDIT)
                .bind(&e.id)
                .bind(ts(e.at))
                .bind(&e.kind)
                .bind(&e.outcome)
                .bind(e.actor.to_string())
                .bind(&e.user_id)
                .bind(&e.identifier)
                .bind(&e.application_id)
                .bind(&e.source)
                .bind(&e.detail)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn audit_events(&self, f: &AuditFilter<'_>) -> StoreResult<Vec<AuditEvent>> {
            let username = f.user.and_then(|u| u.username.as_ref()).map(|n| n.to_lowercase());
            let (after_at, after_id) = f.after.map_or((i64::MAX, ""), |(at, id)| (ts(at), id));
            let found: Vec<AuditRow> = sqlx::query_as(sql::AUDIT_EVENTS)
                .bind(f.user.map(|u| u.id.as_str()))
                .bind(f.user.map(|u| u.email.as_str()))
                .bind(username.as_deref())
                .bind(f.kind)
                .bind(f.outcome)
                .bind(f.actor)
                .bind(f.since.map_or(i64::MIN, ts))
                .bind(f.until.map_or(i64::MAX, ts))
                .bind(after_at)
                .bind(after_id)
                .bind(i64::from(f.limit))
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }
    }
}
