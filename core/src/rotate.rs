//! Rotating the key a service reads from a file, without a moment where no key works.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::load::write_key_file;
use crate::models::RotateApiKey;
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
}

impl RotateKeyFile {
    /// Rotates the client's own key, writing the new one to `path`; the old one keeps working
    /// for `grace`.
    pub fn new(path: impl Into<PathBuf>, grace: Duration) -> Self {
        Self {
            id: None,
            path: path.into(),
            grace,
        }
    }
    /// Rotates this key instead of the client's own.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }
}

/// What a rotation did. Keys appear redacted.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct RotationReport {
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
    /// redacted. If a step fails, the error names it and says what still works.
    pub async fn rotate_key_file(&self, params: &RotateKeyFile) -> Result<RotationReport> {
        let fail = |step: &'static str, note: String| {
            move |e: Error| Error::Rotation {
                step,
                source: Box::new(e),
                note,
            }
        };
        let id = match &params.id {
            Some(id) => id.clone(),
            None => {
                self.whoami()
                    .await
                    .map_err(fail("identify", "nothing was changed".into()))?
                    .id
            }
        };
        if params.grace > MAX_GRACE {
            return Err(Error::config(format!(
                "the grace period {:?} is longer than the 7 days the API allows",
                params.grace
            )));
        }
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
            old_key: format!("ak-{id}***"),
            old_id: id,
            new_id: rotated.api_key.id.clone(),
            new_key: rotated.key.redacted(),
            path: params.path.clone(),
            old_key_valid_until: until,
        })
    }
}
