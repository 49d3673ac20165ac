//! Housekeeping: rows that can no longer matter are deleted now and then, so the tables of a
//! long-running server do not grow without bound. Every instance may sweep; it is idempotent.

use super::{Engine, EngineResult};
use time::Duration;

/// How long ended sessions and run-out locks are kept (for support questions) before deletion.
const KEEP_FOR: Duration = Duration::DAY;

impl Engine {
    /// Deletes expired sessions, device tokens, codes, challenges, locks and refilled rate
    /// buckets, and audit events and outbox messages past their retention; returns how many
    /// rows went.
    pub async fn sweep(&self) -> EngineResult<u64> {
        let now = self.clock.now();
        let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let retention = self.config.retention;
        let removed = self.store.sweep(now - KEEP_FOR, now_ms).await?
            + self
                .store
                .sweep_history(now - retention.audit, now - retention.outbox)
                .await?;
        if removed > 0 {
            tracing::info!(removed, "swept expired rows");
        }
        Ok(removed)
    }
}
