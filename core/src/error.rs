//! The one error type of the SDK, and the kinds every binding maps to its own classes.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::key::InvalidApiKey;
pub use crate::redact::{redact_keys_in, redact_value};

/// What went wrong, coarsely: bindings map each kind to an exception class or sentinel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// A key broke a format rule.
    InvalidApiKey,
    /// No key was found anywhere the loader looked.
    CredentialsNotFound,
    /// Bad configuration: conflicting settings, unreadable or unsafe key file, bad base URL.
    Config,
    /// 401.
    Authentication,
    /// 403.
    PermissionDenied,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 400 or 422.
    Validation,
    /// 429.
    RateLimited,
    /// 5xx.
    Server,
    /// Any other non-success status.
    Api,
    /// The connection failed or was dropped.
    Connection,
    /// The request took longer than its timeout.
    Timeout,
    /// The caller cancelled the request.
    Cancelled,
    /// A bug in the SDK (a caught panic): please report it.
    Internal,
}

impl ErrorKind {
    /// The stable snake_case name, e.g. `rate_limited`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidApiKey => "invalid_api_key",
            Self::CredentialsNotFound => "credentials_not_found",
            Self::Config => "config",
            Self::Authentication => "authentication",
            Self::PermissionDenied => "permission_denied",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Validation => "validation",
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::Api => "api",
            Self::Connection => "connection",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Internal => "internal",
        }
    }

    fn from_status(status: u16) -> Self {
        match status {
            400 | 422 => Self::Validation,
            401 => Self::Authentication,
            403 => Self::PermissionDenied,
            404 => Self::NotFound,
            409 => Self::Conflict,
            429 => Self::RateLimited,
            500..=599 => Self::Server,
            _ => Self::Api,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-success answer from the server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub details: Option<Value>,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Builds the error from a response: the Noorle envelope, an OAuth-style body, or any other
    /// body (its text, shortened, becomes the message).
    pub fn from_response(
        status: u16,
        body: &[u8],
        request_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        let mut code = default_code(status).to_owned();
        let mut message = String::new();
        let mut details = None;
        if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
            match obj.get("error") {
                Some(Value::Object(e)) => {
                    if let Some(c) = e.get("code").and_then(Value::as_str) {
                        code = c.to_owned();
                    }
                    if let Some(m) = e.get("message").and_then(Value::as_str) {
                        message = m.to_owned();
                    }
                    details = e.get("details").filter(|d| !d.is_null()).cloned();
                }
                Some(Value::String(c)) => {
                    code = c.clone();
                    if let Some(m) = obj.get("error_description").and_then(Value::as_str) {
                        message = m.to_owned();
                    }
                }
                _ => {}
            }
            if message.is_empty() {
                if let Some(m) = obj.get("message").and_then(Value::as_str) {
                    message = m.to_owned();
                }
            }
        } else {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            message = text.chars().take(200).collect();
        }
        if message.is_empty() {
            message = format!("the server answered {status} with no explanation");
        }
        Self {
            status,
            code: redact_keys_in(&code),
            message: redact_keys_in(&message),
            request_id,
            details: details.map(redact_value),
            retry_after,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "validation_error",
        429 => "rate_limited",
        503 => "service_unavailable",
        500..=599 => "internal_error",
        _ => "http_error",
    }
}

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

/// Statuses the client retries (contract section 4).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// The SDK's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_noorle_envelope() {
        let body =
            br#"{"error":{"code":"not_found","message":"no such key","details":{"id":"x"}}}"#;
        let e = ApiError::from_response(404, body, Some("req_1".into()), None);
        assert_eq!(e.code, "not_found");
        assert_eq!(e.message, "no such key");
        assert_eq!(e.details, Some(serde_json::json!({"id": "x"})));
        let err = Error::Api(Box::new(e));
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.request_id(), Some("req_1"));
        assert!(err.to_string().contains("req_1"));
    }

    #[test]
    fn parses_oauth_and_plain_bodies() {
        let e = ApiError::from_response(
            401,
            br#"{"error":"invalid_token","error_description":"expired"}"#,
            None,
            None,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("invalid_token", "expired")
        );
        let e = ApiError::from_response(502, b"<html>Bad Gateway</html>", None, None);
        assert_eq!(e.code, "internal_error");
        assert_eq!(e.message, "<html>Bad Gateway</html>");
        let e = ApiError::from_response(503, b"", None, None);
        assert_eq!(e.code, "service_unavailable");
        assert!(e.message.contains("503"));
    }

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

    #[test]
    fn redacts_keys_in_code_and_details() {
        let k = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
        let body = serde_json::json!({"error": {"code": format!("bad_{k}"), "message": "m",
            "details": {"key": k, "list": [k, 1], k: true}}});
        let e = ApiError::from_response(400, body.to_string().as_bytes(), None, None);
        let all = format!("{e:?}");
        assert!(!all.contains("s9t0"), "{all}");
        assert_eq!(e.code, "bad_ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***");
        let d = e.details.unwrap();
        assert_eq!(d["list"][1], 1);
        assert_eq!(d["ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"], true);
    }

    #[test]
    fn kinds_by_status() {
        for (s, k) in [
            (400, ErrorKind::Validation),
            (422, ErrorKind::Validation),
            (401, ErrorKind::Authentication),
            (403, ErrorKind::PermissionDenied),
            (409, ErrorKind::Conflict),
            (429, ErrorKind::RateLimited),
            (503, ErrorKind::Server),
            (418, ErrorKind::Api),
        ] {
            assert_eq!(ErrorKind::from_status(s), k);
        }
    }
}
