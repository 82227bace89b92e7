//! # noorle
//!
//! The Noorle API-key SDK: parse and validate keys, load them from the environment, secret files
//! and profiles, attach them to requests, and manage keys and service accounts through the API,
//! with retries, timeouts and typed errors.
//!
//! ```no_run
//! # async fn demo() -> noorle::Result<()> {
//! let client = noorle::Client::builder().build()?; // key from NOORLE_API_KEY, files or profile
//! let me = client.whoami().await?;
//! println!("calling as {} ({})", me.name, me.id);
//! # Ok(()) }
//! ```
//!
//! The Python, Node, C and Go packages are thin layers over this crate.
//!
//! ## Cargo features
//!
//! - `log-env` (off by default): [`logging`], a stderr `tracing` subscriber filtered by
//!   `NOORLE_LOG`, for programs that have no subscriber of their own (the CLI and the bindings
//!   turn it on). Without it the SDK only emits `tracing` events; the application decides where
//!   they go.
//!
//! ## TLS
//!
//! HTTPS uses rustls with the *ring* provider and the platform's certificate verifier, given to
//! each client directly: the SDK never installs a process-wide rustls provider, so an
//! application is free to install its own, before or after building a client.
//!
//! ## Stability
//!
//! Records and options that may gain fields, and enums that may gain variants, are
//! `#[non_exhaustive]`: build options with their constructors and setters (or `Default` plus
//! field assignment), and keep a wildcard arm when matching. The `ops` and `runtime` modules are
//! plumbing for the language bindings, hidden from these docs and without a stability promise.

#[cfg(feature = "mimalloc")]
pub mod alloc;
pub mod blocking;
mod client;
mod error;
mod filelock;
mod headers;
mod key;
mod load;
#[cfg(feature = "log-env")]
pub mod logging;
pub mod models;
#[doc(hidden)]
pub mod ops;
mod redact;
mod rotate;
#[doc(hidden)]
pub mod runtime;
pub mod scan;
mod timestamp;
mod tls;

pub use client::{
    ApiKeys, Client, ClientBuilder, RequestOptions, RetryPolicy, ServiceAccounts, DEFAULT_BASE_URL,
    MAX_SERVER_WAIT, VERSION,
};
pub use error::{
    redact_keys_in, redact_value, ApiError, CredentialsNotFound, Error, ErrorInfo, ErrorKind,
    Result,
};
pub use headers::{auth_header, auth_headers, HeaderScheme};
pub use key::{ApiKey, InvalidApiKey, InvalidKeyCode};
pub use load::{
    credentials_path, load_api_key, locate_api_key, read_key_file, write_key_file, write_profile,
    Env, KeySource, LoadOptions, LoadedKey, SourceKind, DEFAULT_COMMAND_TIMEOUT,
    DOCKER_SECRET_PATH, ENV_API_KEY, ENV_API_KEY_COMMAND, ENV_API_KEY_FILE, ENV_BASE_URL,
    ENV_CREDENTIALS_DIRECTORY, ENV_PROFILE, MAX_COMMAND_OUTPUT_BYTES, MAX_CREDENTIALS_FILE_BYTES,
    MAX_KEY_FILE_BYTES, SECRET_FILE_NAME,
};
pub use reqwest::Method;
pub use rotate::{RotateKeyFile, RotationReport, MAX_GRACE};
pub use timestamp::{ParseTimestampError, Timestamp};
