//! The HTTP API over real sockets: auth, errors, lifecycle, roles, scopes, validation, paging,
//! rotation, idempotency, rate limits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use noorle_dev_server::Config;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn three_headers_and_bad_cases() {
    let s = start_default().await;
    let root = s.root.clone();
    for (h, v) in [
        ("X-API-Key", root.clone()),
        ("API-Key", root.clone()),
        ("Authorization", format!("ApiKey {root}")),
    ] {
        let r = s
            .send(Method::GET, "/v1/api-keys/self", &[(h, &v)], None)
            .await;
        assert_eq!(r.status, 200, "{h}: {:?}", r.body);
        assert_eq!(r.body["api_key"]["id"], access_id(&root));
        assert!(r.body["api_key"].get("key").is_none());
    }
    // Same key twice is fine; two different keys are 400.
    let r = s
        .send(
            Method::GET,
            "/v1/api-keys/self",
            &[("X-API-Key", &root), ("API-Key", &root)],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let other = fresh_key();
    let r = s
        .send(
            Method::GET,
            "/v1/api-keys/self",
            &[("X-API-Key", &root), ("API-Key", &other)],
            None,
        )
        .await;
    assert_eq!((r.status, r.code()), (400, "invalid_request"));

    let r = s
        .send(
            Method::GET,
            "/v1/api-keys/self",
            &[("Authorization", &format!("Bearer {root}"))],
            None,
        )
        .await;
    assert_eq!((r.status, r.code()), (401, "unauthorized"));
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("X-API-Key"));
    assert_eq!(r.reason(), Some("bearer_scheme"));

    let r = s.send(Method::GET, "/v1/api-keys/self", &[], None).await;
    assert_eq!((r.status, r.reason()), (401, Some("missing")));

    let r = s
        .get("ak-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", "/v1/api-keys/self")
        .await;
    assert_eq!((r.status, r.reason()), (401, Some("malformed")));

    // Wrong secret and unknown id: the same answer, no reason.
    let wrong = format!("ak-{}{}", access_id(&root), secret(&fresh_key()));
    for k in [wrong, fresh_key()] {
        let r = s.get(&k, "/v1/api-keys/self").await;
        assert_eq!(r.status, 401);
        assert_eq!(r.body["error"]["message"], "invalid API key");
        assert!(r.body["error"].get("details").is_none(), "{:?}", r.body);
    }

    // Unknown paths and the OpenAPI file also carry X-Request-Id (checked in `send`).
    let r = s.send(Method::GET, "/nope", &[], None).await;
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = s.get(&root, "/v1/nope").await;
    assert_eq!(r.status, 404);
    let r = s.send(Method::GET, "/openapi.yaml", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(r.body.as_str().unwrap().contains("openapi: 3.1"));
    assert!(r.header("content-type").unwrap().contains("yaml"));
    s.server.shutdown().await;
}

#[tokio::test]
async fn key_lifecycle() {
    let s = start_default().await;
    let (id, key) = s.new_key(&s.root, json!({"name": "ci"})).await;
    let base = format!("/v1/api-keys/{id}");
    let r = s.get(&s.root, &base).await;
    assert_eq!(r.body["api_key"]["status"], "active");
    assert_eq!(r.body["api_key"]["last_six"], &key[key.len() - 6..]);
    assert_eq!(r.body["api_key"]["owner"]["type"], "user");

    let r = s
        .post(&s.root, &format!("{base}/deactivate"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["api_key"]["status"].as_str()),
        (200, Some("inactive"))
    );
    let r = s
        .post(&s.root, &format!("{base}/deactivate"), json!({}))
        .await;
    assert_eq!(r.status, 200, "deactivate is idempotent");
    let r = s.get(&key, "/v1/api-keys/self").await;
    assert_eq!((r.status, r.reason()), (401, Some("inactive")));
    // Without the whole key, nothing is learnt.
    let r = s
        .get(
            &format!("ak-{id}{}", secret(&fresh_key())),
            "/v1/api-keys/self",
        )
        .await;
    assert!(r.body["error"].get("details").is_none());

    let r = s
        .post(&s.root, &format!("{base}/activate"), json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["api_key"]["status"].as_str()),
        (200, Some("active"))
    );
    assert_eq!(s.get(&key, "/v1/api-keys/self").await.status, 200);

    // Deleting a key that is not revoked is a conflict.
    assert_eq!(s.delete(&s.root, &base).await.status, 409);

    let r = s.post(&s.root, &format!("{base}/revoke"), json!({})).await;
    assert_eq!(
        (r.status, r.body["api_key"]["status"].as_str()),
        (200, Some("revoked"))
    );
    assert!(r.body["api_key"]["revoked_at"].is_string());
    assert_eq!(
        s.post(&s.root, &format!("{base}/revoke"), json!({}))
            .await
            .status,
        200
    );
    let r = s.get(&key, "/v1/api-keys/self").await;
    assert_eq!((r.status, r.reason()), (401, Some("revoked")));
    assert_eq!(
        s.post(&s.root, &format!("{base}/activate"), json!({}))
            .await
            .status,
        409
    );
    assert_eq!(
        s.post(&s.root, &format!("{base}/deactivate"), json!({}))
            .await
            .status,
        409
    );
    assert_eq!(
        s.post(&s.root, &format!("{base}/rotate"), json!({}))
            .await
            .status,
        409
    );

    let r = s.delete(&s.root, &base).await;
    assert_eq!((r.status, &r.body), (204, &serde_json::Value::Null));
    assert_eq!(s.get(&s.root, &base).await.status, 404);

    // PATCH renames and sets expiry.
    let (id2, _) = s.new_key(&s.root, json!({"name": "old"})).await;
    let r = s
        .patch(
            &s.root,
            &format!("/v1/api-keys/{id2}"),
            json!({"name": " new ", "expires_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["api_key"]["name"], "new");
    assert_eq!(r.body["api_key"]["expires_at"], "2999-01-01T00:00:00Z");
    let r = s
        .patch(
            &s.root,
            &format!("/v1/api-keys/{id2}"),
            json!({"expires_at": null}),
        )
        .await;
    assert_eq!(r.body["api_key"]["expires_at"], serde_json::Value::Null);
    s.server.shutdown().await;
}

#[tokio::test]
async fn expired_key_is_refused() {
    let s = start_default().await;
    let exp = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .replace_nanosecond(0)
        .unwrap();
    let exp_text = exp
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (_, key) = s
        .new_key(&s.root, json!({"name": "short", "expires_at": exp_text}))
        .await;
    // Judged by the clock, not a guessed delay: the server runs in this process, so each check
    // happens between `sent` and `received` on the same clock. Accepted only if sent before
    // `expires_at`, refused as `expired` only if answered after it. (Not the Date header: hyper
    // caches it, and under load it trailed the check by a second.) The loop waits for the expiry to
    // happen; its bound only turns a hang into a failure.
    let mut accepted = 0;
    let mut refused = None;
    for _ in 0..600 {
        let (sent, r, received) = timed(s.get(&key, "/v1/api-keys/self")).await;
        match r.status {
            200 => {
                assert!(
                    sent <= exp,
                    "accepted a request sent at {sent}, after expiry at {exp}"
                );
                accepted += 1;
            }
            _ => {
                assert_eq!((r.status, r.reason()), (401, Some("expired")));
                assert!(
                    received >= exp,
                    "refused by {received}, before expiry at {exp}"
                );
                refused = Some(received);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused.is_some(), "the key was never refused");
    assert!(accepted > 0, "the key was never accepted before it expired");
    s.server.shutdown().await;
}

/// The server caches authenticated callers: any change to the database, even one another process
/// writes to the same file, must reach the very next request.
#[tokio::test]
async fn a_cached_caller_sees_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dev.db");
    let s = start_with(Config {
        db: Some(file.clone()),
        ..Config::default()
    })
    .await;
    let (id, key) = s.new_key(&s.root, json!({"name": "cached"})).await;
    for _ in 0..2 {
        assert_eq!(s.get(&key, "/v1/api-keys/self").await.status, 200);
    }
    // The cached id with another secret is refused, and learns nothing.
    let r = s
        .get(
            &format!("ak-{id}{}", secret(&fresh_key())),
            "/v1/api-keys/self",
        )
        .await;
    assert_eq!(r.status, 401);
    assert!(r.body["error"].get("details").is_none());
    assert_eq!(s.get(&key, "/v1/api-keys/self").await.status, 200);

    let other = rusqlite::Connection::open(&file).unwrap();
    other.busy_timeout(Duration::from_secs(5)).unwrap();
    other
        .execute(
            "UPDATE api_keys SET status = 'inactive' WHERE id = ?1",
            [&id],
        )
        .unwrap();
    let r = s.get(&key, "/v1/api-keys/self").await;
    assert_eq!((r.status, r.reason()), (401, Some("inactive")));
    other
        .execute("UPDATE api_keys SET status = 'active' WHERE id = ?1", [&id])
        .unwrap();
    assert_eq!(s.get(&key, "/v1/api-keys/self").await.status, 200);

    // And through the API, in the same process.
    s.post(&s.root, &format!("/v1/api-keys/{id}/revoke"), json!({}))
        .await;
    let r = s.get(&key, "/v1/api-keys/self").await;
    assert_eq!((r.status, r.reason()), (401, Some("revoked")));
    s.server.shutdown().await;
}

#[tokio::test]
async fn service_accounts_lifecycle() {
    let s = start_default().await;
    let r = s
        .post(
            &s.root,
            "/v1/service-accounts",
            json!({"name": "deploy-bot", "description": "deploys", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let sa = r.body["service_account"].clone();
    let sa_id = sa["id"].as_str().unwrap().to_string();
    assert_eq!(sa["role"], "admin");
    assert_eq!(sa["enabled"], true);
    assert_eq!(sa["description"], "deploys");
    assert_eq!(
        r.body["api_key"]["owner"],
        json!({"type": "service_account", "id": sa_id})
    );
    assert_eq!(
        r.body["api_key"]["permissions"],
        json!(["read", "execute", "manage"])
    );
    assert_eq!(r.body["api_key"]["scope"], json!({"type": "account"}));
    let key = r.body["key"].as_str().unwrap().to_string();
    assert_eq!(s.get(&key, "/v1/api-keys/self").await.status, 200);

    let r = s
        .get(&s.root, &format!("/v1/service-accounts/{sa_id}"))
        .await;
    assert_eq!(r.body["service_account"], sa);
    let r = s.get(&s.root, "/v1/service-accounts").await;
    assert_eq!(
        (r.body["total"].as_i64(), r.body["limit"].as_i64()),
        (Some(1), Some(20))
    );

    // A second key for it; both work (rotation by overlap).
    let r = s
        .post(
            &s.root,
            &format!("/v1/service-accounts/{sa_id}/api-keys"),
            json!({"name": "second"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let key2 = r.body["key"].as_str().unwrap().to_string();
    assert_eq!(s.get(&key2, "/v1/agents").await.status, 200);
    let r = s
        .get(&s.root, &format!("/v1/service-accounts/{sa_id}/api-keys"))
        .await;
    assert_eq!(r.body["total"], 2);
    let r = s
        .get(&s.root, &format!("/v1/api-keys?service_account_id={sa_id}"))
        .await;
    assert_eq!(r.body["total"], 2);
    let r = s.get(&s.root, "/v1/api-keys?owner_type=user").await;
    assert_eq!(r.body["total"], 1);

    // Disabled: its keys get 401 with the reason.
    let r = s
        .patch(
            &s.root,
            &format!("/v1/service-accounts/{sa_id}"),
            json!({"enabled": false, "name": "renamed"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["service_account"]["enabled"].as_bool()),
        (200, Some(false))
    );
    assert_eq!(r.body["service_account"]["name"], "renamed");
    let r = s.get(&key, "/v1/api-keys/self").await;
    assert_eq!(
        (r.status, r.reason()),
        (401, Some("service_account_disabled"))
    );
    s.patch(
        &s.root,
        &format!("/v1/service-accounts/{sa_id}"),
        json!({"enabled": true}),
    )
    .await;
    assert_eq!(s.get(&key, "/v1/api-keys/self").await.status, 200);

    // Deleted: keys revoked, records kept.
    assert_eq!(
        s.delete(&s.root, &format!("/v1/service-accounts/{sa_id}"))
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&s.root, &format!("/v1/service-accounts/{sa_id}"))
            .await
            .status,
        404
    );
    let r = s.get(&key, "/v1/api-keys/self").await;
    assert_eq!((r.status, r.reason()), (401, Some("revoked")));
    let r = s
        .get(&s.root, &format!("/v1/api-keys/{}", access_id(&key2)))
        .await;
    assert_eq!(r.body["api_key"]["status"], "revoked");
    let r = s.get(&s.root, "/v1/api-keys?status=revoked").await;
    assert_eq!(r.body["total"], 2);
    s.server.shutdown().await;
}

#[tokio::test]
async fn resource_scopes_and_permissions() {
    let s = start_default().await;
    let scope = json!({"type": "resources", "resources": [
        {"type": "agent", "id": "agt_weather"},
        {"type": "gateway", "id": "gw_public"},
        {"type": "resource", "id": "agt_billing"}]});
    let (_, read) = s
        .new_key(
            &s.root,
            json!({"name": "r", "scope": scope, "permissions": ["read"]}),
        )
        .await;
    let r = s.get(&read, "/v1/agents").await;
    let ids: Vec<&str> = r.body["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["agt_weather", "agt_billing"]);
    assert_eq!(r.body["total"], 2);
    assert_eq!(
        s.get(&read, "/v1/agents/agt_weather").await.body["agent"]["name"],
        "Weather"
    );
    assert_eq!(s.get(&read, "/v1/agents/agt_support").await.status, 403);
    assert_eq!(s.get(&read, "/v1/gateways/gw_internal").await.status, 403);
    assert_eq!(
        s.get(&read, "/v1/gateways/gw_public").await.body["gateway"]["id"],
        "gw_public"
    );
    assert_eq!(s.get(&read, "/v1/gateways").await.body["total"], 1);
    // Reading is not running.
    let r = s
        .post(&read, "/v1/agents/agt_weather/run", json!({"input": "hi"}))
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));

    let (_, exec) = s
        .new_key(
            &s.root,
            json!({"name": "x", "scope": scope, "permissions": ["execute"]}),
        )
        .await;
    let r = s
        .post(
            &exec,
            "/v1/agents/agt_weather/run",
            json!({"input": {"city": "Oslo"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["run"]["output"], json!({"echo": {"city": "Oslo"}}));
    assert_eq!(r.body["run"]["status"], "completed");
    assert_eq!(r.body["run"]["agent_id"], "agt_weather");
    assert_eq!(
        s.post(&exec, "/v1/agents/agt_support/run", json!({}))
            .await
            .status,
        403
    );
    assert_eq!(s.get(&exec, "/v1/agents").await.status, 403);

    // Account-wide: everything; unknown ids are 404.
    assert_eq!(s.get(&s.root, "/v1/agents").await.body["total"], 3);
    assert_eq!(s.get(&s.root, "/v1/gateways").await.body["total"], 2);
    assert_eq!(s.get(&s.root, "/v1/agents/agt_nope").await.status, 404);

    // A resource-scoped key cannot manage, even with `manage`.
    let (_, scoped_manage) = s
        .new_key(
            &s.root,
            json!({"name": "m", "scope": scope, "permissions": ["read", "manage"]}),
        )
        .await;
    assert_eq!(s.get(&scoped_manage, "/v1/api-keys").await.status, 403);
    // Any valid key reads itself.
    assert_eq!(s.get(&scoped_manage, "/v1/api-keys/self").await.status, 200);
    s.server.shutdown().await;
}

#[tokio::test]
async fn roles() {
    let s = start_default().await;
    let (dev_sa, dev) = s.service_account("developer").await;
    let (dev_key_id, _) = s.new_key(&dev, json!({"name": "dev-direct"})).await;
    let r = s.get(&dev, "/v1/api-keys").await;
    assert_eq!(r.body["total"], 2, "{:?}", r.body);
    assert!(r.body["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["owner"]["id"] == dev_sa.as_str()));
    assert_eq!(
        s.get(&dev, &format!("/v1/api-keys/{}", access_id(&s.root)))
            .await
            .status,
        404
    );
    assert_eq!(
        s.post(
            &dev,
            &format!("/v1/api-keys/{}/revoke", access_id(&s.root)),
            json!({})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        s.get(&dev, &format!("/v1/api-keys/{dev_key_id}"))
            .await
            .status,
        200
    );
    assert_eq!(
        s.get(&dev, "/v1/api-keys?owner_type=user").await.body["total"],
        0
    );
    assert_eq!(s.get(&dev, "/v1/service-accounts").await.status, 403);
    let r = s
        .post(
            &dev,
            "/v1/service-accounts",
            json!({"name": "x", "role": "viewer"}),
        )
        .await;
    assert_eq!(r.status, 403);

    let (_, viewer) = s.service_account("viewer").await;
    let r = s.get(&viewer, "/v1/api-keys/self").await;
    assert_eq!(r.body["api_key"]["permissions"], json!(["read"]));
    assert_eq!(s.get(&viewer, "/v1/api-keys").await.status, 403);
    assert_eq!(
        s.post(&viewer, "/v1/api-keys", json!({"name": "v"}))
            .await
            .status,
        403
    );
    assert_eq!(s.get(&viewer, "/v1/agents").await.status, 200);

    // No escalation: an admin cannot create or promote to owner.
    let (_, admin) = s.service_account("admin").await;
    let r = s
        .post(
            &admin,
            "/v1/service-accounts",
            json!({"name": "o", "role": "owner"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = s
        .post(
            &admin,
            "/v1/service-accounts",
            json!({"name": "a", "role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s
        .patch(
            &admin,
            &format!("/v1/service-accounts/{dev_sa}"),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = s
        .patch(
            &admin,
            &format!("/v1/service-accounts/{dev_sa}"),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Admin manages every key, including the owner's.
    assert_eq!(
        s.get(&admin, &format!("/v1/api-keys/{}", access_id(&s.root)))
            .await
            .status,
        200
    );
    // The owner may create an owner service account.
    let r = s
        .post(
            &s.root,
            "/v1/service-accounts",
            json!({"name": "o", "role": "owner"}),
        )
        .await;
    assert_eq!(r.status, 201);
    // Default role is developer.
    let r = s
        .post(&s.root, "/v1/service-accounts", json!({"name": "d"}))
        .await;
    assert_eq!(r.body["service_account"]["role"], "developer");
    s.server.shutdown().await;
}

#[tokio::test]
async fn narrowing() {
    let s = start_default().await;
    let (_, rm) = s
        .new_key(
            &s.root,
            json!({"name": "rm", "permissions": ["manage", "read"]}),
        )
        .await;
    let r = s.get(&rm, "/v1/api-keys/self").await;
    assert_eq!(r.body["api_key"]["permissions"], json!(["read", "manage"]));
    let r = s
        .post(
            &rm,
            "/v1/api-keys",
            json!({"name": "more", "permissions": ["read", "execute"]}),
        )
        .await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = s
        .post(
            &rm,
            "/v1/api-keys",
            json!({"name": "less", "permissions": ["read"]}),
        )
        .await;
    assert_eq!(r.status, 201);
    // Defaults to the creator's own permissions.
    let r = s.post(&rm, "/v1/api-keys", json!({"name": "same"})).await;
    assert_eq!(r.body["api_key"]["permissions"], json!(["read", "manage"]));
    s.server.shutdown().await;
}

#[tokio::test]
async fn validation_errors() {
    let s = start_default().await;
    let cases = [
        (json!({}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "k", "permissions": []}), "permissions"),
        (
            json!({"name": "k", "permissions": ["read", "read"]}),
            "permissions.1",
        ),
        (
            json!({"name": "k", "permissions": ["fly"]}),
            "permissions.0",
        ),
        (
            json!({"name": "k", "scope": {"type": "planet"}}),
            "scope.type",
        ),
        (
            json!({"name": "k", "scope": {"type": "resources", "resources": []}}),
            "scope.resources",
        ),
        (
            json!({"name": "k", "scope": {"type": "resources", "resources": [{"type": "agent"}]}}),
            "scope.resources.0.id",
        ),
        (
            json!({"name": "k", "scope": {"type": "resources", "resources": [{"type": "x", "id": "a"}]}}),
            "scope.resources.0.type",
        ),
        (
            json!({"name": "k", "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (json!({"name": "k", "expires_at": "tomorrow"}), "expires_at"),
        (
            json!({"name": "k", "rate_limit_per_minute": 0}),
            "rate_limit_per_minute",
        ),
        (
            json!({"name": "k", "rate_limit_per_minute": 1_000_001}),
            "rate_limit_per_minute",
        ),
    ];
    for (body, field) in cases {
        let r = s.post(&s.root, "/v1/api-keys", body.clone()).await;
        assert_eq!((r.status, r.code()), (422, "validation_error"), "{body}");
        assert_eq!(r.field(), Some(field), "{body}: {:?}", r.body);
        assert!(r.reason().is_some());
    }
    // Unknown fields are ignored.
    let r = s
        .post(
            &s.root,
            "/v1/api-keys",
            json!({"name": "k", "colour": "blue"}),
        )
        .await;
    assert_eq!(r.status, 201);

    let r = s
        .post(
            &s.root,
            "/v1/service-accounts",
            json!({"name": "x", "role": "god"}),
        )
        .await;
    assert_eq!((r.status, r.field()), (422, Some("role")));
    let r = s
        .post(
            &s.root,
            "/v1/api-keys/whatever/rotate",
            json!({"grace_period_seconds": 604_801}),
        )
        .await;
    assert_eq!(
        r.status, 422,
        "the body is checked before the key is looked up"
    );
    let (id, _) = s.new_key(&s.root, json!({"name": "g"})).await;
    let r = s
        .post(
            &s.root,
            &format!("/v1/api-keys/{id}/rotate"),
            json!({"grace_period_seconds": -1}),
        )
        .await;
    assert_eq!((r.status, r.field()), (422, Some("grace_period_seconds")));
    for q in ["limit=0", "limit=101", "limit=abc", "offset=-1"] {
        let r = s.get(&s.root, &format!("/v1/api-keys?{q}")).await;
        assert_eq!(r.status, 422, "{q}");
        assert_eq!(r.field(), Some(q.split('=').next().unwrap()));
    }
    assert_eq!(
        s.get(&s.root, "/v1/api-keys?status=gone").await.field(),
        Some("status")
    );

    // Invalid JSON and oversized bodies: 400.
    let r = s
        .send(
            Method::POST,
            "/v1/api-keys",
            &[("X-API-Key", &s.root), ("Content-Type", "application/json")],
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    let resp = s
        .http
        .post(format!("{}/v1/api-keys", s.base))
        .header("X-API-Key", &s.root)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let big = json!({"name": "big", "pad": "x".repeat(70 * 1024)});
    let r = s.post(&s.root, "/v1/api-keys", big).await;
    assert_eq!((r.status, r.code()), (400, "invalid_request"));
    s.server.shutdown().await;
}

#[tokio::test]
async fn pagination() {
    let s = start_default().await;
    let (sa, _) = s.service_account("developer").await;
    for i in 0..5 {
        let r = s
            .post(
                &s.root,
                &format!("/v1/service-accounts/{sa}/api-keys"),
                json!({"name": format!("k{i}")}),
            )
            .await;
        assert_eq!(r.status, 201);
    }
    let path = format!("/v1/service-accounts/{sa}/api-keys");
    let mut seen = std::collections::HashSet::new();
    for offset in [0, 2, 4] {
        let r = s
            .get(&s.root, &format!("{path}?limit=2&offset={offset}"))
            .await;
        assert_eq!(r.body["total"], 6);
        assert_eq!(
            (r.body["limit"].as_i64(), r.body["offset"].as_i64()),
            (Some(2), Some(offset))
        );
        for k in r.body["api_keys"].as_array().unwrap() {
            assert!(seen.insert(k["id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(seen.len(), 6);
    let r = s.get(&s.root, &format!("{path}?offset=6")).await;
    assert_eq!(
        (
            r.body["api_keys"].as_array().unwrap().len(),
            r.body["total"].as_i64()
        ),
        (0, Some(6))
    );
    // Newest first.
    let r = s.get(&s.root, &format!("{path}?limit=100")).await;
    let times: Vec<&str> = r.body["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    let r = s.get(&s.root, "/v1/agents?limit=1&offset=1").await;
    assert_eq!(
        (r.body["agents"][0]["id"].as_str(), r.body["total"].as_i64()),
        (Some("agt_support"), Some(3))
    );
    s.server.shutdown().await;
}

fn rfc3339(v: &serde_json::Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

/// Runs a request to the in-process server, with the clock read just before and just after: the
/// server handled it in between, on the same clock.
async fn timed(
    req: impl std::future::Future<Output = Resp>,
) -> (time::OffsetDateTime, Resp, time::OffsetDateTime) {
    let sent = time::OffsetDateTime::now_utc();
    let r = req.await;
    (sent, r, time::OffsetDateTime::now_utc())
}

/// The server's clock when it answered (the `Date` header, whole seconds; hyper caches it, so it
/// can trail the handler's clock).
fn server_date(r: &Resp) -> time::OffsetDateTime {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(r.header("date").unwrap(), format)
        .unwrap()
        .assume_utc()
}

#[tokio::test]
async fn rotation() {
    let s = start_default().await;
    let (id, old) = s
        .new_key(
            &s.root,
            json!({"name": "rot", "permissions": ["read"], "rate_limit_per_minute": 50}),
        )
        .await;
    let r = s
        .post(&s.root, &format!("/v1/api-keys/{id}/rotate"), json!({}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let new = r.body["key"].as_str().unwrap().to_string();
    assert_eq!(r.body["api_key"]["rotated_from"], id.as_str());
    assert_eq!(r.body["api_key"]["name"], "rot");
    assert_eq!(r.body["api_key"]["permissions"], json!(["read"]));
    assert_eq!(r.body["api_key"]["rate_limit_per_minute"], 50);
    assert_eq!(r.body["previous"]["status"], "revoked");
    assert_eq!(s.get(&old, "/v1/api-keys/self").await.status, 401);
    assert_eq!(s.get(&new, "/v1/api-keys/self").await.status, 200);

    // With a grace period the old key keeps working; revoked_at is in the future.
    let new_id = access_id(&new).to_string();
    let (sent, r, received) = timed(s.post(
        &s.root,
        &format!("/v1/api-keys/{new_id}/rotate"),
        json!({"grace_period_seconds": 3600}),
    ))
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["previous"]["status"], "active");
    // An hour after the moment of the rotation (stored in whole seconds).
    let until = rfc3339(&r.body["previous"]["revoked_at"]);
    let hour = time::Duration::hours(1);
    assert!(
        until > sent + hour - time::Duration::seconds(1) && until <= received + hour,
        "{until} vs a rotation between {sent} and {received}"
    );
    let newer = r.body["key"].as_str().unwrap().to_string();
    assert_eq!(s.get(&new, "/v1/api-keys/self").await.status, 200);
    assert_eq!(s.get(&newer, "/v1/api-keys/self").await.status, 200);

    // A short grace period runs out.
    let r = s
        .post(
            &s.root,
            &format!("/v1/api-keys/{}/rotate", access_id(&newer)),
            json!({"grace_period_seconds": 1}),
        )
        .await;
    assert_eq!(r.status, 201);
    // revoked_at has whole seconds, so the key may stop within the same second: each answer is
    // judged by the clock around its request (see `timed`) rather than a guessed delay.
    let until = rfc3339(&r.body["previous"]["revoked_at"]);
    let mut seen = Vec::new();
    loop {
        let (sent, r, received) = timed(s.get(&newer, "/v1/api-keys/self")).await;
        seen.push((r.status, sent, received));
        if r.status == 401 {
            assert_eq!(r.reason(), Some("revoked"));
            assert!(
                received >= until,
                "refused before revoked_at {until}: {seen:?}"
            );
            break;
        }
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert!(sent <= until, "accepted after revoked_at {until}: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = s
        .get(&s.root, &format!("/v1/api-keys/{}", access_id(&newer)))
        .await;
    assert_eq!(r.body["api_key"]["status"], "revoked");
    s.server.shutdown().await;
}

#[tokio::test]
async fn idempotency() {
    let s = start_default().await;
    let h = |k: &'static str| {
        [
            ("X-API-Key", s.root.clone()),
            ("Idempotency-Key", k.to_string()),
        ]
    };
    let send = |k: &'static str, body: serde_json::Value| {
        let hs = h(k);
        let s = &s;
        async move {
            let hs: Vec<(&str, &str)> = hs.iter().map(|(a, b)| (*a, b.as_str())).collect();
            s.send(Method::POST, "/v1/api-keys", &hs, Some(body)).await
        }
    };
    let first = send("idem-1", json!({"name": "once"})).await;
    assert_eq!(first.status, 201);
    assert!(first.header("idempotent-replayed").is_none());
    let again = send("idem-1", json!({"name": "once"})).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_ne!(again.header("x-request-id"), first.header("x-request-id"));
    let other = send("idem-1", json!({"name": "twice"})).await;
    assert_eq!((other.status, other.code()), (409, "conflict"));
    let r = s.get(&s.root, "/v1/api-keys?owner_type=user").await;
    assert_eq!(r.body["total"], 2, "root + one");

    // Another caller may use the same Idempotency-Key value independently.
    let (_, admin) = s.service_account("admin").await;
    let r = s
        .send(
            Method::POST,
            "/v1/api-keys",
            &[("X-API-Key", &admin), ("Idempotency-Key", "idem-1")],
            Some(json!({"name": "once"})),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(r.header("idempotent-replayed").is_none());

    // A bad Idempotency-Key is 400.
    let r = s
        .send(
            Method::POST,
            "/v1/api-keys",
            &[
                ("X-API-Key", &s.root),
                ("Idempotency-Key", &"x".repeat(256)),
            ],
            Some(json!({"name": "z"})),
        )
        .await;
    assert_eq!(r.status, 400);

    // 100 concurrent POSTs with one key create exactly one service account.
    let before = s.get(&s.root, "/v1/service-accounts").await.body["total"]
        .as_i64()
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let http = s.http.clone();
        let url = format!("{}/v1/service-accounts", s.base);
        let root = s.root.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(url)
                .header("X-API-Key", root)
                .header("Idempotency-Key", "concurrent-sa")
                .json(&json!({"name": "concurrent"}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (
                status,
                body["service_account"]["id"].as_str().unwrap().to_string(),
            )
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, id) = t.await.unwrap();
        assert_eq!(status, 201);
        ids.insert(id);
    }
    assert_eq!(ids.len(), 1);
    let after = s.get(&s.root, "/v1/service-accounts").await.body["total"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 1);
    s.server.shutdown().await;
}

#[tokio::test]
async fn rate_limits() {
    let s = start_default().await;
    // The limit counts per calendar minute. Four calls that straddle a minute boundary (a loaded
    // machine can take seconds) prove nothing either way, so they are made again with a fresh key;
    // four calls inside one window must meet every expectation.
    let mut attempts = 0;
    let r = loop {
        attempts += 1;
        assert!(attempts <= 5, "every run straddled a minute boundary");
        let (_, key) = s
            .new_key(&s.root, json!({"name": "slow", "rate_limit_per_minute": 3}))
            .await;
        let mut answers = Vec::new();
        for _ in 0..4 {
            answers.push(s.get(&key, "/v1/agents").await);
        }
        let resets: Vec<i64> = answers
            .iter()
            .map(|r| r.header("x-ratelimit-reset").unwrap().parse().unwrap())
            .collect();
        if resets.iter().any(|&reset| reset != resets[0]) {
            continue;
        }
        for (i, r) in answers[..3].iter().enumerate() {
            assert_eq!(r.status, 200);
            assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
            assert_eq!(
                r.header("x-ratelimit-remaining"),
                Some((2 - i).to_string().as_str())
            );
            assert_eq!(resets[i] % 60, 0);
            assert!(resets[i] > server_date(r).unix_timestamp());
        }
        break answers.pop().unwrap();
    };
    assert_eq!((r.status, r.code()), (429, "rate_limited"));
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert!(r.header("x-ratelimit-reset").is_some());
    // Other keys are not affected; the server default applies to keys without a limit.
    let r = s.get(&s.root, "/v1/agents").await;
    assert_eq!(
        (r.status, r.header("x-ratelimit-limit")),
        (200, Some("100000"))
    );
    s.server.shutdown().await;
}

#[tokio::test]
async fn last_used_at_updates() {
    let s = start_default().await;
    let (id, key) = s.new_key(&s.root, json!({"name": "u"})).await;
    let r = s.get(&s.root, &format!("/v1/api-keys/{id}")).await;
    assert!(r.body["api_key"]["last_used_at"].is_null());
    assert_eq!(s.get(&key, "/v1/agents").await.status, 200);
    let r = s.get(&s.root, &format!("/v1/api-keys/{id}")).await;
    assert!(
        r.body["api_key"]["last_used_at"].is_string(),
        "{:?}",
        r.body
    );
    // The list shows it too, also after a flush.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = s.get(&s.root, "/v1/api-keys?limit=100").await;
    let k = r.body["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(k["last_used_at"].is_string());
    s.server.shutdown().await;
}
