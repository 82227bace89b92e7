//! Shared server state.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

use crate::auth::Callers;
use crate::db::{self, KeyRow};
use crate::faults::Faults;
use crate::idempotency::IdempotencyStore;
use crate::ratelimit::RateLimiter;

pub struct AppState {
    db: Mutex<Connection>,
    /// `last_used_at` per access id, newer than (or equal to) the stored value. Kept in memory
    /// so that authenticating never writes; flushed to SQLite in batches.
    usage: Mutex<HashMap<String, Usage>>,
    pub callers: Callers,
    pub rate: RateLimiter,
    pub idempotency: IdempotencyStore,
    /// `Some` only with `--fault-injection`.
    pub faults: Option<Faults>,
}

struct Usage {
    at: i64,
    dirty: bool,
}

/// Locks a mutex, ignoring poisoning: every critical section leaves the data consistent.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    pub fn new(conn: Connection, fault_injection: bool, default_rate_limit: u32) -> Self {
        AppState {
            db: Mutex::new(conn),
            usage: Mutex::new(HashMap::new()),
            callers: Callers::default(),
            rate: RateLimiter::new(default_rate_limit),
            idempotency: IdempotencyStore::default(),
            faults: fault_injection.then(Faults::default),
        }
    }

    pub fn db(&self) -> MutexGuard<'_, Connection> {
        lock(&self.db)
    }

    pub fn touch(&self, access_id: &str, now: i64) {
        let mut u = lock(&self.usage);
        match u.get_mut(access_id) {
            Some(e) if e.at >= now => {}
            Some(e) => {
                e.at = now;
                e.dirty = true;
            }
            None => {
                u.insert(
                    access_id.to_string(),
                    Usage {
                        at: now,
                        dirty: true,
                    },
                );
            }
        }
    }

    /// Applies the in-memory `last_used_at` to a record read from the database.
    pub fn overlay(&self, mut k: KeyRow) -> KeyRow {
        k.last_used_at = self.last_used(&k);
        k
    }

    /// The record's `last_used_at` with the in-memory usage applied.
    pub fn last_used(&self, k: &KeyRow) -> Option<i64> {
        match lock(&self.usage).get(&k.id) {
            Some(e) => Some(k.last_used_at.map_or(e.at, |t| t.max(e.at))),
            None => k.last_used_at,
        }
    }

    pub fn flush_usage(&self) {
        let items: Vec<(String, i64)> = {
            let mut u = lock(&self.usage);
            u.iter_mut()
                .filter(|(_, e)| e.dirty)
                .map(|(id, e)| {
                    e.dirty = false;
                    (id.clone(), e.at)
                })
                .collect()
        };
        if items.is_empty() {
            return;
        }
        if let Err(e) = db::flush_last_used(&mut self.db(), &items) {
            tracing::error!(error = %e, "flushing last_used_at failed");
            let mut u = lock(&self.usage);
            for (id, _) in items {
                if let Some(e) = u.get_mut(&id) {
                    e.dirty = true;
                }
            }
        }
    }
}
