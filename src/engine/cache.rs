//! This instance's copy of recently validated sessions, so that token validation is a SHA-256 and
//! a map lookup instead of a database read.
//!
//! An entry is trusted for at most [`FRESH_FOR`] (measured on the injected clock) and then read
//! again from the store: that bound is how long a logout or disable made on *another* instance
//! can go unnoticed here. Changes made on this instance evict entries at once.
//!
//! Activity is recorded here first; the store is told only when `last_seen` has moved by a tenth
//! of the idle window, so validation does not write on every request.

use crate::domain::{Session, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

/// How long a cached entry is trusted before the store is asked again.
pub const FRESH_FOR: Duration = Duration::SECOND;
/// Entries kept before stale ones are swept out.
const SWEEP_AT: usize = 100_000;

/// A validated session as this instance last saw it.
#[derive(Debug, Clone)]
pub struct CachedSession {
    /// The session and its user, as read from the store.
    pub record: Arc<(Session, User)>,
    /// Latest activity seen by this instance (may be ahead of the store).
    pub last_seen: OffsetDateTime,
    /// Latest activity written to the store.
    pub persisted: OffsetDateTime,
    /// When the record was read from the store.
    fetched_at: OffsetDateTime,
}

impl CachedSession {
    /// A fresh entry for a record just read; keeps activity this instance saw before.
    pub fn new(
        session: Session,
        user: User,
        now: OffsetDateTime,
        seen_before: Option<OffsetDateTime>,
    ) -> Self {
        let stored = session.last_seen_at;
        let last_seen = seen_before.map_or(stored, |seen| seen.max(stored));
        Self {
            record: Arc::new((session, user)),
            last_seen,
            persisted: stored,
            fetched_at: now,
        }
    }

    /// Whether activity at `now` has run a tenth of the idle window ahead of the store.
    pub fn due_for_write(&self, now: OffsetDateTime) -> bool {
        now - self.persisted >= self.record.0.idle / 10
    }

    fn is_fresh(&self, now: OffsetDateTime) -> bool {
        now >= self.fetched_at && now - self.fetched_at < FRESH_FOR
    }
}

/// Token hash → cached session.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, CachedSession>>,
}

impl SessionCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedSession>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The entry as it was, if it is still fresh, and whether this request should write its
    /// activity to the store (it has run a tenth of the idle window ahead). `now` is recorded
    /// as activity, and a write it asks for as done. One lock: this is the hot path.
    pub fn hit(&self, token_hash: &str, now: OffsetDateTime) -> Option<(CachedSession, bool)> {
        let mut map = self.map();
        let entry = map.get_mut(token_hash).filter(|e| e.is_fresh(now))?;
        let seen = entry.clone();
        let persist = entry.due_for_write(now);
        entry.last_seen = entry.last_seen.max(now);
        if persist {
            entry.persisted = now;
        }
        Some((seen, persist))
    }

    /// The activity this instance saw for a token, fresh or not.
    pub fn seen(&self, token_hash: &str) -> Option<OffsetDateTime> {
        self.map().get(token_hash).map(|e| e.last_seen)
    }

    /// Stores an entry, sweeping stale ones when the map grows large.
    pub fn put(&self, token_hash: String, entry: CachedSession) {
        let mut map = self.map();
        if map.len() >= SWEEP_AT {
            let now = entry.fetched_at;
            map.retain(|_, e| e.is_fresh(now));
        }
        map.insert(token_hash, entry);
    }

    /// Records activity; `persisted` marks that it was also written to the store.
    pub fn touch(&self, token_hash: &str, now: OffsetDateTime, persisted: bool) {
        if let Some(entry) = self.map().get_mut(token_hash) {
            entry.last_seen = entry.last_seen.max(now);
            if persisted {
                entry.persisted = entry.persisted.max(now);
            }
        }
    }

    /// Forgets one token.
    pub fn remove(&self, token_hash: &str) {
        self.map().remove(token_hash);
    }

    /// Forgets every token of a user.
    pub fn remove_user(&self, user_id: &str) {
        self.map().retain(|_, e| e.record.0.user_id != user_id);
    }

    /// Forgets every token of sessions acting for an organisation (of one user, or of all).
    pub fn remove_organization(&self, organization_id: &str, user_id: Option<&str>) {
        self.map().retain(|_, e| {
            let session = &e.record.0;
            session.organization_id.as_deref() != Some(organization_id)
                || user_id.is_some_and(|u| u != session.user_id)
        });
    }
}

/// Each user's memberships with their organisations, as the faces that describe a session with
/// its identities read them on every validation (Amplify `checkSession`, Weavr `identities`).
/// Trusted for [`FRESH_FOR`], like a session: a change made on another instance shows here
/// within that time; a change made here (a membership, an organisation, an import, a deleted
/// user) clears the cache at once. Decisions that grant access (switching organisation,
/// issuing an access token, choosing the organisation of a sign-in) read the store instead.
#[derive(Debug, Default)]
pub struct MembershipCache {
    entries: Mutex<HashMap<String, (Memberships, OffsetDateTime)>>,
}

/// A user's memberships, shared by the requests that read them.
pub type Memberships = Arc<Vec<crate::store::MembershipWithOrg>>;

impl MembershipCache {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Memberships, OffsetDateTime)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's memberships if they were read less than [`FRESH_FOR`] ago.
    pub fn get(&self, user_id: &str, now: OffsetDateTime) -> Option<Memberships> {
        self.map()
            .get(user_id)
            .filter(|(_, read)| now >= *read && now - *read < FRESH_FOR)
            .map(|(memberships, _)| Arc::clone(memberships))
    }

    /// Keeps what was just read.
    pub fn put(&self, user_id: &str, memberships: Memberships, now: OffsetDateTime) {
        let mut map = self.map();
        if map.len() >= SWEEP_AT {
            map.retain(|_, (_, read)| now - *read < FRESH_FOR);
        }
        map.insert(user_id.to_owned(), (memberships, now));
    }

    /// Forgets everything: memberships or organisations changed on this instance.
    pub fn clear(&self) {
        self.map().clear();
    }
}
