//! Admin tokens: kept by SHA-256, listed without it, revoked by id or name.

use super::StoreResult;
use super::rows::{self, AdminTokenRow, ts};
use super::sql::{RowsAffected, sql_impl};
use super::statements as sql;
use crate::domain::AdminToken;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Admin tokens.
#[async_trait]
pub trait AdminTokenStore: Send + Sync {
    /// Stores a token by the SHA-256 of its secret.
    async fn insert_admin_token(&self, token_hash: &str, token: &AdminToken) -> StoreResult<()>;
    /// The token whose secret has this SHA-256, whatever its state.
    async fn admin_token(&self, token_hash: &str) -> StoreResult<Option<AdminToken>>;
    /// Every token, newest first.
    async fn admin_tokens(&self) -> StoreResult<Vec<AdminToken>>;
    /// Revokes the live tokens with this id or name; how many there were.
    async fn revoke_admin_token(&self, id_or_name: &str, now: OffsetDateTime) -> StoreResult<u64>;
    /// Sets a token's last-used time to `now` unless it was already set after `unless_since`.
    async fn touch_admin_token(
        &self,
        id: &str,
        now: OffsetDateTime,
        unless_since: OffsetDateTime,
    ) -> StoreResult<()>;
}

sql_impl! {
    impl AdminTokenStore {
        async fn insert_admin_token(&self, token_hash: &str, t: &AdminToken) -> StoreResult<()> {
            sqlx::query(sql::INSERT_ADMIN_TOKEN)
                .bind(token_hash)
                .bind(&t.id)
                .bind(&t.name)
                .bind(t.scope.as_str())
                .bind(ts(t.created_at))
                .bind(ts(t.expires_at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn admin_token(&self, token_hash: &str) -> StoreResult<Option<AdminToken>> {
            let row: Option<AdminTokenRow> = sqlx::query_as(sql::ADMIN_TOKEN)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
            row.map(AdminToken::try_from).transpose()
        }

        async fn admin_tokens(&self) -> StoreResult<Vec<AdminToken>> {
            let found: Vec<AdminTokenRow> = sqlx::query_as(sql::ADMIN_TOKENS)
                .fetch_all(&self.pool)
                .await?;
            rows::all(found)
        }

        async fn revoke_admin_token(
            &self,
            id_or_name: &str,
            now: OffsetDateTime,
        ) -> StoreResult<u64> {
            let done = sqlx::query(sql::REVOKE_ADMIN_TOKEN)
                .bind(id_or_name)
                .bind(ts(now))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected())
        }

        async fn touch_admin_token(
            &self,
            id: &str,
            now: OffsetDateTime,
            unless_since: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(sql::TOUCH_ADMIN_TOKEN)
                .bind(id)
                .bind(ts(now))
                .bind(ts(unless_since))
                .execute(&self.pool)
                .await?;
            Ok(())
        }
    }
}
