//! Seeded agents and gateways, so that resource scopes can be exercised.

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Response;
use serde_json::{json, Value};

use super::{Caller, QueryMap, Result};
use crate::auth::Principal;
use crate::db::Scope;
use crate::errors::ApiError;
use crate::util;

struct Seeded {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    created_at: i64,
}

// Stable ids and timestamps (2026-01-01 onwards), newest first.
const AGENTS: [Seeded; 3] = [
    Seeded {
        id: "agt_weather",
        name: "Weather",
        description: "Answers questions about the weather",
        created_at: 1_767_225_720,
    },
    Seeded {
        id: "agt_support",
        name: "Support",
        description: "Helps customers with support requests",
        created_at: 1_767_225_660,
    },
    Seeded {
        id: "agt_billing",
        name: "Billing",
        description: "Answers billing questions",
        created_at: 1_767_225_600,
    },
];

const GATEWAYS: [Seeded; 2] = [
    Seeded {
        id: "gw_public",
        name: "Public",
        description: "Public MCP gateway",
        created_at: 1_767_225_660,
    },
    Seeded {
        id: "gw_internal",
        name: "Internal",
        description: "Internal MCP gateway",
        created_at: 1_767_225_600,
    },
];

impl Seeded {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_at": util::fmt_ts(self.created_at),
        })
    }
}

/// `agent`/`gateway` scope entries match their kind; `resource` entries match either by id.
fn in_scope(p: &Principal, kind: &str, id: &str) -> bool {
    match &p.key.scope {
        Scope::Account => true,
        Scope::Resources { resources } => resources
            .iter()
            .any(|r| r.id == id && (r.kind == kind || r.kind == "resource")),
    }
}

fn need(p: &Principal, permission: &str) -> Result<()> {
    if p.can(permission) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "this key lacks the {permission} permission"
        )))
    }
}

fn find<'a>(p: &Principal, kind: &str, all: &'a [Seeded], id: &str) -> Result<&'a Seeded> {
    if !in_scope(p, kind, id) {
        return Err(ApiError::forbidden(format!(
            "this key's scope does not include {kind} {id}"
        )));
    }
    all.iter()
        .find(|s| s.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no {kind} {id}")))
}

fn list(
    p: &Principal,
    q: &QueryMap,
    kind: &str,
    all: &[Seeded],
    items_name: &str,
) -> Result<Response> {
    need(p, "read")?;
    let (limit, offset) = super::page(q)?;
    let visible: Vec<&Seeded> = all.iter().filter(|s| in_scope(p, kind, s.id)).collect();
    let items = visible
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|s| s.to_json())
        .collect();
    Ok(super::ok(super::page_json(
        items_name,
        items,
        visible.len() as i64,
        limit,
        offset,
    )))
}

pub async fn list_agents(p: Caller, q: QueryMap) -> Result<Response> {
    list(&p, &q, "agent", &AGENTS, "agents")
}

pub async fn list_gateways(p: Caller, q: QueryMap) -> Result<Response> {
    list(&p, &q, "gateway", &GATEWAYS, "gateways")
}

pub async fn get_agent(p: Caller, Path(id): Path<String>) -> Result<Response> {
    need(&p, "read")?;
    Ok(super::ok(
        json!({"agent": find(&p, "agent", &AGENTS, &id)?.to_json()}),
    ))
}

pub async fn get_gateway(p: Caller, Path(id): Path<String>) -> Result<Response> {
    need(&p, "read")?;
    Ok(super::ok(
        json!({"gateway": find(&p, "gateway", &GATEWAYS, &id)?.to_json()}),
    ))
}

pub async fn run_agent(p: Caller, Path(id): Path<String>, body: Bytes) -> Result<Response> {
    need(&p, "execute")?;
    let agent = find(&p, "agent", &AGENTS, &id)?;
    let body = super::json_object(&body, true)?;
    let input = body.get("input").cloned().unwrap_or(Value::Null);
    Ok(super::ok(json!({"run": {
        "id": format!("run_{}", util::random_hex(12)),
        "agent_id": agent.id,
        "status": "completed",
        "output": {"echo": input},
        "created_at": util::fmt_ts(util::now()),
    }})))
}
