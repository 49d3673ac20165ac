//! Rate-limit buckets (GCRA theoretical arrival times).

use super::StoreResult;
use super::sql::sql_impl;
use super::statements as sql;
use async_trait::async_trait;

/// Rate-limit buckets (GCRA theoretical arrival times).
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Takes one token from a shared GCRA bucket; `Err(wait_ms)` when it is empty.
    async fn take_rate_token(
        &self,
        key: &str,
        now_ms: i64,
        interval_ms: i64,
        window_ms: i64,
    ) -> StoreResult<Result<(), i64>>;
}

sql_impl! {
    impl RateLimitStore {
        async fn take_rate_token(
            &self,
            key: &str,
            now_ms: i64,
            interval_ms: i64,
            window_ms: i64,
        ) -> StoreResult<Result<(), i64>> {
            let taken: Option<(i64,)> = sqlx::query_as(sql::TAKE_RATE_TOKEN)
                .bind(key)
                .bind(now_ms)
                .bind(interval_ms)
                .bind(window_ms)
                .fetch_optional(&self.pool)
                .await?;
            if taken.is_some() {
                return Ok(Ok(()));
            }
            // Refused; should the row have been swept since, one interval is a fair wait.
            let tat: Option<(i64,)> = sqlx::query_as(sql::RATE_TAT)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            let tat = tat.map_or(now_ms + window_ms, |(tat,)| tat);
            Ok(Err((tat + interval_ms - now_ms - window_ms).max(1)))
        }
    }
}
