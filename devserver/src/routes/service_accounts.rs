//! `/v1/service-accounts`.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::keys::{key_created, key_filter, list_page, mint, parse_key_request};
use super::{Caller, QueryMap, Result, St};
use crate::auth::Principal;
use crate::authz::{KeyPower, Power};
use crate::db::{self, SaRow, Scope};
use crate::errors::ApiError;
use crate::util;

const ROLES: [&str; 4] = ["owner", "admin", "developer", "viewer"];

fn role_field(v: &Value) -> Result<String> {
    v.as_str()
        .filter(|r| ROLES.contains(r))
        .map(str::to_string)
        .ok_or_else(|| ApiError::validation("role", "must be owner, admin, developer or viewer"))
}

fn description_field(v: &Value) -> Result<String> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) if s.chars().count() <= 1000 => Ok(s.clone()),
        _ => Err(ApiError::validation(
            "description",
            "must be a string of at most 1000 characters",
        )),
    }
}

/// Default permissions of a service account's keys, never more than the creator has.
fn default_permissions(role: &str, p: &Principal) -> Vec<String> {
    let all: &[&str] = if role == "viewer" {
        &["read"]
    } else {
        &["read", "execute", "manage"]
    };
    all.iter()
        .filter(|x| p.can(x))
        .map(|x| x.to_string())
        .collect()
}

fn existing(conn: &Connection, id: &str) -> Result<SaRow> {
    db::get_sa(conn, id)?.ok_or_else(|| ApiError::not_found(format!("no service account {id}")))
}

/// A service account the caller may change: its role is at most the caller's.
fn changeable(conn: &Connection, p: &Principal, id: &str, verb: &str) -> Result<SaRow> {
    let sa = existing(conn, id)?;
    p.may_act_on(
        &format!("cannot {verb} service account {id}"),
        &Power::account(&sa.role),
    )?;
    Ok(sa)
}

/// The power of a key the caller is about to create for a service account with `role`.
fn new_key_power(
    role: &str,
    permissions: &[String],
    scope: &Scope,
    limits: (Option<i64>, Option<i64>),
) -> Power {
    Power {
        role: role.to_string(),
        key: Some(KeyPower {
            permissions: permissions.to_vec(),
            scope: scope.clone(),
            expires_at: limits.0,
            rate_limit: limits.1,
        }),
    }
}

pub async fn create(st: St, p: Caller, body: Bytes) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let now = util::now();
    let body = super::json_object(&body, false)?;
    let name = super::name_field(body.get("name"), "name")?;
    let description = body
        .get("description")
        .map_or(Ok(String::new()), description_field)?;
    let role = match body.get("role") {
        None | Some(Value::Null) => "developer".to_string(),
        Some(v) => role_field(v)?,
    };
    let sa = SaRow {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.clone(),
        description,
        role,
        enabled: true,
        created_at: now,
    };
    let perms = default_permissions(&sa.role, &p);
    // The first key inherits the calling key's expiry and rate limit.
    let limits = (p.key.expires_at, p.key.rate_limit);
    p.may_act_on(
        "cannot create this service account",
        &new_key_power(&sa.role, &perms, &Scope::Account, limits),
    )?;
    let mut conn = st.db();
    let tx = conn.transaction()?;
    db::insert_sa(&tx, &sa)?;
    let (key, full) = mint(
        &tx,
        "service_account",
        &sa.id,
        name,
        Scope::Account,
        perms,
        limits.0,
        limits.1,
        None,
        now,
    )?;
    tx.commit()?;
    drop(conn);
    Ok(super::created_secret(json!({
        "service_account": sa.to_json(),
        "api_key": st.overlay(key).to_json(now),
        "key": full,
    })))
}

pub async fn list(st: St, p: Caller, q: QueryMap) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let (limit, offset) = super::page(&q)?;
    let (rows, total) = db::list_sas(&st.db(), limit, offset)?;
    let items = rows.iter().map(SaRow::to_json).collect();
    Ok(super::ok(super::page_json(
        "service_accounts",
        items,
        total,
        limit,
        offset,
    )))
}

pub async fn get(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let sa = existing(&st.db(), &id)?;
    Ok(super::ok(json!({"service_account": sa.to_json()})))
}

pub async fn update(st: St, p: Caller, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let body = super::json_object(&body, false)?;
    let name = body
        .contains_key("name")
        .then(|| super::name_field(body.get("name"), "name"))
        .transpose()?;
    let description = body.get("description").map(description_field).transpose()?;
    let role = body.get("role").map(role_field).transpose()?;
    let enabled = body
        .get("enabled")
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| ApiError::validation("enabled", "must be a boolean"))
        })
        .transpose()?;
    let conn = st.db();
    let mut sa = changeable(&conn, &p, &id, "change")?;
    if let Some(role) = role {
        p.may_act_on(
            &format!("cannot give service account {id} the {role} role"),
            &Power::account(&role),
        )?;
        sa.role = role;
    }
    if let Some(name) = name {
        sa.name = name;
    }
    if let Some(d) = description {
        sa.description = d;
    }
    if let Some(e) = enabled {
        sa.enabled = e;
    }
    db::update_sa(&conn, &sa)?;
    Ok(super::ok(json!({"service_account": sa.to_json()})))
}

pub async fn delete(st: St, p: Caller, Path(id): Path<String>) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let mut conn = st.db();
    changeable(&conn, &p, &id, "delete")?;
    db::delete_sa(&mut conn, &id, util::now())?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn create_key(
    st: St,
    p: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let now = util::now();
    let req = parse_key_request(&super::json_object(&body, false)?, now)?;
    let conn = st.db();
    let sa = existing(&conn, &id)?;
    let limits = req.limits(&p);
    let perms = req
        .permissions
        .unwrap_or_else(|| default_permissions(&sa.role, &p));
    let scope = req.scope.unwrap_or(Scope::Account);
    p.may_act_on(
        &format!("cannot create a key for service account {id}"),
        &new_key_power(&sa.role, &perms, &scope, limits),
    )?;
    let (row, full) = mint(
        &conn,
        "service_account",
        &sa.id,
        req.name,
        scope,
        perms,
        limits.0,
        limits.1,
        None,
        now,
    )?;
    drop(conn);
    Ok(key_created(&st, row, full, now))
}

pub async fn list_keys(st: St, p: Caller, Path(id): Path<String>, q: QueryMap) -> Result<Response> {
    super::require_sa_manage(&p)?;
    let (limit, offset) = super::page(&q)?;
    existing(&st.db(), &id)?;
    let mut q = q.0;
    q.insert("service_account_id".into(), id);
    q.remove("owner_type");
    let f = key_filter(&p, &q)?;
    list_page(&st, f, limit, offset)
}
