//! The C ABI entry points, called as C would: any text as an operation (without a client, with
//! a client whose server is a closed local port, blocking, submitted, and cancelled) and as a
//! client configuration. Every answer must be an envelope, never an internal error, never NULL.
#![no_main]

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
            let mut out = ptr::null_mut();
            let answer = take(unsafe {
                ffi::noorle_client_new(CLIENT_CONFIG.as_ptr().cast(), CLIENT_CONFIG.len(), &mut out)
            });
            assert!(!out.is_null(), "cannot create the fuzzing client: {answer}");
            Shared(out)
        })
        .0
}

/// Copies and frees a buffer from the library (its length, then the NUL past it).
fn take(b: ffi::NoorleBuf) -> String {
    assert!(!b.ptr.is_null(), "the library returned NULL");
    let bytes = unsafe { std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len + 1) };
    assert_eq!(bytes[b.len], 0, "no NUL past the buffer's length");
    let text = String::from_utf8_lossy(&bytes[..b.len]).into_owned();
    unsafe { ffi::noorle_buf_free(b) };
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
    // Any bytes, NULs included: the text crosses as pointer and length.
    let text = data;
    let parsed = std::str::from_utf8(text).ok().map(Operation::from_json);
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
    let (p, n) = (text.as_ptr().cast(), text.len());
    let answer = take(unsafe { ffi::noorle_call(ptr::null(), p, n, ptr::null()) });
    check("noorle_call", &answer);

    // As a key for the check without JSON: valid (nothing to free) or an error envelope.
    let (mut at, mut len) = (0usize, 0usize);
    let b = unsafe { ffi::noorle_parse_key(p, n, &mut at, &mut len) };
    if b.ptr.is_null() {
        assert!(at + len <= n, "access id outside the key");
    } else {
        let answer = take(b);
        envelope("noorle_parse_key", &answer).expect_err("noorle_parse_key: ok envelope");
        secrets.assert_absent("noorle_parse_key", &answer);
    }

    if let Some(Ok(op)) = &parsed {
        if op.needs_client() {
            let c = client();
            let answer = take(unsafe { ffi::noorle_call(c, p, n, ptr::null()) });
            check("noorle_call with a client", &answer);

            let cancel = ffi::noorle_cancel_new();
            assert!(!cancel.is_null());
            unsafe { ffi::noorle_cancel_cancel(cancel) };
            let answer = take(unsafe { ffi::noorle_call(c, p, n, cancel) });
            let err =
                envelope("cancelled noorle_call", &answer).expect_err("a cancelled call succeeded");
            assert_eq!(err["kind"], "cancelled", "a cancelled call: {answer}");
            unsafe { ffi::noorle_cancel_free(cancel) };

            let answer = submitted(c, text);
            check("noorle_submit", &answer);
        }
    }

    // As a client configuration: created and freed, never used (its server could be anywhere).
    let mut out = ptr::null_mut();
    let answer = take(unsafe { ffi::noorle_client_new(p, n, &mut out) });
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

/// Submits `op` to a queue of its own and waits for its one completion.
fn submitted(c: *const ffi::NoorleClient, op: &[u8]) -> String {
    const TAG: u64 = 7;
    let queue = ffi::noorle_queue_new();
    assert!(!queue.is_null());
    unsafe { ffi::noorle_submit(queue, c, op.as_ptr().cast(), op.len(), ptr::null(), TAG) };
    let mut out: Vec<ffi::NoorleCompletion> = Vec::with_capacity(2);
    let n = unsafe { ffi::noorle_queue_wait(queue, 10_000, out.as_mut_ptr(), 2) };
    assert_eq!(n, 1, "one submission, {n} completions within 10 s");
    unsafe { out.set_len(n) };
    let c = out.pop().unwrap();
    assert_eq!(c.tag, TAG);
    unsafe { ffi::noorle_queue_free(queue) };
    take(c.result)
}
