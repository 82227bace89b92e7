//! Hostile servers and hostile inputs: the key never leaves its origin, no id rewrites a path, no
//! header value crashes the client, no file hangs the loader, no server makes pagination loop.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use noorle::models::{CreateApiKey, ListApiKeys, PageParams, Role};
use noorle::{ApiKey, Client, ErrorKind, HeaderScheme, LoadOptions, Method, RequestOptions};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use common::{builder, random_key, start};

/// A one-purpose HTTP/1.1 server on 127.0.0.1: records each request's head and answers it with
/// what `answer` returns for that head.
struct TinyServer {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn tiny_server(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> TinyServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (log, answer) = (seen.clone(), Arc::new(answer));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let (log, answer) = (log.clone(), answer.clone());
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let response = answer(&head);
                log.lock().unwrap().push(head);
                let _ = sock.write_all(response.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    TinyServer { port, seen }
}

fn http_response(status: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{extra_headers}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn tiny_client(port: u16, key: &str, scheme: HeaderScheme) -> Client {
    Client::builder()
        .no_ambient_config()
        .api_key(ApiKey::parse(key).unwrap())
        .header_scheme(scheme)
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(common::fast_retry())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_redirect_to_another_origin_never_carries_the_key() {
    let key = random_key();
    let secret = key[35..].to_owned();
    let other = tiny_server(|_| http_response("200 OK", "", "{}")).await;
    let other_port = other.port;
    for target in [
        // Another host name for the same machine, and another port of the same host.
        format!("http://localhost:{other_port}/v1/api-keys/self"),
        format!("http://127.0.0.1:{other_port}/v1/api-keys/self"),
    ] {
        let origin = tiny_server(move |_| {
            http_response("302 Found", &format!("location: {target}\r\n"), "")
        })
        .await;
        for scheme in [
            HeaderScheme::XApiKey,
            HeaderScheme::ApiKey,
            HeaderScheme::Authorization,
        ] {
            let c = tiny_client(origin.port, &key, scheme);
            let err = c.whoami().await.unwrap_err();
            assert_eq!(err.status(), Some(302), "{err}");
            assert_eq!(err.code(), Some("redirect_not_followed"), "{err}");
            assert!(err.to_string().contains("redirect"), "{err}");
            assert!(!err.to_string().contains(&secret));
        }
        // The origin did get the key (so the test sends one) ...
        let heads = origin.seen.lock().unwrap().clone();
        assert_eq!(heads.len(), 3);
        assert!(heads.iter().all(|h| h.contains(&secret)));
    }
    // ... and the other server never saw a request at all.
    assert_eq!(other.seen.lock().unwrap().len(), 0);
}

#[tokio::test]
async fn dot_and_empty_ids_and_whole_keys_are_refused_before_any_request() {
    let env = start().await;
    let (sa, client) = env.account(Role::Admin).await;
    let sas = client.service_accounts();
    let keys = client.api_keys();
    for id in ["", ".", ".."] {
        let errs = [
            sas.create_key(id, &CreateApiKey::new("x"))
                .await
                .unwrap_err(),
            sas.list_keys(id, &PageParams::default()).await.unwrap_err(),
            sas.get(id).await.unwrap_err(),
            keys.get(id).await.unwrap_err(),
            keys.revoke(id).await.unwrap_err(),
        ];
        for e in errs {
            assert_eq!(e.kind(), ErrorKind::Config, "id {id:?}: {e}");
        }
    }
    let whole = sa.key.expose_secret();
    for e in [
        keys.get(whole).await.unwrap_err(),
        keys.deactivate(whole).await.unwrap_err(),
        sas.list_keys(whole, &PageParams::default())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        let msg = e.to_string();
        assert!(msg.contains("access id"), "{msg}");
        assert!(!msg.contains(sa.key.expose_secret_part()), "{msg}");
    }
    // Nothing reached the server with this key.
    let seen = env.requests(sa.key.access_id(), None).await;
    assert_eq!(seen.len(), 0, "{seen:?}");
    // A plain id still works.
    assert_eq!(
        keys.get(sa.key.access_id()).await.unwrap().id,
        sa.key.access_id()
    );
}

#[tokio::test]
async fn a_huge_retry_after_is_clamped_not_a_panic() {
    let env = start().await;
    let (sa, client) = env.account(Role::Admin).await;
    let id = sa.key.access_id();
    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/api-keys/self", "count": 3,
                     "fault": {"type": "status", "status": 503, "retry_after": u64::MAX}}),
    )
    .await;
    let err = client.whoami().await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(err.retry_after(), Some(noorle::MAX_SERVER_WAIT));
    // Too long to wait for: one attempt, no retry.
    assert_eq!(env.requests(id, Some("/v1/api-keys/self")).await.len(), 1);
}

#[tokio::test]
async fn an_idempotency_key_that_is_no_header_value_is_a_config_error() {
    let env = start().await;
    let (sa, client) = env.account(Role::Admin).await;
    for bad in ["a\nb", "a\r\nx-evil: 1", "", "tab\there"] {
        let err = client
            .request(
                Method::POST,
                "/v1/service-accounts",
                &[],
                Some(&json!({"name": "never"})),
                RequestOptions::default().idempotency_key(bad.to_owned()),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{bad:?}: {err}");
        assert!(!err.is_retryable());
    }
    assert_eq!(env.requests(sa.key.access_id(), None).await.len(), 0);
}

#[tokio::test]
async fn server_error_codes_are_redacted() {
    let env = start().await;
    let (sa, client) = env.account(Role::Admin).await;
    let id = sa.key.access_id();
    let leaked = format!("leak_{}", sa.key.expose_secret());
    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/api-keys/self",
                     "fault": {"type": "status", "status": 400, "code": leaked}}),
    )
    .await;
    let err = client.whoami().await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    let info = format!("{:?} {}", err.to_info(), err);
    assert!(info.contains(&format!("leak_ak-{id}***")), "{info}");
    assert!(!info.contains(sa.key.expose_secret_part()), "{info}");
}

#[tokio::test]
async fn a_total_timeout_bounds_the_call_and_its_retry_after_waits() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    let id = sa.key.access_id();
    let client = builder(&env)
        .api_key(sa.key.clone())
        .total_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // A 30 s Retry-After is within the policy's 60 s, but past the call's 5 s: no wait.
    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/api-keys/self", "count": 3,
               "fault": {"type": "status", "status": 503, "retry_after": 30}}),
    )
    .await;
    let err = client.whoami().await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(env.requests(id, Some("/v1/api-keys/self")).await.len(), 1);

    // A stalled answer ends at the per-call bound, which overrides the client's.
    env.fault(
        json!({"access_id": id, "method": "GET", "path": "/v1/api-keys/*",
                     "fault": {"type": "stall", "ms": 60000}}),
    )
    .await;
    let err = client
        .request(
            Method::GET,
            &format!("/v1/api-keys/{id}"),
            &[],
            None,
            RequestOptions::default().total_timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("total timeout"), "{err}");
}

fn record(id: &str) -> serde_json::Value {
    json!({"id": id, "name": "n", "status": "active",
           "owner": {"type": "service_account", "id": "sa_1"},
           "scope": {"type": "account"}, "permissions": ["read"], "last_six": "x4y5z6",
           "rate_limit_per_minute": null, "created_at": "2026-01-01T00:00:00Z",
           "last_used_at": null, "expires_at": null, "revoked_at": null, "rotated_from": null})
}

fn offset_of(head: &str) -> u64 {
    let line = head.lines().next().unwrap_or_default();
    line.split(['?', '&', ' '])
        .find_map(|p| p.strip_prefix("offset="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn pagination_that_makes_no_progress_ends_with_an_error() {
    let key = random_key();
    // A server that ignores the offset and says so (always offset 0), and one that echoes the
    // offset asked for but always returns the same item.
    let ignores = tiny_server(|_| {
        let body = json!({"api_keys": [record("a")], "total": 100, "limit": 1, "offset": 0});
        http_response("200 OK", "", &body.to_string())
    })
    .await;
    let echoes = tiny_server(|head| {
        let body = json!({"api_keys": [record("a")], "total": 100, "limit": 1,
                          "offset": offset_of(head)});
        http_response("200 OK", "", &body.to_string())
    })
    .await;
    // One page asked for at an offset the server ignores is refused too, so a binding's own page
    // loop cannot spin either.
    let c = tiny_client(ignores.port, &key, HeaderScheme::XApiKey);
    let err = c
        .api_keys()
        .list(&ListApiKeys::default().offset(5))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("asked for offset 5"), "{err}");
    for server in [&ignores, &echoes] {
        let c = tiny_client(server.port, &key, HeaderScheme::XApiKey);
        let got: Vec<_> = c
            .api_keys()
            .list_all(ListApiKeys::default())
            .take(10)
            .collect()
            .await;
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].is_ok());
        let err = got[1].as_ref().unwrap_err();
        assert!(err.to_string().contains("does not page"), "{err}");
    }
}

fn write_600(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    // Modes are Unix only; elsewhere the file keeps its default access.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn profile_options(credentials: &Path) -> LoadOptions {
    LoadOptions::explicit_only()
        .credentials_file(credentials.to_owned())
        .profile("default".to_owned())
}

#[test]
fn the_credentials_file_must_be_a_small_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let profile = format!("[default]\napi_key = \"{}\"\n", random_key());

    // Too big, though valid TOML with a valid profile.
    let big = dir.path().join("big");
    let padding = format!("# {}\n", "x".repeat(100)).repeat(1000);
    write_600(&big, format!("{profile}{padding}").as_bytes());
    let err = noorle::load_api_key(&profile_options(&big)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("limit"), "{err}");

    // FIFOs and device files are Unix things.
    #[cfg(unix)]
    {
        // A FIFO with a writer ready: refused, not read (nor waited on when no writer comes).
        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let (writer_path, text) = (fifo.clone(), profile.clone());
        // Blocks until a reader opens the FIFO, which the fixed loader never does: not joined.
        std::thread::spawn(move || std::fs::write(writer_path, text));
        let err = noorle::load_api_key(&profile_options(&fifo)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.to_string().contains("not a regular file"), "{err}");

        let err = noorle::load_api_key(&profile_options(Path::new("/dev/zero"))).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    // The same profile in a small regular file loads.
    let ok = dir.path().join("ok");
    write_600(&ok, profile.as_bytes());
    assert!(noorle::load_api_key(&profile_options(&ok)).is_ok());
}

#[test]
fn a_key_file_with_a_bom_says_bom() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noorle_api_key");
    write_600(&path, format!("\u{FEFF}{}\n", random_key()).as_bytes());
    let err = noorle::read_key_file(&path, &mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("BOM"), "{err}");
}

/// `{:?}` of every public options type and of a client never shows a key, wherever the caller
/// pasted it, nor a credential command's arguments (a token, say): only the program.
#[test]
fn debug_of_options_and_client_shows_no_secret() {
    let key = random_key();
    let secret = &key[35..];
    let load = LoadOptions::default()
        .api_key_file(format!("/keys/{key}"))
        .profile(key.clone())
        .credentials_file(format!("/c/{key}"))
        .docker_secret(Some(format!("/s/{key}").into()));
    let mut load_with_command = load.clone();
    load_with_command.api_key_command = Some(vec![key.clone(), "-token=s3cr3t-t0ken".into()]);
    let builder = Client::builder()
        .load_options(load.clone())
        .api_key_command([key.as_str(), "-token=s3cr3t-t0ken"])
        .base_url(format!("http://127.0.0.1:9/{key}/"))
        .sdk_language(format!("lang/{key}"));
    let options = RequestOptions::default().idempotency_key(key.clone());
    let client = Client::builder()
        .no_ambient_config()
        .api_key(ApiKey::parse(&key).unwrap())
        .api_key_file(format!("/keys/{key}"))
        .base_url("http://127.0.0.1:9/")
        .build()
        .unwrap();
    let shown = format!(
        "{load:?} {load_with_command:?} {builder:?} {builder:#?} {options:?} {client:?} {client:#?}"
    );
    assert!(!shown.contains(secret), "{shown}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    // Still useful: the access id and the program are shown.
    assert!(
        shown.contains(&key[..35]) && shown.contains("(+1 arguments)"),
        "{shown}"
    );
}

/// A key pasted into the base URL would go out in every request's URL: the client refuses it,
/// without showing the secret.
#[test]
fn a_base_url_holding_a_key_is_refused() {
    let key = random_key();
    for url in [
        format!("http://127.0.0.1:9/{key}/"),
        format!("http://127.0.0.1:9/?k={key}"),
        format!("http://u:{key}@127.0.0.1:9/"),
    ] {
        let err = Client::builder()
            .no_ambient_config()
            .api_key(ApiKey::parse(&random_key()).unwrap())
            .base_url(url.clone())
            .build()
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
        assert!(err.to_string().contains("holds an API key"), "{err}");
        assert!(!format!("{err} {err:?}").contains(&key[35..]), "{err}");
    }
}
