//! Maintenance mode: a switch in the store, so every instance on one database honours it. Each
//! instance reads it at most once a second (on the injected clock). It is checked on every
//! request, so this instance's copy is two atomics, never a lock.

use super::{Engine, EngineResult};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use time::OffsetDateTime;

/// The store setting's key.
const KEY: &str = "maintenance";
/// How long clients are told to wait during maintenance.
const MAINTENANCE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(120);
/// How long an instance trusts the value it read, in milliseconds.
const FRESH_FOR_MS: i64 = 1000;

/// This instance's copy of the switch.
#[derive(Debug)]
pub struct MaintenanceCache {
    on: AtomicBool,
    /// When it was read (Unix ms); `i64::MIN` before the first read.
    read_at_ms: AtomicI64,
}

impl Default for MaintenanceCache {
    fn default() -> Self {
        Self {
            on: AtomicBool::new(false),
            read_at_ms: AtomicI64::new(i64::MIN),
        }
    }
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl MaintenanceCache {
    fn fresh(&self, now_ms: i64) -> Option<bool> {
        let read_at = self.read_at_ms.load(Ordering::Acquire);
        (now_ms >= read_at && now_ms.saturating_sub(read_at) < FRESH_FOR_MS)
            .then(|| self.on.load(Ordering::Acquire))
    }

    fn set(&self, on: bool, now_ms: i64) {
        self.on.store(on, Ordering::Release);
        self.read_at_ms.store(now_ms, Ordering::Release);
    }
}

impl Engine {
    /// Whether maintenance mode is on. A store failure counts as off: health checks report
    /// the store, and an outage must not look like an announced maintenance.
    /// `Some(how long clients are told to wait)` while the server is in maintenance: the one
    /// decision every face renders in its own shape.
    pub async fn maintenance_retry(&self) -> Option<std::time::Duration> {
        self.maintenance().await.then_some(MAINTENANCE_RETRY_AFTER)
    }

    /// Whether the server is in maintenance.
    pub async fn maintenance(&self) -> bool {
        let now = unix_ms(self.clock.now());
        if let Some(on) = self.maintenance.fresh(now) {
            return on;
        }
        let on = matches!(self.store.setting(KEY).await, Ok(Some(v)) if v == "on");
        self.maintenance.set(on, now);
        on
    }

    /// Switches maintenance mode on or off for every instance.
    pub async fn set_maintenance(&self, by: &crate::domain::Actor, on: bool) -> EngineResult<()> {
        self.store
            .set_setting(KEY, if on { "on" } else { "off" })
            .await?;
        self.maintenance.set(on, unix_ms(self.clock.now()));
        tracing::warn!(on, "maintenance mode switched");
        self.audit(super::audit::Event {
            actor: Some(by),
            kind: if on {
                "maintenance_on"
            } else {
                "maintenance_off"
            },
            outcome: "success",
            ..super::audit::Event::default()
        })
        .await;
        Ok(())
    }
}
