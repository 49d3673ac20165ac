//! Single-use tokens (activation, password reset), by SHA-256.

use super::StoreResult;
use super::rows::ts;
use super::sql::sql_impl;
use super::statements as sql;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Single-use tokens, by SHA-256.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores a single-use token (by SHA-256).
    async fn insert_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        user_id: &str,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// The user of a single-use token that is unused, unexpired and for `purpose`, without
    /// using it.
    async fn peek_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>>;
    /// Uses a single-use token atomically: its user when it was unused, unexpired and for
    /// `purpose`; `None` otherwise (and then it stays as it was).
    async fn use_one_time_token(
        &self,
        token_hash: &str,
        purpose: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<String>>;
}

sql_impl! {
    impl TokenStore {
        async fn insert_one_time_token(
            &self,
            token_hash: &str,
            purpose: &str,
            user_id: &str,
            expires_at: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(sql::INSERT_ONE_TIME_TOKEN)
                .bind(token_hash)
                .bind(purpose)
                .bind(user_id)
                .bind(ts(expires_at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn peek_one_time_token(
            &self,
            token_hash: &str,
            purpose: &str,
            now: OffsetDateTime,
        ) -> StoreResult<Option<String>> {
            self.one_time_token_user(
                sql::PEEK_ONE_TIME_TOKEN,
                token_hash,
                purpose,
                now,
            )
            .await
        }

        async fn use_one_time_token(
            &self,
            token_hash: &str,
            purpose: &str,
            now: OffsetDateTime,
        ) -> StoreResult<Option<String>> {
            self.one_time_token_user(
                sql::USE_ONE_TIME_TOKEN,
                token_hash,
                purpose,
                now,
            )
            .await
        }
    }
}

sql_impl! {
    inherent {
        /// The user of a live single-use token, by `statement` (which peeks or consumes it).
        async fn one_time_token_user(
            &self,
            statement: &'static str,
            token_hash: &str,
            purpose: &str,
            now: OffsetDateTime,
        ) -> StoreResult<Option<String>> {
            let row: Option<(String,)> = sqlx::query_as(statement)
                .bind(token_hash)
                .bind(purpose)
                .bind(ts(now))
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.map(|(user,)| user))
        }
    }
}
