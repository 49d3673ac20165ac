//! Sessions: the bearer tokens and what they carry.

use super::StoreResult;
use super::rows::{self, SessionRow, ts};
use super::sql::{RowsAffected, sql_impl};
use super::statements as sql;
use crate::domain::Session;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Sessions: the bearer tokens and what they carry.
#[async_trait]
pub trait SessionStore: Send + Sync {
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
    /// A session by id, revoked or not.
    async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>>;
    /// Moves a session to another organisation.
    async fn set_session_organization(&self, id: &str, organization_id: &str) -> StoreResult<()>;
}

sql_impl! {
    impl SessionStore {
        async fn insert_session(&self, s: &Session) -> StoreResult<()> {
            sqlx::query(sql::INSERT_SESSION)
                .bind(&s.id)
                .bind(&s.token_hash)
                .bind(&s.user_id)
                .bind(s.kind.as_str())
                .bind(s.assurance.as_str())
                .bind(&s.application_id)
                .bind(&s.organization_id)
                .bind(ts(s.created_at))
                .bind(ts(s.last_seen_at))
                .bind(rows::secs(s.idle))
                .bind(ts(s.expires_at))
                .bind(s.revoked_at.map(ts))
                .bind(s.stepped_up_at.map(ts))
                .bind(s.client.as_str())
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn session_by_token_hash(
            &self,
            token_hash: &str,
        ) -> StoreResult<Option<Session>> {
            let row: Option<SessionRow> = sqlx::query_as(sql::SESSION_BY_TOKEN_HASH)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn replace_session_token(
            &self,
            id: &str,
            old_hash: &str,
            new_hash: &str,
        ) -> StoreResult<bool> {
            let done = sqlx::query(sql::REPLACE_SESSION_TOKEN)
                .bind(id)
                .bind(old_hash)
                .bind(new_hash)
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn touch_session(&self, id: &str, last_seen: OffsetDateTime) -> StoreResult<()> {
            sqlx::query(sql::TOUCH_SESSION)
                .bind(id)
                .bind(ts(last_seen))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn revoke_session(&self, id: &str, at: OffsetDateTime) -> StoreResult<bool> {
            let done = sqlx::query(sql::REVOKE_SESSION)
                .bind(id)
                .bind(ts(at))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn revoke_organization_sessions(
            &self,
            organization_id: &str,
            user_id: Option<&str>,
            at: OffsetDateTime,
        ) -> StoreResult<u64> {
            let done = sqlx::query(sql::REVOKE_ORGANIZATION_SESSIONS)
                .bind(organization_id)
                .bind(user_id)
                .bind(ts(at))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        }

        async fn revoke_user_sessions(
            &self,
            user_id: &str,
            at: OffsetDateTime,
        ) -> StoreResult<u64> {
            let done = sqlx::query(sql::REVOKE_USER_SESSIONS)
                .bind(user_id)
                .bind(ts(at))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        }

        async fn session_by_id(&self, id: &str) -> StoreResult<Option<Session>> {
            let row: Option<SessionRow> = sqlx::query_as(sql::SESSION_BY_ID)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
            rows::one(row)
        }

        async fn set_session_organization(
            &self,
            id: &str,
            organization_id: &str,
        ) -> StoreResult<()> {
            sqlx::query(sql::SET_SESSION_ORGANIZATION)
                .bind(id)
                .bind(organization_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }
}
