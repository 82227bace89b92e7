//! The key a client sends: fixed, or read from a file and re-read when the file changes.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use crate::key::ApiKey;
use crate::load::{read_key_file_stamped, FileStamp};

pub(crate) enum KeyProvider {
    Fixed(Arc<ApiKey>),
    File(FileKey),
}

impl KeyProvider {
    /// The key for the next request. Cheap: a file is stat'ed at most once per interval, by one
    /// caller at a time; everyone else uses the key already loaded.
    pub(crate) fn current(&self) -> Arc<ApiKey> {
        match self {
            Self::Fixed(k) => k.clone(),
            Self::File(f) => f.current(),
        }
    }

    /// After a 401: re-read the file now; true when it holds a different key than `sent`.
    pub(crate) fn reload_after_rejection(&self, sent: &ApiKey) -> bool {
        match self {
            Self::Fixed(_) => false,
            Self::File(f) => {
                f.check(true);
                *f.key.load_full() != *sent
            }
        }
    }
}

pub(crate) struct FileKey {
    path: PathBuf,
    key: ArcSwap<ApiKey>,
    interval: Duration,
    state: Mutex<(Instant, FileStamp)>,
}

impl FileKey {
    pub(crate) fn new(path: PathBuf, key: ApiKey, interval: Duration) -> crate::Result<Self> {
        let stamp = FileStamp::of(&path)
            .map_err(|e| crate::Error::config(format!("cannot stat {}: {e}", path.display())))?;
        Ok(Self {
            path,
            key: ArcSwap::from_pointee(key),
            interval,
            state: Mutex::new((Instant::now(), stamp)),
        })
    }

    fn current(&self) -> Arc<ApiKey> {
        self.check(false);
        self.key.load_full()
    }

    fn check(&self, force: bool) {
        // try_lock: a request never waits for another's check.
        let Ok(mut state) = (if force {
            self.state.lock().map_err(|_| ())
        } else {
            self.state.try_lock().map_err(|_| ())
        }) else {
            return;
        };
        if !force && state.0.elapsed() < self.interval {
            return;
        }
        state.0 = Instant::now();
        let stamp = match FileStamp::of(&self.path) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(target: "noorle", path = %self.path.display(), "cannot stat the key file, keeping the last good key: {e}");
                return;
            }
        };
        if stamp == state.1 && !force {
            return;
        }
        let mut warnings = Vec::new();
        match read_key_file_stamped(&self.path, &mut warnings) {
            Ok((key, stamp)) => {
                state.1 = stamp;
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
