//! Maintenance mode: a switch in the store, so every instance on one database honours it. Each
//! instance reads it at most once a second (on the injected clock) because it is checked on
//! every request.

use super::{Engine, EngineResult};
use std::sync::{Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

/// The store setting's key.
const KEY: &str = "maintenance";
/// How long an instance trusts the value it read.
const FRESH_FOR: Duration = Duration::SECOND;

/// This instance's copy of the switch: (on, read at).
#[derive(Debug, Default)]
pub struct MaintenanceCache(Mutex<Option<(bool, OffsetDateTime)>>);

impl Engine {
    /// Whether maintenance mode is on. A store failure counts as off: health checks report
    /// the store, and an outage must not look like an announced maintenance.
    pub async fn maintenance(&self) -> bool {
        let now = self.clock.now();
        let cached = *self
            .maintenance
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((on, read_at)) = cached
            && now >= read_at
            && now - read_at < FRESH_FOR
        {
            return on;
        }
        let on = matches!(self.store.setting(KEY).await, Ok(Some(v)) if v == "on");
        *self
            .maintenance
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((on, now));
        on
    }

    /// Switches maintenance mode on or off for every instance.
    pub async fn set_maintenance(&self, on: bool) -> EngineResult<()> {
        self.store
            .set_setting(KEY, if on { "on" } else { "off" })
            .await?;
        *self
            .maintenance
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((on, self.clock.now()));
        tracing::warn!(on, "maintenance mode switched");
        Ok(())
    }
}
