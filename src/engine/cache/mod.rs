//! This instance's copy of recently validated sessions, so that token validation is a SHA-256 and
//! a map lookup instead of a database read.
//!
//! An entry is trusted for at most [`FRESH_FOR`] (measured on the injected clock) and then read
//! again from the store: that bound is how long a logout or disable made on *another* instance
//! can go unnoticed here. Changes made on this instance evict entries at once.
//!
//! Activity is recorded here first; the store is told only when `last_seen` has moved by a tenth
//! of the idle window, so validation does not write on every request. Activity is recorded
//! only for a session that is still open at that moment, decided under the same lock: a
//! refused validation never moves `last_seen`, so parallel requests that arrive after the idle
//! window closed cannot reopen it for one another. An ended session stays in the map, as
//! ended, until the entry goes stale, so that a token presented again and again after its
//! session ended is not read from the store on every request.
//!
//! `memberships`: users' memberships, trusted for the same second.

use crate::domain::{Session, User, UserStatus};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

mod memberships;
pub use memberships::MembershipCache;

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
    /// A fresh entry for a record just read ([`SessionCache::put`] adds the activity this
    /// instance saw before).
    pub fn new(session: Session, user: User, now: OffsetDateTime) -> Self {
        let stored = session.last_seen_at;
        Self {
            record: Arc::new((session, user)),
            last_seen: stored,
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

    /// Whether the session is open at `now`: not revoked, its user active, and `now` before
    /// both its idle deadline (from the latest activity seen) and its absolute cap.
    pub fn is_open_at(&self, now: OffsetDateTime) -> bool {
        let (session, user) = &*self.record;
        session.revoked_at.is_none()
            && user.status == UserStatus::Active
            && now < session.idle_deadline(self.last_seen)
    }

    /// Records activity at `now` on an open session; whether it is due to be written to the
    /// store (the write then counts as done).
    fn record_activity(&mut self, now: OffsetDateTime) -> bool {
        let persist = self.due_for_write(now);
        self.last_seen = self.last_seen.max(now);
        if persist {
            self.persisted = now;
        }
        persist
    }
}

/// What the cache knows of a token at a moment.
#[derive(Debug)]
pub enum Cached {
    /// Nothing fresh: the store must be read.
    Miss,
    /// The session ended (revoked, idle, past its cap, or its user inactive).
    Ended,
    /// The session is open: the entry as it was before this request's activity, and whether
    /// this request should write its activity to the store.
    Open(CachedSession, bool),
}

/// Token hash → cached session.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<Entries>,
}

/// The map, and the evictions it has seen: a record read from the store before an eviction (a
/// logout, a disable) that covers it may predate what the eviction undid, so it is not kept.
#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, CachedSession>,
    /// Evictions so far.
    evictions: u64,
    /// The latest of them, the newest last; at most [`RECENT_EVICTIONS`].
    recent: VecDeque<Evicted>,
}

/// Evictions remembered, so that a read is dropped only if one of those made since covers it;
/// a read older than all of them is dropped whatever it is.
const RECENT_EVICTIONS: usize = 256;

/// What an eviction forgot.
#[derive(Debug)]
enum Evicted {
    /// One token (or session id) key.
    Key(String),
    /// Every session of a user.
    User(String),
    /// The sessions acting for an organisation (one user's, or all).
    Organization(String, Option<String>),
}

impl Evicted {
    fn covers(&self, key: &str, entry: &CachedSession) -> bool {
        let session = &entry.record.0;
        match self {
            Self::Key(evicted) => evicted == key,
            Self::User(user_id) => *user_id == session.user_id,
            Self::Organization(organization_id, user_id) => {
                session.organization_id.as_deref() == Some(organization_id.as_str())
                    && user_id.as_ref().is_none_or(|u| *u == session.user_id)
            }
        }
    }
}

impl Entries {
    fn record(&mut self, evicted: Evicted) {
        self.evictions += 1;
        if self.recent.len() == RECENT_EVICTIONS {
            self.recent.pop_front();
        }
        self.recent.push_back(evicted);
    }

    /// Whether an eviction made after `read` covers the entry.
    fn evicted_since(&self, read: ReadMark, key: &str, entry: &CachedSession) -> bool {
        let since = usize::try_from(self.evictions - read.0).unwrap_or(usize::MAX);
        since > self.recent.len()
            || self
                .recent
                .iter()
                .rev()
                .take(since)
                .any(|e| e.covers(key, entry))
    }
}

/// When a record was read, as far as the cache can tell: the evictions made before the read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadMark(u64);

impl SessionCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Taken before a record is read from the store, and handed back with it to
    /// [`SessionCache::put`].
    pub fn mark(&self) -> ReadMark {
        ReadMark(self.lock().evictions)
    }

    /// What a fresh entry says of the token at `now`. For an open session `now` is recorded as
    /// activity, and a write it asks for as done; an ended one is left as it is. One lock: this
    /// is the hot path.
    pub fn hit(&self, token_hash: &str, now: OffsetDateTime) -> Cached {
        match self
            .lock()
            .map
            .get_mut(token_hash)
            .filter(|e| e.is_fresh(now))
        {
            None => Cached::Miss,
            Some(entry) if !entry.is_open_at(now) => Cached::Ended,
            Some(entry) => {
                let seen = entry.clone();
                let persist = entry.record_activity(now);
                Cached::Open(seen, persist)
            }
        }
    }

    /// Stores an entry just read from the store, with the activity this instance saw before
    /// (sweeping stale entries when the map grows large), and says, as [`SessionCache::hit`]
    /// would, what it makes of the token at the moment it was read: activity is recorded only
    /// if the session is open. The entry answers this request but is not kept if an eviction
    /// made since `read` covers it (it may be the session a logout just ended, read a moment
    /// before the logout was written), or if a newer read of the token is already kept.
    pub fn put(&self, key: String, mut entry: CachedSession, read: ReadMark) -> Cached {
        let now = entry.fetched_at;
        let mut entries = self.lock();
        let mut keep = !entries.evicted_since(read, &key, &entry);
        let map = &mut entries.map;
        if map.len() >= SWEEP_AT {
            map.retain(|_, e| e.is_fresh(now));
        }
        if let Some(before) = map.get(&key) {
            keep &= before.fetched_at <= entry.fetched_at;
            entry.last_seen = entry.last_seen.max(before.last_seen);
            entry.persisted = entry.persisted.max(before.persisted);
        }
        let cached = if entry.is_open_at(now) {
            let seen = entry.clone();
            Cached::Open(seen, entry.record_activity(now))
        } else {
            Cached::Ended
        };
        if keep {
            map.insert(key, entry);
        }
        cached
    }

    /// Forgets one token.
    pub fn remove(&self, key: &str) {
        let mut entries = self.lock();
        entries.map.remove(key);
        entries.record(Evicted::Key(key.to_owned()));
    }

    /// Forgets every token of a user.
    pub fn remove_user(&self, user_id: &str) {
        self.evict(Evicted::User(user_id.to_owned()));
    }

    /// Forgets every token of sessions acting for an organisation (of one user, or of all).
    pub fn remove_organization(&self, organization_id: &str, user_id: Option<&str>) {
        self.evict(Evicted::Organization(
            organization_id.to_owned(),
            user_id.map(str::to_owned),
        ));
    }

    fn evict(&self, evicted: Evicted) {
        let mut entries = self.lock();
        entries.map.retain(|key, entry| !evicted.covers(key, entry));
        entries.record(evicted);
    }

    /// The activity this instance saw for a token, fresh or not (introspection reads it).
    pub fn seen(&self, key: &str) -> Option<OffsetDateTime> {
        self.lock().map.get(key).map(|e| e.last_seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Assurance, ClientKind, PasswordState, Realm, SessionKind};

    const IDLE: Duration = Duration::minutes(5);

    fn at(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    /// A session opened at minute 0 and last used then, as the store would give it at `read`.
    fn read_at(read: OffsetDateTime) -> CachedSession {
        let session = Session {
            id: "s".into(),
            token_hash: "h".into(),
            user_id: "1001".into(),
            kind: SessionKind::Auth,
            assurance: Assurance::Aal1,
            application_id: "a".into(),
            organization_id: None,
            created_at: at(0),
            last_seen_at: at(0),
            idle: std::time::Duration::from_secs(5 * 60),
            expires_at: at(12 * 60),
            revoked_at: None,
            stepped_up_at: None,
            client: ClientKind::Web,
        };
        let user = User {
            id: "1001".into(),
            email: "ann@example.test".into(),
            username: None,
            name: String::new(),
            status: UserStatus::Active,
            password_hash: None,
            password_state: PasswordState::Ok,
            password_expires_at: None,
            external_idp: None,
            tooling_password_hash: None,
            realm: Realm::Local,
            phone: None,
            mfa: false,
        };
        CachedSession::new(session, user, read)
    }

    /// Keeps an entry read with nothing evicted since.
    fn put(cache: &SessionCache, entry: CachedSession) -> Cached {
        cache.put("h".into(), entry, cache.mark())
    }

    fn is_open(cached: &Cached) -> bool {
        matches!(cached, Cached::Open(..))
    }

    #[test]
    fn a_session_read_after_its_idle_window_stays_ended_however_often_it_is_asked() {
        let cache = SessionCache::new();
        let late = at(6);
        assert!(matches!(put(&cache, read_at(late)), Cached::Ended));
        // Requests that arrive together, at the same moment, after the first was refused:
        // none of them may record activity that reopens the window for the next.
        for _ in 0..3 {
            assert!(matches!(cache.hit("h", late), Cached::Ended));
        }
        assert_eq!(
            cache.seen("h"),
            Some(at(0)),
            "a refusal records no activity"
        );
        // Read again once the entry is stale: still ended, from the activity it really had.
        let again = late + FRESH_FOR;
        let reread = read_at(again);
        assert!(matches!(put(&cache, reread), Cached::Ended));
    }

    #[test]
    fn an_open_session_records_each_use_and_is_ended_by_an_idle_gap_after_it() {
        let cache = SessionCache::new();
        assert!(is_open(&put(&cache, read_at(at(4)))));
        assert_eq!(cache.seen("h"), Some(at(4)));
        // Within the entry's freshness: the window slides from the latest use.
        let soon = at(4) + Duration::milliseconds(500);
        assert!(is_open(&cache.hit("h", soon)));
        assert_eq!(cache.seen("h"), Some(soon));
        // The store still says minute 0; this instance's activity keeps it open when read
        // again, until the idle window after the latest use has passed.
        let reread = read_at(at(8));
        assert!(is_open(&put(&cache, reread)));
        let gap = at(8) + IDLE;
        let reread = read_at(gap);
        assert!(matches!(put(&cache, reread), Cached::Ended));
    }

    #[test]
    fn a_revoked_session_is_ended_while_its_entry_is_fresh() {
        let cache = SessionCache::new();
        let mut entry = read_at(at(1));
        let mut record = (*entry.record).clone();
        record.0.revoked_at = Some(at(1));
        entry.record = Arc::new(record);
        assert!(matches!(put(&cache, entry), Cached::Ended));
        assert!(matches!(cache.hit("h", at(1)), Cached::Ended));
        assert!(matches!(cache.hit("h", at(1) + FRESH_FOR), Cached::Miss));
    }

    #[test]
    fn a_session_read_before_a_logout_evicted_it_is_answered_from_but_not_kept() {
        let cache = SessionCache::new();
        let read = cache.mark();
        // The logout writes the revocation and evicts, between the read and its keeping.
        cache.remove("h");
        let entry = read_at(at(1));
        assert!(is_open(&cache.put("h".into(), entry, read)));
        assert!(matches!(cache.hit("h", at(1)), Cached::Miss));
        // A read after the eviction is kept.
        assert!(is_open(&put(&cache, read_at(at(1)))));
        assert!(is_open(&cache.hit("h", at(1))));
        let read = cache.mark();
        cache.remove_user("1001");
        assert!(is_open(&cache.put("h".into(), read_at(at(1)), read)));
        assert!(matches!(cache.hit("h", at(1)), Cached::Miss));
    }

    #[test]
    fn an_eviction_of_something_else_does_not_drop_a_read() {
        let cache = SessionCache::new();
        let read = cache.mark();
        cache.remove("another token");
        cache.remove_user("1002");
        cache.remove_organization("100", None);
        assert!(is_open(&cache.put("h".into(), read_at(at(1)), read)));
        assert!(is_open(&cache.hit("h", at(1))), "kept");
        // A read older than every eviction remembered cannot be told apart: it is dropped.
        let read = cache.mark();
        for i in 0..=RECENT_EVICTIONS {
            cache.remove(&format!("other {i}"));
        }
        let later = at(1) + FRESH_FOR;
        assert!(is_open(&cache.put("h".into(), read_at(later), read)));
        assert!(matches!(cache.hit("h", later), Cached::Miss));
    }

    #[test]
    fn an_older_read_neither_replaces_a_newer_one_nor_loses_its_activity() {
        let cache = SessionCache::new();
        assert!(is_open(&put(&cache, read_at(at(2)))));
        let older = read_at(at(1));
        let mut ended = read_at(at(2));
        let mut record = (*ended.record).clone();
        record.0.revoked_at = Some(at(2));
        ended.record = Arc::new(record);
        assert!(matches!(put(&cache, ended), Cached::Ended));
        // The read made before it says open, but what is kept is the newer read.
        assert!(is_open(&put(&cache, older)));
        assert!(matches!(cache.hit("h", at(2)), Cached::Ended));
    }
}
