//! The HTTP routes (everything but `/_dev`), and helpers shared by them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{Map, Value};

use crate::auth::Principal;
use crate::db::{ResourceRef, Scope};
use crate::errors::ApiError;
use crate::state::AppState;
use crate::util;

mod keys;
mod resources;
mod service_accounts;

pub type St = axum::extract::State<Arc<AppState>>;
/// Shared, so that handing the caller to a handler copies no record.
pub type Caller = axum::extract::Extension<Arc<Principal>>;
pub type Result<T> = std::result::Result<T, ApiError>;

// A copy of spec/openapi.yaml inside the crate, so the published package builds on its own;
// `package_copies::spec_copy_matches_the_workspace_spec` fails when the two differ.
const OPENAPI: &str = include_str!("../../openapi.yaml");

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/openapi.yaml", get(openapi))
        .route("/v1/api-keys", get(keys::list).post(keys::create))
        .route("/v1/api-keys/self", get(keys::get_self))
        .route(
            "/v1/api-keys/{id}",
            get(keys::get).patch(keys::update).delete(keys::delete),
        )
        .route("/v1/api-keys/{id}/deactivate", post(keys::deactivate))
        .route("/v1/api-keys/{id}/activate", post(keys::activate))
        .route("/v1/api-keys/{id}/revoke", post(keys::revoke))
        .route("/v1/api-keys/{id}/rotate", post(keys::rotate))
        .route(
            "/v1/service-accounts",
            get(service_accounts::list).post(service_accounts::create),
        )
        .route(
            "/v1/service-accounts/{id}",
            get(service_accounts::get)
                .patch(service_accounts::update)
                .delete(service_accounts::delete),
        )
        .route(
            "/v1/service-accounts/{id}/api-keys",
            get(service_accounts::list_keys).post(service_accounts::create_key),
        )
        .route("/v1/agents", get(resources::list_agents))
        .route("/v1/agents/{id}", get(resources::get_agent))
        .route("/v1/agents/{id}/run", post(resources::run_agent))
        .route("/v1/gateways", get(resources::list_gateways))
        .route("/v1/gateways/{id}", get(resources::get_gateway))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this path",
            )
        })
        .with_state(state)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/yaml")], OPENAPI).into_response()
}

// ---- request helpers ----

/// The body as a JSON object; an empty body counts as `{}` where `allow_empty`.
pub fn json_object(body: &Bytes, allow_empty: bool) -> Result<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if allow_empty {
            return Ok(Map::new());
        }
        return Err(ApiError::bad_request("a JSON object body is required"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad_request("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!("invalid JSON body: {e}"))),
    }
}

pub type QueryMap = axum::extract::Query<HashMap<String, String>>;

/// `limit` (1 to 100, default 20) and `offset` (≥ 0, default 0).
pub fn page(q: &HashMap<String, String>) -> Result<(i64, i64)> {
    let limit = match q.get("limit") {
        None => 20,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::validation("limit", "must be an integer from 1 to 100"))?,
    };
    let offset = match q.get("offset") {
        None => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|o| *o >= 0)
            .ok_or_else(|| ApiError::validation("offset", "must be an integer ≥ 0"))?,
    };
    Ok((limit, offset))
}

pub fn page_json(
    items_name: &str,
    items: Vec<Value>,
    total: i64,
    limit: i64,
    offset: i64,
) -> Value {
    let mut m = Map::new();
    m.insert(items_name.into(), Value::Array(items));
    m.insert("total".into(), total.into());
    m.insert("limit".into(), limit.into());
    m.insert("offset".into(), offset.into());
    Value::Object(m)
}

/// A creation whose answer carries a secret: no cache may keep it.
pub fn created_secret(v: Value) -> Response {
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(v),
    )
        .into_response()
}

pub fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

// ---- field validation (docs/decisions.md, "Creating keys") ----

pub fn name_field(v: Option<&Value>, field: &str) -> Result<String> {
    match v {
        None | Some(Value::Null) => Err(ApiError::validation(field, "is required")),
        Some(Value::String(s)) => {
            let t = s.trim();
            let n = t.chars().count();
            if n == 0 || n > 100 {
                Err(ApiError::validation(
                    field,
                    "must be 1 to 100 characters after trimming",
                ))
            } else {
                Ok(t.to_string())
            }
        }
        Some(_) => Err(ApiError::validation(field, "must be a string")),
    }
}

pub const PERMISSIONS: [&str; 3] = ["read", "execute", "manage"];

pub fn permissions_field(v: &Value) -> Result<Vec<String>> {
    let arr = v
        .as_array()
        .ok_or_else(|| ApiError::validation("permissions", "must be an array of strings"))?;
    if arr.is_empty() {
        return Err(ApiError::validation("permissions", "must not be empty"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, p) in arr.iter().enumerate() {
        let field = format!("permissions.{i}");
        let s = p
            .as_str()
            .filter(|s| PERMISSIONS.contains(s))
            .ok_or_else(|| ApiError::validation(&field, "must be one of read, execute, manage"))?;
        if out.iter().any(|x| x == s) {
            return Err(ApiError::validation(&field, "duplicate permission"));
        }
        out.push(s.to_string());
    }
    // Canonical order, so equal sets compare and print the same.
    out.sort_by_key(|p| PERMISSIONS.iter().position(|x| x == p));
    Ok(out)
}

pub fn scope_field(v: &Value) -> Result<Scope> {
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::validation("scope", "must be an object"))?;
    match obj.get("type").and_then(Value::as_str) {
        Some("account") => Ok(Scope::Account),
        Some("resources") => {
            let arr = obj
                .get("resources")
                .and_then(Value::as_array)
                .ok_or_else(|| ApiError::validation("scope.resources", "must be an array"))?;
            if arr.is_empty() || arr.len() > 100 {
                return Err(ApiError::validation(
                    "scope.resources",
                    "must have 1 to 100 entries",
                ));
            }
            let mut out = Vec::with_capacity(arr.len());
            for (i, r) in arr.iter().enumerate() {
                let kind = r
                    .get("type")
                    .and_then(Value::as_str)
                    .filter(|t| ["gateway", "agent", "resource"].contains(t))
                    .ok_or_else(|| {
                        ApiError::validation(
                            format!("scope.resources.{i}.type"),
                            "must be gateway, agent or resource",
                        )
                    })?;
                let id = r
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty() && s.chars().count() <= 200)
                    .ok_or_else(|| {
                        ApiError::validation(
                            format!("scope.resources.{i}.id"),
                            "must be a string of 1 to 200 characters",
                        )
                    })?;
                out.push(ResourceRef {
                    kind: kind.into(),
                    id: id.into(),
                });
            }
            Ok(Scope::Resources { resources: out })
        }
        _ => Err(ApiError::validation(
            "scope.type",
            "must be account or resources",
        )),
    }
}

/// RFC 3339, in the future but no later than year 9999 (so that every answer can print it), or null.
pub fn expires_field(v: &Value, now: i64) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            let t = util::parse_ts(s).ok_or_else(|| {
                ApiError::validation("expires_at", "must be an RFC 3339 timestamp")
            })?;
            if t <= now {
                return Err(ApiError::validation("expires_at", "must be in the future"));
            }
            if t > util::MAX_TS {
                return Err(ApiError::validation(
                    "expires_at",
                    "must be no later than 9999-12-31T23:59:59Z",
                ));
            }
            Ok(Some(t))
        }
        _ => Err(ApiError::validation(
            "expires_at",
            "must be an RFC 3339 timestamp or null",
        )),
    }
}

pub fn rate_limit_field(v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        _ => v
            .as_i64()
            .filter(|n| (1..=1_000_000).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ApiError::validation(
                    "rate_limit_per_minute",
                    "must be an integer from 1 to 1000000, or null",
                )
            }),
    }
}

// ---- authorization ----

/// Management needs `manage`, account-wide scope, and a role above viewer.
pub fn require_manage(p: &Principal) -> Result<()> {
    if !p.can("manage") {
        return Err(ApiError::forbidden("this key lacks the manage permission"));
    }
    if !p.account_wide() {
        return Err(ApiError::forbidden("management needs an account-wide key"));
    }
    if p.role == "viewer" {
        return Err(ApiError::forbidden("the viewer role cannot manage keys"));
    }
    Ok(())
}

/// Service-account management: owner or admin.
pub fn require_sa_manage(p: &Principal) -> Result<()> {
    require_manage(p)?;
    if !matches!(p.role.as_str(), "owner" | "admin") {
        return Err(ApiError::forbidden(format!(
            "the {} role cannot manage service accounts",
            p.role
        )));
    }
    Ok(())
}

// The crate carries a copy of the spec (cargo packages nothing outside the crate folder); its
// LICENSE and NOTICE copies are checked with every package's in core/tests/package_copies.rs.
#[cfg(test)]
mod package_copies {
    use std::path::{Path, PathBuf};

    /// The workspace root, or `None` for a packaged crate (no workspace around it).
    fn workspace() -> Option<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        (root.join("Cargo.toml").is_file() && root.join("spec").is_dir()).then_some(root)
    }

    /// In the workspace, the crate's copy of the spec must equal `spec/openapi.yaml` (fix:
    /// `cp spec/openapi.yaml devserver/`). A packaged crate has no workspace around it.
    #[test]
    fn spec_copy_matches_the_workspace_spec() {
        let Some(root) = workspace() else { return };
        let spec = std::fs::read_to_string(root.join("spec/openapi.yaml"))
            .unwrap_or_else(|e| panic!("cannot read spec/openapi.yaml: {e}"));
        assert!(
            spec == super::OPENAPI,
            "devserver/openapi.yaml differs from spec/openapi.yaml; run: cp spec/openapi.yaml devserver/"
        );
    }
}
