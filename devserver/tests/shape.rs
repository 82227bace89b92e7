//! Every answer in the contract's shape: timestamps, the error envelope (also for the
//! framework's own rejections), `Cache-Control` on secrets, and the shared key vectors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// RFC 3339 UTC, second precision, `Z`: the only form a timestamp in an answer takes.
fn is_timestamp(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

fn assert_key_timestamps(k: &Value) {
    assert!(is_timestamp(&k["created_at"]), "{k}");
    for f in ["last_used_at", "expires_at", "revoked_at"] {
        assert!(k[f].is_null() || is_timestamp(&k[f]), "{f}: {k}");
    }
}

#[tokio::test]
async fn timestamps_past_year_9999_are_refused() {
    let s = start_default().await;
    let (sa, _) = s.service_account("developer").await;
    let (id, _) = s.new_key(&s.root, json!({"name": "patched"})).await;
    for late in ["9999-12-31T23:59:59-00:01", "9999-12-31T23:00:00-23:59"] {
        let body = json!({"name": "late", "expires_at": late});
        for (method, path) in [
            (Method::POST, "/v1/api-keys".to_string()),
            (Method::POST, format!("/v1/service-accounts/{sa}/api-keys")),
            (Method::PATCH, format!("/v1/api-keys/{id}")),
        ] {
            let r = s
                .send(method, &path, &[("X-API-Key", &s.root)], Some(body.clone()))
                .await;
            assert_eq!(
                (r.status, r.code(), r.field()),
                (422, "validation_error", Some("expires_at")),
                "{late} on {path}: {}",
                r.body
            );
        }
    }
    // The last second that can be written is fine, and read back as written.
    let (_, last) = s
        .new_key(
            &s.root,
            json!({"name": "last", "expires_at": "9999-12-31T23:59:59Z"}),
        )
        .await;
    let r = s.get(&last, "/v1/api-keys/self").await;
    assert_eq!(r.body["api_key"]["expires_at"], "9999-12-31T23:59:59Z");
    // Every timestamp of every answer parses.
    let r = s.get(&s.root, "/v1/api-keys?limit=100").await;
    let keys = r.body["api_keys"].as_array().unwrap();
    assert!(keys.len() >= 4, "{}", r.body);
    keys.iter().for_each(assert_key_timestamps);
    let r = s.get(&s.root, "/v1/service-accounts").await;
    let sas = r.body["service_accounts"].as_array().unwrap();
    assert!(!sas.is_empty());
    for sa in sas {
        assert!(is_timestamp(&sa["created_at"]), "{sa}");
    }
    s.server.shutdown().await;
}

/// Status, code, and whether the body is the JSON envelope with a message.
async fn raw(
    s: &Srv,
    method: Method,
    path: &str,
    ctype: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut rb = s
        .http
        .request(method, format!("{}{path}", s.base))
        .header("X-API-Key", &s.root);
    if let Some(ct) = ctype {
        rb = rb.header("Content-Type", ct);
    }
    let r = rb.body(body.to_string()).send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(r.headers().contains_key("x-request-id"), "{path}");
    let text = r.text().await.unwrap();
    assert_eq!(ct, "application/json", "{path}: {text}");
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(!message.is_empty(), "{path}: {text}");
    (
        status,
        v["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

/// Method, path, Content-Type, body; the status and code expected.
type Case = (
    Method,
    &'static str,
    Option<&'static str>,
    &'static str,
    u16,
    &'static str,
);

#[tokio::test]
async fn every_error_carries_the_envelope() {
    let s = start_default().await;
    let cases: &[Case] = &[
        // A path segment that is not UTF-8: the framework's own rejection.
        (
            Method::GET,
            "/v1/api-keys/%FF%FE",
            None,
            "",
            400,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/api-keys/%FF%FE/rotate",
            None,
            "",
            400,
            "invalid_request",
        ),
        (
            Method::GET,
            "/v1/service-accounts/%C3%28",
            None,
            "",
            400,
            "invalid_request",
        ),
        (
            Method::GET,
            "/v1/agents/%FF",
            None,
            "",
            400,
            "invalid_request",
        ),
        // Query strings that do not decode or do not fit.
        (
            Method::GET,
            "/v1/api-keys?limit=%FF",
            None,
            "",
            422,
            "validation_error",
        ),
        (
            Method::GET,
            "/v1/api-keys?status=%FF%FE",
            None,
            "",
            422,
            "validation_error",
        ),
        (
            Method::GET,
            "/v1/agents?offset=-1",
            None,
            "",
            422,
            "validation_error",
        ),
        // Bodies that are not JSON, whatever the Content-Type says.
        (
            Method::POST,
            "/v1/api-keys",
            Some("text/plain"),
            "name=x",
            400,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/api-keys",
            Some("application/json"),
            "{",
            400,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/api-keys",
            Some("application/x-www-form-urlencoded"),
            "name=x",
            400,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/api-keys",
            Some("application/json"),
            "[]",
            400,
            "invalid_request",
        ),
        (
            Method::POST,
            "/v1/api-keys",
            None,
            "",
            400,
            "invalid_request",
        ),
        // Method not allowed, unknown paths.
        (
            Method::DELETE,
            "/v1/api-keys",
            None,
            "",
            405,
            "invalid_request",
        ),
        (
            Method::PUT,
            "/v1/api-keys/self",
            None,
            "",
            405,
            "invalid_request",
        ),
        (Method::GET, "/v1/no-such-thing", None, "", 404, "not_found"),
        (Method::GET, "/no-such-thing", None, "", 404, "not_found"),
    ];
    for (method, path, ctype, body, status, code) in cases {
        let got = raw(&s, method.clone(), path, *ctype, body).await;
        assert_eq!(got, (*status, code.to_string()), "{method} {path}");
    }
    s.server.shutdown().await;
}

#[tokio::test]
async fn answers_with_a_secret_are_not_stored() {
    let s = start_default().await;
    let no_store = |r: &Resp| r.header("cache-control") == Some("no-store");
    let r = s
        .post(&s.root, "/v1/service-accounts", json!({"name": "cache"}))
        .await;
    assert_eq!(r.status, 201);
    assert!(no_store(&r), "service account creation");
    let sa = r.body["service_account"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = s
        .post(
            &s.root,
            &format!("/v1/service-accounts/{sa}/api-keys"),
            json!({"name": "k"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(no_store(&r), "service account key");
    let id = r.body["api_key"]["id"].as_str().unwrap().to_string();
    let r = s
        .post(&s.root, &format!("/v1/api-keys/{id}/rotate"), json!({}))
        .await;
    assert_eq!(r.status, 201);
    assert!(no_store(&r), "rotation");
    // A replayed creation carries the same secret, so it says the same.
    for _ in 0..2 {
        let r = s
            .send(
                Method::POST,
                "/v1/api-keys",
                &[("X-API-Key", &s.root), ("Idempotency-Key", "cache-1")],
                Some(json!({"name": "direct"})),
            )
            .await;
        assert_eq!(r.status, 201);
        assert!(r.body["key"].is_string());
        assert!(
            no_store(&r),
            "direct key, replayed: {:?}",
            r.header("idempotent-replayed")
        );
    }
    // A record without a secret is an ordinary answer.
    let r = s.get(&s.root, &format!("/v1/api-keys/{id}")).await;
    assert_eq!(r.status, 200);
    assert!(!no_store(&r));
    s.server.shutdown().await;
}

/// The shared vectors, sent as `X-API-Key`: a well-formed key the server does not know is
/// `invalid API key`; a malformed one says so, at the vector's position.
#[tokio::test]
async fn the_shared_key_vectors_over_http() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/api_keys.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let s = start_default().await;
    let mut sent = 0;
    for c in v["parse_valid"].as_array().unwrap() {
        let r = s
            .get(c["input"].as_str().unwrap(), "/v1/api-keys/self")
            .await;
        assert_eq!((r.status, r.reason()), (401, None), "{c}");
        assert_eq!(r.body["error"]["message"], "invalid API key");
        sent += 1;
    }
    for c in v["parse_invalid"].as_array().unwrap() {
        let input = c["input"].as_str().unwrap();
        // HTTP trims a header value and cannot carry every character: send what it can as is.
        if input.trim() != input || reqwest::header::HeaderValue::from_str(input).is_err() {
            continue;
        }
        let r = s.get(input, "/v1/api-keys/self").await;
        assert_eq!(
            (r.status, r.reason()),
            (401, Some("malformed")),
            "{c}: {}",
            r.body
        );
        let message = r.body["error"]["message"].as_str().unwrap();
        if let Some(pos) = c["position"].as_u64() {
            assert!(
                message.contains(&format!("position {pos})")),
                "{c}: {message}"
            );
        }
        assert!(!message.contains("s9t0u1v2w3x4y5z"), "{message}");
        sent += 1;
    }
    assert!(sent >= 20, "only {sent} vectors sent");
    s.server.shutdown().await;
}
