//! Every SDK operation as data: a JSON request in, a JSON answer out.
//!
//! This is the one surface the language bindings call (the C ABI passes it through as text;
//! Python and Node convert to and from their own objects), so each operation is written once,
//! here. The Rust API in the rest of the crate is the typed form of the same calls.
//!
//! Plumbing for the bindings, not part of the documented public API: it has no stability
//! promise and may change in any release. Rust programs use the typed API.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
pub use tokio_util::sync::CancellationToken;

use crate::client::{Client, ClientBuilder, RequestOptions, RetryPolicy};
use crate::error::{redact_keys_in, Error, Result};
use crate::headers::{auth_header, HeaderScheme};
use crate::key::ApiKey;
use crate::load::{load_api_key, Env, LoadOptions, LoadedKey};
use crate::models::{
    ApiKeyRecord, CreateApiKey, CreateServiceAccount, CreatedApiKey, ListApiKeys, Page, PageParams,
    RotateApiKey, UpdateApiKey, UpdateServiceAccount,
};
use crate::rotate::RotateKeyFile;

/// Client and loader options, as every binding accepts them (README.md, "Configuration").
/// `Debug` redacts the key and shows only the names of `env_vars`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub api_key: Option<String>,
    pub api_key_file: Option<PathBuf>,
    pub profile: Option<String>,
    pub base_url: Option<String>,
    /// `x-api-key` (default), `api-key` or `authorization`.
    pub header_scheme: Option<String>,
    /// Whole-request timeout, seconds.
    pub timeout: Option<f64>,
    /// Connect timeout, seconds.
    pub connect_timeout: Option<f64>,
    pub max_retries: Option<u32>,
    /// A bound on each whole call, retries and waits included, seconds (default none).
    pub total_timeout: Option<f64>,
    /// First backoff step, seconds (default 0.5).
    pub retry_base_delay: Option<f64>,
    /// Longest backoff, seconds (default 8).
    pub retry_max_delay: Option<f64>,
    /// `false`: read no environment variables and no well-known files.
    pub env: Option<bool>,
    /// An isolated environment to read instead of the process's.
    pub env_vars: Option<HashMap<String, String>>,
    /// The credentials file (default `~/.noorle/credentials`).
    pub credentials_file: Option<PathBuf>,
    /// The Docker secret file (default `/run/secrets/noorle_api_key`).
    pub docker_secret: Option<PathBuf>,
    /// How often a key file is checked for changes, seconds (default 0.25).
    pub reload_interval: Option<f64>,
    /// The binding's language, for the `User-Agent` (e.g. `python/3.11.7`).
    pub sdk_language: Option<String>,
}

fn secs(name: &str, v: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        Error::config(format!(
            "{name} must be a non-negative number of seconds, got {v}"
        ))
    })
}

/// A secret string for `Debug`: the redacted key when it is one, else nothing of it.
/// A value's `Debug` with anything key-shaped redacted: the caller's parameters may hold a key
/// pasted into a name, a description or a path.
struct RedactedDebug<'a, T: ?Sized>(&'a T);

impl<T: std::fmt::Debug + ?Sized> std::fmt::Debug for RedactedDebug<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_keys_in(&format!("{:?}", self.0)))
    }
}

fn secret_debug(s: &str) -> String {
    ApiKey::parse_loaded(s).map_or_else(|_| "<redacted>".to_owned(), |k| k.redacted())
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_key", &self.api_key.as_deref().map(secret_debug))
            // A key pasted into the wrong field still never shows.
            .field(
                "api_key_file",
                &self
                    .api_key_file
                    .as_ref()
                    .map(|p| redact_keys_in(&p.to_string_lossy())),
            )
            .field("profile", &self.profile.as_deref().map(redact_keys_in))
            .field("base_url", &self.base_url.as_deref().map(redact_keys_in))
            .field(
                "header_scheme",
                &self.header_scheme.as_deref().map(redact_keys_in),
            )
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_retries", &self.max_retries)
            .field("total_timeout", &self.total_timeout)
            .field("retry_base_delay", &self.retry_base_delay)
            .field("retry_max_delay", &self.retry_max_delay)
            .field("env", &self.env)
            // Values may be secrets: only the names.
            .field(
                "env_vars",
                &self.env_vars.as_ref().map(|m| m.keys().collect::<Vec<_>>()),
            )
            .field("credentials_file", &self.credentials_file)
            .field("docker_secret", &self.docker_secret)
            .field("reload_interval", &self.reload_interval)
            .field("sdk_language", &self.sdk_language)
            .finish()
    }
}

impl ClientConfig {
    /// Parses settings from JSON text; unknown fields are an error (a typo must not be ignored).
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            Error::config(format!(
                "invalid client configuration: {}",
                redact_keys_in(&e.to_string())
            ))
        })
    }

    /// The loader options these settings describe.
    pub fn load_options(&self) -> Result<LoadOptions> {
        let mut o = LoadOptions::default();
        if let Some(raw) = &self.api_key {
            o.api_key = Some(ApiKey::parse(raw).map_err(|error| Error::InvalidApiKey {
                error,
                origin: Some("the api_key option".into()),
            })?);
        }
        o.api_key_file.clone_from(&self.api_key_file);
        o.profile.clone_from(&self.profile);
        if let Some(vars) = &self.env_vars {
            o.env = Env::Map(vars.clone());
        }
        if self.env == Some(false) {
            o.env = Env::Empty;
            o.docker_secret = None;
        }
        if self.credentials_file.is_some() {
            o.credentials_file.clone_from(&self.credentials_file);
        }
        if self.docker_secret.is_some() {
            o.docker_secret.clone_from(&self.docker_secret);
        }
        Ok(o)
    }

    /// The client these settings describe.
    pub fn builder(&self) -> Result<ClientBuilder> {
        let mut b = Client::builder().load_options(self.load_options()?);
        if let Some(u) = &self.base_url {
            b = b.base_url(u.clone());
        }
        if let Some(s) = &self.header_scheme {
            b = b.header_scheme(s.parse()?);
        }
        if let Some(t) = self.timeout {
            b = b.timeout(secs("timeout", t)?);
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(secs("connect_timeout", t)?);
        }
        if let Some(t) = self.total_timeout {
            b = b.total_timeout(secs("total_timeout", t)?);
        }
        let mut retry = RetryPolicy::default();
        if let Some(n) = self.max_retries {
            retry.max_retries = n;
        }
        if let Some(d) = self.retry_base_delay {
            retry.base_delay = secs("retry_base_delay", d)?;
        }
        if let Some(d) = self.retry_max_delay {
            retry.max_delay = secs("retry_max_delay", d)?;
        }
        b = b.retry_policy(retry);
        if let Some(d) = self.reload_interval {
            b = b.reload_interval(secs("reload_interval", d)?);
        }
        if let Some(l) = &self.sdk_language {
            b = b.sdk_language(l.clone());
        }
        Ok(b)
    }

    /// Builds the client.
    pub fn build(&self) -> Result<Client> {
        self.builder()?.build()
    }
}

/// One operation. Serialised with `"op"` naming it, e.g.
/// `{"op": "api_keys.create", "name": "ci", "permissions": ["read"]}`. `Debug` never shows a key.
#[derive(Clone, Deserialize)]
#[serde(tag = "op")]
pub enum Operation {
    // Operations that need no client.
    #[serde(rename = "version")]
    Version,
    #[serde(rename = "parse_key")]
    ParseKey { key: String },
    #[serde(rename = "load_api_key")]
    LoadApiKey {
        #[serde(default)]
        config: ClientConfig,
    },
    #[serde(rename = "auth_headers")]
    AuthHeaders { key: String, scheme: Option<String> },

    // Operations on a client.
    #[serde(rename = "key_source")]
    KeySource,
    #[serde(rename = "whoami")]
    Whoami,
    #[serde(rename = "request")]
    Request {
        method: String,
        path: String,
        #[serde(default)]
        query: Option<HashMap<String, Value>>,
        #[serde(default)]
        json: Option<Value>,
        #[serde(default)]
        idempotency_key: Option<String>,
        /// A bound on this whole call, seconds (overrides the client's `total_timeout`).
        #[serde(default)]
        total_timeout: Option<f64>,
    },
    #[serde(rename = "api_keys.create")]
    ApiKeysCreate {
        #[serde(flatten)]
        params: CreateApiKey,
    },
    #[serde(rename = "api_keys.list")]
    ApiKeysList {
        #[serde(flatten)]
        params: ListApiKeys,
    },
    #[serde(rename = "api_keys.get")]
    ApiKeysGet { id: String },
    #[serde(rename = "api_keys.update")]
    ApiKeysUpdate {
        id: String,
        #[serde(flatten)]
        params: UpdateApiKey,
    },
    #[serde(rename = "api_keys.deactivate")]
    ApiKeysDeactivate { id: String },
    #[serde(rename = "api_keys.activate")]
    ApiKeysActivate { id: String },
    #[serde(rename = "api_keys.revoke")]
    ApiKeysRevoke { id: String },
    #[serde(rename = "api_keys.delete")]
    ApiKeysDelete { id: String },
    #[serde(rename = "api_keys.rotate")]
    ApiKeysRotate {
        id: String,
        #[serde(flatten)]
        params: RotateApiKey,
    },
    #[serde(rename = "api_keys.rotate_file")]
    ApiKeysRotateFile {
        id: Option<String>,
        path: PathBuf,
        grace_period_seconds: Option<u64>,
    },
    #[serde(rename = "service_accounts.create")]
    ServiceAccountsCreate {
        #[serde(flatten)]
        params: CreateServiceAccount,
    },
    #[serde(rename = "service_accounts.list")]
    ServiceAccountsList {
        #[serde(flatten)]
        params: PageParams,
    },
    #[serde(rename = "service_accounts.get")]
    ServiceAccountsGet { id: String },
    #[serde(rename = "service_accounts.update")]
    ServiceAccountsUpdate {
        id: String,
        #[serde(flatten)]
        params: UpdateServiceAccount,
    },
    #[serde(rename = "service_accounts.delete")]
    ServiceAccountsDelete { id: String },
    #[serde(rename = "service_accounts.create_key")]
    ServiceAccountsCreateKey {
        id: String,
        #[serde(flatten)]
        params: CreateApiKey,
    },
    #[serde(rename = "service_accounts.list_keys")]
    ServiceAccountsListKeys {
        id: String,
        #[serde(flatten)]
        params: PageParams,
    },
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        type Op = Operation;
        match self {
            Op::Version => f.write_str("Version"),
            Op::KeySource => f.write_str("KeySource"),
            Op::Whoami => f.write_str("Whoami"),
            Op::ParseKey { key } => f
                .debug_struct("ParseKey")
                .field("key", &secret_debug(key))
                .finish(),
            Op::AuthHeaders { key, scheme } => f
                .debug_struct("AuthHeaders")
                .field("key", &secret_debug(key))
                .field("scheme", &scheme.as_deref().map(redact_keys_in))
                .finish(),
            Op::LoadApiKey { config } => f
                .debug_struct("LoadApiKey")
                .field("config", config)
                .finish(),
            // A request's path, query and body are the caller's: shown with keys redacted.
            Op::Request {
                method,
                path,
                query,
                json,
                idempotency_key,
                total_timeout,
            } => f
                .debug_struct("Request")
                .field("method", method)
                .field("path", &redact_keys_in(path))
                .field(
                    "query",
                    &query.as_ref().map(|q| redact_keys_in(&format!("{q:?}"))),
                )
                .field(
                    "json",
                    &json.as_ref().map(|j| redact_keys_in(&j.to_string())),
                )
                .field("idempotency_key", &RedactedDebug(idempotency_key))
                .field("total_timeout", total_timeout)
                .finish(),
            Op::ApiKeysCreate { params } => f
                .debug_struct("ApiKeysCreate")
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ApiKeysList { params } => f
                .debug_struct("ApiKeysList")
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ApiKeysUpdate { id, params } => f
                .debug_struct("ApiKeysUpdate")
                .field("id", &redact_keys_in(id))
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ApiKeysRotate { id, params } => f
                .debug_struct("ApiKeysRotate")
                .field("id", &redact_keys_in(id))
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ApiKeysRotateFile {
                id,
                path,
                grace_period_seconds,
            } => f
                .debug_struct("ApiKeysRotateFile")
                .field("id", &id.as_deref().map(redact_keys_in))
                .field("path", &RedactedDebug(path))
                .field("grace_period_seconds", grace_period_seconds)
                .finish(),
            Op::ServiceAccountsCreate { params } => f
                .debug_struct("ServiceAccountsCreate")
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ServiceAccountsList { params } => f
                .debug_struct("ServiceAccountsList")
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ServiceAccountsUpdate { id, params } => f
                .debug_struct("ServiceAccountsUpdate")
                .field("id", &redact_keys_in(id))
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ServiceAccountsCreateKey { id, params } => f
                .debug_struct("ServiceAccountsCreateKey")
                .field("id", &redact_keys_in(id))
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ServiceAccountsListKeys { id, params } => f
                .debug_struct("ServiceAccountsListKeys")
                .field("id", &redact_keys_in(id))
                .field("params", &RedactedDebug(params))
                .finish(),
            Op::ApiKeysGet { id }
            | Op::ApiKeysDeactivate { id }
            | Op::ApiKeysActivate { id }
            | Op::ApiKeysRevoke { id }
            | Op::ApiKeysDelete { id }
            | Op::ServiceAccountsGet { id }
            | Op::ServiceAccountsDelete { id } => {
                let name = match self {
                    Op::ApiKeysGet { .. } => "ApiKeysGet",
                    Op::ApiKeysDeactivate { .. } => "ApiKeysDeactivate",
                    Op::ApiKeysActivate { .. } => "ApiKeysActivate",
                    Op::ApiKeysRevoke { .. } => "ApiKeysRevoke",
                    Op::ApiKeysDelete { .. } => "ApiKeysDelete",
                    Op::ServiceAccountsGet { .. } => "ServiceAccountsGet",
                    _ => "ServiceAccountsDelete",
                };
                f.debug_struct(name)
                    .field("id", &redact_keys_in(id))
                    .finish()
            }
        }
    }
}

impl Operation {
    /// Parses an operation from JSON text, with an error that names what is wrong.
    pub fn from_json(text: &str) -> Result<Self> {
        // serde quotes rejected values, which could be a key: redact them.
        serde_json::from_str(text).map_err(|e| {
            Error::config(format!(
                "invalid operation: {}",
                redact_keys_in(&e.to_string())
            ))
        })
    }

    /// Whether this operation needs a client.
    pub fn needs_client(&self) -> bool {
        !matches!(
            self,
            Self::Version
                | Self::ParseKey { .. }
                | Self::LoadApiKey { .. }
                | Self::AuthHeaders { .. }
        )
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

    #[test]
    fn debug_never_shows_a_key() {
        let config = ClientConfig::from_json(
            &json!({"api_key": KEY, "header_scheme": KEY,
                    "env_vars": {"NOORLE_API_KEY": KEY}})
            .to_string(),
        )
        .unwrap();
        let ops = [
            json!({"op": "parse_key", "key": KEY}),
            json!({"op": "parse_key", "key": "not-a-key-but-secret-s9t0"}),
            json!({"op": "auth_headers", "key": KEY, "scheme": "x-api-key"}),
            json!({"op": "load_api_key", "config": {"api_key": KEY}}),
            json!({"op": "request", "method": "GET", "path": format!("/x/{KEY}"),
                   "json": {"k": KEY}}),
            json!({"op": "api_keys.get", "id": KEY}),
            // A key pasted into a parameter, and one joined to other text.
            json!({"op": "api_keys.create", "name": format!("x{KEY}"), "permissions": ["read"]}),
            json!({"op": "service_accounts.create", "name": "n", "description": KEY}),
            json!({"op": "api_keys.rotate_file", "path": format!("/k/{KEY}")}),
        ];
        let mut shown = format!("{config:?}");
        for op in ops {
            shown.push_str(&format!(
                "{:?}",
                Operation::from_json(&op.to_string()).unwrap()
            ));
        }
        assert!(
            shown.contains("ApiKeysGet") && shown.contains("NOORLE_API_KEY"),
            "{shown}"
        );
        assert!(!shown.contains("s9t0"), "{shown}");
    }
}
