//! Lockout buckets, known sources and device tokens.

use super::rows::ts;
use super::sql::sql_impl;
use super::statements as sql;
use super::{Admission, RateStep, StoreError, StoreResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Lockout buckets, known sources and device tokens.
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// Admits one sign-in attempt to a bucket (`bucket` names it: empty for the anonymous one)
    /// in one atomic statement, and takes one token of the bucket's rate limit: refused while
    /// locked, while its confirmed failures plus the attempts in flight reach `max_failures`, or
    /// while the rate limit has no token. A lock that has run out is forgotten first. The
    /// admitted attempt stays in flight, under a lease until `lease_until`, until it is settled
    /// by one of the three calls below.
    async fn admit_attempt(
        &self,
        identifier: &str,
        bucket: &str,
        now: OffsetDateTime,
        max_failures: u32,
        lease_until: OffsetDateTime,
        rate: RateStep,
    ) -> StoreResult<Admission>;
    /// Settles an attempt whose password was wrong: one more confirmed failure, and the one
    /// that reaches `max_failures` locks until `lock_until`. Returns the failures now counted.
    async fn record_failure(
        &self,
        identifier: &str,
        bucket: &str,
        max_failures: u32,
        lock_until: OffsetDateTime,
    ) -> StoreResult<u32>;
    /// Settles an attempt whose password was right: its bucket's failures are forgotten, and
    /// `refund_ms` of its rate token given back.
    async fn record_success(
        &self,
        identifier: &str,
        bucket: &str,
        refund_ms: i64,
    ) -> StoreResult<()>;
    /// Settles an attempt whose password was never checked (busy pool, home-realm hint, a
    /// cancelled request), giving `refund_ms` of its rate token back.
    async fn release_attempt(
        &self,
        identifier: &str,
        bucket: &str,
        refund_ms: i64,
    ) -> StoreResult<()>;
    /// Remembers (or renews) a network an identifier signed in from, until `expires_at`.
    async fn remember_source(
        &self,
        identifier: &str,
        network: &str,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Until when `network` stays a known source of an identifier, if it still is one at `now`.
    async fn known_source_until(
        &self,
        identifier: &str,
        network: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<OffsetDateTime>>;
    /// Forgets every bucket of an identifier (admin unlock); returns how many were locked.
    async fn unlock_identifier(&self, identifier: &str, now: OffsetDateTime) -> StoreResult<u64>;
    /// Stores a device token (by SHA-256) for an identifier.
    async fn insert_device_token(
        &self,
        token_hash: &str,
        identifier: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()>;
    /// Whether a device token (by SHA-256) belongs to an identifier and is unexpired.
    async fn device_token_valid(
        &self,
        token_hash: &str,
        identifier: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool>;
}

sql_impl! {
    impl LockoutStore {
        async fn admit_attempt(
            &self,
            identifier: &str,
            bucket: &str,
            now: OffsetDateTime,
            max_failures: u32,
            lease_until: OffsetDateTime,
            rate: RateStep,
        ) -> StoreResult<Admission> {
            let admitted: Option<(i64,)> = sqlx::query_as(sql::ADMIT_ATTEMPT)
                .bind(identifier)
                .bind(bucket)
                .bind(ts(now))
                .bind(i64::from(max_failures))
                .bind(ts(lease_until))
                .bind(rate.now_ms)
                .bind(rate.interval_ms)
                .bind(rate.window_ms)
                .fetch_optional(&self.pool)
                .await?;
            if admitted.is_some() {
                return Ok(Admission::Admitted);
            }
            // Refused: locked, out of rate tokens, or full. The row may have gone since (an
            // admin unlock), and then the bucket is simply full for this moment.
            let row: Option<(Option<i64>, i64)> = sqlx::query_as(sql::LOCKOUT_STATE)
                .bind(identifier)
                .bind(bucket)
                .fetch_optional(&self.pool)
                .await?;
            let Some((until, tat)) = row else {
                return Ok(Admission::Full);
            };
            let until = until
                .map(|until| {
                    OffsetDateTime::from_unix_timestamp(until)
                        .map_err(|_| StoreError::Corrupt("lockouts.locked_until"))
                })
                .transpose()?;
            Ok(match until {
                Some(until) if until > now => Admission::Locked(until),
                _ if rate.wait_ms(tat) > 0 => Admission::RateLimited(rate.wait_ms(tat)),
                _ => Admission::Full,
            })
        }

        async fn record_failure(
            &self,
            identifier: &str,
            bucket: &str,
            max_failures: u32,
            lock_until: OffsetDateTime,
        ) -> StoreResult<u32> {
            let failures: Option<(i64,)> = sqlx::query_as(sql::RECORD_FAILURE)
                .bind(identifier)
                .bind(bucket)
                .bind(i64::from(max_failures))
                .bind(ts(lock_until))
                .fetch_optional(&self.pool)
                .await?;
            Ok(failures.map_or(0, |(n,)| u32::try_from(n).unwrap_or(u32::MAX)))
        }

        async fn record_success(
            &self,
            identifier: &str,
            bucket: &str,
            refund_ms: i64,
        ) -> StoreResult<()> {
            sqlx::query(sql::RECORD_SUCCESS)
                .bind(identifier)
                .bind(bucket)
                .bind(refund_ms)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn release_attempt(
            &self,
            identifier: &str,
            bucket: &str,
            refund_ms: i64,
        ) -> StoreResult<()> {
            sqlx::query(sql::RELEASE_ATTEMPT)
                .bind(identifier)
                .bind(bucket)
                .bind(refund_ms)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn remember_source(
            &self,
            identifier: &str,
            network: &str,
            expires_at: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(sql::REMEMBER_SOURCE)
                .bind(identifier)
                .bind(network)
                .bind(ts(expires_at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn known_source_until(
            &self,
            identifier: &str,
            network: &str,
            now: OffsetDateTime,
        ) -> StoreResult<Option<OffsetDateTime>> {
            let row: Option<(i64,)> = sqlx::query_as(sql::KNOWN_SOURCE_UNTIL)
                .bind(identifier)
                .bind(network)
                .bind(ts(now))
                .fetch_optional(&self.pool)
                .await?;
            row.map(|(until,)| {
                OffsetDateTime::from_unix_timestamp(until)
                    .map_err(|_| StoreError::Corrupt("known_sources.expires_at"))
            })
            .transpose()
        }

        async fn unlock_identifier(
            &self,
            identifier: &str,
            now: OffsetDateTime,
        ) -> StoreResult<u64> {
            let (locked,): (i64,) = sqlx::query_as(sql::COUNT_LOCKED)
                .bind(identifier)
                .bind(ts(now))
                .fetch_one(&self.pool)
                .await?;
            sqlx::query(sql::UNLOCK_IDENTIFIER)
                .bind(identifier)
                .execute(&self.pool)
                .await?;
            u64::try_from(locked).map_err(|_| StoreError::Corrupt("lockouts count"))
        }

        async fn insert_device_token(
            &self,
            token_hash: &str,
            identifier: &str,
            now: OffsetDateTime,
            expires_at: OffsetDateTime,
        ) -> StoreResult<()> {
            sqlx::query(sql::INSERT_DEVICE_TOKEN)
                .bind(token_hash)
                .bind(identifier)
                .bind(ts(now))
                .bind(ts(expires_at))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn device_token_valid(
            &self,
            token_hash: &str,
            identifier: &str,
            now: OffsetDateTime,
        ) -> StoreResult<bool> {
            let row: Option<(String,)> = sqlx::query_as(sql::DEVICE_TOKEN_VALID)
                .bind(token_hash)
                .bind(identifier)
                .bind(ts(now))
                .fetch_optional(&self.pool)
                .await?;
            Ok(row.is_some())
        }
    }
}
