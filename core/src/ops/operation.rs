//! [`Operation`]: every operation as a JSON-tagged value, with a `Debug` that never shows a key.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use super::config::{secret_debug, CallOptions, ClientConfig};
use crate::error::{redact_keys_in, Error, Result};
use crate::models::{
    CreateApiKey, CreateServiceAccount, ListApiKeys, PageParams, RotateApiKey, UpdateApiKey,
    UpdateServiceAccount,
};
use crate::redact::{debug_redacted, RedactedDebug};

/// Defines [`Op`] and [`OPERATIONS`] from one table, so the list of names cannot drift from
/// what the dispatcher accepts.
macro_rules! operations {
    (
        static { $( $sname:tt => $svariant:ident $({ $($sbody:tt)* })? ),* $(,)? }
        client { $( $cname:tt => $cvariant:ident $({ $($cbody:tt)* })? ),* $(,)? }
    ) => {
        /// One operation, tagged by `"op"`, e.g.
        /// `{"op": "api_keys.create", "name": "ci", "permissions": ["read"]}`. `Debug` never
        /// shows a key.
        #[derive(Clone, Deserialize)]
        #[serde(tag = "op")]
        pub enum Op {
            $( #[serde(rename = $sname)] $svariant $({ $($sbody)* })?, )*
            $( #[serde(rename = $cname)] $cvariant $({ $($cbody)* })?, )*
        }

        /// The name of every operation the dispatcher accepts.
        pub const OPERATIONS: &[&str] = &[$($sname,)* $($cname,)*];

        /// The operations that run on a client.
        pub const CLIENT_OPERATIONS: &[&str] = &[$($cname,)*];

        impl Op {
            /// Whether this operation needs a client.
            pub fn needs_client(&self) -> bool {
                !matches!(self, $(Self::$svariant { .. })|*)
            }
        }
    };
}

operations! {
    static {
        "version" => Version,
        "operations" => Operations,
        "parse_key" => ParseKey { key: String },
        "load_api_key" => LoadApiKey {
            // Boxed: the configuration is by far the largest operation.
            #[serde(default)]
            config: Box<ClientConfig>,
        },
        "auth_headers" => AuthHeaders { key: String, scheme: Option<String> },
    }
    client {
        "key_source" => KeySource,
        "whoami" => Whoami,
        "request" => Request {
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
        "api_keys.create" => ApiKeysCreate {
            #[serde(flatten)]
            params: CreateApiKey,
        },
        "api_keys.list" => ApiKeysList {
            #[serde(flatten)]
            params: ListApiKeys,
        },
        "api_keys.get" => ApiKeysGet { id: String },
        "api_keys.update" => ApiKeysUpdate {
            id: String,
            #[serde(flatten)]
            params: UpdateApiKey,
        },
        "api_keys.deactivate" => ApiKeysDeactivate { id: String },
        "api_keys.activate" => ApiKeysActivate { id: String },
        "api_keys.revoke" => ApiKeysRevoke { id: String },
        "api_keys.delete" => ApiKeysDelete { id: String },
        "api_keys.rotate" => ApiKeysRotate {
            id: String,
            #[serde(flatten)]
            params: RotateApiKey,
        },
        "api_keys.rotate_file" => ApiKeysRotateFile {
            id: Option<String>,
            path: PathBuf,
            grace_period_seconds: Option<u64>,
            /// Seconds: rotate only a key at least this old.
            if_older_than: Option<f64>,
        },
        "service_accounts.create" => ServiceAccountsCreate {
            #[serde(flatten)]
            params: CreateServiceAccount,
        },
        "service_accounts.list" => ServiceAccountsList {
            #[serde(flatten)]
            params: PageParams,
        },
        "service_accounts.get" => ServiceAccountsGet { id: String },
        "service_accounts.update" => ServiceAccountsUpdate {
            id: String,
            #[serde(flatten)]
            params: UpdateServiceAccount,
        },
        "service_accounts.delete" => ServiceAccountsDelete { id: String },
        "service_accounts.create_key" => ServiceAccountsCreateKey {
            id: String,
            #[serde(flatten)]
            params: CreateApiKey,
        },
        "service_accounts.list_keys" => ServiceAccountsListKeys {
            id: String,
            #[serde(flatten)]
            params: PageParams,
        },
    }
}

/// An operation as the bindings send it: the [`Op`] and, beside its fields, optional per-call
/// `"options"` (client operations only; see [`CallOptions`]).
#[derive(Clone, Deserialize)]
pub struct Operation {
    #[serde(flatten)]
    pub op: Op,
    #[serde(default)]
    pub options: Option<CallOptions>,
}

impl From<Op> for Operation {
    fn from(op: Op) -> Self {
        Self { op, options: None }
    }
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Each field redacts itself; the whole is redacted again, so a field added later without
        // its own redaction still never shows a key.
        debug_redacted(f, |f| {
            f.debug_struct("Operation")
                .field("op", &self.op)
                .field("options", &self.options)
                .finish()
        })
    }
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Version => f.write_str("Version"),
            Op::Operations => f.write_str("Operations"),
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
                if_older_than,
            } => f
                .debug_struct("ApiKeysRotateFile")
                .field("id", &id.as_deref().map(redact_keys_in))
                .field("path", &RedactedDebug(path))
                .field("grace_period_seconds", grace_period_seconds)
                .field("if_older_than", if_older_than)
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
        self.op.needs_client()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

    #[test]
    fn debug_never_shows_a_key() {
        // A key pasted into every field that takes text.
        let config = ClientConfig::from_json(
            &json!({"api_key": KEY, "header_scheme": KEY, "api_key_file": format!("/k/{KEY}"),
                    "api_key_command": [KEY], "profile": KEY, "base_url": KEY,
                    "credentials_file": KEY, "docker_secret": KEY, "sdk_language": format!("x\\{KEY}"),
                    "env_vars": {"NOORLE_API_KEY": KEY, KEY: "v"}})
            .to_string(),
        )
        .unwrap();
        let ops = [
            json!({"op": "parse_key", "key": KEY}),
            json!({"op": "parse_key", "key": "not-a-key-but-secret-s9t0"}),
            json!({"op": "auth_headers", "key": KEY, "scheme": "x-api-key"}),
            json!({"op": "load_api_key", "config": {"api_key": KEY}}),
            // A command's arguments may be secret: only the program is shown.
            json!({"op": "load_api_key", "config": {"api_key_command": ["vault", "-token=s9t0x", KEY]}}),
            json!({"op": "request", "method": "GET", "path": format!("/x/{KEY}"),
                   "json": {"k": KEY}}),
            json!({"op": "api_keys.get", "id": KEY}),
            // A key pasted into a parameter, and one joined to other text.
            json!({"op": "api_keys.create", "name": format!("x{KEY}"), "permissions": ["read"]}),
            json!({"op": "service_accounts.create", "name": "n", "description": KEY}),
            json!({"op": "api_keys.rotate_file", "path": format!("/k/{KEY}")}),
            json!({"op": "whoami", "options": {"idempotency_key": KEY, "timeout": 1.5}}),
        ];
        let mut shown = format!("{config:?}{config:#?}");
        for op in ops {
            shown.push_str(&format!(
                "{:?}",
                Operation::from_json(&op.to_string()).unwrap()
            ));
        }
        assert!(
            shown.contains("ApiKeysGet")
                && shown.contains("NOORLE_API_KEY")
                && shown.contains("1.5")
                && shown.contains("vault (+2 arguments)"),
            "{shown}"
        );
        assert!(!shown.contains("s9t0"), "{shown}");
    }
}
