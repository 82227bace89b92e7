//! The key of a credential command: cached until it is about to expire or the server refuses
//! it, then fetched again by running the command, by one caller at a time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use crate::error::{Error, Result};
use crate::key::ApiKey;
use crate::load::KeyCommand;
use crate::timestamp::Timestamp;

// A key is fetched again this long before it expires (or a tenth of its lifetime, if shorter).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
// After a failed refresh of a key that is still valid, the next attempt waits this long.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

pub(crate) struct CommandKey {
    command: KeyCommand,
    key: ArcSwap<ApiKey>,
    // Held only to read or update the times, never while the command runs.
    times: Mutex<Times>,
    // One run of the command at a time; callers that find a refresh under way wait for it. Keyed
    // by process id: a child forked while a run was under way gets a gate of its own.
    gate: Mutex<(u32, Arc<tokio::sync::Mutex<()>>)>,
}

#[derive(Clone, Copy)]
struct Times {
    /// When to run the command again; None: only after a 401.
    refresh_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
}

impl Times {
    fn of(expires_at: Option<&Timestamp>) -> Self {
        let Some(expires) = expires_at.map(Timestamp::to_system_time) else {
            return Self {
                refresh_at: None,
                expires_at: None,
            };
        };
        let lifetime = expires
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        let margin = REFRESH_MARGIN.min(lifetime / 10);
        Self {
            refresh_at: Some(expires.checked_sub(margin).unwrap_or(expires)),
            expires_at: Some(expires),
        }
    }
}

impl CommandKey {
    pub(crate) fn new(command: KeyCommand, key: ApiKey, expires_at: Option<&Timestamp>) -> Self {
        Self {
            command,
            key: ArcSwap::from_pointee(key),
            times: Mutex::new(Times::of(expires_at)),
            gate: Mutex::new((std::process::id(), Arc::default())),
        }
    }

    fn gate(&self) -> Arc<tokio::sync::Mutex<()>> {
        let pid = std::process::id();
        let mut g = self.gate.lock().unwrap_or_else(|p| p.into_inner());
        if g.0 != pid {
            *g = (pid, Arc::default());
        }
        g.1.clone()
    }

    fn times(&self) -> Times {
        *self.times.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn due(&self) -> bool {
        self.times()
            .refresh_at
            .is_some_and(|t| SystemTime::now() >= t)
    }

    /// The cached key, without running anything.
    pub(crate) fn cached(&self) -> Arc<ApiKey> {
        self.key.load_full()
    }

    /// The key for the next request: the cached one, or, when it is due, a fresh one. A failed
    /// refresh keeps a key that has not expired yet; past its expiry the failure is the answer.
    pub(crate) async fn current(self: &Arc<Self>) -> Result<Arc<ApiKey>> {
        if self.due() {
            let gate = self.gate();
            let _one = gate.lock().await;
            // Whoever held the gate may have refreshed it already.
            if self.due() {
                if let Err(e) = self.run().await {
                    let t = self.times();
                    if t.expires_at.is_none_or(|end| SystemTime::now() >= end) {
                        return Err(e);
                    }
                    tracing::warn!(target: "noorle", "cannot refresh the key, keeping the current one until it expires: {e}");
                    let retry = SystemTime::now() + RETRY_AFTER_FAILURE;
                    self.times
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .refresh_at = Some(t.expires_at.map_or(retry, |end| end.min(retry)));
                }
            }
        }
        Ok(self.key.load_full())
    }

    /// After a 401: runs the command again (unless another caller already replaced `sent`);
    /// true when there is now a different key to try.
    pub(crate) async fn reload_after_rejection(self: &Arc<Self>, sent: &ApiKey) -> bool {
        let gate = self.gate();
        let _one = gate.lock().await;
        if *self.key.load_full() != *sent {
            return true;
        }
        if let Err(e) = self.run().await {
            tracing::warn!(target: "noorle", "the key was refused and the credential command failed: {e}");
            return false;
        }
        *self.key.load_full() != *sent
    }

    // Runs the command on the blocking pool (never on a runtime worker); the task stores the key
    // itself, so a call cancelled meanwhile does not waste the run.
    async fn run(self: &Arc<Self>) -> Result<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.command.run().map(|out| me.store(out)))
            .await
            .map_err(|e| Error::Internal(format!("the credential command's task failed: {e}")))?
    }

    fn store(&self, out: crate::load::CommandOutput) {
        let old = self.key.load();
        if **old != out.key {
            tracing::info!(target: "noorle", program = self.command.program(), old = %old.redacted(), new = %out.key.redacted(), "the credential command gave a new key");
        }
        *self.times.lock().unwrap_or_else(|p| p.into_inner()) = Times::of(out.expires_at.as_ref());
        self.key.store(Arc::new(out.key));
    }
}
