//! The native half of the npm package `noorle`: a few functions over `noorle::ops`.
//!
//! Everything the SDK does lives in the core; this layer only converts JS values to the core's
//! JSON operations and back, and turns `noorle::Error` into a JS error carrying the core's
//! `ErrorInfo` (as `noorle`) so the JS layer can raise the matching `NoorleError` subclass.
//! Every export uses `catch_unwind`, and async work runs on the core's runtime under
//! `catch_unwind` too (`rt.rs`, which also settles the promises), so a Rust panic reaches JS as
//! an error, never as an abort.

/// The bindings' allocator: see `noorle::alloc` and docs/decisions.md, decision 11.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: noorle::alloc::Allocator = noorle::alloc::Allocator;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use noorle::ops::{self, CancellationToken, ClientConfig, Operation};
use noorle::ApiKey;
use serde_json::Value;
use zeroize::Zeroizing;

mod rt;

/// Installs the `NOORLE_LOG` subscriber once, when the addon loads.
#[napi_derive::module_init]
fn init() {
    noorle::logging::init_from_env();
}

/// Builds the JS error for a core error: message (already redacted by the core), `code`
/// `NOORLE_<KIND>`, and the whole `ErrorInfo` as `noorle`.
fn js_error(env: &Env, e: &noorle::Error) -> Error {
    let info = e.to_info();
    let build = || -> Result<Error> {
        let mut obj = env.create_error(Error::new(Status::GenericFailure, info.message.clone()))?;
        obj.set_named_property(
            "code",
            format!("NOORLE_{}", info.kind.as_str().to_ascii_uppercase()),
        )?;
        let v = serde_json::to_value(&info).unwrap_or(Value::Null);
        obj.set_named_property("noorle", v)?;
        Ok(Error::from(obj.to_unknown()))
    };
    build().unwrap_or_else(|err| err)
}

/// The JS value of a JSON answer. One `JSON.parse` of its text is much cheaper than building the
/// object through one N-API call per property, and gives the same object.
fn json_text_to_js(env: &Env, text: String) -> Result<Unknown<'_>> {
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let parse: Function<String, Unknown> = json.get_named_property("parse")?;
    parse.call(text)
}

// Operations and settings arrive as JSON text (`JSON.stringify` on the JS side): one string
// instead of an N-API call per property, and the core's parsers redact a key that serde quotes
// in its error. The text can hold a key, so Rust's copy is wiped when it drops.

/// Runs an operation that needs no client (`version`, `parse_key`, `load_api_key`,
/// `auth_headers`), synchronously.
#[napi(catch_unwind)]
pub fn execute_static(env: &Env, op: String) -> Result<Value> {
    Operation::from_json(&Zeroizing::new(op))
        .and_then(ops::execute_static)
        .map_err(|e| js_error(env, &e))
}

/// Replaces anything shaped like a whole key in `text` with its redacted form.
#[napi(catch_unwind)]
pub fn redact_keys_in(text: String) -> String {
    noorle::redact_keys_in(&text)
}

/// Panics on purpose, synchronously or inside a future: lets the tests check that a panic
/// becomes a `NoorleError` and never aborts the process. Only in builds with `test-hooks`.
#[cfg(feature = "test-hooks")]
#[napi(catch_unwind, ts_return_type = "Promise<void> | void")]
pub fn debug_panic(env: &Env, in_future: bool) -> Result<Unknown<'_>> {
    if !in_future {
        panic!("deliberate panic (sync) for the test suite");
    }
    rt::submit(env, async {
        panic!("deliberate panic (async) for the test suite");
    })
}

/// A parsed, validated key; the secret stays in the core's zeroizing storage.
#[napi]
pub struct NativeApiKey {
    key: ApiKey,
}

#[napi]
impl NativeApiKey {
    /// Parses strictly (no whitespace stripping), as `ApiKey.parse`.
    #[napi(factory, catch_unwind)]
    pub fn parse(env: &Env, input: String) -> Result<Self> {
        // The JS string's copy in Rust memory is wiped when it drops.
        let input = Zeroizing::new(input);
        ApiKey::parse(&input)
            .map(|key| Self { key })
            .map_err(|e| js_error(env, &e.into()))
    }

    #[napi(getter, catch_unwind)]
    pub fn access_id(&self) -> String {
        self.key.access_id().to_owned()
    }

    #[napi(catch_unwind)]
    pub fn redacted(&self) -> String {
        self.key.redacted()
    }

    #[napi(catch_unwind)]
    pub fn expose_secret(&self) -> String {
        self.key.expose_secret().to_owned()
    }

    /// Constant-time comparison (the core's `PartialEq`).
    #[napi(catch_unwind)]
    pub fn equals(&self, other: &NativeApiKey) -> bool {
        self.key == other.key
    }
}

/// One call's cancellation: the JS layer cancels it from an `AbortSignal`.
#[napi]
pub struct CancelToken {
    token: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            token: CancellationToken::new(),
        }
    }

    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.token.cancel();
    }

    #[napi(getter, catch_unwind)]
    pub fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// A core client; clones share its connection pool.
#[napi]
pub struct NativeClient {
    client: noorle::Client,
}

#[napi]
impl NativeClient {
    /// Builds the client from a `ClientConfig` object (snake_case keys, seconds): loads the key,
    /// never touches the network.
    #[napi(constructor, catch_unwind)]
    pub fn new(env: &Env, config: String) -> Result<Self> {
        let built = ClientConfig::from_json(&Zeroizing::new(config)).and_then(|mut c| {
            c.sdk_language
                .get_or_insert_with(|| format!("node/{}", node_version()));
            Ok(Self { client: c.build()? })
        });
        built.map_err(|e| js_error(env, &e))
    }

    /// Runs one operation (`{"op": "whoami"}`, `{"op": "api_keys.create", ...}`, as JSON text);
    /// resolves to its JSON answer, rejects with the core's error. `token` cancels it.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn execute<'env>(
        &self,
        env: &'env Env,
        op: String,
        token: Option<&CancelToken>,
    ) -> Result<Unknown<'env>> {
        let client = self.client.clone();
        let token = token.map(|t| t.token.clone());
        let op = Operation::from_json(&Zeroizing::new(op)).map_err(|e| js_error(env, &e))?;
        rt::submit(env, async move {
            // The typed answers (whoami, get) are written straight to text, without a `Value`.
            let answer = ops::execute_answer(Some(&client), op, token.as_ref()).await?;
            serde_json::to_string(&answer)
                .map_err(|e| noorle::Error::Internal(format!("cannot encode the answer: {e}")))
        })
    }

    /// Where the key came from, the redacted key, the base URL and loading warnings.
    #[napi(catch_unwind)]
    pub fn key_source(&self) -> Value {
        ops::client_info(&self.client)
    }

    /// The header for the key the next request would send (re-read from its file if it changed),
    /// for the `fetch` helper.
    #[napi(catch_unwind)]
    pub fn auth_headers(&self) -> Value {
        let (name, value) =
            noorle::auth_header(&self.client.api_key(), self.client.header_scheme());
        serde_json::json!({ name: value })
    }

    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.client.base_url().to_owned()
    }
}

fn node_version() -> String {
    // The JS layer passes `sdk_language` with the exact version; this is only a fallback.
    "unknown".to_owned()
}
