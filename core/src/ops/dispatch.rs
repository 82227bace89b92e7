//! Running an [`Operation`]: on a client or without one, cancellable, with the answers as JSON.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::config::secs;
use super::operation::Operation;
use crate::client::{Client, RequestOptions};
use crate::error::{Error, Result};
use crate::headers::{auth_header, HeaderScheme};
use crate::key::ApiKey;
use crate::load::{load_api_key, LoadedKey};
use crate::models::{ApiKeyRecord, CreatedApiKey, Page};
use crate::rotate::RotateKeyFile;

/// Runs `op` (on `client` when it needs one); a cancelled `cancel` token abandons the request
/// in flight and returns [`Error::Cancelled`].
pub async fn execute(
    client: Option<&Client>,
    op: Operation,
    cancel: Option<&CancellationToken>,
) -> Result<Value> {
    match cancel {
        Some(token) => tokio::select! {
            biased;
            () = token.cancelled() => Err(Error::Cancelled),
            r = run(client, op) => r,
        },
        None => run(client, op).await,
    }
}

/// Runs an operation that needs no client, without a runtime.
pub fn execute_static(op: Operation) -> Result<Value> {
    match op {
        Operation::Version => Ok(json!({"version": crate::VERSION})),
        Operation::ParseKey { key } => {
            let k = ApiKey::parse(&zeroize::Zeroizing::new(key))?;
            Ok(json!({"access_id": k.access_id(), "redacted": k.redacted()}))
        }
        Operation::LoadApiKey { config } => {
            Ok(loaded_json(&load_api_key(&config.load_options()?)?))
        }
        Operation::AuthHeaders { key, scheme } => {
            let k = ApiKey::parse(&zeroize::Zeroizing::new(key))?;
            let scheme: HeaderScheme = scheme.as_deref().unwrap_or("x-api-key").parse()?;
            let (name, value) = auth_header(&k, scheme);
            Ok(json!({ name: value }))
        }
        _ => Err(Error::config("this operation needs a client")),
    }
}

/// A loaded key as JSON, secret included (the binding wraps it in its own key type at once).
pub fn loaded_json(l: &LoadedKey) -> Value {
    json!({
        "key": l.key.expose_secret(),
        "access_id": l.key.access_id(),
        "redacted": l.key.redacted(),
        "source": l.source,
        "base_url": l.base_url,
        "warnings": l.warnings,
    })
}

/// Where a client's key came from, the redacted key, the base URL and loading warnings.
pub fn client_info(c: &Client) -> Value {
    json!({
        "source": c.key_source(),
        "redacted": c.api_key().redacted(),
        "base_url": c.base_url(),
        "header_scheme": c.header_scheme().as_str(),
        "warnings": c.warnings(),
    })
}

fn created_json(c: &CreatedApiKey) -> Value {
    json!({"api_key": c.api_key, "key": c.key.expose_secret()})
}

fn page_json<T: serde::Serialize>(p: &Page<T>) -> Value {
    json!({"items": p.items, "total": p.total, "limit": p.limit, "offset": p.offset, "next_offset": p.next_offset()})
}

fn record_json(r: &ApiKeyRecord) -> Value {
    json!({ "api_key": r })
}

async fn run(client: Option<&Client>, op: Operation) -> Result<Value> {
    if !op.needs_client() {
        return execute_static(op);
    }
    let c = client.ok_or_else(|| Error::config("this operation needs a client"))?;
    let keys = c.api_keys();
    let sas = c.service_accounts();
    Ok(match op {
        Operation::KeySource => client_info(c),
        Operation::Whoami => record_json(&c.whoami().await?),
        Operation::Request {
            method,
            path,
            query,
            json,
            idempotency_key,
            total_timeout,
        } => {
            let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
                .map_err(|_| Error::config(format!("invalid HTTP method '{method}'")))?;
            let query: Vec<(String, String)> = query
                .unwrap_or_default()
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| match v {
                    Value::String(s) => (k, s),
                    other => (k, other.to_string()),
                })
                .collect();
            let r = c
                .request(
                    method,
                    &path,
                    &query,
                    json.as_ref(),
                    RequestOptions {
                        idempotency_key,
                        total_timeout: total_timeout
                            .map(|t| secs("total_timeout", t))
                            .transpose()?,
                    },
                )
                .await?;
            let headers: serde_json::Map<String, Value> = r
                .headers
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            json!({"status": r.status, "headers": headers, "json": r.json})
        }
        Operation::ApiKeysCreate { params } => created_json(&keys.create(&params).await?),
        Operation::ApiKeysList { params } => page_json(&keys.list(&params).await?),
        Operation::ApiKeysGet { id } => record_json(&keys.get(&id).await?),
        Operation::ApiKeysUpdate { id, params } => record_json(&keys.update(&id, &params).await?),
        Operation::ApiKeysDeactivate { id } => record_json(&keys.deactivate(&id).await?),
        Operation::ApiKeysActivate { id } => record_json(&keys.activate(&id).await?),
        Operation::ApiKeysRevoke { id } => record_json(&keys.revoke(&id).await?),
        Operation::ApiKeysDelete { id } => {
            keys.delete(&id).await?;
            Value::Null
        }
        Operation::ApiKeysRotate { id, params } => {
            let r = keys.rotate(&id, &params).await?;
            json!({"api_key": r.api_key, "key": r.key.expose_secret(), "previous": r.previous})
        }
        Operation::ApiKeysRotateFile {
            id,
            path,
            grace_period_seconds,
        } => {
            let report = c
                .rotate_key_file(&RotateKeyFile {
                    id,
                    path,
                    grace: Duration::from_secs(grace_period_seconds.unwrap_or(0)),
                })
                .await?;
            serde_json::to_value(report).unwrap_or(Value::Null)
        }
        Operation::ServiceAccountsCreate { params } => {
            let r = sas.create(&params).await?;
            json!({"service_account": r.service_account, "api_key": r.api_key, "key": r.key.expose_secret()})
        }
        Operation::ServiceAccountsList { params } => page_json(&sas.list(&params).await?),
        Operation::ServiceAccountsGet { id } => json!({"service_account": sas.get(&id).await?}),
        Operation::ServiceAccountsUpdate { id, params } => {
            json!({"service_account": sas.update(&id, &params).await?})
        }
        Operation::ServiceAccountsDelete { id } => {
            sas.delete(&id).await?;
            Value::Null
        }
        Operation::ServiceAccountsCreateKey { id, params } => {
            created_json(&sas.create_key(&id, &params).await?)
        }
        Operation::ServiceAccountsListKeys { id, params } => {
            page_json(&sas.list_keys(&id, &params).await?)
        }
        Operation::Version
        | Operation::ParseKey { .. }
        | Operation::LoadApiKey { .. }
        | Operation::AuthHeaders { .. } => execute_static(op)?,
    })
}
