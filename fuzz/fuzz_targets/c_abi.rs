//! The C ABI entry points, called as C would: any text as an operation (without a client, with
//! a client whose server is a closed local port, blocking, submitted, and cancelled) and as a
//! client configuration. Every answer must be an envelope, never an internal error, never NULL.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use noorle::ops::{Op, Operation};
use noorle_fuzz::{sandbox, Secrets};
use serde_json::Value;

// The library itself, compiled into the target (its crate builds no Rust library to link).
#[allow(dead_code, unused_imports, unsafe_op_in_unsafe_fn, clippy::all)]
#[path = "../../bindings-c/src/lib.rs"]
mod ffi;

// Nothing listens on the discard port: calls fail fast and nothing leaves the machine.
const CLIENT_CONFIG: &str = r#"{"api_key": "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm",
  "base_url": "http://127.0.0.1:9", "timeout": 0.5, "connect_timeout": 0.2, "max_retries": 0,
  "env": false}"#;

struct Shared(*mut ffi::NoorleClient);
// SAFETY: the client handle is documented as safe to share between threads.
unsafe impl Send for Shared {}
unsafe impl Sync for Shared {}

fn client() -> *const ffi::NoorleClient {
    static CLIENT: OnceLock<Shared> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let config = CString::new(CLIENT_CONFIG).unwrap();
            let mut out = ptr::null_mut();
            let answer = take(unsafe { ffi::noorle_client_new(config.as_ptr(), &mut out) });
            assert!(!out.is_null(), "cannot create the fuzzing client: {answer}");
            Shared(out)
        })
        .0
}

/// Copies and frees a string from the library.
fn take(s: *mut c_char) -> String {
    assert!(!s.is_null(), "the library returned NULL");
    let text = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    unsafe { ffi::noorle_string_free(s) };
    text
}

/// Parses an envelope: exactly one of `ok` and `error`; an error is never `internal`.
fn envelope(what: &str, text: &str) -> Result<Value, Value> {
    let v: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"));
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {text}"));
    assert_eq!(obj.len(), 1, "{what}: not an envelope: {text}");
    if let Some(ok) = obj.get("ok") {
        return Ok(ok.clone());
    }
    let err = obj
        .get("error")
        .unwrap_or_else(|| panic!("{what}: not an envelope: {text}"));
    assert_ne!(err["kind"], "internal", "{what}: internal error: {text}");
    Err(err.clone())
}

fuzz_target!(|data: &[u8]| {
    sandbox();
    let secrets = Secrets::of(data);
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let text = CString::new(&data[..end]).unwrap();
    let parsed = std::str::from_utf8(&data[..end])
        .ok()
        .map(Operation::from_json);
    // These answer with the key itself, by design.
    let answers_with_key = matches!(
        parsed,
        Some(Ok(Operation {
            op: Op::LoadApiKey { .. } | Op::AuthHeaders { .. },
            ..
        }))
    );
    let check = |what: &str, answer: &str| match envelope(what, answer) {
        Ok(_) if answers_with_key => {}
        _ => secrets.assert_absent(what, answer),
    };

    // Without a client.
    let answer = take(unsafe { ffi::noorle_call(ptr::null(), text.as_ptr(), ptr::null()) });
    check("noorle_call", &answer);

    if let Some(Ok(op)) = &parsed {
        if op.needs_client() {
            let c = client();
            let answer = take(unsafe { ffi::noorle_call(c, text.as_ptr(), ptr::null()) });
            check("noorle_call with a client", &answer);

            let cancel = ffi::noorle_cancel_new();
            assert!(!cancel.is_null());
            unsafe { ffi::noorle_cancel_cancel(cancel) };
            let answer = take(unsafe { ffi::noorle_call(c, text.as_ptr(), cancel) });
            let err =
                envelope("cancelled noorle_call", &answer).expect_err("a cancelled call succeeded");
            assert_eq!(err["kind"], "cancelled", "a cancelled call: {answer}");
            unsafe { ffi::noorle_cancel_free(cancel) };

            let answer = submitted(c, &text);
            check("noorle_submit", &answer);
        }
    }

    // As a client configuration: created and freed, never used (its server could be anywhere).
    let mut out = ptr::null_mut();
    let answer = take(unsafe { ffi::noorle_client_new(text.as_ptr(), &mut out) });
    match envelope("noorle_client_new", &answer) {
        Ok(info) => {
            assert!(!out.is_null(), "ok without a client: {answer}");
            // The base URL is echoed as given; whatever the input put there is its own.
            let mut info = info;
            info["base_url"] = Value::Null;
            secrets.assert_absent("noorle_client_new", &info.to_string());
        }
        Err(_) => {
            assert!(out.is_null(), "an error with a client: {answer}");
            secrets.assert_absent("noorle_client_new", &answer);
        }
    }
    unsafe { ffi::noorle_client_free(out) };
});

/// Submits `op` and waits for its completion; completions of earlier inputs cannot be pending
/// (each input waits for its own), so the one that arrives is this one.
fn submitted(c: *const ffi::NoorleClient, op: &CString) -> String {
    const TAG: u64 = 7;
    unsafe { ffi::noorle_submit(c, op.as_ptr(), ptr::null(), TAG) };
    let p = ffi::noorle_wait_completions(10_000);
    assert!(!p.is_null(), "a submission did not complete within 10 s");
    let batch = take(p);
    let v: Value = serde_json::from_str(&batch)
        .unwrap_or_else(|e| panic!("completions not JSON ({e}): {batch}"));
    let items = v
        .as_array()
        .unwrap_or_else(|| panic!("completions not an array: {batch}"));
    assert_eq!(items.len(), 1, "one submission, completions: {batch}");
    assert_eq!(items[0]["tag"], TAG, "{batch}");
    items[0]["result"].to_string()
}
