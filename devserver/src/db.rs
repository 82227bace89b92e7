//! SQLite storage. One connection behind a mutex: every statement is short, and the server is a
//! development tool, so simplicity wins over parallel reads.

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::util;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS service_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    role TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    secret_sha256 BLOB NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    owner_type TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    permissions TEXT NOT NULL,
    last_six TEXT NOT NULL,
    rate_limit_per_minute INTEGER,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at INTEGER,
    revoked_at INTEGER,
    rotated_from TEXT
);
CREATE INDEX IF NOT EXISTS api_keys_owner ON api_keys (owner_type, owner_id);
";

pub fn open(path: Option<&Path>) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(p) => {
            let c = Connection::open(p)?;
            // WAL + NORMAL: readers never block the writer and commits don't fsync each time.
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "NORMAL")?;
            c
        }
        None => Connection::open_in_memory()?,
    };
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scope {
    Account,
    Resources { resources: Vec<ResourceRef> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub id: String,
    pub digest: Vec<u8>,
    pub name: String,
    pub status: String,
    pub owner_type: String,
    pub owner_id: String,
    pub scope: Scope,
    pub permissions: Vec<String>,
    pub last_six: String,
    pub rate_limit: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub rotated_from: Option<String>,
}

impl KeyRow {
    /// `revoked` once revoked, or once a rotation's grace period is over.
    pub fn effective_status(&self, now: i64) -> &str {
        if self.status == "revoked" || self.revoked_at.is_some_and(|t| t <= now) {
            "revoked"
        } else {
            &self.status
        }
    }

    pub fn has_permission(&self, p: &str) -> bool {
        self.permissions.iter().any(|x| x == p)
    }

    pub fn to_json(&self, now: i64) -> serde_json::Value {
        serde_json::to_value(self.view(now, self.last_used_at)).unwrap_or_default()
    }
}

const KEY_COLS: &str = "id, secret_sha256, name, status, owner_type, owner_id, scope, permissions, \
    last_six, rate_limit_per_minute, created_at, last_used_at, expires_at, revoked_at, rotated_from";

/// SQL for the effective status (see `KeyRow::effective_status`); `?1` is now.
const EFFECTIVE_STATUS: &str =
    "CASE WHEN status = 'revoked' OR (revoked_at IS NOT NULL AND revoked_at <= ?1) THEN 'revoked' ELSE status END";

fn key_from_row(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    let scope: String = r.get(6)?;
    let perms: String = r.get(7)?;
    let bad = |e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(KeyRow {
        id: r.get(0)?,
        digest: r.get(1)?,
        name: r.get(2)?,
        status: r.get(3)?,
        owner_type: r.get(4)?,
        owner_id: r.get(5)?,
        scope: serde_json::from_str(&scope).map_err(bad)?,
        permissions: serde_json::from_str(&perms).map_err(bad)?,
        last_six: r.get(8)?,
        rate_limit: r.get(9)?,
        created_at: r.get(10)?,
        last_used_at: r.get(11)?,
        expires_at: r.get(12)?,
        revoked_at: r.get(13)?,
        rotated_from: r.get(14)?,
    })
}

fn to_json_text<T: Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

pub fn insert_key(conn: &Connection, k: &KeyRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO api_keys ({KEY_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"),
        params![
            k.id,
            k.digest,
            k.name,
            k.status,
            k.owner_type,
            k.owner_id,
            to_json_text(&k.scope)?,
            to_json_text(&k.permissions)?,
            k.last_six,
            k.rate_limit,
            k.created_at,
            k.last_used_at,
            k.expires_at,
            k.revoked_at,
            k.rotated_from,
        ],
    )?;
    Ok(())
}

/// Changes whenever the database does: this connection's count of rows written (which any
/// `INSERT`, `UPDATE` or `DELETE` moves, even one rolled back), and for a file SQLite's data
/// version, which moves when another connection (another process on the same file) commits. An
/// in-memory database has no other connection, and skipping the pragma saves a statement per
/// request.
pub type Stamp = (u64, i64);

pub fn stamp(conn: &Connection) -> rusqlite::Result<Stamp> {
    let version = match conn.path() {
        Some(file) if !file.is_empty() => conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?,
        _ => 0,
    };
    Ok((conn.total_changes(), version))
}

pub fn get_key(conn: &Connection, id: &str) -> rusqlite::Result<Option<KeyRow>> {
    conn.prepare_cached(&format!("SELECT {KEY_COLS} FROM api_keys WHERE id = ?1"))?
        .query_row([id], key_from_row)
        .optional()
}

#[derive(Debug, Default)]
pub struct KeyFilter {
    pub status: Option<String>,
    pub owner_type: Option<String>,
    pub owner_id: Option<String>,
}

pub fn list_keys(
    conn: &Connection,
    f: &KeyFilter,
    now: i64,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(Vec<KeyRow>, i64)> {
    use rusqlite::types::Value;
    let mut clauses = vec!["1 = 1".to_string()];
    let mut args: Vec<Value> = vec![Value::Integer(now)];
    if let Some(s) = &f.status {
        args.push(Value::Text(s.clone()));
        clauses.push(format!("{EFFECTIVE_STATUS} = ?{}", args.len()));
    }
    if let Some(t) = &f.owner_type {
        args.push(Value::Text(t.clone()));
        clauses.push(format!("owner_type = ?{}", args.len()));
    }
    if let Some(o) = &f.owner_id {
        args.push(Value::Text(o.clone()));
        clauses.push(format!("owner_id = ?{}", args.len()));
    }
    let filter = clauses.join(" AND ");
    // ?1 (now) is always bound; reference it so SQLite accepts the parameter count.
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM api_keys WHERE {filter} AND ?1 IS NOT NULL"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    args.push(Value::Integer(limit));
    let l = args.len();
    args.push(Value::Integer(offset));
    let o = args.len();
    let mut stmt = conn.prepare(&format!(
        "SELECT {KEY_COLS} FROM api_keys WHERE {filter} AND ?1 IS NOT NULL \
         ORDER BY created_at DESC, id DESC LIMIT ?{l} OFFSET ?{o}"
    ))?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), key_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

pub fn set_key_status(
    conn: &Connection,
    id: &str,
    status: &str,
    revoked_at: Option<i64>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE api_keys SET status = ?2, revoked_at = ?3 WHERE id = ?1",
        params![id, status, revoked_at],
    )?;
    Ok(())
}

pub fn update_key(
    conn: &Connection,
    id: &str,
    name: &str,
    expires_at: Option<i64>,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE api_keys SET name = ?2, expires_at = ?3 WHERE id = ?1",
        params![id, name, expires_at],
    )?;
    Ok(())
}

pub fn delete_key(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM api_keys WHERE id = ?1", [id])?;
    Ok(())
}

/// Writes buffered `last_used_at` values in one transaction.
pub fn flush_last_used(conn: &mut Connection, items: &[(String, i64)]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "UPDATE api_keys SET last_used_at = MAX(COALESCE(last_used_at, 0), ?2) WHERE id = ?1",
        )?;
        for (id, ts) in items {
            stmt.execute(params![id, ts])?;
        }
    }
    tx.commit()
}

// ---- users ----

pub fn owner_user(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT id FROM users WHERE role = 'owner' ORDER BY created_at LIMIT 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

pub fn insert_user(conn: &Connection, id: &str, role: &str, now: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO users (id, role, created_at) VALUES (?1, ?2, ?3)",
        params![id, role, now],
    )?;
    Ok(())
}

pub fn user_role(conn: &Connection, id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT role FROM users WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()
}

// ---- service accounts ----

#[derive(Debug, Clone)]
pub struct SaRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub role: String,
    pub enabled: bool,
    pub created_at: i64,
}

impl SaRow {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "role": self.role,
            "enabled": self.enabled,
            "created_at": util::fmt_ts(self.created_at),
        })
    }
}

const SA_COLS: &str = "id, name, description, role, enabled, created_at";

fn sa_from_row(r: &Row<'_>) -> rusqlite::Result<SaRow> {
    Ok(SaRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        role: r.get(3)?,
        enabled: r.get(4)?,
        created_at: r.get(5)?,
    })
}

pub fn insert_sa(conn: &Connection, s: &SaRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO service_accounts ({SA_COLS}) VALUES (?1,?2,?3,?4,?5,?6)"),
        params![s.id, s.name, s.description, s.role, s.enabled, s.created_at],
    )?;
    Ok(())
}

pub fn get_sa(conn: &Connection, id: &str) -> rusqlite::Result<Option<SaRow>> {
    conn.prepare_cached(&format!(
        "SELECT {SA_COLS} FROM service_accounts WHERE id = ?1"
    ))?
    .query_row([id], sa_from_row)
    .optional()
}

pub fn list_sas(conn: &Connection, limit: i64, offset: i64) -> rusqlite::Result<(Vec<SaRow>, i64)> {
    let total: i64 = conn.query_row("SELECT COUNT(*) FROM service_accounts", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {SA_COLS} FROM service_accounts ORDER BY created_at DESC, id DESC LIMIT ?1 OFFSET ?2"
    ))?;
    let rows = stmt
        .query_map(params![limit, offset], sa_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

pub fn update_sa(conn: &Connection, s: &SaRow) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE service_accounts SET name = ?2, description = ?3, role = ?4, enabled = ?5 WHERE id = ?1",
        params![s.id, s.name, s.description, s.role, s.enabled],
    )?;
    Ok(())
}

/// Deletes a service account and revokes its keys (the key records stay).
pub fn delete_sa(conn: &mut Connection, id: &str, now: i64) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE api_keys SET status = 'revoked', revoked_at = ?2 \
         WHERE owner_type = 'service_account' AND owner_id = ?1 \
         AND NOT (status = 'revoked' AND revoked_at IS NOT NULL AND revoked_at <= ?2)",
        params![id, now],
    )?;
    tx.execute("DELETE FROM service_accounts WHERE id = ?1", [id])?;
    tx.commit()
}
