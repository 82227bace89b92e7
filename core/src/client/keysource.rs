//! The key a client sends: fixed, read from a file and re-read when the file changes, or
//! printed by a credential command and fetched again when it expires.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use super::commandkey::CommandKey;
use crate::key::ApiKey;
use crate::load::{read_key_file_stamped, FileStamp};

pub(crate) enum KeyProvider {
    Fixed(Arc<ApiKey>),
    File(Arc<FileKey>),
    Command(Arc<CommandKey>),
}

impl KeyProvider {
    /// The key for the next request, from a caller's own thread. A file is stat'ed at most once
    /// per interval, by one caller at a time; everyone else uses the key already loaded.
    pub(crate) fn current(&self) -> Arc<ApiKey> {
        match self {
            Self::Fixed(k) => k.clone(),
            Self::File(f) => {
                if f.claim(false) {
                    f.check(false);
                }
                f.key.load_full()
            }
            // Running a command is never done here: the cached key (refreshed by requests).
            Self::Command(c) => c.cached(),
        }
    }

    /// The same, from async code: the file I/O runs on the blocking pool, never on a runtime
    /// worker (a stalled file system must not stop every client sharing the runtime).
    /// A credential command whose key has expired runs again here, and its failure is the error.
    pub(crate) async fn current_async(&self) -> crate::Result<Arc<ApiKey>> {
        Ok(match self {
            Self::Fixed(k) => k.clone(),
            Self::File(f) => {
                if f.claim(false) {
                    let f2 = f.clone();
                    let _ = tokio::task::spawn_blocking(move || f2.check(false)).await;
                }
                f.key.load_full()
            }
            Self::Command(c) => c.current().await?,
        })
    }

    /// After a 401: re-read the file (or run the command) now; true when that gives a different
    /// key than `sent`.
    pub(crate) async fn reload_after_rejection(&self, sent: &ApiKey) -> bool {
        match self {
            Self::Fixed(_) => false,
            Self::File(f) => {
                f.claim(true);
                let f2 = f.clone();
                let _ = tokio::task::spawn_blocking(move || f2.check(true)).await;
                *f.key.load_full() != *sent
            }
            Self::Command(c) => c.reload_after_rejection(sent).await,
        }
    }
}

pub(crate) struct FileKey {
    path: PathBuf,
    key: ArcSwap<ApiKey>,
    interval: Duration,
    // Held only to read or update these fields, never across file I/O: a stalled read cannot
    // block other callers, and a fork can never inherit it locked for long.
    state: Mutex<State>,
}

struct State {
    last_check: Instant,
    stamp: FileStamp,
}

impl FileKey {
    pub(crate) fn new(path: PathBuf, key: ApiKey, interval: Duration) -> crate::Result<Self> {
        let stamp = FileStamp::of(&path)
            .map_err(|e| crate::Error::config(format!("cannot stat {}: {e}", path.display())))?;
        Ok(Self {
            path,
            key: ArcSwap::from_pointee(key),
            interval,
            state: Mutex::new(State {
                last_check: Instant::now(),
                stamp,
            }),
        })
    }

    /// Whether this caller should check the file now (due, or forced); marks the check as done
    /// so concurrent callers do not repeat it.
    fn claim(&self, force: bool) -> bool {
        // try_lock: a request never waits for another's bookkeeping.
        let Ok(mut state) = (if force {
            self.state.lock().map_err(|_| ())
        } else {
            self.state.try_lock().map_err(|_| ())
        }) else {
            return false;
        };
        if !force && state.last_check.elapsed() < self.interval {
            return false;
        }
        state.last_check = Instant::now();
        true
    }

    fn last_stamp(&self) -> FileStamp {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).stamp
    }

    /// Stats the file and, when it changed (or `force`), re-reads it. Blocking I/O, no lock held.
    fn check(&self, force: bool) {
        if !force {
            match FileStamp::of(&self.path) {
                Ok(s) if s == self.last_stamp() => return,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(target: "noorle", path = %self.path.display(), "cannot stat the key file, keeping the last good key: {e}");
                    return;
                }
            }
        }
        let mut warnings = Vec::new();
        match read_key_file_stamped(&self.path, &mut warnings) {
            // The stamp describes the very file that was read (fstat of the open handle), so a
            // rotation landing after the read changes the stamp and is seen by the next check.
            Ok((key, stamp)) => {
                self.state.lock().unwrap_or_else(|p| p.into_inner()).stamp = stamp;
                let old = self.key.load();
                if **old != key {
                    tracing::info!(target: "noorle", path = %self.path.display(), old = %old.redacted(), new = %key.redacted(), "key file changed; using the new key");
                    self.key.store(Arc::new(key));
                }
            }
            // A half-written or bad file: keep serving with the last good key.
            Err(e) => {
                tracing::warn!(target: "noorle", path = %self.path.display(), "the key file changed but is not usable, keeping the last good key: {e}");
            }
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    fn swap_in(path: &Path, key: &str) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, format!("{key}\n")).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    #[test]
    fn a_rotation_landing_right_after_the_read_is_seen_by_the_next_check() {
        let keys: Vec<String> = ["a", "b", "c"]
            .iter()
            .map(|c| format!("ak-{}{}", c.repeat(32), "s".repeat(20)))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("noorle_api_key");
        swap_in(&path, &keys[0]);
        let fk = Arc::new(
            FileKey::new(
                path.clone(),
                ApiKey::parse(&keys[0]).unwrap(),
                Duration::ZERO,
            )
            .unwrap(),
        );
        swap_in(&path, &keys[1]);
        // The rotation to the third key lands between reading the second and stamping it; and
        // no lock is held while the file is read.
        let (p, third, fk2) = (path.clone(), keys[2].clone(), fk.clone());
        let unlocked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = unlocked.clone();
        crate::load::AFTER_READ.with(|h| {
            *h.borrow_mut() = Some(Box::new(move || {
                let free = fk2.state.try_lock().is_ok();
                seen.store(free, std::sync::atomic::Ordering::SeqCst);
                swap_in(&p, &third);
            }));
        });
        fk.check(false);
        assert!(unlocked.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(fk.key.load().expose_secret(), keys[1]);
        // The stamp is the second file's, so the third is noticed without waiting for a 401.
        fk.check(false);
        assert_eq!(fk.key.load().expose_secret(), keys[2]);
    }
}
