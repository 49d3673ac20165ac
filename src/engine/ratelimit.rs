//! Rate limits (docs/DESIGN.md §3 step 2): a GCRA token bucket per source address, kept in this
//! instance's memory, and one per submitted identifier, kept in the store so that every
//! instance on one PostgreSQL shares it.

use super::{Engine, EngineError, EngineResult};
use crate::config::Rate;
use crate::store::RateStep;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use time::OffsetDateTime;

/// Buckets kept before expired ones are swept out.
const SWEEP_AT: usize = 100_000;

/// Milliseconds since the Unix epoch.
fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Whole milliseconds, at least one: a bucket refilled faster than a token a millisecond would
/// otherwise get an interval, and so a window, of zero, and refuse a request whose `now` was
/// read a millisecond before a parallel one's.
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// In-memory GCRA buckets: key → theoretical arrival time (ms).
#[derive(Debug, Default)]
pub struct MemoryLimiter {
    buckets: Mutex<HashMap<String, i64>>,
}

impl MemoryLimiter {
    /// Takes a token from `key`'s bucket, or says how long to wait.
    pub fn take(&self, key: &str, rate: Rate, now: OffsetDateTime) -> Result<(), Duration> {
        let (now, interval) = (millis(now), ms(rate.interval()));
        let window = interval.saturating_mul(i64::from(rate.burst));
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, tat| *tat > now);
        }
        let tat = buckets.get(key).copied().unwrap_or(now).max(now) + interval;
        if tat - now > window {
            let wait = tat - now - window;
            return Err(Duration::from_millis(u64::try_from(wait).unwrap_or(1)));
        }
        buckets.insert(key.to_owned(), tat);
        Ok(())
    }

    /// Gives one token back to `key`'s bucket (a refill past full is never kept: the next take
    /// treats a past `tat` as now).
    pub fn refund(&self, key: &str, rate: Rate) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tat) = buckets.get_mut(key) {
            *tat -= ms(rate.interval());
        }
    }
}

/// The refusal of a shared bucket at `rate` that has a token again in `wait_ms`.
pub(crate) fn rate_limited(rate: Rate, wait_ms: i64) -> EngineError {
    EngineError::RateLimited {
        limit: rate.burst,
        retry_after: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(1).max(1)),
    }
}

impl Engine {
    /// Step 2 of a sign-in: the source address's bucket. The identifier's bucket is taken with
    /// the attempt's admission (`lockout.rs`), per lockout bucket and in the same statement, and
    /// given back when the password proves right: it limits guesses, not the owner's sign-ins.
    pub(crate) fn limit_login(&self, source: Option<IpAddr>) -> EngineResult<()> {
        self.limit_address("login", source)
    }

    /// One token of a shared bucket at `rate`, taken now.
    pub(crate) fn rate_step(&self, rate: Rate) -> RateStep {
        let interval_ms = ms(rate.interval());
        RateStep {
            now_ms: millis(self.clock.now()),
            interval_ms,
            window_ms: interval_ms.saturating_mul(i64::from(rate.burst)),
        }
    }

    /// Takes a token from a shared per-identifier bucket (in the store) at `rate`.
    pub(crate) async fn take_identifier_token(&self, key: &str, rate: Rate) -> EngineResult<()> {
        let step = self.rate_step(rate);
        let taken = self
            .store
            .take_rate_token(key, step.now_ms, step.interval_ms, step.window_ms)
            .await?;
        taken.map_err(|wait| rate_limited(rate, wait))
    }

    /// Gives back the token an `action` took from an address's bucket (a check that passed).
    pub(crate) fn refund_address(&self, action: &str, source: Option<IpAddr>) {
        if let Some(address) = source {
            let rate = self.config.rate_limits.login_per_address;
            self.limiter
                .refund(&format!("{action}:addr:{address}"), rate);
        }
    }

    /// Limits an `action` per source address only (for codes that name no account).
    pub(crate) fn limit_address(&self, action: &str, source: Option<IpAddr>) -> EngineResult<()> {
        let Some(address) = source else {
            return Ok(());
        };
        let rate = self.config.rate_limits.login_per_address;
        self.limiter
            .take(&format!("{action}:addr:{address}"), rate, self.clock.now())
            .map_err(|retry_after| EngineError::RateLimited {
                retry_after,
                limit: rate.burst,
            })
    }

    /// Limits an `action` per source address (this instance's memory, at the per-address
    /// rate) and per identifier (in the store, shared by every instance, at `rate`).
    pub(crate) async fn limit(
        &self,
        action: &str,
        source: Option<IpAddr>,
        identifier: &str,
        rate: Rate,
    ) -> EngineResult<()> {
        self.limit_address(action, source)?;
        self.take_identifier_token(&format!("{action}:id:{identifier}"), rate)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_very_fast_bucket_still_has_a_window() {
        let limiter = MemoryLimiter::default();
        let rate = Rate {
            burst: 100_000,
            per: Duration::from_secs(60),
        };
        let t0 = datetime!(2026-01-01 00:00 UTC);
        assert!(
            limiter
                .take("k", rate, t0 + time::Duration::milliseconds(1))
                .is_ok()
        );
        assert!(
            limiter.take("k", rate, t0).is_ok(),
            "a request whose clock read was a millisecond earlier still passes"
        );
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_evenly() {
        let limiter = MemoryLimiter::default();
        let rate = Rate {
            burst: 3,
            per: Duration::from_secs(3),
        };
        let t0 = datetime!(2026-01-01 00:00 UTC);
        for _ in 0..3 {
            assert!(limiter.take("k", rate, t0).is_ok());
        }
        assert!(limiter.take("k", rate, t0).is_err());
        limiter.refund("k", rate);
        assert!(
            limiter.take("k", rate, t0).is_ok(),
            "a refunded token is taken again"
        );
        let wait = limiter.take("k", rate, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(1));
        assert!(
            limiter.take("other", rate, t0).is_ok(),
            "buckets are per key"
        );
        assert!(
            limiter
                .take("k", rate, t0 + time::Duration::seconds(1))
                .is_ok()
        );
        assert!(
            limiter
                .take("k", rate, t0 + time::Duration::seconds(1))
                .is_err()
        );
    }
}
