//! Every SDK operation as data: a JSON request in, a JSON answer out.
//!
//! This is the one surface the language bindings call (the C ABI passes it through as text;
//! Python and Node convert to and from their own objects), so each operation is written once,
//! here. The Rust API in the rest of the crate is the typed form of the same calls.
//!
//! Plumbing for the bindings, not part of the documented public API: it has no stability
//! promise and may change in any release. Rust programs use the typed API.

mod config;
mod dispatch;
mod operation;

pub use tokio_util::sync::CancellationToken;

pub use config::{CallOptions, ClientConfig};
pub use dispatch::{client_info, execute, execute_answer, execute_static, loaded_json, Answer};
pub use operation::{Op, Operation, CLIENT_OPERATIONS, OPERATIONS};
