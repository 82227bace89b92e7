//! Human output (aligned columns) and JSON output. Records never hold a secret; whole keys are
//! printed only by `print_new_key`.

use std::io::Write;

use noorle::models::{ApiKeyRecord, Scope, ServiceAccount};
use noorle::{ApiKey, Timestamp};
use serde::Serialize;
use serde_json::Value;

/// Prints rows under headers, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            s.push_str(cell);
            if i < last {
                s.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        s
    };
    let _ = writeln!(out, "{}", line(headers.to_vec()));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

/// Prints `label  value` pairs with the values aligned.
pub fn pairs(items: &[(&str, String)]) {
    let w = items.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    for (k, v) in items {
        let _ = writeln!(out, "{k:<w$}  {v}");
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(v: &T) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        // Our own models always serialise; keep going rather than panic.
        Err(e) => eprintln!("error: cannot encode the answer as JSON: {e}"),
    }
}

pub fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty())
        .map_or_else(|| "-".to_owned(), str::to_owned)
}

pub fn scope(s: &Scope) -> String {
    match s {
        Scope::Account => "account".into(),
        Scope::Resources { resources } => resources
            .iter()
            .map(|r| format!("{}:{}", r.kind, r.id))
            .collect::<Vec<_>>()
            .join(","),
        other => format!("{other:?}"),
    }
}

pub fn permissions(r: &ApiKeyRecord) -> String {
    r.permissions
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn owner(r: &ApiKeyRecord) -> String {
    format!("{}:{}", r.owner.kind, r.owner.id)
}

pub fn key_rows(keys: &[ApiKeyRecord]) -> Vec<Vec<String>> {
    keys.iter()
        .map(|k| {
            vec![
                k.id.clone(),
                k.name.clone(),
                k.status.to_string(),
                permissions(k),
                scope(&k.scope),
                or_dash(k.last_used_at.as_ref().map(Timestamp::as_str)),
                or_dash(k.expires_at.as_ref().map(Timestamp::as_str)),
            ]
        })
        .collect()
}

pub const KEY_HEADERS: [&str; 7] = [
    "ID",
    "NAME",
    "STATUS",
    "PERMISSIONS",
    "SCOPE",
    "LAST USED",
    "EXPIRES",
];

/// A key's record as label/value pairs.
pub fn key_pairs(k: &ApiKeyRecord) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("key", format!("ak-{}***", k.id)),
        ("id", k.id.clone()),
        ("name", k.name.clone()),
        ("status", k.status.to_string()),
        ("owner", owner(k)),
        ("scope", scope(&k.scope)),
        ("permissions", permissions(k)),
        (
            "rate limit",
            k.rate_limit_per_minute
                .map_or_else(|| "server default".into(), |n| format!("{n}/min")),
        ),
        ("created", k.created_at.to_string()),
        (
            "last used",
            k.last_used_at
                .as_ref()
                .map_or_else(|| "never".into(), Timestamp::to_string),
        ),
        (
            "expires",
            k.expires_at
                .as_ref()
                .map_or_else(|| "never".into(), Timestamp::to_string),
        ),
    ];
    if let Some(t) = &k.revoked_at {
        v.push(("revoked", t.to_string()));
    }
    if let Some(r) = &k.rotated_from {
        v.push(("rotated from", r.clone()));
    }
    v
}

pub fn print_key(k: &ApiKeyRecord, as_json: bool) {
    if as_json {
        json(&serde_json::json!({ "api_key": k }));
    } else {
        pairs(&key_pairs(k));
    }
}

pub fn sa_pairs(s: &ServiceAccount) -> Vec<(&'static str, String)> {
    vec![
        ("id", s.id.clone()),
        ("name", s.name.clone()),
        ("description", or_dash(Some(s.description.as_str()))),
        ("role", s.role.to_string()),
        ("enabled", if s.enabled { "yes" } else { "no" }.to_owned()),
        ("created", s.created_at.to_string()),
    ]
}

pub fn print_sa(s: &ServiceAccount, as_json: bool) {
    if as_json {
        json(&serde_json::json!({ "service_account": s }));
    } else {
        pairs(&sa_pairs(s));
    }
}

/// The one place a whole key is printed: stdout, once, with a warning on stderr. In JSON mode
/// the key goes into `body` under `key`.
pub fn print_new_key(key: &ApiKey, mut body: Value, as_json: bool) {
    if as_json {
        if let Value::Object(m) = &mut body {
            m.insert("key".into(), Value::String(key.expose_secret().to_owned()));
        }
        json(&body);
    } else {
        println!("{}", key.expose_secret());
    }
    eprintln!(
        "note: this is the only time the key {} is shown in full; store it now (e.g. `noorle \
         login --api-key`)",
        key.redacted()
    );
}
