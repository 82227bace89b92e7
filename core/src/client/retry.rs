//! The retry policy and how long to wait between attempts: backoff with jitter, and the
//! server's `Retry-After` / `X-RateLimit-Reset` (contract section 4).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::header_str;

/// How the client retries (contract section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// First backoff step (default 0.5 s); doubles each retry, with full jitter.
    pub base_delay: Duration,
    /// Longest backoff (default 8 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` / `X-RateLimit-Reset` wait honoured (default 60 s); a longer one
    /// is not waited for: the error is returned with `retry_after` set.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Retries after the first attempt.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// First backoff step.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }
    /// Longest backoff.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }
    /// The longest server-requested wait honoured.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }
}

/// The longest wait a server can ask for that is kept as such (`Retry-After`,
/// `X-RateLimit-Reset`); a longer one is clamped to it. Only waits up to
/// [`RetryPolicy::max_retry_after`] are ever slept.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 3600);

/// `Retry-After` (seconds or an HTTP-date), else `X-RateLimit-Reset` (Unix seconds) on a 429;
/// clamped to [`MAX_SERVER_WAIT`].
pub(super) fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    let now = SystemTime::now();
    if let Some(v) = header_str(headers, RETRY_AFTER.as_str()) {
        return parse_retry_after(v, now);
    }
    let reset = header_str(headers, "x-ratelimit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    let remaining = header_str(headers, "x-ratelimit-remaining")?
        .trim()
        .parse::<u64>()
        .ok()?;
    if remaining > 0 {
        return None;
    }
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)).min(MAX_SERVER_WAIT))
}

/// A `Retry-After` value: delay-seconds (fractions tolerated) or an HTTP-date. Anything else,
/// negative or NaN is ignored; any size is clamped, never a panic.
fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        if s.is_nan() || s < 0.0 {
            return None;
        }
        let s = s.min(MAX_SERVER_WAIT.as_secs_f64());
        return Some(Duration::try_from_secs_f64(s).unwrap_or(MAX_SERVER_WAIT));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_SERVER_WAIT),
    )
}

/// Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)].
pub(super) fn backoff(p: &RetryPolicy, attempt: u32) -> Duration {
    let cap = p
        .base_delay
        .saturating_mul(1u32 << attempt.min(16))
        .min(p.max_delay);
    let ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            // Full jitter: uniform in [0, cap], cap = min(max_delay, base * 2^attempt). A backoff
            // that never waits, or always waits the cap, fails too: over 1,000 draws the smallest
            // lies in the bottom tenth and the largest in the top tenth (each miss has odds
            // below 1e-45).
            let cap = (p.base_delay * 2u32.pow(attempt.min(16))).min(p.max_delay);
            let draws: Vec<Duration> = (0..1000).map(|_| backoff(&p, attempt)).collect();
            let (lo, hi) = (draws.iter().min().unwrap(), draws.iter().max().unwrap());
            assert!(*hi <= cap, "attempt {attempt}: {hi:?} over {cap:?}");
            assert!(
                *hi >= cap.mul_f64(0.9),
                "attempt {attempt}: never near {cap:?}"
            );
            assert!(
                *lo <= cap.mul_f64(0.1),
                "attempt {attempt}: never near zero"
            );
        }
        assert_eq!(p.base_delay, Duration::from_millis(500));
        assert_eq!(p.max_delay, Duration::from_secs(8));
    }

    #[test]
    fn retry_after_wins_over_reset() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(server_wait(&h), Some(Duration::from_secs(2)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(server_wait(&h), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_of_any_size_or_form_never_panics() {
        let now = SystemTime::now();
        let max = Some(MAX_SERVER_WAIT);
        for (v, want) in [
            ("1e20", max),
            ("18446744073709551615", max),
            ("1e400", max),
            ("inf", max),
            ("2", Some(Duration::from_secs(2))),
            ("0.5", Some(Duration::from_millis(500))),
            ("NaN", None),
            ("-1", None),
            ("soon", None),
        ] {
            assert_eq!(parse_retry_after(v, now), want, "{v}");
        }
        let later = httpdate::fmt_http_date(now + Duration::from_secs(120));
        let got = parse_retry_after(&later, now).unwrap();
        assert!(
            got > Duration::from_secs(118) && got <= Duration::from_secs(120),
            "{got:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(120));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        let far = "Fri, 31 Dec 9999 23:59:59 GMT";
        assert_eq!(parse_retry_after(far, now), max);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(server_wait(&h), max);
    }
}
