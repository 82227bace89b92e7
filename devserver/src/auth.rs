//! Reading the key from the request and authenticating it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use subtle::ConstantTimeEq;

use crate::db::{self, KeyRow, Scope, Stamp};
use crate::errors::ApiError;
use crate::keys;
use crate::state::{lock, AppState};

/// The authenticated caller, put in request extensions for handlers.
#[derive(Debug, Clone)]
pub struct Principal {
    pub key: KeyRow,
    /// `owner`, `admin`, `developer` or `viewer`.
    pub role: String,
}

impl Principal {
    pub fn access_id(&self) -> &str {
        &self.key.id
    }
    pub fn can(&self, permission: &str) -> bool {
        self.key.has_permission(permission)
    }
    pub fn account_wide(&self) -> bool {
        self.key.scope == Scope::Account
    }
    pub fn owns(&self, k: &KeyRow) -> bool {
        k.owner_type == self.key.owner_type && k.owner_id == self.key.owner_id
    }
}

/// Callers that passed authentication, by access id, so that a key in use costs no database
/// read. The cache is valid only while the database is exactly as it was when they were read: any
/// write (this server's own, or another process's on a `--db` file) changes the stamp and empties
/// it, so a revoked, disabled or deleted key, or a changed role, is never answered from it. The
/// checks that depend on the clock (expiry, a rotation's grace period) and the secret's digest
/// run on every request.
#[derive(Default)]
pub struct Callers(Mutex<(Stamp, HashMap<String, Arc<Principal>>)>);

/// Enough for every key a test suite or a local app uses; past it the cache starts over.
const MAX_CALLERS: usize = 1024;

impl Callers {
    fn get(&self, stamp: Stamp, access_id: &str) -> Option<Arc<Principal>> {
        let mut c = lock(&self.0);
        if c.0 != stamp {
            *c = (stamp, HashMap::new());
            return None;
        }
        c.1.get(access_id).cloned()
    }

    fn put(&self, stamp: Stamp, p: &Arc<Principal>) {
        let mut c = lock(&self.0);
        if c.0 != stamp || c.1.len() >= MAX_CALLERS {
            *c = (stamp, HashMap::new());
        }
        c.1.insert(p.key.id.clone(), Arc::clone(p));
    }
}

pub fn role_rank(role: &str) -> u8 {
    match role {
        "owner" => 4,
        "admin" => 3,
        "developer" => 2,
        "viewer" => 1,
        _ => 0,
    }
}

struct Candidate {
    header: &'static str,
    value: String,
    bearer: bool,
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let head = value.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| value[scheme.len()..].trim())
}

/// Every header that carries (or tries to carry) an API key.
fn candidates(headers: &HeaderMap) -> Vec<Candidate> {
    let mut out = Vec::new();
    for name in ["x-api-key", "api-key"] {
        for v in headers.get_all(name) {
            out.push(Candidate {
                header: name,
                value: String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
                bearer: false,
            });
        }
    }
    for v in headers.get_all("authorization") {
        let s = String::from_utf8_lossy(v.as_bytes()).to_string();
        if let Some(k) = strip_scheme(&s, "ApiKey ") {
            out.push(Candidate {
                header: "authorization",
                value: k.to_string(),
                bearer: false,
            });
        } else if let Some(k) = strip_scheme(&s, "Bearer ").filter(|k| k.starts_with("ak-")) {
            out.push(Candidate {
                header: "authorization",
                value: k.to_string(),
                bearer: true,
            });
        }
    }
    out
}

/// What the request presents, for fault matching and the request log: the header that
/// carried a key and the access id it claims (public), before any authentication.
pub fn presented(headers: &HeaderMap) -> (Option<&'static str>, Option<String>) {
    match candidates(headers).into_iter().next() {
        Some(c) => (Some(c.header), keys::claimed_access_id(&c.value)),
        None => (None, None),
    }
}

fn invalid() -> ApiError {
    // Same answer for an unknown id and a wrong secret: nothing to learn without the whole key.
    ApiError::unauthorized("invalid API key", None)
}

pub fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    now: i64,
) -> Result<Arc<Principal>, ApiError> {
    let cands = candidates(headers);
    let Some(first) = cands.first() else {
        return Err(ApiError::unauthorized(
            "missing API key: send it in the X-API-Key header",
            Some("missing"),
        ));
    };
    if cands.iter().any(|c| c.value != first.value) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "several authentication headers carry different values: send exactly one of \
             X-API-Key, API-Key or Authorization: ApiKey",
        ));
    }
    if cands.iter().any(|c| c.bearer) {
        return Err(ApiError::unauthorized(
            "Authorization: Bearer is for JWT tokens, not API keys: send the key in the X-API-Key header",
            Some("bearer_scheme"),
        ));
    }
    let parsed = keys::parse(&first.value).map_err(|rule| {
        ApiError::unauthorized(format!("malformed API key: {rule}"), Some("malformed"))
    })?;
    let conn = state.db();
    let stamp = db::stamp(&conn)?;
    let cached = state.callers.get(stamp, parsed.access_id);
    let fresh = match cached {
        Some(_) => None,
        None => db::get_key(&conn, parsed.access_id)?,
    };
    let row = cached.as_ref().map(|p| &p.key).or(fresh.as_ref());
    let digest = keys::digest(parsed.secret);
    // Compare even when the id is unknown, so timing says nothing about which ids exist.
    let stored = row.map_or(&[0u8; 32][..], |r| r.digest.as_slice());
    let matches: bool = stored.ct_eq(&digest[..]).into();
    let row = match row {
        Some(r) if matches => r,
        _ => return Err(invalid()),
    };
    // From here the caller holds the whole key, so it may learn why it is refused. These checks
    // depend on the clock, so they run on every request, cached or not.
    if row.effective_status(now) == "revoked" {
        return Err(ApiError::unauthorized(
            "API key is revoked",
            Some("revoked"),
        ));
    }
    if row.status == "inactive" {
        return Err(ApiError::unauthorized(
            "API key is inactive",
            Some("inactive"),
        ));
    }
    if row.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::unauthorized(
            "API key has expired",
            Some("expired"),
        ));
    }
    if let Some(p) = cached {
        return Ok(p);
    }
    let Some(key) = fresh else {
        return Err(invalid());
    };
    let role = if key.owner_type == "service_account" {
        match db::get_sa(&conn, &key.owner_id)? {
            Some(sa) if sa.enabled => sa.role,
            Some(_) => {
                return Err(ApiError::unauthorized(
                    "the key's service account is disabled",
                    Some("service_account_disabled"),
                ))
            }
            None => {
                return Err(ApiError::unauthorized(
                    "the key's service account was deleted",
                    Some("service_account_disabled"),
                ))
            }
        }
    } else {
        db::user_role(&conn, &key.owner_id)?.unwrap_or_else(|| "viewer".into())
    };
    let principal = Arc::new(Principal { key, role });
    state.callers.put(stamp, &principal);
    Ok(principal)
}
