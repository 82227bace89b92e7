//! Envelope, NULL and invalid-input handling of the C ABI (no server needed; the C smoke test in
//! `smoke/` covers the network path under valgrind).

use super::*;

const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
const SECRET: &str = "s9t0u1v2w3x4y5z6";

/// Takes ownership of an envelope string and decodes it.
fn take(p: *mut c_char) -> Value {
    assert!(!p.is_null(), "envelope is NULL");
    // SAFETY: `p` came from this library and is freed right after.
    let text = unsafe { CStr::from_ptr(p) }
        .to_str()
        .map(str::to_owned)
        .unwrap_or_default();
    unsafe { noorle_string_free(p) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn call(client: *const NoorleClient, op: &str) -> Value {
    let op = CString::new(op).unwrap_or_default();
    take(unsafe { noorle_call(client, op.as_ptr(), ptr::null()) })
}

fn error_kind(v: &Value) -> &str {
    v["error"]["kind"].as_str().unwrap_or("<no error>")
}

fn new_client(config: &str) -> (*mut NoorleClient, Value) {
    let config = CString::new(config).unwrap_or_default();
    let mut out: *mut NoorleClient = ptr::null_mut();
    let env = take(unsafe { noorle_client_new(config.as_ptr(), &mut out) });
    (out, env)
}

fn offline_config() -> String {
    // Port 9 (discard) on loopback: nothing listens, and no test here reaches the network.
    json!({"api_key": KEY, "base_url": "http://127.0.0.1:9", "env": false, "max_retries": 0})
        .to_string()
}

#[test]
fn static_operations_need_no_client() {
    let v = call(
        ptr::null(),
        &json!({"op": "parse_key", "key": KEY}).to_string(),
    );
    assert_eq!(v["ok"]["access_id"], "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4");
    assert_eq!(
        v["ok"]["redacted"],
        "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"
    );
    let v = call(ptr::null(), r#"{"op":"version"}"#);
    assert_eq!(v["ok"]["version"], noorle::VERSION);
    let v = call(
        ptr::null(),
        &json!({"op": "auth_headers", "key": KEY, "scheme": "authorization"}).to_string(),
    );
    assert_eq!(v["ok"]["Authorization"], format!("ApiKey {KEY}"));
}

#[test]
fn invalid_key_is_an_error_envelope_without_the_secret() {
    let bad = format!("Bearer {KEY}");
    let v = call(
        ptr::null(),
        &json!({"op": "parse_key", "key": bad}).to_string(),
    );
    assert_eq!(error_kind(&v), "invalid_api_key");
    assert_eq!(v["error"]["code"], "scheme_prefix");
    assert_eq!(v["error"]["position"], 0);
    assert!(!v.to_string().contains(SECRET), "{v}");
}

#[test]
fn null_arguments_are_error_envelopes() {
    let v = take(unsafe { noorle_call(ptr::null(), ptr::null(), ptr::null()) });
    assert_eq!(error_kind(&v), "config");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("op_json is NULL")));

    let cfg = CString::new("{}").unwrap_or_default();
    let v = take(unsafe { noorle_client_new(cfg.as_ptr(), ptr::null_mut()) });
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("out is NULL")));

    // Frees of NULL are no-ops.
    unsafe {
        noorle_client_free(ptr::null_mut());
        noorle_cancel_free(ptr::null_mut());
        noorle_cancel_cancel(ptr::null());
        noorle_string_free(ptr::null_mut());
    }
}

#[test]
fn non_utf8_input_is_an_error_envelope() {
    let bytes = b"{\"op\":\"parse_key\",\"key\":\"\xff\xfe\"}\0";
    let v = take(unsafe { noorle_call(ptr::null(), bytes.as_ptr().cast(), ptr::null()) });
    assert_eq!(error_kind(&v), "config");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("not valid UTF-8")));
}

#[test]
fn malformed_json_and_unknown_operations_are_error_envelopes() {
    for (op, needle) in [
        ("{not json", "invalid operation"),
        (r#"{"op":"no_such_op"}"#, "no_such_op"),
        (r#"{"key":"x"}"#, "op"),
        ("[]", "invalid operation"),
    ] {
        let v = call(ptr::null(), op);
        assert_eq!(error_kind(&v), "config", "{op}: {v}");
        let m = v["error"]["message"].as_str().unwrap_or_default();
        assert!(m.contains(needle), "{op}: {m}");
    }
}

#[test]
fn serde_messages_never_echo_a_key() {
    // A key in a field of the wrong type is quoted by serde; the envelope redacts it.
    let cfg = json!({"base_url": "http://127.0.0.1:9", "timeout": KEY}).to_string();
    let (client, v) = new_client(&cfg);
    assert!(client.is_null());
    assert_eq!(error_kind(&v), "config");
    assert!(!v.to_string().contains(SECRET), "{v}");
    let v = call(
        ptr::null(),
        &json!({"op": "auth_headers", "key": KEY, "scheme": 5, "x": KEY}).to_string(),
    );
    assert!(!v.to_string().contains(SECRET), "{v}");
}

#[test]
fn client_operations_without_a_client_are_errors() {
    let v = call(ptr::null(), r#"{"op":"whoami"}"#);
    assert_eq!(error_kind(&v), "config");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("needs a client")));
}

#[test]
fn client_lifecycle_and_key_source() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    assert_eq!(v["ok"]["source"]["kind"], "explicit");
    assert_eq!(
        v["ok"]["redacted"],
        "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"
    );
    let v = call(client, r#"{"op":"key_source"}"#);
    assert_eq!(v["ok"]["base_url"], "http://127.0.0.1:9");
    assert!(!v.to_string().contains(SECRET));
    unsafe { noorle_client_free(client) };
}

#[test]
fn bad_configuration_returns_null_client_and_error() {
    let (client, v) = new_client(r#"{"env": false, "base_url": "http://127.0.0.1:9"}"#);
    assert!(client.is_null());
    assert_eq!(error_kind(&v), "credentials_not_found");
    assert!(v["error"]["searched"].is_array());
    let (client, v) = new_client(r#"{"no_such_option": 1}"#);
    assert!(client.is_null());
    assert_eq!(error_kind(&v), "config");
}

#[test]
fn a_cancelled_token_stops_the_call() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    let cancel = noorle_cancel_new();
    unsafe { noorle_cancel_cancel(cancel) };
    let op = CString::new(r#"{"op":"whoami"}"#).unwrap_or_default();
    let v = take(unsafe { noorle_call(client, op.as_ptr(), cancel) });
    assert_eq!(error_kind(&v), "cancelled");
    unsafe {
        noorle_cancel_free(cancel);
        noorle_client_free(client);
    }
}

#[test]
fn deeply_nested_bodies_are_config_errors_before_any_request() {
    // 5,000 levels, more than the JSON reader accepts: refused as configuration before connecting
    // (a sent request would be a `connection` error against this client), never a crash.
    let (client, _) = new_client(&offline_config());
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let op = format!(r#"{{"op":"request","method":"POST","path":"/v1/agents","json":{deep}}}"#);
    let v = call(client, &op);
    assert_eq!(error_kind(&v), "config", "{v}");
    unsafe { noorle_client_free(client) };
}

#[test]
fn connection_errors_are_envelopes() {
    let (client, _) = new_client(&offline_config());
    let v = call(client, r#"{"op":"whoami"}"#);
    assert_eq!(error_kind(&v), "connection", "{v}");
    assert_eq!(v["error"]["retryable"], true);
    unsafe { noorle_client_free(client) };
}

#[test]
fn a_panic_becomes_an_internal_error_envelope() {
    let p = guarded(|| panic!("boom with {KEY}"));
    let v = take(p);
    assert_eq!(error_kind(&v), "internal");
    let m = v["error"]["message"].as_str().unwrap_or_default();
    assert!(m.contains("boom"), "{m}");
    assert!(!m.contains(SECRET), "{m}");
}

#[test]
fn version_is_a_static_c_string() {
    let v = unsafe { CStr::from_ptr(noorle_version()) };
    assert_eq!(v.to_str().ok(), Some(env!("CARGO_PKG_VERSION")));
}

#[test]
fn header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/noorle.h"));
    // A Windows checkout may turn the committed header's line ends into CRLF.
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/noorle.h"))
            .unwrap_or_default()
            .replace("\r\n", "\n");
    assert!(
        generated == committed,
        "bindings-c/include/noorle.h differs from the code: run \
         `NOORLE_UPDATE_HEADER=1 cargo build -p noorle-ffi` and commit the header"
    );
}

/// Collects completions until every tag of `tags` has arrived (one test only uses the global
/// queue, so none is lost to another test). Every completion is kept, duplicates included.
fn completions(tags: &[u64]) -> Vec<(u64, Value)> {
    let mut got: Vec<(u64, Value)> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !tags.iter().all(|t| got.iter().any(|(g, _)| g == t)) {
        assert!(
            std::time::Instant::now() < deadline,
            "completions missing; got {got:?}"
        );
        let p = noorle_wait_completions(100);
        if p.is_null() {
            continue;
        }
        for c in take(p).as_array().cloned().unwrap_or_default() {
            got.push((c["tag"].as_u64().unwrap_or(u64::MAX), c["result"].clone()));
        }
    }
    got
}

#[test]
fn submitted_calls_complete_once_each_with_their_tag() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    let whoami = CString::new(r#"{"op":"whoami"}"#).unwrap_or_default();
    let parse =
        CString::new(json!({"op": "parse_key", "key": KEY}).to_string()).unwrap_or_default();
    let bad = CString::new("{not json").unwrap_or_default();
    let version = CString::new(r#"{"op":"version"}"#).unwrap_or_default();
    let cancel = noorle_cancel_new();
    unsafe {
        noorle_cancel_cancel(cancel);
        noorle_submit(client, whoami.as_ptr(), ptr::null(), 101); // connection refused
        noorle_submit(client, parse.as_ptr(), ptr::null(), 102); // a static op works too
        noorle_submit(client, bad.as_ptr(), ptr::null(), 103);
        noorle_submit(ptr::null(), whoami.as_ptr(), ptr::null(), 104);
        noorle_submit(client, whoami.as_ptr(), cancel, 105);
    }
    let mut got = completions(&[101, 102, 103, 104, 105]);
    // A marker submitted after all five completed: anything still owed to the queue (a second
    // completion of one of them) would arrive by the time the marker does.
    unsafe { noorle_submit(client, version.as_ptr(), ptr::null(), 106) };
    got.extend(completions(&[106]));
    let tags: Vec<u64> = got.iter().map(|(t, _)| *t).collect();
    let mut sorted = tags.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [101, 102, 103, 104, 105, 106],
        "each submission completes exactly once: {got:?}"
    );
    assert_eq!(tags.last(), Some(&106), "the marker came last: {tags:?}");
    let result = |tag: u64| {
        got.iter()
            .find(|(t, _)| *t == tag)
            .map_or(Value::Null, |(_, v)| v.clone())
    };
    assert_eq!(error_kind(&result(101)), "connection", "{:?}", result(101));
    assert_eq!(
        result(102)["ok"]["access_id"],
        "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"
    );
    assert_eq!(error_kind(&result(103)), "config");
    assert_eq!(error_kind(&result(104)), "config");
    assert_eq!(error_kind(&result(105)), "cancelled");
    assert_eq!(result(106)["ok"]["version"], noorle::VERSION);
    assert!(!got.iter().any(|(_, v)| v.to_string().contains(SECRET)));
    unsafe {
        noorle_cancel_free(cancel);
        noorle_client_free(client);
    }
}

#[cfg(unix)]
#[test]
fn a_credential_command_in_the_config_gives_the_key_and_is_reported() {
    let scripts = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/credential-commands"
    );
    let dir = std::env::temp_dir().join(format!("noorle-c-cmd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let key_file = dir.join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap_or_default();
    let program = format!("{scripts}/print-key.sh");
    let (client, v) = new_client(
        &json!({"api_key_command": [program, key_file], "api_key_command_timeout": 10,
                "base_url": "http://127.0.0.1:9", "env": false})
        .to_string(),
    );
    assert!(!client.is_null(), "{v}");
    assert_eq!(v["ok"]["source"]["kind"], "command");
    assert_eq!(v["ok"]["source"]["program"], program.as_str());
    assert_eq!(
        v["ok"]["redacted"],
        "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"
    );
    unsafe { noorle_client_free(client) };
    let _ = std::fs::remove_dir_all(&dir);

    let (client, v) = new_client(
        &json!({"api_key_command": [format!("{scripts}/fail.sh")], "env": false}).to_string(),
    );
    assert!(client.is_null());
    assert_eq!(error_kind(&v), "config");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("exited with status 3"), "{msg}");
    assert!(
        msg.contains("ak-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c***"),
        "{msg}"
    );
    assert!(!msg.contains("LEAKED"), "{msg}");
}
