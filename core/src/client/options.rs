//! [`RequestOptions`]: what one call, or a [`crate::Client::with_options`] view, sets over the
//! client's own settings.

use std::time::Duration;

use crate::redact::RedactedDebug;

/// Per-call options. Each one set overrides the client's setting; unset ones keep it. `Debug`
/// redacts a key pasted as the idempotency key.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// The `Idempotency-Key` for a POST; one is generated when absent.
    pub idempotency_key: Option<String>,
    /// A bound on the whole call, retries and their waits included; overrides the client's
    /// [`crate::ClientBuilder::total_timeout`].
    pub total_timeout: Option<Duration>,
    /// A bound on each attempt; overrides the client's [`crate::ClientBuilder::timeout`].
    pub timeout: Option<Duration>,
    /// Retries after the first attempt; overrides the client's [`crate::RetryPolicy::max_retries`].
    pub max_retries: Option<u32>,
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("idempotency_key", &RedactedDebug(&self.idempotency_key))
            .field("total_timeout", &self.total_timeout)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl RequestOptions {
    /// The `Idempotency-Key` for a POST.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
    /// A bound on the whole call, retries and their waits included.
    pub fn total_timeout(mut self, d: Duration) -> Self {
        self.total_timeout = Some(d);
        self
    }
    /// A bound on each attempt.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// Retries after the first attempt.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }
    /// These options, with each unset one taken from `base`.
    pub(super) fn or(self, base: &RequestOptions) -> RequestOptions {
        RequestOptions {
            idempotency_key: self
                .idempotency_key
                .or_else(|| base.idempotency_key.clone()),
            total_timeout: self.total_timeout.or(base.total_timeout),
            timeout: self.timeout.or(base.timeout),
            max_retries: self.max_retries.or(base.max_retries),
        }
    }
}
