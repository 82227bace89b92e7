//! Rotating the key a service reads from a file, without a moment where no key works.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::filelock::lock_beside;
use crate::key::ApiKey;
use crate::load::{read_key_file, write_key_file};
use crate::models::{ApiKeyRecord, RotateApiKey};
use crate::timestamp::Timestamp;

/// The longest grace period the API accepts (7 days).
pub const MAX_GRACE: Duration = Duration::from_secs(604_800);

/// What to rotate and where to put the new key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RotateKeyFile {
    /// The key to rotate; default: the client's own key.
    pub id: Option<String>,
    /// Where to write the new key (atomically, mode 0600).
    pub path: PathBuf,
    /// How long the old key keeps working (0 to 7 days).
    pub grace: Duration,
    /// Rotate only when the key is at least this old (by its `created_at`); otherwise report
    /// "not due" and change nothing. `None` always rotates.
    pub if_older_than: Option<Duration>,
}

impl RotateKeyFile {
    /// Rotates the client's own key, writing the new one to `path`; the old one keeps working
    /// for `grace`.
    pub fn new(path: impl Into<PathBuf>, grace: Duration) -> Self {
        Self {
            id: None,
            path: path.into(),
            grace,
            if_older_than: None,
        }
    }
    /// Rotates this key instead of the client's own.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
    /// Rotates only when the key is at least `age` old (e.g. 30 days for monthly rotation).
    pub fn if_older_than(mut self, age: Duration) -> Self {
        self.if_older_than = Some(age);
        self
    }
}

/// What a rotation did. Keys appear redacted. When the key was not due, nothing changed and
/// `new_*` name the key in use (the same as `old_*`).
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct RotationReport {
    /// Whether a new key was made; `false` when the key was not due.
    pub rotated: bool,
    /// The age in seconds, by its `created_at`, of the key that was checked: the old key when
    /// rotated, else the key in use.
    pub age_seconds: u64,
    pub old_id: String,
    pub old_key: String,
    pub new_id: String,
    pub new_key: String,
    pub path: PathBuf,
    /// When the old key stops working (`revoked_at` of the old record).
    pub old_key_valid_until: Option<Timestamp>,
}

impl Client {
    /// Rotates through the API with a grace period, writes the new key to `path` atomically
    /// (temp file, fsync, rename, mode 0600), checks it with `whoami`, and reports both keys
    /// redacted. If a step fails, the error names it and says what still works. Nothing is
    /// revoked early: the grace period retires the old key.
    ///
    /// With `if_older_than`, the key is rotated only when it is at least that old; the
    /// decision is taken again under an exclusive lock on `<path>.lock`, after re-reading
    /// `path`: when another run has meanwhile put there the key's successor (`rotated_from`),
    /// younger than that, it is reported as the key in use and nothing is rotated. Two runs at once on one host thus
    /// make one rotation and leave one key.
    pub async fn rotate_key_file(&self, params: &RotateKeyFile) -> Result<RotationReport> {
        if params.grace > MAX_GRACE {
            return Err(Error::config(format!(
                "the grace period {:?} is longer than the 7 days the API allows",
                params.grace
            )));
        }
        let identify = |e: Error| Error::Rotation {
            step: "identify",
            source: Box::new(e),
            note: "nothing was changed".into(),
        };
        let Some(threshold) = params.if_older_than else {
            let id = match &params.id {
                Some(id) => id.clone(),
                None => self.whoami().await.map_err(identify)?.id,
            };
            return self.rotate_now(params, id, None).await;
        };
        let record = match &params.id {
            Some(id) => self.api_keys().get(id).await,
            None => self.whoami().await,
        }
        .map_err(identify)?;
        let age = age_of(&record);
        if age < threshold {
            return Ok(not_due(&record, age, params));
        }
        let _lock = lock_beside(&params.path)
            .await
            .map_err(|e| Error::Rotation {
                step: "lock",
                source: Box::new(e),
                note: "nothing was changed".into(),
            })?;
        // Another run may have rotated while this one waited for the lock: a working key in the
        // file that replaced this one and is not yet due is the one to keep.
        if let Some(current) = read_key(&params.path).filter(|k| k.access_id() != record.id) {
            if let Ok(me) = self.with_api_key(current).whoami().await {
                let age = age_of(&me);
                if me.rotated_from.as_deref() == Some(record.id.as_str()) && age < threshold {
                    return Ok(not_due(&me, age, params));
                }
            }
        }
        self.rotate_now(params, record.id, Some(age)).await
    }

    async fn rotate_now(
        &self,
        params: &RotateKeyFile,
        id: String,
        age: Option<Duration>,
    ) -> Result<RotationReport> {
        let fail = |step: &'static str, note: String| {
            move |e: Error| Error::Rotation {
                step,
                source: Box::new(e),
                note,
            }
        };
        let grace = u32::try_from(params.grace.as_secs()).unwrap_or(u32::MAX);
        let rotated = self
            .api_keys()
            .rotate(
                &id,
                &RotateApiKey {
                    grace_period_seconds: Some(grace),
                },
            )
            .await
            .map_err(fail(
                "rotate",
                "nothing was changed; the old key still works".into(),
            ))?;
        let until = rotated.previous.revoked_at.clone();
        let old_note = match &until {
            Some(t) => format!("the old key ak-{id}*** keeps working until {t}"),
            None => format!("the old key ak-{id}*** keeps working"),
        };
        write_key_file(&params.path, &rotated.key).map_err(fail(
            "write",
            format!(
                "the new key {} was created but not saved; {old_note}; revoke the new key and rotate again",
                rotated.key.redacted()
            ),
        ))?;
        let me = self
            .with_api_key(rotated.key.clone())
            .whoami()
            .await
            .map_err(fail(
                "verify",
                format!("the new key is in {}; {old_note}", params.path.display()),
            ))?;
        if me.id != rotated.api_key.id {
            return Err(Error::Rotation {
                step: "verify",
                source: Box::new(Error::config(format!(
                    "the server identified the new key as {}, expected {}",
                    me.id, rotated.api_key.id
                ))),
                note: old_note,
            });
        }
        Ok(RotationReport {
            rotated: true,
            age_seconds: age.unwrap_or_else(|| age_of(&rotated.previous)).as_secs(),
            old_key: format!("ak-{id}***"),
            old_id: id,
            new_id: rotated.api_key.id.clone(),
            new_key: rotated.key.redacted(),
            path: params.path.clone(),
            old_key_valid_until: until,
        })
    }
}

/// How old a key is by its `created_at` and this host's clock (zero if it seems to be from the
/// future).
fn age_of(record: &ApiKeyRecord) -> Duration {
    std::time::SystemTime::now()
        .duration_since(record.created_at.to_system_time())
        .unwrap_or_default()
}

fn not_due(record: &ApiKeyRecord, age: Duration, params: &RotateKeyFile) -> RotationReport {
    let key = format!("ak-{}***", record.id);
    RotationReport {
        rotated: false,
        age_seconds: age.as_secs(),
        old_id: record.id.clone(),
        old_key: key.clone(),
        new_id: record.id.clone(),
        new_key: key,
        path: params.path.clone(),
        old_key_valid_until: None,
    }
}

/// The key in `path`, if it holds one (read with the loader's checks: bounded, a regular file).
fn read_key(path: &std::path::Path) -> Option<ApiKey> {
    read_key_file(path, &mut Vec::new()).ok()
}
