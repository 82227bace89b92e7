//! The one error type of the SDK, and the kinds every binding maps to its own classes.

mod api;
mod kind;

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::key::InvalidApiKey;
pub use crate::redact::{redact_keys_in, redact_value};
pub use api::ApiError;
pub use kind::{is_retryable_status, ErrorKind};

/// No key anywhere the loader looked; `searched` lists every place, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CredentialsNotFound {
    pub searched: Vec<String>,
}

impl fmt::Display for CredentialsNotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no Noorle API key found; looked in, in order:")?;
        for (i, place) in self.searched.iter().enumerate() {
            write!(f, "\n  {}. {place}", i + 1)?;
        }
        write!(f, "\nset NOORLE_API_KEY, or pass the key explicitly")
    }
}

/// Every error the SDK returns. `Send + Sync + 'static`; no message contains a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key failed validation; `origin` says where it came from (a variable name or path).
    #[error("{error}{}", origin.as_ref().map(|o| format!(" (from {o})")).unwrap_or_default())]
    InvalidApiKey {
        error: InvalidApiKey,
        origin: Option<String>,
    },
    #[error("{0}")]
    CredentialsNotFound(CredentialsNotFound),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("{0}")]
    Api(Box<ApiError>),
    #[error("connection error: {0}")]
    Connection(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("the request was cancelled")]
    Cancelled,
    /// A bug in the SDK, caught at a language boundary (see [`Error::from_panic`]).
    #[error("internal error in the Noorle SDK (a bug, please report it): {0}")]
    Internal(String),
    /// The rotation helper failed at `step`; `note` says what still works.
    #[error("key rotation failed at step '{step}': {source}; {note}")]
    Rotation {
        step: &'static str,
        source: Box<Error>,
        note: String,
    },
}

impl From<InvalidApiKey> for Error {
    fn from(error: InvalidApiKey) -> Self {
        Self::InvalidApiKey {
            error,
            origin: None,
        }
    }
}

impl Error {
    /// A configuration error. Its message often quotes what the caller passed (a base URL, a path,
    /// an option), which may be a key pasted in the wrong place: anything key-shaped is redacted.
    pub fn config(msg: impl Into<String>) -> Self {
        Self::Config(redact_keys_in(&msg.into()))
    }

    /// The error for a panic caught at a binding's boundary; anything key-shaped in the panic
    /// message is redacted.
    pub fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        Self::Internal(redact_keys_in(&what))
    }

    /// The kind, for matching and for the bindings' class mapping.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidApiKey { .. } => ErrorKind::InvalidApiKey,
            Self::CredentialsNotFound(_) => ErrorKind::CredentialsNotFound,
            Self::Config(_) => ErrorKind::Config,
            Self::Api(e) => ErrorKind::from_status(e.status),
            Self::Connection(_) => ErrorKind::Connection,
            Self::Timeout(_) => ErrorKind::Timeout,
            Self::Cancelled => ErrorKind::Cancelled,
            Self::Internal(_) => ErrorKind::Internal,
            Self::Rotation { source, .. } => source.kind(),
        }
    }

    fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(e) => Some(e),
            Self::Rotation { source, .. } => source.api(),
            _ => None,
        }
    }

    /// The HTTP status, for errors the server sent.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// The server's error code (`not_found`, ...), or for an invalid key the rule broken.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::InvalidApiKey { error, .. } => Some(error.code().as_str()),
            _ => self.api().map(|e| e.code.as_str()),
        }
    }

    /// The server's `X-Request-Id`.
    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.request_id.as_deref())
    }

    /// The server's `details` object.
    pub fn details(&self) -> Option<&Value> {
        self.api().and_then(|e| e.details.as_ref())
    }

    /// How long the server asked to wait (`Retry-After` or `X-RateLimit-Reset`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }

    /// Whether the client's retry policy treats this error as transient.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connection(_) | Self::Timeout(_) => true,
            Self::Rotation { source, .. } => source.is_retryable(),
            _ => self.status().is_some_and(is_retryable_status),
        }
    }

    /// Every place searched, for `CredentialsNotFound`.
    pub fn searched(&self) -> Option<&[String]> {
        match self {
            Self::CredentialsNotFound(c) => Some(&c.searched),
            _ => None,
        }
    }

    /// The position of the offending character, for `InvalidApiKey`.
    pub fn position(&self) -> Option<usize> {
        match self {
            Self::InvalidApiKey { error, .. } => Some(error.position()),
            _ => None,
        }
    }

    /// A plain, serialisable view of this error, for the bindings and `--json` output.
    pub fn to_info(&self) -> ErrorInfo {
        ErrorInfo {
            kind: self.kind(),
            message: self.to_string(),
            status: self.status(),
            code: self.code().map(str::to_owned),
            request_id: self.request_id().map(str::to_owned),
            details: self.details().cloned(),
            retryable: self.is_retryable(),
            retry_after: self.retry_after().map(|d| d.as_secs_f64()),
            position: self.position(),
            searched: self.searched().map(<[String]>::to_vec),
        }
    }
}

/// The serialisable form of [`Error`]: what the C ABI returns and bindings turn into exceptions.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub message: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub request_id: Option<String>,
    pub details: Option<Value>,
    pub retryable: bool,
    /// Seconds.
    pub retry_after: Option<f64>,
    pub position: Option<usize>,
    pub searched: Option<Vec<String>>,
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_never_quote_a_key() {
        let k = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
        let shown = Error::config(format!("invalid base URL '{k}'")).to_string();
        assert!(!shown.contains("s9t0"), "{shown}");
        assert!(
            shown.contains("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"),
            "{shown}"
        );
    }
}
