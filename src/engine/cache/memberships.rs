//! Each user's memberships, reused for a second by the faces that describe a session with its
//! identities.

use super::{FRESH_FOR, ReadMark, SWEEP_AT};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::OffsetDateTime;

/// Each user's memberships with their organisations, as the faces that describe a session with
/// its identities read them on every validation (Amplify `checkSession`, Weavr `identities`).
/// Trusted for [`FRESH_FOR`], like a session: a change made on another instance shows here
/// within that time; a change made here (a membership, an organisation, an import, a deleted
/// user) clears the cache at once, and a read made before that clearing is not kept, as with
/// sessions. Decisions that grant access (switching organisation, issuing an access token,
/// choosing the organisation of a sign-in) read the store instead.
#[derive(Debug, Default)]
pub struct MembershipCache {
    entries: Mutex<MembershipEntries>,
}

#[derive(Debug, Default)]
struct MembershipEntries {
    map: HashMap<String, (Memberships, OffsetDateTime)>,
    clears: u64,
}

/// A user's memberships, shared by the requests that read them.
pub type Memberships = Arc<Vec<crate::store::MembershipWithOrg>>;

impl MembershipCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, MembershipEntries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Taken before memberships are read from the store, and handed back with them to
    /// [`MembershipCache::put`].
    pub fn mark(&self) -> ReadMark {
        ReadMark(self.lock().clears)
    }

    /// The user's memberships if they were read less than [`FRESH_FOR`] ago.
    pub fn get(&self, user_id: &str, now: OffsetDateTime) -> Option<Memberships> {
        self.lock()
            .map
            .get(user_id)
            .filter(|(_, read)| now >= *read && now - *read < FRESH_FOR)
            .map(|(memberships, _)| Arc::clone(memberships))
    }

    /// Keeps what was just read, unless the cache was cleared since `read`.
    pub fn put(
        &self,
        user_id: &str,
        memberships: Memberships,
        now: OffsetDateTime,
        read: ReadMark,
    ) {
        let mut entries = self.lock();
        if entries.clears != read.0 {
            return;
        }
        if entries.map.len() >= SWEEP_AT {
            entries.map.retain(|_, (_, read)| now - *read < FRESH_FOR);
        }
        entries.map.insert(user_id.to_owned(), (memberships, now));
    }

    /// Forgets everything: memberships or organisations changed on this instance.
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.clears += 1;
        entries.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    fn at(minutes: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::minutes(minutes)
    }

    #[test]
    fn memberships_read_before_a_change_cleared_the_cache_are_not_kept() {
        let cache = MembershipCache::default();
        let read = cache.mark();
        cache.clear();
        cache.put("1001", Arc::new(Vec::new()), at(1), read);
        assert!(cache.get("1001", at(1)).is_none());
        cache.put("1001", Arc::new(Vec::new()), at(1), cache.mark());
        assert!(cache.get("1001", at(1)).is_some());
    }
}
