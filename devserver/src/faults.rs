//! Fault injection and the request log (`--fault-injection` only). API: docs/decisions.md.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::Query;
use axum::http::{Method, Response, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::errors::ApiError;
use crate::state::lock;
use crate::util;

/// The log keeps this many most recent requests.
const LOG_CAP: usize = 10_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fault {
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
        #[serde(default)]
        code: Option<String>,
    },
    Stall {
        ms: u64,
    },
    Drop,
    /// Executes the request, then closes the connection without sending the answer: the case
    /// that idempotency keys exist for (the server acted, the client never heard).
    DropAfter,
}

impl Fault {
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Stall { .. } => "stall",
            Fault::Drop => "drop",
            Fault::DropAfter => "drop_after",
        }
    }
}

#[derive(Debug, Deserialize)]
struct FaultSpec {
    method: Option<String>,
    path: Option<String>,
    access_id: Option<String>,
    count: Option<u32>,
    fault: Fault,
}

struct Queued {
    spec: FaultSpec,
    remaining: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    #[serde(skip)]
    seq: u64,
    method: String,
    path: String,
    status: Option<u16>,
    access_id: Option<String>,
    idempotency_key: Option<String>,
    auth_header: Option<&'static str>,
    fault: Option<&'static str>,
    at: String,
}

#[derive(Default)]
pub struct Faults {
    queue: Mutex<VecDeque<(String, Queued)>>,
    log: Mutex<(u64, VecDeque<LogEntry>)>,
}

/// Exact match, or a prefix match when the pattern ends with `*`.
fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

pub struct Seen<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub access_id: Option<&'a str>,
    pub auth_header: Option<&'static str>,
    pub idempotency_key: Option<&'a str>,
}

impl Faults {
    /// Takes the first queued fault matching the request, if any.
    pub fn take(&self, r: &Seen<'_>) -> Option<Fault> {
        let mut q = lock(&self.queue);
        let idx = q.iter().position(|(_, f)| {
            f.spec
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(r.method))
                && f.spec
                    .path
                    .as_deref()
                    .is_none_or(|p| path_matches(p, r.path))
                && f.spec
                    .access_id
                    .as_deref()
                    .is_none_or(|a| Some(a) == r.access_id)
        })?;
        let entry = &mut q[idx].1;
        let fault = entry.spec.fault.clone();
        entry.remaining -= 1;
        if entry.remaining == 0 {
            q.remove(idx);
        }
        Some(fault)
    }

    /// Records a request as it arrives; `finish` fills in the status sent.
    pub fn log_start(&self, r: &Seen<'_>, fault: Option<&Fault>) -> u64 {
        let mut g = lock(&self.log);
        g.0 += 1;
        let seq = g.0;
        if g.1.len() >= LOG_CAP {
            g.1.pop_front();
        }
        g.1.push_back(LogEntry {
            seq,
            method: r.method.to_string(),
            path: r.path.to_string(),
            status: None,
            access_id: r.access_id.map(str::to_string),
            idempotency_key: r.idempotency_key.map(str::to_string),
            auth_header: r.auth_header,
            fault: fault.map(Fault::name),
            at: util::fmt_ts(util::now()),
        });
        seq
    }

    pub fn log_finish(&self, seq: u64, status: u16) {
        let mut g = lock(&self.log);
        if let Some(e) = g.1.iter_mut().rev().find(|e| e.seq == seq) {
            e.status = Some(status);
        }
    }

    /// Serves `/_dev/faults` and `/_dev/requests`.
    pub fn handle(&self, method: &Method, uri: &Uri, body: &Bytes) -> Response<Body> {
        match (method.as_str(), uri.path()) {
            ("POST", "/_dev/faults") => match self.add(body) {
                Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
                Err(e) => e.into_response(),
            },
            ("DELETE", "/_dev/faults") => {
                lock(&self.queue).clear();
                StatusCode::NO_CONTENT.into_response()
            }
            ("GET", "/_dev/requests") => {
                let q: HashMap<String, String> =
                    Query::try_from_uri(uri).map(|q| q.0).unwrap_or_default();
                let g = lock(&self.log);
                let items: Vec<&LogEntry> =
                    g.1.iter()
                        .filter(|e| {
                            q.get("access_id")
                                .is_none_or(|a| e.access_id.as_ref() == Some(a))
                        })
                        .filter(|e| {
                            q.get("method")
                                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
                        })
                        .filter(|e| q.get("path").is_none_or(|p| path_matches(p, &e.path)))
                        .collect();
                Json(json!({ "requests": items })).into_response()
            }
            ("DELETE", "/_dev/requests") => {
                lock(&self.log).1.clear();
                StatusCode::NO_CONTENT.into_response()
            }
            (_, "/_dev/faults" | "/_dev/requests") => {
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response()
            }
            _ => ApiError::not_found("no such path").into_response(),
        }
    }

    fn add(&self, body: &Bytes) -> Result<String, ApiError> {
        let spec: FaultSpec = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid fault: {e}")))?;
        if let Fault::Status { status, .. } = &spec.fault {
            if !(400..=599).contains(status) {
                return Err(ApiError::validation("fault.status", "must be 400 to 599"));
            }
        }
        let remaining = spec.count.unwrap_or(1);
        if remaining == 0 {
            return Err(ApiError::validation("count", "must be at least 1"));
        }
        let id = format!("flt_{}", util::random_hex(8));
        lock(&self.queue).push_back((id.clone(), Queued { spec, remaining }));
        Ok(id)
    }
}

/// The answer to a `status` fault: a Noorle error envelope.
pub fn status_response(
    status: u16,
    retry_after: Option<u64>,
    code: Option<&str>,
) -> Response<Body> {
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let code = code.unwrap_or_else(|| crate::errors::code_for_status(status));
    let body =
        json!({"error": {"code": code, "message": format!("injected fault: status {status}")}});
    let mut r = (st, Json(body)).into_response();
    if let Some(s) = retry_after {
        r.headers_mut().insert("retry-after", s.into());
    }
    r
}
