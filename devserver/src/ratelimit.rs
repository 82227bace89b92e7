//! Per-key fixed one-minute windows, in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue};

use crate::state::lock;

pub struct RateLimiter {
    pub default_limit: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

#[derive(Debug, Clone, Copy)]
pub struct RateInfo {
    pub limit: u32,
    pub remaining: u32,
    pub reset: i64,
    /// Seconds to wait, when the request is over the limit.
    pub retry_after: Option<i64>,
}

impl RateLimiter {
    pub fn new(default_limit: u32) -> Self {
        RateLimiter {
            default_limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `access_id` and says whether it is allowed.
    pub fn check(&self, access_id: &str, limit: Option<i64>, now: i64) -> RateInfo {
        let limit = limit
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(self.default_limit)
            .max(1);
        let start = now - now.rem_euclid(60);
        let mut w = lock(&self.windows);
        if w.len() > 100_000 {
            // Forget finished windows now and then so memory stays bounded.
            w.retain(|_, (s, _)| *s == start);
        }
        // Look up before inserting, so a known key costs no allocation.
        match w.get_mut(access_id) {
            Some(entry) => count(entry, start, limit, now),
            None => count(
                w.entry(access_id.to_string()).or_insert((start, 0)),
                start,
                limit,
                now,
            ),
        }
    }
}

/// Counts one request in `entry` (window start, requests), restarting it when `start` is newer.
fn count(entry: &mut (i64, u32), start: i64, limit: u32, now: i64) -> RateInfo {
    let reset = start + 60;
    if entry.0 != start {
        *entry = (start, 0);
    }
    if entry.1 >= limit {
        return RateInfo {
            limit,
            remaining: 0,
            reset,
            retry_after: Some((reset - now).max(1)),
        };
    }
    entry.1 += 1;
    RateInfo {
        limit,
        remaining: limit - entry.1,
        reset,
        retry_after: None,
    }
}

impl RateInfo {
    pub fn apply(&self, h: &mut HeaderMap) {
        h.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        h.insert("x-ratelimit-reset", HeaderValue::from(self.reset));
        if let Some(r) = self.retry_after {
            h.insert("retry-after", HeaderValue::from(r));
        }
    }
}
