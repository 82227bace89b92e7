//! [`ErrorKind`]: the coarse classes every binding maps to its own error classes.

use std::fmt;

use serde::Serialize;

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
    /// Every kind, in declaration order.
    pub const ALL: &'static [ErrorKind] = &[
        Self::InvalidApiKey,
        Self::CredentialsNotFound,
        Self::Config,
        Self::Authentication,
        Self::PermissionDenied,
        Self::NotFound,
        Self::Conflict,
        Self::Validation,
        Self::RateLimited,
        Self::Server,
        Self::Api,
        Self::Connection,
        Self::Timeout,
        Self::Cancelled,
        Self::Internal,
    ];

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

    pub(crate) fn from_status(status: u16) -> Self {
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

/// Statuses the client retries (contract section 4).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_kind_once() {
        // No wildcard: a new kind fails to compile here until it is given a place in `ALL`.
        let index = |k: ErrorKind| match k {
            ErrorKind::InvalidApiKey => 0,
            ErrorKind::CredentialsNotFound => 1,
            ErrorKind::Config => 2,
            ErrorKind::Authentication => 3,
            ErrorKind::PermissionDenied => 4,
            ErrorKind::NotFound => 5,
            ErrorKind::Conflict => 6,
            ErrorKind::Validation => 7,
            ErrorKind::RateLimited => 8,
            ErrorKind::Server => 9,
            ErrorKind::Api => 10,
            ErrorKind::Connection => 11,
            ErrorKind::Timeout => 12,
            ErrorKind::Cancelled => 13,
            ErrorKind::Internal => 14,
        };
        let got: Vec<usize> = ErrorKind::ALL.iter().map(|k| index(*k)).collect();
        assert_eq!(got, (0..15).collect::<Vec<_>>());
        for k in ErrorKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
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
