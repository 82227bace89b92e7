//! Per-call options, on a client view and through the ops dispatcher, against a real local
//! server: attempts are counted in its request log, and the Idempotency-Key is the one it saw.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{builder, outcomes, start, status_fault, Env};
use noorle::models::{CreateApiKey, Role};
use noorle::ops::{self, CallOptions, Op, Operation, CLIENT_OPERATIONS, OPERATIONS};
use noorle::{Client, ErrorKind, Method, RequestOptions};
use serde_json::{json, Value};

fn stall(access_id: &str, method: &str, path: &str) -> Value {
    // Far longer than any test: an answer that comes back means the client waited.
    json!({"access_id": access_id, "method": method, "path": path, "count": 1,
           "fault": {"type": "stall", "ms": 600_000}})
}

/// A fresh account's access id, and a client of its key built with `max_retries`.
async fn account(env: &Env, max_retries: u32) -> (String, Client) {
    let (sa, _) = env.account(Role::Admin).await;
    let c = builder(env)
        .api_key(sa.key.clone())
        .max_retries(max_retries)
        .build()
        .unwrap();
    (sa.api_key.id, c)
}

async fn get(
    c: &Client,
    path: &str,
    opts: RequestOptions,
) -> noorle::Result<noorle::models::RawResponse> {
    c.request(Method::GET, path, &[], None, opts).await
}

#[tokio::test]
async fn max_retries_per_call_overrides_the_client() {
    let env = start().await;

    // The client would retry five times; the call allows none.
    let (id, c) = account(&env, 5).await;
    let path = "/v1/api-keys/self";
    env.fault(status_fault(&id, "GET", path, 1, 503)).await;
    let once = c.with_options(RequestOptions::default().max_retries(0));
    let e = once.whoami().await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    let log = env.requests(&id, Some(path)).await;
    assert_eq!(outcomes(&log), [(json!(503), json!("status"))]);
    // The client itself is unchanged: the next call succeeds at once.
    assert_eq!(c.whoami().await.unwrap().id, id);

    // The client would not retry; the call allows two retries: three attempts.
    let (id, c) = account(&env, 0).await;
    env.fault(status_fault(&id, "GET", "/v1/agents", 3, 503))
        .await;
    let view = c.with_options(RequestOptions::default().max_retries(2));
    let e = get(&view, "/v1/agents", RequestOptions::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    let log = env.requests(&id, Some("/v1/agents")).await;
    assert_eq!(outcomes(&log), vec![(json!(503), json!("status")); 3]);

    // A call's own options win over the view's.
    env.fault(status_fault(&id, "GET", "/v1/gateways", 2, 503))
        .await;
    let view = c.with_options(RequestOptions::default().max_retries(0));
    let r = get(
        &view,
        "/v1/gateways",
        RequestOptions::default().max_retries(1),
    )
    .await;
    assert_eq!(r.unwrap_err().status(), Some(503));
    assert_eq!(env.requests(&id, Some("/v1/gateways")).await.len(), 2);
}

#[tokio::test]
async fn a_per_call_timeout_shorter_than_a_stall_times_out() {
    let env = start().await;
    // The client's own timeout is the default 60 s: it would wait for the stalled answer.
    let (id, c) = account(&env, 0).await;
    let path = "/v1/api-keys/self";
    env.fault(stall(&id, "GET", path)).await;
    let short = c.with_options(RequestOptions::default().timeout(Duration::from_secs(2)));
    let e = short.whoami().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Timeout, true));
    assert!(e.to_string().contains("2s"), "{e}");
    // The client gave up while the server still held the request.
    let log = env.requests(&id, Some(path)).await;
    assert_eq!(outcomes(&log), [(Value::Null, json!("stall"))]);

    // With a retry allowed, the timed-out attempt is followed by one that succeeds.
    env.fault(stall(&id, "GET", path)).await;
    let retried = short.with_options(RequestOptions::default().max_retries(1));
    assert_eq!(retried.whoami().await.unwrap().id, id);
    let log = env.requests(&id, Some(path)).await;
    assert_eq!(
        outcomes(&log[1..]),
        [(Value::Null, json!("stall")), (json!(200), Value::Null)]
    );
}

#[tokio::test]
async fn a_given_idempotency_key_is_the_header_the_server_saw() {
    let env = start().await;
    let (id, c) = account(&env, 0).await;
    let key = format!("call-{}", uuid::Uuid::new_v4());
    let created = c
        .with_options(RequestOptions::default().idempotency_key(&key))
        .api_keys()
        .create(&CreateApiKey::new("idem"))
        .await
        .unwrap();
    assert_eq!(created.api_key.name, "idem");
    let log = env.requests(&id, Some("/v1/api-keys")).await;
    let seen: Vec<_> = log
        .iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| r["idempotency_key"].clone())
        .collect();
    assert_eq!(seen, [json!(key)]);
}

async fn run(c: &Client, op: Value) -> noorle::Result<Value> {
    ops::execute(Some(c), Operation::from_json(&op.to_string())?, None).await
}

#[tokio::test]
async fn ops_carry_per_call_options() {
    let env = start().await;
    let (id, c) = account(&env, 5).await;
    let path = "/v1/api-keys/self";

    env.fault(status_fault(&id, "GET", path, 1, 503)).await;
    let e = run(&c, json!({"op": "whoami", "options": {"max_retries": 0}}))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(env.requests(&id, Some(path)).await.len(), 1);

    env.fault(stall(&id, "GET", path)).await;
    let e = run(
        &c,
        json!({"op": "whoami", "options": {"timeout": 0.2, "max_retries": 0}}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let log = env.requests(&id, Some(path)).await;
    assert_eq!(outcomes(&log[1..]), [(Value::Null, json!("stall"))]);

    // A total timeout bounds the whole call, the stalled attempt included.
    env.fault(stall(&id, "GET", "/v1/agents")).await;
    let op = json!({"op": "request", "method": "GET", "path": "/v1/agents",
                    "options": {"total_timeout": 0.2}});
    let e = run(&c, op).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("total timeout"), "{e}");
    let log = env.requests(&id, Some("/v1/agents")).await;
    assert_eq!(outcomes(&log), [(Value::Null, json!("stall"))]);

    // The key given in options is the one sent; a request's own field wins over it.
    let key = format!("ops-{}", uuid::Uuid::new_v4());
    let op =
        json!({"op": "api_keys.create", "name": "via-ops", "options": {"idempotency_key": key}});
    assert_eq!(run(&c, op).await.unwrap()["api_key"]["name"], "via-ops");
    let own = format!("own-{}", uuid::Uuid::new_v4());
    let op = json!({"op": "request", "method": "POST", "path": "/v1/api-keys",
                    "json": {"name": "via-request"}, "idempotency_key": own,
                    "options": {"idempotency_key": "not-this-one"}});
    assert_eq!(run(&c, op).await.unwrap()["status"], 201);
    let seen: Vec<_> = env
        .requests(&id, Some("/v1/api-keys"))
        .await
        .iter()
        .filter(|r| r["method"] == "POST")
        .map(|r| r["idempotency_key"].clone())
        .collect();
    assert_eq!(seen, [json!(key), json!(own)]);
}

#[tokio::test]
async fn bad_options_are_refused_before_any_request() {
    let env = start().await;
    let (id, c) = account(&env, 0).await;
    for (name, value) in [
        ("timeout", -1.0),
        ("timeout", f64::NAN),
        ("total_timeout", f64::INFINITY),
        ("total_timeout", -0.5),
    ] {
        let mut options = CallOptions::default();
        match name {
            "timeout" => options.timeout = Some(value),
            _ => options.total_timeout = Some(value),
        }
        let op = Operation {
            op: Op::Whoami,
            options: Some(options),
        };
        let e = ops::execute(Some(&c), op, None).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        assert!(e.to_string().contains(&format!("options.{name}")), "{e}");
    }
    let e = run(&c, json!({"op": "whoami", "options": {"timeout": -1}}))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("options.timeout"), "{e}");
    // A misspelt option is an error, not ignored.
    let e = Operation::from_json(r#"{"op": "whoami", "options": {"max_retry": 0}}"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("max_retry"), "{e}");
    assert_eq!(env.requests(&id, None).await.len(), 0);
}

#[tokio::test]
async fn key_source_carries_its_display() {
    let env = start().await;
    let (_, c) = account(&env, 0).await;
    let v = run(&c, json!({"op": "key_source"})).await.unwrap();
    assert_eq!(v["display"], json!(c.key_source().to_string()));
    assert_eq!(v["display"], "explicit");
    // load_api_key reports the same text for where it found the key.
    let key = c.api_key().expose_secret().to_owned();
    let op = json!({"op": "load_api_key", "config": {"env_vars": {"NOORLE_API_KEY": key}}});
    let v = ops::execute_static(Operation::from_json(&op.to_string()).unwrap()).unwrap();
    assert_eq!(v["display"], "env $NOORLE_API_KEY");
}

#[test]
fn the_operations_list_matches_the_dispatcher() {
    let v = ops::execute_static(Operation::from_json(r#"{"op": "operations"}"#).unwrap()).unwrap();
    let names: Vec<&str> = v["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names, OPERATIONS);
    let client: Vec<&str> = v["client_operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(client, CLIENT_OPERATIONS);
    for must in [
        "version",
        "operations",
        "whoami",
        "request",
        "api_keys.create",
        "service_accounts.list_keys",
    ] {
        assert!(names.contains(&must), "{must} missing from {names:?}");
    }
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "a name listed twice: {names:?}");
    assert!(client.iter().all(|n| names.contains(n)));
    // Every listed name is accepted: a refusal may only be about missing fields.
    for name in &names {
        if let Err(e) = Operation::from_json(&json!({"op": name}).to_string()) {
            assert!(!e.to_string().contains("unknown variant"), "{name}: {e}");
            assert!(e.to_string().contains("missing field"), "{name}: {e}");
        }
    }
    let e = Operation::from_json(r#"{"op": "api_keys.nope"}"#).unwrap_err();
    assert!(e.to_string().contains("unknown variant"), "{e}");
    // Which ones need a client agrees with the list.
    for (op, client_op) in [
        (json!({"op": "version"}), false),
        (json!({"op": "operations"}), false),
        (json!({"op": "whoami"}), true),
        (json!({"op": "api_keys.get", "id": "x"}), true),
    ] {
        let op = Operation::from_json(&op.to_string()).unwrap();
        assert_eq!(op.needs_client(), client_op, "{op:?}");
    }
}
