//! `/v1/api-keys`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

use super::{Caller, QueryMap, Result, St};
use crate::auth::Principal;
use crate::authz::{KeyPower, Power};
use crate::db::{self, KeyFilter, KeyRow, Scope};
use crate::errors::ApiError;
use crate::keys::NewKey;
use crate::state::AppState;
use crate::util;

/// A validated key-creation body.
pub struct KeyRequest {
    pub name: String,
    pub scope: Option<Scope>,
    pub permissions: Option<Vec<String>>,
    /// Outer `None`: omitted (inherited from the calling key); `Some(None)`: never expires.
    pub expires_at: Option<Option<i64>>,
    /// Outer `None`: omitted (inherited from the calling key); `Some(None)`: no limit.
    pub rate_limit: Option<Option<i64>>,
}

impl KeyRequest {
    /// Expiry and rate limit of the new key: an omitted one is the calling key's own, so a child
    /// never outlives or outpaces its maker unless it asks to (and is refused).
    pub fn limits(&self, p: &Principal) -> (Option<i64>, Option<i64>) {
        (
            self.expires_at.unwrap_or(p.key.expires_at),
            self.rate_limit.unwrap_or(p.key.rate_limit),
        )
    }
}

pub fn parse_key_request(body: &Map<String, Value>, now: i64) -> Result<KeyRequest> {
    Ok(KeyRequest {
        name: super::name_field(body.get("name"), "name")?,
        scope: match body.get("scope") {
            None | Some(Value::Null) => None,
            Some(v) => Some(super::scope_field(v)?),
        },
        permissions: match body.get("permissions") {
            None | Some(Value::Null) => None,
            Some(v) => Some(super::permissions_field(v)?),
        },
        expires_at: body
            .get("expires_at")
            .map(|v| super::expires_field(v, now))
            .transpose()?,
        rate_limit: body
            .get("rate_limit_per_minute")
            .map(super::rate_limit_field)
            .transpose()?,
    })
}

/// The role of a key's owner; a deleted service account's (revoked) keys count as the lowest.
pub fn owner_role(conn: &Connection, k: &KeyRow) -> Result<String> {
    let role = if k.owner_type == "service_account" {
        db::get_sa(conn, &k.owner_id)?.map(|sa| sa.role)
    } else {
        db::user_role(conn, &k.owner_id)?
    };
    Ok(role.unwrap_or_else(|| "viewer".into()))
}

/// An existing key's power, for `Principal::may_act_on`.
pub fn key_power(conn: &Connection, k: &KeyRow) -> Result<Power> {
    Ok(Power::key(&owner_role(conn, k)?, k))
}

/// Creates and stores a key; returns its record and the full key (shown once).
#[allow(clippy::too_many_arguments)]
pub fn mint(
    conn: &Connection,
    owner_type: &str,
    owner_id: &str,
    name: String,
    scope: Scope,
    permissions: Vec<String>,
    expires_at: Option<i64>,
    rate_limit: Option<i64>,
    rotated_from: Option<String>,
    now: i64,
) -> Result<(KeyRow, String)> {
    let k = NewKey::generate();
    let row = KeyRow {
        id: k.access_id.clone(),
        digest: crate::keys::digest(&k.secret).to_vec(),
        name,
        status: "active".into(),
        owner_type: owner_type.into(),
        owner_id: owner_id.into(),
        scope,
        permissions,
        last_six: k.last_six(),
        rate_limit,
        created_at: now,
        last_used_at: None,
        expires_at,
        revoked_at: None,
        rotated_from,
    };
    db::insert_key(conn, &row)?;
    tracing::info!(access_id = %row.id, owner_type, "issued API key");
    Ok((row, k.full()))
}

pub fn key_created(state: &AppState, row: KeyRow, full: String, now: i64) -> Response {
    super::created_secret(json!({"api_key": state.overlay(row).to_json(now), "key": full}))
}

fn one(state: &AppState, row: &KeyRow, now: i64) -> Response {
    #[derive(serde::Serialize)]
    struct One<'a> {
        api_key: crate::view::KeyView<'a>,
    }
    axum::Json(One {
        api_key: row.view(now, state.last_used(row)),
    })
    .into_response()
}

/// A key the caller may manage; others are 404 to a developer.
fn visible(conn: &Connection, p: &Principal, id: &str) -> Result<KeyRow> {
    match db::get_key(conn, id)? {
        Some(k) if p.role != "developer" || p.owns(&k) => Ok(k),
        _ => Err(ApiError::not_found(format!("no API key {id}"))),
    }
}

/// A key the caller may change: visible to it and no more powerful than it.
fn changeable(conn: &Connection, p: &Principal, id: &str, verb: &str) -> Result<KeyRow> {
    let k = visible(conn, p, id)?;
    p.may_act_on(
        &format!("cannot {verb} API key {id}"),
        &key_power(conn, &k)?,
    )?;
    Ok(k)
}

pub async fn get_self(st: St, p: Caller) -> Response {
    one(&st, &p.key, util::now())
}

pub async fn create(st: St, p: Caller, body: Bytes) -> Result<Response> {
    super::require_manage(&p)?;
    let now = util::now();
    let req = parse_key_request(&super::json_object(&body, false)?, now)?;
    let (expires_at, rate_limit) = req.limits(&p);
    let perms = req.permissions.unwrap_or_else(|| p.key.permissions.clone());
    let scope = req.scope.unwrap_or_else(|| p.key.scope.clone());
    let result = Power {
        role: p.role.clone(),
        key: Some(KeyPower {
            permissions: perms.clone(),
            scope: scope.clone(),
            expires_at,
            rate_limit,
        }),
    };
    p.may_act_on("cannot create this key", &result)?;
    let (row, full) = mint(
        &st.db(),
        &p.key.owner_type,
        &p.key.owner_id,
        req.name,
        scope,
        perms,
        expires_at,
        rate_limit,
        None,
        now,
    )?;
    Ok(key_created(&st, row, full, now))
}

/// Filters shared by both key lists; `None` when the filters can match nothing for a developer.
pub fn key_filter(
    p: &Principal,
    q: &std::collections::HashMap<String, String>,
) -> Result<Option<KeyFilter>> {
    let mut f = KeyFilter::default();
    if let Some(s) = q.get("status") {
        if !["active", "inactive", "revoked"].contains(&s.as_str()) {
            return Err(ApiError::validation(
                "status",
                "must be active, inactive or revoked",
            ));
        }
        f.status = Some(s.clone());
    }
    if let Some(t) = q.get("owner_type") {
        if !["user", "service_account"].contains(&t.as_str()) {
            return Err(ApiError::validation(
                "owner_type",
                "must be user or service_account",
            ));
        }
        f.owner_type = Some(t.clone());
    }
    if let Some(id) = q.get("service_account_id") {
        if f.owner_type.as_deref() == Some("user") {
            return Ok(None);
        }
        f.owner_type = Some("service_account".into());
        f.owner_id = Some(id.clone());
    }
    if p.role == "developer" {
        // A developer sees only its own keys.
        if f.owner_type
            .as_ref()
            .is_some_and(|t| *t != p.key.owner_type)
            || f.owner_id.as_ref().is_some_and(|o| *o != p.key.owner_id)
        {
            return Ok(None);
        }
        f.owner_type = Some(p.key.owner_type.clone());
        f.owner_id = Some(p.key.owner_id.clone());
    }
    Ok(Some(f))
}

pub fn list_page(st: &AppState, f: Option<KeyFilter>, limit: i64, offset: i64) -> Result<Response> {
    let now = util::now();
    let (rows, total) = match f {
        Some(f) => db::list_keys(&st.db(), &f, now, limit, offset)?,
        None => (Vec::new(), 0),
    };
    let items = rows
        .into_iter()
        .map(|r| st.overlay(r).to_json(now))
        .collect();
    Ok(super::ok(super::page_json(
        "api_keys", items, total, limit, offset,
    )))
}

pub async fn list(st: St, p: Caller, q: QueryMap) -> Result<Response> {
    super::require_manage(&p)?;
    let (limit, offset) = super::page(&q)?;
    let f = key_filter(&p, &q)?;
    list_page(&st, f, limit, offset)
}

pub async fn get(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    super::require_manage(&p)?;
    let row = visible(&st.db(), &p, &id)?;
    Ok(one(&st, &row, util::now()))
}

pub async fn update(st: St, p: Caller, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    super::require_manage(&p)?;
    let now = util::now();
    let body = super::json_object(&body, false)?;
    let name = body
        .contains_key("name")
        .then(|| super::name_field(body.get("name"), "name"))
        .transpose()?;
    let expires_at = body
        .get("expires_at")
        .map(|v| super::expires_field(v, now))
        .transpose()?;
    let conn = st.db();
    let mut row = changeable(&conn, &p, &id, "change")?;
    if let Some(name) = name {
        row.name = name;
    }
    if let Some(e) = expires_at {
        row.expires_at = e;
        p.may_act_on(
            &format!("cannot change API key {id}"),
            &key_power(&conn, &row)?,
        )?;
    }
    db::update_key(&conn, &row.id, &row.name, row.expires_at)?;
    drop(conn);
    Ok(one(&st, &row, now))
}

fn transition(st: &AppState, p: &Principal, id: &str, to: &str) -> Result<Response> {
    super::require_manage(p)?;
    let now = util::now();
    let conn = st.db();
    let verb = match to {
        "revoked" => "revoke",
        "active" => "activate",
        _ => "deactivate",
    };
    let mut row = changeable(&conn, p, id, verb)?;
    let revoked = row.effective_status(now) == "revoked";
    match to {
        "revoked" if revoked => {}
        "revoked" => {
            row.status = "revoked".into();
            row.revoked_at = Some(now);
        }
        _ if revoked => {
            return Err(ApiError::conflict(format!(
                "API key {id} is revoked; revocation is final"
            )))
        }
        _ => row.status = to.into(),
    }
    db::set_key_status(&conn, &row.id, &row.status, row.revoked_at)?;
    drop(conn);
    Ok(one(st, &row, now))
}

pub async fn deactivate(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    transition(&st, &p, &id, "inactive")
}

pub async fn activate(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    transition(&st, &p, &id, "active")
}

pub async fn revoke(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    transition(&st, &p, &id, "revoked")
}

pub async fn delete(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    super::require_manage(&p)?;
    let conn = st.db();
    let row = changeable(&conn, &p, &id, "delete")?;
    if row.effective_status(util::now()) != "revoked" {
        return Err(ApiError::conflict(format!(
            "API key {id} is not revoked: revoke it before deleting it"
        )));
    }
    db::delete_key(&conn, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn rotate(st: St, p: Caller, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    super::require_manage(&p)?;
    let now = util::now();
    let body = super::json_object(&body, true)?;
    let grace = match body.get("grace_period_seconds") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_i64()
            .filter(|g| (0..=604_800).contains(g))
            .ok_or_else(|| {
                ApiError::validation(
                    "grace_period_seconds",
                    "must be an integer from 0 to 604800",
                )
            })?,
    };
    let mut conn = st.db();
    // Rotation hands out a new secret with the old key's powers: it obeys the rules of creation.
    let mut old = changeable(&conn, &p, &id, "rotate")?;
    if old.effective_status(now) == "revoked" {
        return Err(ApiError::conflict(format!(
            "API key {id} is revoked and cannot be rotated"
        )));
    }
    let tx = conn.transaction()?;
    let (new, full) = mint(
        &tx,
        &old.owner_type,
        &old.owner_id,
        old.name.clone(),
        old.scope.clone(),
        old.permissions.clone(),
        old.expires_at,
        old.rate_limit,
        Some(old.id.clone()),
        now,
    )?;
    if grace == 0 {
        old.status = "revoked".into();
        old.revoked_at = Some(now);
    } else {
        // Keeps working until then, and counts as revoked from then on.
        let until = now + grace;
        old.revoked_at = Some(old.revoked_at.map_or(until, |t| t.min(until)));
    }
    db::set_key_status(&tx, &old.id, &old.status, old.revoked_at)?;
    tx.commit()?;
    drop(conn);
    Ok(super::created_secret(json!({
        "api_key": new.to_json(now),
        "key": full,
        "previous": st.overlay(old).to_json(now),
    })))
}
