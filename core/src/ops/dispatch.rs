//! Running an [`Operation`]: on a client or without one, cancellable, with the answers as JSON.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use super::config::{secs, CallOptions};
use super::operation::{Op, Operation, CLIENT_OPERATIONS, OPERATIONS};
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
    execute_answer(client, op, cancel)
        .await
        .map(Answer::into_value)
}

/// [`execute`], with the answer as [`Answer`]: for a caller that writes it out as JSON text.
pub async fn execute_answer(
    client: Option<&Client>,
    op: Operation,
    cancel: Option<&CancellationToken>,
) -> Result<Answer> {
    match cancel {
        Some(token) => tokio::select! {
            biased;
            () = token.cancelled() => Err(Error::Cancelled),
            r = run(client, op) => r,
        },
        None => run(client, op).await,
    }
}

/// An operation's answer. The operations answering `{"api_key": <record>}` (the hot ones:
/// whoami, get) keep the typed record, so serialising the answer writes the record straight to
/// text instead of building a `Value` tree first (one allocation per field and key, a map).
/// Both forms serialise to the same JSON object (the record's fields in another order).
#[derive(Debug)]
pub enum Answer {
    Value(Value),
    KeyRecord(Box<ApiKeyRecord>),
}

impl Answer {
    /// The answer as a `Value` (what [`execute`] returns).
    pub fn into_value(self) -> Value {
        match self {
            Answer::Value(v) => v,
            Answer::KeyRecord(r) => record_json(&r),
        }
    }
}

impl serde::Serialize for Answer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Answer::Value(v) => v.serialize(s),
            Answer::KeyRecord(r) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("api_key", r)?;
                m.end()
            }
        }
    }
}

/// Runs an operation that needs no client, without a runtime.
pub fn execute_static(op: Operation) -> Result<Value> {
    // Options are checked even where no call uses them: a bad value is never ignored.
    op.options
        .as_ref()
        .map(CallOptions::request_options)
        .transpose()?;
    run_static(op.op)
}

fn run_static(op: Op) -> Result<Value> {
    match op {
        Op::Version => Ok(json!({"version": crate::VERSION})),
        Op::Operations => Ok(json!({
            "operations": OPERATIONS,
            "client_operations": CLIENT_OPERATIONS,
        })),
        Op::ParseKey { key } => {
            let k = ApiKey::parse(&zeroize::Zeroizing::new(key))?;
            Ok(json!({"access_id": k.access_id(), "redacted": k.redacted()}))
        }
        Op::LoadApiKey { config } => Ok(loaded_json(&load_api_key(&config.load_options()?)?)),
        Op::AuthHeaders { key, scheme } => {
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
        "display": l.source.to_string(),
        "base_url": l.base_url,
        "warnings": l.warnings,
    })
}

/// Where a client's key came from, the redacted key, the base URL and loading warnings.
pub fn client_info(c: &Client) -> Value {
    json!({
        "source": c.key_source(),
        "display": c.key_source().to_string(),
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

async fn run(client: Option<&Client>, operation: Operation) -> Result<Answer> {
    let opts = operation
        .options
        .as_ref()
        .map(CallOptions::request_options)
        .transpose()?;
    let op = operation.op;
    if !op.needs_client() {
        return run_static(op).map(Answer::Value);
    }
    let c = client.ok_or_else(|| Error::config("this operation needs a client"))?;
    // The call's options apply to every request it makes (a rotation makes several).
    let view;
    let c = match opts {
        Some(o) => {
            view = c.with_options(o);
            &view
        }
        None => c,
    };
    let keys = c.api_keys();
    let record = match op {
        Op::Whoami => c.whoami().await?,
        Op::ApiKeysGet { id } => keys.get(&id).await?,
        Op::ApiKeysUpdate { id, params } => keys.update(&id, &params).await?,
        Op::ApiKeysDeactivate { id } => keys.deactivate(&id).await?,
        Op::ApiKeysActivate { id } => keys.activate(&id).await?,
        Op::ApiKeysRevoke { id } => keys.revoke(&id).await?,
        // Boxed: the other operations' futures (a rotation's, a page's) are several times the
        // size of a record call's, and every call's task would otherwise be that large (moved
        // at spawn and on completion, allocated outside the allocator's small-size caches).
        other => return Box::pin(run_value(c, other)).await.map(Answer::Value),
    };
    Ok(Answer::KeyRecord(Box::new(record)))
}

/// The operations answered with a `Value`.
async fn run_value(c: &Client, op: Op) -> Result<Value> {
    let keys = c.api_keys();
    let sas = c.service_accounts();
    Ok(match op {
        Op::KeySource => client_info(c),
        // Answered by `run` with their typed record.
        Op::Whoami
        | Op::ApiKeysGet { .. }
        | Op::ApiKeysUpdate { .. }
        | Op::ApiKeysDeactivate { .. }
        | Op::ApiKeysActivate { .. }
        | Op::ApiKeysRevoke { .. } => {
            return Err(Error::Internal(
                "a record operation reached the value dispatcher".into(),
            ))
        }
        Op::Request {
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
                        ..RequestOptions::default()
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
        Op::ApiKeysCreate { params } => created_json(&keys.create(&params).await?),
        Op::ApiKeysList { params } => page_json(&keys.list(&params).await?),
        Op::ApiKeysDelete { id } => {
            keys.delete(&id).await?;
            Value::Null
        }
        Op::ApiKeysRotate { id, params } => {
            let r = keys.rotate(&id, &params).await?;
            json!({"api_key": r.api_key, "key": r.key.expose_secret(), "previous": r.previous})
        }
        Op::ApiKeysRotateFile {
            id,
            path,
            grace_period_seconds,
            if_older_than,
        } => {
            let report = c
                .rotate_key_file(&RotateKeyFile {
                    id,
                    path,
                    grace: Duration::from_secs(grace_period_seconds.unwrap_or(0)),
                    if_older_than: if_older_than
                        .map(|v| secs("if_older_than", v))
                        .transpose()?,
                })
                .await?;
            serde_json::to_value(report).unwrap_or(Value::Null)
        }
        Op::ServiceAccountsCreate { params } => {
            let r = sas.create(&params).await?;
            json!({"service_account": r.service_account, "api_key": r.api_key, "key": r.key.expose_secret()})
        }
        Op::ServiceAccountsList { params } => page_json(&sas.list(&params).await?),
        Op::ServiceAccountsGet { id } => json!({"service_account": sas.get(&id).await?}),
        Op::ServiceAccountsUpdate { id, params } => {
            json!({"service_account": sas.update(&id, &params).await?})
        }
        Op::ServiceAccountsDelete { id } => {
            sas.delete(&id).await?;
            Value::Null
        }
        Op::ServiceAccountsCreateKey { id, params } => {
            created_json(&sas.create_key(&id, &params).await?)
        }
        Op::ServiceAccountsListKeys { id, params } => {
            page_json(&sas.list_keys(&id, &params).await?)
        }
        Op::Version
        | Op::Operations
        | Op::ParseKey { .. }
        | Op::LoadApiKey { .. }
        | Op::AuthHeaders { .. } => run_static(op)?,
    })
}
