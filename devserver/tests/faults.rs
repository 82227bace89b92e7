//! Fault injection and the request log.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use noorle_dev_server::Config;
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

async fn add_fault(s: &Srv, spec: Value) -> String {
    let r = s.send(Method::POST, "/_dev/faults", &[], Some(spec)).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn requests(s: &Srv, query: &str) -> Vec<Value> {
    let r = s
        .send(Method::GET, &format!("/_dev/requests?{query}"), &[], None)
        .await;
    assert_eq!(r.status, 200);
    r.body["requests"].as_array().unwrap().clone()
}

#[tokio::test]
async fn status_faults() {
    let s = start_default().await;
    let (sa, key) = s.service_account("admin").await;
    let aid = access_id(&key).to_string();
    add_fault(
        &s,
        json!({"method": "POST", "path": "/v1/service-accounts", "access_id": aid, "count": 2,
               "fault": {"type": "status", "status": 503, "retry_after": 1}}),
    )
    .await;
    // The root key does not match the fault.
    let before = s.get(&s.root, "/v1/service-accounts").await.body["total"]
        .as_i64()
        .unwrap();
    for _ in 0..2 {
        let r = s
            .post(&key, "/v1/service-accounts", json!({"name": "x"}))
            .await;
        assert_eq!((r.status, r.code()), (503, "service_unavailable"));
        assert_eq!(r.header("retry-after"), Some("1"));
        assert!(r.body["error"]["message"].is_string());
    }
    // Not executed.
    assert_eq!(
        s.get(&s.root, "/v1/service-accounts").await.body["total"]
            .as_i64()
            .unwrap(),
        before
    );
    // Used up: the third goes through.
    assert_eq!(
        s.post(&key, "/v1/service-accounts", json!({"name": "x"}))
            .await
            .status,
        201
    );

    // Explicit code, prefix paths, any method.
    add_fault(&s, json!({"path": "/v1/agents*", "access_id": aid, "fault": {"type": "status", "status": 429, "code": "slow_down"}})).await;
    let r = s.get(&key, "/v1/agents/agt_weather").await;
    assert_eq!((r.status, r.code()), (429, "slow_down"));
    assert!(r.header("retry-after").is_none());
    add_fault(
        &s,
        json!({"access_id": aid, "fault": {"type": "status", "status": 500}}),
    )
    .await;
    let r = s.get(&key, &format!("/v1/service-accounts/{sa}")).await;
    assert_eq!((r.status, r.code()), (500, "internal_error"));

    // Faults are consumed in order; DELETE clears them.
    add_fault(
        &s,
        json!({"access_id": aid, "count": 5, "fault": {"type": "status", "status": 502}}),
    )
    .await;
    assert_eq!(s.get(&key, "/v1/agents").await.status, 502);
    let r = s.send(Method::DELETE, "/_dev/faults", &[], None).await;
    assert_eq!(r.status, 204);
    assert_eq!(s.get(&key, "/v1/agents").await.status, 200);

    // Bad specs.
    let r = s
        .send(
            Method::POST,
            "/_dev/faults",
            &[],
            Some(json!({"fault": {"type": "explode"}})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = s
        .send(
            Method::POST,
            "/_dev/faults",
            &[],
            Some(json!({"fault": {"type": "status", "status": 200}})),
        )
        .await;
    assert_eq!(r.status, 422);
    s.server.shutdown().await;
}

#[tokio::test]
async fn retry_after_fault_executes_once_with_idempotency() {
    let s = start_default().await;
    let (_, key) = s.service_account("admin").await;
    let aid = access_id(&key).to_string();
    add_fault(&s, json!({"path": "/v1/service-accounts", "access_id": aid, "fault": {"type": "status", "status": 503}})).await;
    let hs = [("X-API-Key", key.as_str()), ("Idempotency-Key", "retry-1")];
    let r = s
        .send(
            Method::POST,
            "/v1/service-accounts",
            &hs,
            Some(json!({"name": "r"})),
        )
        .await;
    assert_eq!(r.status, 503);
    let r = s
        .send(
            Method::POST,
            "/v1/service-accounts",
            &hs,
            Some(json!({"name": "r"})),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r.header("idempotent-replayed").is_none());
    let r = s
        .send(
            Method::POST,
            "/v1/service-accounts",
            &hs,
            Some(json!({"name": "r"})),
        )
        .await;
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    s.server.shutdown().await;
}

#[tokio::test]
async fn stall_and_drop() {
    let s = start_default().await;
    let (_, key) = s.service_account("developer").await;
    let aid = access_id(&key).to_string();
    add_fault(
        &s,
        json!({"method": "GET", "path": "/v1/agents", "access_id": aid,
               "fault": {"type": "stall", "ms": 100}}),
    )
    .await;
    // After the stall the request is handled normally, and the log says which fault ran.
    let r = s.get(&key, "/v1/agents").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["total"], 3);
    let log = requests(&s, &format!("access_id={aid}&method=GET&path=/v1/agents")).await;
    assert_eq!(
        log.iter()
            .map(|e| (e["status"].clone(), e["fault"].clone()))
            .collect::<Vec<_>>(),
        [(json!(200), json!("stall"))]
    );

    // A stall far longer than the client's timeout: the client times out, and the server has
    // not answered yet.
    add_fault(
        &s,
        json!({"method": "GET", "path": "/v1/agents", "access_id": aid,
               "fault": {"type": "stall", "ms": 600_000}}),
    )
    .await;
    let e = s
        .http
        .get(format!("{}/v1/agents", s.base))
        .header("X-API-Key", &key)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    let log = requests(&s, &format!("access_id={aid}&method=GET&path=/v1/agents")).await;
    assert_eq!(log.len(), 2);
    assert_eq!(
        (&log[1]["status"], &log[1]["fault"]),
        (&Value::Null, &json!("stall"))
    );

    // Drop: the connection closes with no response; the request is not executed.
    add_fault(&s, json!({"method": "POST", "path": "/v1/api-keys", "access_id": aid, "fault": {"type": "drop"}})).await;
    let e = s
        .http
        .post(format!("{}/v1/api-keys", s.base))
        .header("X-API-Key", &key)
        .json(&json!({"name": "dropped"}))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_request() || e.is_connect(), "{e:?}");
    assert!(e.status().is_none());
    assert_eq!(
        s.get(&key, "/v1/api-keys").await.body["total"],
        1,
        "not executed"
    );
    // The server keeps serving.
    assert_eq!(
        s.post(&key, "/v1/api-keys", json!({"name": "ok"}))
            .await
            .status,
        201
    );

    let log = requests(
        &s,
        &format!("access_id={aid}&method=POST&path=/v1/api-keys"),
    )
    .await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["status"], Value::Null);
    assert_eq!(log[0]["fault"], "drop");
    assert_eq!(log[1]["status"], 201);
    assert_eq!(log[1]["fault"], Value::Null);
    // Dropped, not shut down: a graceful shutdown would wait for the stalled request.
    drop(s);
}

#[tokio::test]
async fn drop_after_executes_then_drops_the_answer() {
    let s = start_default().await;
    let (_, key) = s.service_account("admin").await;
    let aid = access_id(&key).to_string();
    add_fault(
        &s,
        json!({"method": "POST", "path": "/v1/service-accounts", "access_id": aid,
               "fault": {"type": "drop_after"}}),
    )
    .await;
    let body = json!({"name": "lost-answer"});
    let e = s
        .http
        .post(format!("{}/v1/service-accounts", s.base))
        .header("X-API-Key", &key)
        .header("Idempotency-Key", "lost-1")
        .json(&body)
        .send()
        .await
        .unwrap_err();
    // A connection error, not an answer.
    assert!(e.is_request() || e.is_connect(), "{e:?}");
    assert!(e.status().is_none() && !e.is_timeout(), "{e:?}");

    // Executed all the same: the account exists.
    let named = |list: &Resp| -> Vec<Value> {
        list.body["service_accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"] == "lost-answer")
            .cloned()
            .collect()
    };
    let list = s.get(&s.root, "/v1/service-accounts?limit=100").await;
    let created = named(&list);
    assert_eq!(created.len(), 1, "{:?}", list.body);

    // The log records the fault and the status that was never delivered.
    let log = requests(
        &s,
        &format!("access_id={aid}&method=POST&path=/v1/service-accounts"),
    )
    .await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (
            &log[0]["status"],
            &log[0]["fault"],
            &log[0]["idempotency_key"]
        ),
        (&json!(201), &json!("drop_after"), &json!("lost-1"))
    );

    // The retry with the same Idempotency-Key gets the lost answer, and nothing more is made.
    let r = s
        .send(
            Method::POST,
            "/v1/service-accounts",
            &[("X-API-Key", key.as_str()), ("Idempotency-Key", "lost-1")],
            Some(body),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.header("idempotent-replayed"), Some("true"));
    assert_eq!(r.body["service_account"]["id"], created[0]["id"]);
    let list = s.get(&s.root, "/v1/service-accounts?limit=100").await;
    assert_eq!(named(&list).len(), 1);
    s.server.shutdown().await;
}

#[tokio::test]
async fn request_log() {
    let s = start_default().await;
    let (_, key) = s.service_account("developer").await;
    let aid = access_id(&key).to_string();
    assert_eq!(
        s.send(Method::DELETE, "/_dev/requests", &[], None)
            .await
            .status,
        204
    );
    s.send(Method::GET, "/v1/agents", &[("API-Key", &key)], None)
        .await;
    s.send(
        Method::GET,
        "/v1/gateways",
        &[("Authorization", &format!("ApiKey {key}"))],
        None,
    )
    .await;
    s.send(
        Method::POST,
        "/v1/agents/agt_weather/run",
        &[("X-API-Key", &key), ("Idempotency-Key", "log-1")],
        Some(json!({"input": 1})),
    )
    .await;
    s.send(Method::GET, "/v1/agents", &[], None).await;
    let bad = format!("ak-{aid}{}", secret(&fresh_key()));
    s.get(&bad, "/v1/agents").await;

    let all = requests(&s, "").await;
    assert_eq!(all.len(), 5, "{all:?}");
    let mine = requests(&s, &format!("access_id={aid}")).await;
    assert_eq!(
        mine.len(),
        4,
        "the wrong-secret request claims the same access id"
    );
    assert_eq!(mine[0]["auth_header"], "api-key");
    assert_eq!(mine[0]["method"], "GET");
    assert_eq!(mine[0]["path"], "/v1/agents");
    assert_eq!(mine[0]["status"], 200);
    assert_eq!(mine[0]["access_id"], aid.as_str());
    assert!(mine[0]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(mine[1]["auth_header"], "authorization");
    assert_eq!(mine[2]["idempotency_key"], "log-1");
    assert_eq!(mine[2]["auth_header"], "x-api-key");
    assert_eq!(mine[3]["status"], 401);
    let anon = &all[3];
    assert_eq!(
        (anon["access_id"].clone(), anon["auth_header"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(requests(&s, "method=POST").await.len(), 1);
    assert_eq!(requests(&s, "path=/v1/gateways").await.len(), 1);
    assert_eq!(requests(&s, "path=/v1/agents*").await.len(), 4);
    // Never a secret.
    let text = serde_json::to_string(&all).unwrap();
    assert!(!text.contains(secret(&key)) && !text.contains(secret(&bad)));
    assert_eq!(
        s.send(Method::DELETE, "/_dev/requests", &[], None)
            .await
            .status,
        204
    );
    assert!(requests(&s, "").await.is_empty());
    s.server.shutdown().await;
}

#[tokio::test]
async fn dev_paths_are_404_without_fault_injection() {
    let s = start_with(Config::default()).await;
    for (m, p) in [
        (Method::POST, "/_dev/faults"),
        (Method::DELETE, "/_dev/faults"),
        (Method::GET, "/_dev/requests"),
        (Method::DELETE, "/_dev/requests"),
    ] {
        let r = s
            .send(m, p, &[], Some(json!({"fault": {"type": "drop"}})))
            .await;
        assert_eq!((r.status, r.code()), (404, "not_found"), "{p}");
    }
    assert_eq!(s.get(&s.root, "/v1/agents").await.status, 200);
    s.server.shutdown().await;
}
