//! A short-lived in-process cache of session checks, so that an authenticated request does not
//! pay a database round trip for its session on every call.
//!
//! Revocations made through this process (logout, disabling a user, a role change, a password
//! reset) evict the entries at once, after their transaction commits. Revocations made through
//! another server process are seen here within `SESSION_CACHE_SECONDS` (default 5; 0 turns the
//! cache off, making every request consult the session table).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::model::{Role, UserId};
use crate::agencies::model::AgencyId;

#[derive(Clone, Copy)]
struct Entry {
    user: UserId,
    role: Role,
    agency: Option<AgencyId>,
    fresh_until: Instant,
}

const MAX_ENTRIES: usize = 100_000;

pub struct SessionCache {
    ttl: Duration,
    entries: RwLock<HashMap<Uuid, Entry>>,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// True when a recent database check found this exact session valid.
    pub fn is_valid(&self, jti: Uuid, user: UserId, role: Role, agency: Option<AgencyId>) -> bool {
        let Ok(entries) = self.entries.read() else {
            return false;
        };
        entries.get(&jti).is_some_and(|e| {
            e.user == user && e.role == role && e.agency == agency && e.fresh_until > Instant::now()
        })
    }

    pub fn remember(&self, jti: Uuid, user: UserId, role: Role, agency: Option<AgencyId>) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        let now = Instant::now();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.fresh_until > now);
        }
        if entries.len() < MAX_ENTRIES {
            entries.insert(
                jti,
                Entry {
                    user,
                    role,
                    agency,
                    fresh_until: now + self.ttl,
                },
            );
        }
    }

    pub fn forget_session(&self, jti: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(&jti);
        }
    }

    pub fn forget_user(&self, user: UserId) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.user != user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_evicted_by_user_or_session() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let (jti, user) = (Uuid::now_v7(), UserId::generate());
        assert!(!cache.is_valid(jti, user, Role::Auditor, None));
        cache.remember(jti, user, Role::Auditor, None);
        assert!(cache.is_valid(jti, user, Role::Auditor, None));
        assert!(
            !cache.is_valid(jti, user, Role::Admin, None),
            "a different role never matches"
        );
        cache.forget_user(user);
        assert!(!cache.is_valid(jti, user, Role::Auditor, None));
        cache.remember(jti, user, Role::Auditor, None);
        cache.forget_session(jti);
        assert!(!cache.is_valid(jti, user, Role::Auditor, None));

        let off = SessionCache::new(Duration::ZERO);
        off.remember(jti, user, Role::Auditor, None);
        assert!(!off.is_valid(jti, user, Role::Auditor, None));
    }
}
