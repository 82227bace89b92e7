//! Envelope, NULL and invalid-input handling of the C ABI (no server needed; the C smoke test in
//! `smoke/` covers the network path under valgrind).

use std::ffi::CStr;

use super::*;

const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
const SECRET: &str = "s9t0u1v2w3x4y5z6";

/// Takes ownership of an envelope buffer and decodes it.
fn take(b: NoorleBuf) -> Value {
    assert!(!b.ptr.is_null(), "envelope is NULL");
    // SAFETY: `b` came from this library (len bytes and a NUL) and is freed right after.
    let bytes = unsafe { std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len + 1) };
    assert_eq!(bytes[b.len], 0, "a buffer ends with a NUL past its length");
    let text = String::from_utf8_lossy(&bytes[..b.len]).into_owned();
    unsafe { noorle_buf_free(b) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn call(client: *const NoorleClient, op: &str) -> Value {
    take(unsafe { noorle_call(client, op.as_ptr().cast(), op.len(), ptr::null()) })
}

fn error_kind(v: &Value) -> &str {
    v["error"]["kind"].as_str().unwrap_or("<no error>")
}

fn new_client(config: &str) -> (*mut NoorleClient, Value) {
    let mut out: *mut NoorleClient = ptr::null_mut();
    let env = take(unsafe { noorle_client_new(config.as_ptr().cast(), config.len(), &mut out) });
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
    let v = take(unsafe { noorle_call(ptr::null(), ptr::null(), 0, ptr::null()) });
    assert_eq!(error_kind(&v), "config");
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("op_json is NULL")));

    let cfg = "{}";
    let v = take(unsafe { noorle_client_new(cfg.as_ptr().cast(), cfg.len(), ptr::null_mut()) });
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("out is NULL")));

    // Frees of NULL are no-ops.
    unsafe {
        noorle_client_free(ptr::null_mut());
        noorle_cancel_free(ptr::null_mut());
        noorle_cancel_cancel(ptr::null());
        noorle_buf_free(NoorleBuf::EMPTY);
        noorle_queue_free(ptr::null_mut());
        noorle_submit(ptr::null(), ptr::null(), ptr::null(), 0, ptr::null(), 1);
        assert_eq!(noorle_queue_wait(ptr::null(), 0, ptr::null_mut(), 8), 0);
        assert_eq!(noorle_queue_fd(ptr::null()), -1);
    }
}

#[test]
fn non_utf8_input_is_an_error_envelope() {
    let bytes = b"{\"op\":\"parse_key\",\"key\":\"\xff\xfe\"}";
    let v =
        take(unsafe { noorle_call(ptr::null(), bytes.as_ptr().cast(), bytes.len(), ptr::null()) });
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
    let op = r#"{"op":"whoami"}"#;
    let v = take(unsafe { noorle_call(client, op.as_ptr().cast(), op.len(), cancel) });
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
    let p = guarded(|| -> noorle::Result<Value> { panic!("boom with {KEY}") });
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

/// Collects completions from `queue` until every tag of `tags` has arrived. Every completion is
/// kept, duplicates included.
fn completions(queue: *const NoorleQueue, tags: &[u64]) -> Vec<(u64, Value)> {
    let mut got: Vec<(u64, Value)> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !tags.iter().all(|t| got.iter().any(|(g, _)| g == t)) {
        assert!(
            std::time::Instant::now() < deadline,
            "completions missing; got {got:?}"
        );
        let mut out: Vec<NoorleCompletion> = Vec::with_capacity(4);
        let n = unsafe { noorle_queue_wait(queue, 100, out.as_mut_ptr(), 4) };
        assert!(n <= 4);
        // SAFETY: noorle_queue_wait wrote the first n.
        unsafe { out.set_len(n) };
        for c in out {
            got.push((c.tag, take(c.result)));
        }
    }
    got
}

fn submit(
    queue: *const NoorleQueue,
    client: *const NoorleClient,
    op: &str,
    cancel: *const NoorleCancel,
    tag: u64,
) {
    unsafe { noorle_submit(queue, client, op.as_ptr().cast(), op.len(), cancel, tag) };
}

#[test]
fn submitted_calls_complete_once_each_with_their_tag() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    let queue = noorle_queue_new();
    assert!(!queue.is_null());
    let whoami = r#"{"op":"whoami"}"#;
    let parse = json!({"op": "parse_key", "key": KEY}).to_string();
    let cancel = noorle_cancel_new();
    unsafe { noorle_cancel_cancel(cancel) };
    submit(queue, client, whoami, ptr::null(), 101); // connection refused
    submit(queue, client, &parse, ptr::null(), 102); // a static op works too
    submit(queue, client, "{not json", ptr::null(), 103);
    submit(queue, ptr::null(), whoami, ptr::null(), 104);
    submit(queue, client, whoami, cancel, 105);
    let mut got = completions(queue, &[101, 102, 103, 104, 105]);
    // A marker submitted after all five completed: anything still owed to the queue (a second
    // completion of one of them) would arrive by the time the marker does.
    submit(queue, client, r#"{"op":"version"}"#, ptr::null(), 106);
    got.extend(completions(queue, &[106]));
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
        noorle_queue_free(queue);
        noorle_client_free(client);
    }
}

/// The fd protocol of `noorle_queue_fd`: wait for the fd, read it, drain with a timeout of 0.
#[cfg(target_os = "linux")]
#[test]
fn a_queue_fd_signals_completions_and_a_zero_timeout_never_blocks() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    let queue = noorle_queue_new();
    let fd = unsafe { noorle_queue_fd(queue) };
    assert!(fd >= 0);
    assert_eq!(unsafe { noorle_queue_fd(queue) }, fd, "one fd per queue");
    let readable = |ms: i32| {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        (unsafe { libc::poll(&mut p, 1, ms) }) == 1
    };
    let mut out: Vec<NoorleCompletion> = Vec::with_capacity(8);
    assert!(!readable(0), "nothing submitted yet");
    assert_eq!(
        unsafe { noorle_queue_wait(queue, 0, out.as_mut_ptr(), 8) },
        0
    );

    let mut got = Vec::new();
    for round in 0..3u64 {
        for i in 0..5 {
            submit(
                queue,
                client,
                r#"{"op":"version"}"#,
                ptr::null(),
                round * 10 + i,
            );
        }
        while got.len() < 5 * (round as usize + 1) {
            assert!(readable(60_000), "signalled within a minute; got {got:?}");
            let mut word = 0u64;
            let r = unsafe { libc::read(fd, (&raw mut word).cast(), 8) };
            assert_eq!(r, 8);
            assert!(word >= 1);
            loop {
                let n = unsafe { noorle_queue_wait(queue, 0, out.as_mut_ptr(), 2) };
                unsafe { out.set_len(n) };
                got.extend(out.drain(..).map(|c| (c.tag, take(c.result))));
                if n < 2 {
                    break;
                }
            }
        }
        // A signal may be left over (an answer that landed on the emptied queue and was taken
        // by the same drain): readers must allow for that, so it is not asserted either way.
    }
    let mut tags: Vec<u64> = got.iter().map(|(t, _)| *t).collect();
    tags.sort_unstable();
    assert_eq!(
        tags,
        [0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24]
    );
    assert!(got
        .iter()
        .all(|(_, v)| v["ok"]["version"] == noorle::VERSION));
    unsafe {
        noorle_queue_free(queue);
        noorle_client_free(client);
    }
}

#[test]
fn two_queues_never_mix_their_completions_even_with_the_same_tags() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    let (a, b) = (noorle_queue_new(), noorle_queue_new());
    let parse = json!({"op": "parse_key", "key": KEY}).to_string();
    submit(a, client, r#"{"op":"version"}"#, ptr::null(), 1);
    submit(b, client, &parse, ptr::null(), 1);
    submit(b, client, r#"{"op":"operations"}"#, ptr::null(), 2);
    let got_b = completions(b, &[1, 2]);
    let got_a = completions(a, &[1]);
    assert_eq!(got_a.len(), 1, "{got_a:?}");
    assert_eq!(got_a[0].1["ok"]["version"], noorle::VERSION, "{got_a:?}");
    assert_eq!(got_b.len(), 2, "{got_b:?}");
    let b1 = got_b.iter().find(|(t, _)| *t == 1).map(|(_, v)| v.clone());
    assert_eq!(
        b1.unwrap_or_default()["ok"]["access_id"],
        "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4"
    );
    // Nothing left over on either queue.
    let mut out: Vec<NoorleCompletion> = Vec::with_capacity(1);
    assert_eq!(unsafe { noorle_queue_wait(a, 0, out.as_mut_ptr(), 1) }, 0);
    assert_eq!(unsafe { noorle_queue_wait(b, 0, out.as_mut_ptr(), 1) }, 0);
    unsafe {
        noorle_queue_free(a);
        noorle_queue_free(b);
        noorle_client_free(client);
    }
}

#[test]
fn a_queue_freed_with_calls_in_flight_drops_their_answers() {
    let (client, v) = new_client(&offline_config());
    assert!(!client.is_null(), "{v}");
    let queue = noorle_queue_new();
    submit(queue, client, r#"{"op":"whoami"}"#, ptr::null(), 1);
    unsafe {
        noorle_queue_free(queue);
        noorle_client_free(client);
    }
}

#[test]
fn parse_key_fast_path_gives_the_access_id_or_the_error() {
    let (mut start, mut len) = (usize::MAX, usize::MAX);
    let b = unsafe { noorle_parse_key(KEY.as_ptr().cast(), KEY.len(), &mut start, &mut len) };
    assert!(
        b.ptr.is_null() && b.len == 0,
        "a valid key answers an empty buffer"
    );
    assert_eq!(&KEY[start..start + len], "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4");

    let bad = format!("Bearer {KEY}");
    let v = take(unsafe { noorle_parse_key(bad.as_ptr().cast(), bad.len(), &mut start, &mut len) });
    assert_eq!(error_kind(&v), "invalid_api_key");
    assert_eq!(v["error"]["code"], "scheme_prefix");
    assert!(!v.to_string().contains(SECRET), "{v}");

    // The empty key is an invalid key, not a missing argument.
    let v = take(unsafe { noorle_parse_key(ptr::null(), 0, ptr::null_mut(), ptr::null_mut()) });
    assert_eq!(error_kind(&v), "invalid_api_key", "{v}");
    let v = take(unsafe {
        noorle_parse_key(
            b"\xffak".as_ptr().cast(),
            3,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    });
    assert_eq!(error_kind(&v), "config", "{v}");
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
