//! A short-lived in-process cache of verified tokens and their session checks, so that an
//! authenticated request pays neither the signature check nor a database round trip for its
//! session on every call. Keyed by the exact token text: equal text means an equal signature, so
//! equal claims; the token's own `exp` is still checked on every hit.
//!
//! Revocations made through this process (logout, disabling a user, a role change, a password
//! reset) evict the entries at once, after their transaction commits. Revocations made through
//! another server process are seen here within `SESSION_CACHE_SECONDS` (default 5; 0 turns the
//! cache off, making every request consult the session table).

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::model::{Role, UserId};
use crate::agencies::model::AgencyId;

/// What a verified token says, as the cache keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedSession {
    pub jti: Uuid,
    pub user: UserId,
    pub role: Role,
    pub agency: Option<AgencyId>,
    /// The token's `exp`, seconds since the epoch.
    pub expires: i64,
}

#[derive(Clone, Copy)]
struct Entry {
    session: VerifiedSession,
    fresh_until: Instant,
}

const MAX_ENTRIES: usize = 50_000;

pub struct SessionCache {
    ttl: Duration,
    entries: RwLock<HashMap<String, Entry>>,
    /// Bumped by every revocation. A check that started before a revocation must not cache its
    /// (possibly stale) result: `remember` compares the generation its caller saw first.
    generation: AtomicU64,
}

/// The revocation generation a session check started under.
#[derive(Clone, Copy, Debug)]
pub struct Generation(u64);

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// Read before checking a session in the database.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// The session of this exact token, if a recent check found it valid and it has not expired.
    pub fn get(&self, token: &str) -> Option<VerifiedSession> {
        let entries = self.entries.read().ok()?;
        let entry = entries.get(token)?;
        let now = Instant::now();
        let unexpired = entry.session.expires + super::jwt::LEEWAY_SECONDS as i64
            > chrono::Utc::now().timestamp();
        (entry.fresh_until > now && unexpired).then_some(entry.session)
    }

    /// Caches a session found valid by a check that started at `seen`, unless a revocation
    /// happened since (the check may have read the session before the revocation committed).
    pub fn remember(&self, token: &str, session: VerifiedSession, seen: Generation) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.generation.load(Ordering::Acquire) != seen.0 {
            return;
        }
        let now = Instant::now();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.fresh_until > now);
        }
        if entries.len() < MAX_ENTRIES {
            entries.insert(
                token.to_string(),
                Entry {
                    session,
                    fresh_until: now + self.ttl,
                },
            );
        }
    }

    pub fn forget_session(&self, jti: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, e| e.session.jti != jti);
        }
    }

    pub fn forget_user(&self, user: UserId) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            entries.retain(|_, e| e.session.user != user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(expires_in: i64) -> VerifiedSession {
        VerifiedSession {
            jti: Uuid::now_v7(),
            user: UserId::generate(),
            role: Role::Auditor,
            agency: None,
            expires: chrono::Utc::now().timestamp() + expires_in,
        }
    }

    #[test]
    fn entries_are_found_by_token_and_evicted_by_user_or_session() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let s = session(600);
        assert_eq!(cache.get("tok"), None);
        cache.remember("tok", s, cache.generation());
        assert_eq!(cache.get("tok"), Some(s));
        assert_eq!(cache.get("tok2"), None);
        cache.forget_user(s.user);
        assert_eq!(cache.get("tok"), None);
        cache.remember("tok", s, cache.generation());
        cache.forget_session(s.jti);
        assert_eq!(cache.get("tok"), None);
    }

    #[test]
    fn a_check_that_raced_a_revocation_is_not_cached() {
        let cache = SessionCache::new(Duration::from_secs(60));
        let s = session(600);
        let seen = cache.generation();
        // ... the database check runs, then a logout elsewhere in the process commits ...
        cache.forget_session(s.jti);
        cache.remember("tok", s, seen);
        assert_eq!(cache.get("tok"), None);
    }

    #[test]
    fn expired_tokens_and_a_zero_ttl_never_hit() {
        let cache = SessionCache::new(Duration::from_secs(60));
        cache.remember("old", session(-120), cache.generation());
        assert_eq!(cache.get("old"), None);
        let off = SessionCache::new(Duration::ZERO);
        off.remember("tok", session(600), off.generation());
        assert_eq!(off.get("tok"), None);
    }
}
