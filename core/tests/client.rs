//! The client against a real local server over real HTTP: every endpoint, errors, retries
//! (counted through the server's request log), idempotency, timeouts, cancellation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::TryStreamExt;
use noorle::models::*;
use noorle::ops::{self, CancellationToken, Op, Operation};
use noorle::{ApiKey, ErrorKind, HeaderScheme, Method, RequestOptions};
use serde_json::{json, Value};

use common::{builder, outcomes, start, status_fault};

/// Collects this thread's `noorle` debug log (the client's own account of its retries).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Routes this thread's events to the capture (a current-thread test runtime polls the
    /// client here).
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let me = self.clone();
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::Layer;
        let filter =
            tracing_subscriber::filter::Targets::new().with_target("noorle", tracing::Level::DEBUG);
        let sub = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || me.clone())
                .with_ansi(false)
                .with_filter(filter),
        );
        tracing::subscriber::set_default(sub)
    }

    fn lines_with(&self, needle: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test]
async fn whoami_and_every_api_key_call() {
    let env = start().await;
    let me = env.root.whoami().await.unwrap();
    assert_eq!(me.id, env.root.api_key().access_id());
    assert_eq!(me.owner.kind, OwnerType::User);
    assert_eq!(me.status, KeyStatus::Active);

    let created = env
        .root
        .api_keys()
        .create(
            &CreateApiKey::new("ci-deployer")
                .permissions([Permission::Read])
                .rate_limit_per_minute(600),
        )
        .await
        .unwrap();
    let id = created.api_key.id.clone();
    assert_eq!(created.key.access_id(), id);
    assert_eq!(created.api_key.permissions, vec![Permission::Read]);
    assert_eq!(created.api_key.rate_limit_per_minute, Some(600));
    assert_eq!(
        created.api_key.last_six,
        &created.key.expose_secret()[created.key.expose_secret().len() - 6..]
    );
    assert!(!format!("{created:?}").contains(created.key.expose_secret_part()));

    let got = env.root.api_keys().get(&id).await.unwrap();
    assert_eq!(got.name, "ci-deployer");
    let renamed = env
        .root
        .api_keys()
        .update(
            &id,
            &UpdateApiKey::default()
                .name("ci-2")
                .expires_at(Some("2099-01-01T00:00:00Z".into())),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.expires_at.as_ref().map(|t| t.as_str())
        ),
        ("ci-2", Some("2099-01-01T00:00:00Z"))
    );
    let cleared = env
        .root
        .api_keys()
        .update(&id, &UpdateApiKey::default().expires_at(None))
        .await
        .unwrap();
    assert_eq!(cleared.expires_at, None);

    // The new key works, then each lifecycle step changes what it can do.
    let k = builder(&env).api_key(created.key.clone()).build().unwrap();
    assert_eq!(k.whoami().await.unwrap().id, id);
    assert_eq!(
        env.root.api_keys().deactivate(&id).await.unwrap().status,
        KeyStatus::Inactive
    );
    assert_eq!(
        env.root.api_keys().deactivate(&id).await.unwrap().status,
        KeyStatus::Inactive
    );
    let e = k.whoami().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(e.details().unwrap()["reason"], "inactive");
    assert_eq!(
        env.root.api_keys().activate(&id).await.unwrap().status,
        KeyStatus::Active
    );
    k.whoami().await.unwrap();
    let e = env.root.api_keys().delete(&id).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        env.root.api_keys().revoke(&id).await.unwrap().status,
        KeyStatus::Revoked
    );
    assert_eq!(
        k.whoami().await.unwrap_err().kind(),
        ErrorKind::Authentication
    );
    let e = env.root.api_keys().activate(&id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::Conflict, Some(409), Some("conflict"))
    );
    assert!(e.request_id().unwrap().starts_with("req_"));
    env.root.api_keys().delete(&id).await.unwrap();
    let e = env.root.api_keys().get(&id).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::NotFound, Some(404)));
    assert!(e.to_string().contains(e.request_id().unwrap()));
}

#[tokio::test]
async fn service_accounts_keys_and_pagination() {
    let env = start().await;
    let sas = env.root.service_accounts();
    let created = sas
        .create(
            &CreateServiceAccount::new("deploy-bot")
                .description("deploys")
                .role(Role::Developer),
        )
        .await
        .unwrap();
    let sa = &created.service_account;
    assert_eq!((sa.role.clone(), sa.enabled), (Role::Developer, true));
    assert_eq!(
        created.api_key.owner,
        Owner::new(OwnerType::ServiceAccount, sa.id.clone())
    );
    assert_eq!(sas.get(&sa.id).await.unwrap().name, "deploy-bot");
    let upd = sas
        .update(
            &sa.id,
            &UpdateServiceAccount::default().description("ships it"),
        )
        .await
        .unwrap();
    assert_eq!(upd.description, "ships it");

    for i in 0..4 {
        sas.create_key(&sa.id, &CreateApiKey::new(format!("k{i}")))
            .await
            .unwrap();
    }
    let page = sas
        .list_keys(&sa.id, &PageParams::default().limit(2))
        .await
        .unwrap();
    assert_eq!(
        (page.items.len(), page.total, page.limit, page.next_offset()),
        (2, 5, 2, Some(2))
    );
    let all: Vec<_> = sas
        .list_all_keys(&sa.id, PageParams::default().limit(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    let mut ids: Vec<_> = all.iter().map(|k| k.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "pages overlap");

    let filtered = env
        .root
        .api_keys()
        .list(
            &ListApiKeys::default()
                .service_account_id(sa.id.clone())
                .status(KeyStatus::Active),
        )
        .await
        .unwrap();
    assert_eq!(filtered.total, 5);
    let every: Vec<_> = env
        .root
        .api_keys()
        .list_all(ListApiKeys::default().limit(3))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(every.len(), 6, "5 service-account keys and the root key");
    let accounts: Vec<_> = sas
        .list_all(PageParams::default().limit(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(accounts.len(), 1);
    assert_eq!(sas.list(&PageParams::default()).await.unwrap().total, 1);

    // Disabling the account stops its keys; deleting revokes them.
    let k = builder(&env).api_key(created.key.clone()).build().unwrap();
    k.whoami().await.unwrap();
    sas.update(&sa.id, &UpdateServiceAccount::default().enabled(false))
        .await
        .unwrap();
    let e = k.whoami().await.unwrap_err();
    assert_eq!(e.details().unwrap()["reason"], "service_account_disabled");
    sas.delete(&sa.id).await.unwrap();
    assert_eq!(
        env.root
            .api_keys()
            .get(&created.api_key.id)
            .await
            .unwrap()
            .status,
        KeyStatus::Revoked
    );
    assert_eq!(
        sas.get(&sa.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn rotation_keeps_the_old_key_for_the_grace_period() {
    let env = start().await;
    let (sa, old) = env.account(Role::Admin).await;
    let r = env
        .root
        .api_keys()
        .rotate(
            &sa.api_key.id,
            &RotateApiKey::default().grace_period_seconds(3600),
        )
        .await
        .unwrap();
    assert_eq!(
        r.api_key.rotated_from.as_deref(),
        Some(sa.api_key.id.as_str())
    );
    assert_eq!(r.api_key.name, sa.api_key.name);
    assert!(r.previous.revoked_at.is_some());
    old.whoami().await.unwrap();
    let new = builder(&env).api_key(r.key.clone()).build().unwrap();
    assert_eq!(new.whoami().await.unwrap().id, r.api_key.id);

    // Grace 0: the old key stops at once.
    let r2 = env
        .root
        .api_keys()
        .rotate(&r.api_key.id, &RotateApiKey::default())
        .await
        .unwrap();
    assert_eq!(
        new.whoami().await.unwrap_err().kind(),
        ErrorKind::Authentication
    );
    builder(&env)
        .api_key(r2.key)
        .build()
        .unwrap()
        .whoami()
        .await
        .unwrap();
}

#[tokio::test]
async fn scopes_permissions_and_validation_errors() {
    let env = start().await;
    let (_, admin) = env.account(Role::Admin).await;
    let scoped = admin
        .api_keys()
        .create(
            &CreateApiKey::new("weather-only")
                .scope(Scope::Resources {
                    resources: vec![ResourceRef::agent("agt_weather")],
                })
                .permissions([Permission::Read]),
        )
        .await
        .unwrap();
    let c = builder(&env).api_key(scoped.key).build().unwrap();
    let ok = c
        .request(
            Method::GET,
            "/v1/agents/agt_weather",
            &[],
            None,
            RequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        (ok.status, ok.json["agent"]["id"].as_str()),
        (200, Some("agt_weather"))
    );
    assert!(ok.header("x-request-id").is_some());
    let e = c
        .request(
            Method::GET,
            "/v1/agents/agt_support",
            &[],
            None,
            RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status()),
        (ErrorKind::PermissionDenied, Some(403))
    );
    let list = c
        .request(
            Method::GET,
            "/v1/agents",
            &[],
            None,
            RequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(list.json["total"], 1);
    let e = c
        .request(
            Method::POST,
            "/v1/agents/agt_weather/run",
            &[],
            Some(&json!({"input": 1})),
            RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "run needs execute");
    // Management needs an account-wide key with manage.
    assert_eq!(
        c.api_keys()
            .list(&ListApiKeys::default())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::PermissionDenied
    );

    let e = admin
        .api_keys()
        .create(&CreateApiKey::new(""))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Validation, Some(422)));
    assert_eq!(e.details().unwrap()["field"], "name");
    let e = admin
        .service_accounts()
        .list(&PageParams::default().limit(1000))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(422));

    let (_, viewer) = env.account(Role::Viewer).await;
    assert_eq!(
        viewer
            .api_keys()
            .list(&ListApiKeys::default())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::PermissionDenied
    );
    viewer.whoami().await.unwrap();
}

#[tokio::test]
async fn wrong_secret_is_always_invalid_api_key() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    env.root.api_keys().revoke(&sa.api_key.id).await.unwrap();
    let forged = ApiKey::parse(&format!("ak-{}{}", sa.api_key.id, "A".repeat(32))).unwrap();
    let e = builder(&env)
        .api_key(forged)
        .build()
        .unwrap()
        .whoami()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(e.to_string().contains("invalid API key"), "{e}");
    assert!(
        !e.to_string().contains("revoked"),
        "only the holder of the whole key learns why: {e}"
    );
}

#[tokio::test]
async fn every_header_scheme_is_accepted() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    for scheme in [
        HeaderScheme::XApiKey,
        HeaderScheme::ApiKey,
        HeaderScheme::Authorization,
    ] {
        let c = builder(&env)
            .api_key(sa.key.clone())
            .header_scheme(scheme)
            .build()
            .unwrap();
        c.whoami().await.unwrap();
    }
    let log = env
        .requests(&sa.api_key.id, Some("/v1/api-keys/self"))
        .await;
    let used: Vec<_> = log
        .iter()
        .map(|r| r["auth_header"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(used, ["x-api-key", "api-key", "authorization"]);
}

#[tokio::test]
async fn retries_transient_statuses_and_counts_attempts() {
    let env = start().await;
    let (sa, c) = env.account(Role::Admin).await;
    let id = sa.api_key.id.as_str();

    env.fault(status_fault(id, "GET", "/v1/api-keys/self", 2, 503))
        .await;
    c.whoami().await.unwrap();
    let log = env.requests(id, Some("/v1/api-keys/self")).await;
    let statuses: Vec<_> = log.iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [503, 503, 200]);

    // Out of retries: the last error comes back, with the request id and code.
    env.fault(status_fault(id, "GET", "/v1/agents", 3, 502))
        .await;
    let e = c
        .request(
            Method::GET,
            "/v1/agents",
            &[],
            None,
            RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.is_retryable()),
        (ErrorKind::Server, Some(502), true)
    );
    assert!(e.request_id().is_some());
    assert_eq!(env.requests(id, Some("/v1/agents")).await.len(), 3);

    // Not retried: 400s, 401s, and PATCH (no idempotency key).
    env.fault(status_fault(id, "GET", "/v1/gateways", 1, 400))
        .await;
    assert!(c
        .request(
            Method::GET,
            "/v1/gateways",
            &[],
            None,
            RequestOptions::default()
        )
        .await
        .is_err());
    assert_eq!(env.requests(id, Some("/v1/gateways")).await.len(), 1);
    let path = format!("/v1/service-accounts/{}", sa.service_account.id);
    env.fault(status_fault(id, "PATCH", &path, 1, 503)).await;
    let e = c
        .service_accounts()
        .update(&sa.service_account.id, &UpdateServiceAccount::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(env.requests(id, Some(&path)).await.len(), 1);
}

#[tokio::test]
async fn honours_retry_after_and_survives_dropped_connections() {
    let env = start().await;
    let (sa, c) = env.account(Role::Admin).await;
    let id = sa.api_key.id.as_str();

    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/api-keys/self", "count": 1,
                     "fault": {"type": "status", "status": 429, "retry_after": 1}}),
    )
    .await;
    // The client's own debug log states each retry's delay: the server's 1 s, not the test
    // policy's backoff (at most 50 ms).
    let log = Capture::default();
    {
        let _guard = log.install();
        c.whoami().await.unwrap();
    }
    let retries = log.lines_with("retrying");
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert!(
        retries[0].contains("status=429") && retries[0].contains("delay=1s"),
        "{retries:?}"
    );
    let log = env.requests(id, Some("/v1/api-keys/self")).await;
    assert_eq!(
        outcomes(&log),
        [(json!(429), json!("status")), (json!(200), Value::Null)]
    );

    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/agents", "count": 2, "fault": {"type": "drop"}}),
    )
    .await;
    c.request(
        Method::GET,
        "/v1/agents",
        &[],
        None,
        RequestOptions::default(),
    )
    .await
    .unwrap();
    let log = env.requests(id, Some("/v1/agents")).await;
    let faults: Vec<_> = log
        .iter()
        .map(|r| r["fault"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        faults,
        [Some("drop".to_owned()), Some("drop".to_owned()), None]
    );

    // A Retry-After beyond the cap is not waited for.
    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/gateways", "count": 1,
                     "fault": {"type": "status", "status": 429, "retry_after": 3600}}),
    )
    .await;
    let e = c
        .request(
            Method::GET,
            "/v1/gateways",
            &[],
            None,
            RequestOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.retry_after()),
        (ErrorKind::RateLimited, Some(Duration::from_secs(3600)))
    );
}

#[tokio::test]
async fn a_post_whose_first_attempts_fail_creates_exactly_one_key() {
    let env = start().await;
    let (sa, c) = env.account(Role::Admin).await;
    let id = sa.api_key.id.as_str();
    // The first attempt runs on the server but its answer is lost; the second gets a 503. The
    // third must replay the first, not create again.
    let path = format!("/v1/service-accounts/{}/api-keys", sa.service_account.id);
    env.fault(
        json!({"access_id": id, "method": "POST", "path": path, "count": 1,
                     "fault": {"type": "drop_after"}}),
    )
    .await;
    env.fault(status_fault(id, "POST", &path, 1, 503)).await;
    let created = c
        .service_accounts()
        .create_key(&sa.service_account.id, &CreateApiKey::new("once"))
        .await
        .unwrap();
    let log = env.requests(id, Some(&path)).await;
    assert_eq!(
        outcomes(&log),
        [
            (json!(201), json!("drop_after")),
            (json!(503), json!("status")),
            (json!(201), Value::Null)
        ],
        "{log:?}"
    );
    let keys: Vec<_> = log
        .iter()
        .map(|r| r["idempotency_key"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        keys.iter().all(|k| k == &keys[0]),
        "one Idempotency-Key across retries: {keys:?}"
    );
    let page = env
        .root
        .service_accounts()
        .list_keys(&sa.service_account.id, &PageParams::default())
        .await
        .unwrap();
    let named: Vec<_> = page.items.iter().filter(|k| k.name == "once").collect();
    assert_eq!(named.len(), 1, "exactly one key created");
    assert_eq!(named[0].id, created.api_key.id);
}

#[tokio::test]
async fn timeouts_and_cancellation() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    let id = sa.api_key.id.as_str();
    let path = "/v1/api-keys/self";
    // Stalls far longer than any test: an answer that comes back means the client waited.
    let stall = json!({"access_id": id, "method": "GET", "path": path, "count": 1,
                       "fault": {"type": "stall", "ms": 600_000}});
    let c = builder(&env)
        .api_key(sa.key.clone())
        .timeout(Duration::from_secs(2))
        .max_retries(0)
        .build()
        .unwrap();
    env.fault(stall.clone()).await;
    let e = c.whoami().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Timeout, true));
    // The client gave up while the server still held the request.
    let log = env.requests(id, Some(path)).await;
    assert_eq!(outcomes(&log), [(Value::Null, json!("stall"))]);

    // A timed-out attempt is retried.
    let c = builder(&env)
        .api_key(sa.key.clone())
        .timeout(Duration::from_secs(2))
        .max_retries(1)
        .build()
        .unwrap();
    env.fault(stall.clone()).await;
    assert_eq!(c.whoami().await.unwrap().id, id);
    let log = env.requests(id, Some(path)).await;
    assert_eq!(
        outcomes(&log[1..]),
        [(Value::Null, json!("stall")), (json!(200), Value::Null)]
    );

    // Cancelled once the server has the request: the call ends without an answer.
    let c = builder(&env).api_key(sa.key.clone()).build().unwrap();
    env.fault(stall).await;
    let token = CancellationToken::new();
    let (result, ()) = tokio::join!(
        ops::execute(Some(&c), Op::Whoami.into(), Some(&token)),
        async {
            env.wait_for_requests(id, path, 4).await;
            token.cancel();
        }
    );
    assert_eq!(result.unwrap_err().kind(), ErrorKind::Cancelled);
    let log = env.requests(id, Some(path)).await;
    assert_eq!(outcomes(&log[3..]), [(Value::Null, json!("stall"))]);
}

#[tokio::test]
async fn retries_408_504_and_delete() {
    let env = start().await;
    let (sa, c) = env.account(Role::Admin).await;
    let id = sa.api_key.id.as_str();

    env.fault(status_fault(id, "GET", "/v1/agents", 1, 408))
        .await;
    env.fault(status_fault(id, "GET", "/v1/agents", 1, 504))
        .await;
    let r = c
        .request(
            Method::GET,
            "/v1/agents",
            &[],
            None,
            RequestOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let log = env.requests(id, Some("/v1/agents")).await;
    assert_eq!(
        outcomes(&log),
        [
            (json!(408), json!("status")),
            (json!(504), json!("status")),
            (json!(200), Value::Null)
        ]
    );

    // DELETE is retried too; the key is gone once.
    let doomed = c
        .api_keys()
        .create(&CreateApiKey::new("doomed"))
        .await
        .unwrap();
    c.api_keys().revoke(&doomed.api_key.id).await.unwrap();
    let path = format!("/v1/api-keys/{}", doomed.api_key.id);
    env.fault(status_fault(id, "DELETE", &path, 1, 503)).await;
    c.api_keys().delete(&doomed.api_key.id).await.unwrap();
    let log: Vec<_> = env
        .requests(id, Some(&path))
        .await
        .into_iter()
        .filter(|r| r["method"] == "DELETE")
        .collect();
    assert_eq!(
        outcomes(&log),
        [(json!(503), json!("status")), (json!(204), Value::Null)]
    );
    assert_eq!(
        c.api_keys()
            .get(&doomed.api_key.id)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

// Unix only: the full accept queue needs `listen(2)` with a backlog of 0 through libc.
#[cfg(unix)]
#[tokio::test]
async fn connect_timeout_bounds_a_stalled_connect() {
    use std::os::fd::AsRawFd;
    // A listener whose accept queue is full: the kernel drops further SYNs, so a connect to it
    // stays pending (no root or network setup needed).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen on a socket we own; Linux accepts a new backlog on a listening socket.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    let filled = (0..64).any(|_| {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => {
                held.push(s);
                false
            }
            Err(e) => e.kind() == std::io::ErrorKind::TimedOut,
        }
    });
    assert!(
        filled,
        "the accept queue never filled ({} held)",
        held.len()
    );

    let key = ApiKey::parse(&common::random_key()).unwrap();
    let c = noorle::Client::builder()
        .no_ambient_config()
        .api_key(key)
        .base_url(format!("http://{addr}"))
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_millis(200))
        .max_retries(0)
        .build()
        .unwrap();
    // Without the connect timeout this would end as a whole-request Timeout, or as the
    // kernel's own "Connection timed out" after its SYN retries; the client's connect deadline
    // is a Connection error of its own. Two timers carry that deadline (hyper's connector's and
    // reqwest's around it, set to the same duration), so either one's words may come first.
    let e = c.whoami().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Connection, true));
    let msg = e.to_string();
    assert!(
        (msg.contains("tcp connect error") && msg.contains("deadline has elapsed"))
            || msg.contains("(Connect): operation timed out"),
        "{msg}"
    );
    assert!(!msg.contains("os error"), "{msg}");
    drop(held);
}

#[tokio::test]
async fn connection_refused_is_a_connection_error() {
    let key = ApiKey::parse(&common::random_key()).unwrap();
    let c = noorle::Client::builder()
        .no_ambient_config()
        .api_key(key)
        .base_url("http://127.0.0.1:9")
        .retry_policy(common::fast_retry())
        .build()
        .unwrap();
    let e = c.whoami().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Connection, true));
    assert!(e.to_string().contains("127.0.0.1:9"), "{e}");
}

#[tokio::test]
async fn ops_layer_round_trips_json() {
    let env = start().await;
    let op = Operation::from_json(
        r#"{"op": "service_accounts.create", "name": "ops-bot", "role": "admin"}"#,
    )
    .unwrap();
    let v = ops::execute(Some(&env.root), op, None).await.unwrap();
    let key = v["key"].as_str().unwrap();
    assert!(ApiKey::parse(key).is_ok());
    assert_eq!(v["service_account"]["name"], "ops-bot");
    let op = Operation::from_json(r#"{"op": "api_keys.list", "limit": 1}"#).unwrap();
    let v = ops::execute(Some(&env.root), op, None).await.unwrap();
    assert_eq!(
        (
            v["items"].as_array().unwrap().len(),
            v["total"].as_u64(),
            v["next_offset"].as_u64()
        ),
        (1, Some(2), Some(1))
    );
    let op = Operation::from_json(
        r#"{"op": "request", "method": "get", "path": "/v1/gateways", "query": {"limit": 1}}"#,
    )
    .unwrap();
    let v = ops::execute(Some(&env.root), op, None).await.unwrap();
    assert_eq!(
        (v["status"].as_u64(), v["json"]["total"].as_u64()),
        (Some(200), Some(2))
    );
    // The record operations' typed answer is the same JSON object as their Value.
    let typed = ops::execute_answer(Some(&env.root), Op::Whoami.into(), None)
        .await
        .unwrap();
    assert!(matches!(typed, ops::Answer::KeyRecord(_)));
    let text = serde_json::to_string(&typed).unwrap();
    let whoami = ops::execute(Some(&env.root), Op::Whoami.into(), None)
        .await
        .unwrap();
    let mut from_text: serde_json::Value = serde_json::from_str(&text).unwrap();
    // Only last_used_at may move between the two calls.
    from_text["api_key"]["last_used_at"] = whoami["api_key"]["last_used_at"].clone();
    assert_eq!(from_text, whoami);
    assert_eq!(typed.into_value()["api_key"]["id"], whoami["api_key"]["id"]);
    assert!(Operation::from_json(r#"{"op": "nope"}"#).is_err());
    let e = ops::execute_static(Op::Whoami.into()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let v = ops::execute_static(Operation::from_json(r#"{"op": "auth_headers", "key": "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6", "scheme": "authorization"}"#).unwrap()).unwrap();
    assert_eq!(
        v["Authorization"],
        "ApiKey ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6"
    );
    let e = ops::execute_static(
        Operation::from_json(
            r#"{"op": "parse_key", "key": "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2-w3x4y5z6"}"#,
        )
        .unwrap(),
    )
    .unwrap_err();
    let info = serde_json::to_value(e.to_info()).unwrap();
    assert_eq!(
        (
            info["kind"].as_str(),
            info["code"].as_str(),
            info["position"].as_u64()
        ),
        (
            Some("invalid_api_key"),
            Some("secret_invalid_char"),
            Some(43)
        )
    );
    assert!(!info.to_string().contains("s9t0u1v2"));
}

#[tokio::test]
async fn client_and_errors_are_redacted() {
    let env = start().await;
    let (sa, c) = env.account(Role::Admin).await;
    let secret = sa.key.expose_secret_part().to_owned();
    let e = c.api_keys().get("nope").await.unwrap_err();
    for shown in [
        format!("{c:?}"),
        format!("{sa:?}"),
        format!("{e}"),
        format!("{e:?}"),
        format!("{:?}", c.key_source()),
    ] {
        assert!(!shown.contains(&secret), "{shown}");
    }
    assert!(format!("{c:?}").contains(&sa.key.redacted()));
}

#[test]
fn blocking_client_works_without_a_runtime() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(start());
    let b = noorle::blocking::Client::new(
        builder(&env).api_key(ApiKey::parse(env.server.root_key().unwrap()).unwrap()),
    )
    .unwrap();
    let me = b.whoami().unwrap();
    assert_eq!(me.owner.kind, OwnerType::User);
    let n = b
        .block_on(|c| async move { c.service_accounts().list(&PageParams::default()).await })
        .unwrap();
    assert_eq!(n.total, 0);
    // Inside an async context the blocking client refuses instead of panicking.
    let err = rt.block_on(async { b.whoami() }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}
