//! `Idempotency-Key`: the first response to a POST is kept for 24 h per (caller, key) and
//! replayed for retries. Kept in memory only: a stored response can hold a freshly issued key,
//! and secrets never go to disk in clear.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Response, StatusCode};
use axum::response::IntoResponse;

use crate::errors::ApiError;
use crate::state::lock;
use crate::util;

pub const TTL_SECONDS: i64 = 24 * 60 * 60;

type Slot = (String, String);

#[derive(Default)]
pub struct IdempotencyStore {
    entries: Mutex<HashMap<Slot, Stored>>,
    /// One async lock per slot in use, so that concurrent duplicates run the handler once.
    in_flight: Mutex<HashMap<Slot, Arc<tokio::sync::Mutex<()>>>>,
}

struct Stored {
    fingerprint: [u8; 32],
    status: StatusCode,
    content_type: Option<HeaderValue>,
    /// `no-store` on answers that carry a secret: a replay says it too.
    cache_control: Option<HeaderValue>,
    body: Bytes,
    at: i64,
}

/// 1 to 255 printable ASCII characters.
pub fn valid_key(v: &HeaderValue) -> Option<&str> {
    let b = v.as_bytes();
    if b.is_empty() || b.len() > 255 || !b.iter().all(|c| (0x20..=0x7e).contains(c)) {
        return None;
    }
    v.to_str().ok()
}

/// Digest of what makes two requests "the same".
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> [u8; 32] {
    let mut data = Vec::with_capacity(method.len() + path_and_query.len() + body.len() + 2);
    data.extend_from_slice(method.as_bytes());
    data.push(0);
    data.extend_from_slice(path_and_query.as_bytes());
    data.push(0);
    data.extend_from_slice(body);
    util::sha256(&data)
}

impl IdempotencyStore {
    pub async fn run<F, Fut>(
        &self,
        caller: &str,
        key: &str,
        fp: [u8; 32],
        exec: F,
    ) -> Response<Body>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Response<Body>>,
    {
        let slot = (caller.to_string(), key.to_string());
        let gate = lock(&self.in_flight)
            .entry(slot.clone())
            .or_default()
            .clone();
        let guard = gate.lock().await;
        let resp = self.run_locked(&slot, fp, exec).await;
        drop(guard);
        {
            let mut m = lock(&self.in_flight);
            // Only the map and `gate` hold it: nobody else is waiting, so forget it.
            if Arc::strong_count(&gate) <= 2 {
                m.remove(&slot);
            }
        }
        resp
    }

    async fn run_locked<F, Fut>(&self, slot: &Slot, fp: [u8; 32], exec: F) -> Response<Body>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Response<Body>>,
    {
        let now = util::now();
        if let Some(s) = lock(&self.entries)
            .get(slot)
            .filter(|s| s.at > now - TTL_SECONDS)
        {
            if s.fingerprint != fp {
                return ApiError::conflict(
                    "Idempotency-Key was already used with a different method, path or body",
                )
                .into_response();
            }
            let mut r = Response::new(Body::from(s.body.clone()));
            *r.status_mut() = s.status;
            if let Some(ct) = &s.content_type {
                r.headers_mut().insert("content-type", ct.clone());
            }
            if let Some(cc) = &s.cache_control {
                r.headers_mut().insert("cache-control", cc.clone());
            }
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        let resp = exec().await;
        // Server errors are not stored, so a retry executes again.
        if resp.status().is_server_error() {
            return resp;
        }
        let (parts, body) = resp.into_parts();
        let body = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => b,
            Err(_) => return ApiError::internal().into_response(),
        };
        lock(&self.entries).insert(
            slot.clone(),
            Stored {
                fingerprint: fp,
                status: parts.status,
                content_type: parts.headers.get("content-type").cloned(),
                cache_control: parts.headers.get("cache-control").cloned(),
                body: body.clone(),
                at: now,
            },
        );
        Response::from_parts(parts, Body::from(body))
    }

    /// Drops entries older than 24 h.
    pub fn purge(&self, now: i64) {
        lock(&self.entries).retain(|_, s| s.at > now - TTL_SECONDS);
    }
}
