//! Storage, bootstrap, configuration errors and the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use noorle_dev_server::{start, Config, Error};
use serde_json::json;
use std::io::BufRead;
use std::time::Duration;

fn read_db_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Stops the binary: SIGTERM on Unix, for a graceful exit. Windows has no SIGTERM (and a
/// console Ctrl+Break cannot be sent to one child alone), so there the process is killed.
fn stop(child: &mut std::process::Child) {
    #[cfg(unix)]
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    #[cfg(not(unix))]
    child.kill().unwrap();
}

/// Whether the binary exited as a graceful stop should: success, on Unix (a killed process
/// on Windows reports failure).
fn stopped_cleanly(status: std::process::ExitStatus) -> bool {
    cfg!(not(unix)) || status.success()
}

#[tokio::test]
async fn persists_across_restart_and_never_stores_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dev.sqlite");
    let root = fresh_key();
    let s = start_with(Config {
        db: Some(db.clone()),
        root_key: Some(root.clone()),
        ..Config::default()
    })
    .await;
    let (sa, sa_key) = s.service_account("admin").await;
    let (id, key) = s
        .new_key(&s.root, json!({"name": "persist", "permissions": ["read"]}))
        .await;
    let r = s
        .post(
            &s.root,
            &format!("/v1/api-keys/{id}/rotate"),
            json!({"grace_period_seconds": 600}),
        )
        .await;
    let rotated = r.body["key"].as_str().unwrap().to_string();
    // Idempotent replays are kept in memory only: they hold issued keys.
    let r = s
        .send(
            reqwest::Method::POST,
            "/v1/api-keys",
            &[("X-API-Key", &root), ("Idempotency-Key", "p-1")],
            Some(json!({"name": "i"})),
        )
        .await;
    let idem_key = r.body["key"].as_str().unwrap().to_string();
    assert_eq!(s.get(&key, "/v1/agents").await.status, 200);
    s.server.shutdown().await;

    let bytes = read_db_bytes(dir.path());
    assert!(contains(&bytes, access_id(&key)), "the access id is stored");
    for k in [&root, &sa_key, &key, &rotated, &idem_key] {
        assert!(!contains(&bytes, secret(k)), "a secret is stored in clear");
        assert!(!contains(&bytes, k));
    }

    // Restart on the same file without a root key: nothing new is created; state is there.
    let s2 = start(Config {
        db: Some(db.clone()),
        ..Config::default()
    })
    .await
    .unwrap();
    assert!(s2.root_key().is_none());
    let s2 = Srv {
        base: s2.base_url(),
        server: s2,
        root: root.clone(),
        http: client(),
    };
    let r = s2.get(&root, &format!("/v1/service-accounts/{sa}")).await;
    assert_eq!(r.status, 200);
    let r = s2.get(&root, &format!("/v1/api-keys/{id}")).await;
    assert!(
        r.body["api_key"]["last_used_at"].is_string(),
        "flushed on shutdown: {:?}",
        r.body
    );
    assert_eq!(
        s2.get(&key, "/v1/agents").await.status,
        200,
        "still in its grace period"
    );
    assert_eq!(s2.get(&rotated, "/v1/agents").await.status, 200);
    assert_eq!(s2.get(&sa_key, "/v1/api-keys/self").await.status, 200);
    s2.server.shutdown().await;

    // A new NOORLE_DEV_ROOT_KEY on an existing store is added as an owner key.
    let other_root = fresh_key();
    let s3 = start_with(Config {
        db: Some(db.clone()),
        root_key: Some(other_root.clone()),
        ..Config::default()
    })
    .await;
    assert_eq!(s3.server.root_key(), Some(other_root.as_str()));
    let r = s3.get(&other_root, "/v1/api-keys?owner_type=user").await;
    assert_eq!(r.status, 200);
    let owners: std::collections::HashSet<_> = r.body["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["owner"]["id"].clone())
        .collect();
    assert_eq!(owners.len(), 1, "one owner user");
    s3.server.shutdown().await;

    // The same access id with another secret is refused.
    let clash = format!("ak-{}{}", access_id(&root), secret(&fresh_key()));
    let e = start(Config {
        db: Some(db),
        root_key: Some(clash),
        ..Config::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::RootKeyConflict(_)), "{e}");
}

#[tokio::test]
async fn bootstrap_and_config_errors() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // Generated root key, written to a 0600 file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("root.key");
    let s = start(Config {
        root_key_file: Some(file.clone()),
        ..Config::default()
    })
    .await
    .unwrap();
    let key = s.root_key().unwrap().to_string();
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), key);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(!format!("{s:?}").contains(&key[35..]));
    let r = client()
        .get(format!("{}/v1/api-keys/self", s.base_url()))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.shutdown().await;

    // Surrounding whitespace is stripped; malformed keys are refused without echoing the secret.
    let k = fresh_key();
    let cfg = Config {
        root_key: Some(format!("{k}\n")),
        ..Config::default()
    };
    let shown = format!("{cfg:?}");
    assert!(shown.contains(&format!("ak-{}***", access_id(&k))) && !shown.contains(secret(&k)));
    let s = start(cfg).await.unwrap();
    assert_eq!(s.root_key(), Some(k.as_str()));
    s.shutdown().await;
    let bad = format!("ak-{}{}!", access_id(&k), secret(&k));
    let e = start(Config {
        root_key: Some(bad),
        ..Config::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::InvalidRootKey(_)));
    assert!(!e.to_string().contains(secret(&k)), "{e}");

    let e = start(Config {
        bind: "0.0.0.0:0".parse().unwrap(),
        ..Config::default()
    })
    .await
    .unwrap_err();
    assert!(matches!(e, Error::NonLoopback(_)), "{e}");
    let s = start(Config {
        bind: "0.0.0.0:0".parse().unwrap(),
        allow_non_loopback: true,
        ..Config::default()
    })
    .await
    .unwrap();
    s.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = start_with(Config {
        fault_injection: true,
        ..Config::default()
    })
    .await;
    let addr = s.base.trim_start_matches("http://").to_string();
    // A request whose body is held back: it stays in flight until the test sends the rest.
    let body = r#"{"input": "late"}"#;
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/agents/agt_weather/run HTTP/1.1\r\nHost: {addr}\r\nX-API-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        s.root,
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body.as_bytes()[..5]).await.unwrap();
    // The server has it once it is logged (on arrival, before the body is read).
    let aid = access_id(&s.root).to_string();
    loop {
        let r = s
            .send(
                reqwest::Method::GET,
                &format!("/_dev/requests?access_id={aid}&path=/v1/agents/agt_weather/run"),
                &[],
                None,
            )
            .await;
        if r.body["requests"].as_array().unwrap().len() == 1 {
            assert_eq!(r.body["requests"][0]["status"], serde_json::Value::Null);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let base = s.base.clone();
    let stopping = tokio::spawn(s.server.shutdown());
    // Shutdown has begun once the listener is gone.
    while tokio::net::TcpStream::connect(&addr).await.is_ok() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!stopping.is_finished(), "stopped with a request in flight");
    conn.write_all(&body.as_bytes()[5..]).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""echo":"late""#), "{answer}");
    stopping.await.unwrap();
    assert!(
        client()
            .get(format!("{base}/v1/agents"))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

#[test]
fn binary_prints_listening_line() {
    let bin = env!("CARGO_BIN_EXE_noorle-dev-server");
    let mut child = std::process::Command::new(bin)
        .args(["--bind", "127.0.0.1:0"])
        .env_remove("NOORLE_DEV_ROOT_KEY")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(url.parse::<u16>().unwrap() > 0);
    let mut second = String::new();
    out.read_line(&mut second).unwrap();
    let key = second
        .trim_end()
        .strip_prefix("root key (shown once): ")
        .unwrap();
    assert!(key.starts_with("ak-") && key.len() == 3 + 32 + 32);
    // SIGTERM (Unix): a clean exit.
    stop(&mut child);
    assert!(stopped_cleanly(child.wait().unwrap()));

    // A malformed NOORLE_DEV_ROOT_KEY: a clear error and a failing exit.
    let out = std::process::Command::new(bin)
        .args(["--bind", "127.0.0.1:0"])
        .env("NOORLE_DEV_ROOT_KEY", "Bearer ak-123")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NOORLE_DEV_ROOT_KEY"), "{err}");
    assert!(out.stdout.is_empty());

    // A non-loopback address is refused.
    let out = std::process::Command::new(bin)
        .args(["--bind", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback"));
}

/// The binary with the most verbose logging: nothing it prints, on stdout or stderr, contains a
/// secret it issued or was given (keys are logged by access id only).
#[tokio::test]
async fn binary_output_never_contains_a_secret() {
    let bin = env!("CARGO_BIN_EXE_noorle-dev-server");
    let root = fresh_key();
    let mut child = std::process::Command::new(bin)
        .args(["--bind", "127.0.0.1:0", "--fault-injection"])
        .env("NOORLE_DEV_ROOT_KEY", &root)
        .env("NOORLE_DEV_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let http = client();
    let call = |method: reqwest::Method, path: &str, key: &str, body: Option<serde_json::Value>| {
        let mut rb = http
            .request(method, format!("{base}{path}"))
            .header("X-API-Key", key);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        async move {
            let r = rb.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };

    let mut secrets = vec![secret(&root).to_owned()];
    let (s, sa) = call(
        reqwest::Method::POST,
        "/v1/service-accounts",
        &root,
        Some(json!({"name": "logged"})),
    )
    .await;
    assert_eq!(s, 201);
    let sa_key = sa["key"].as_str().unwrap().to_owned();
    secrets.push(secret(&sa_key).to_owned());
    let (s, k) = call(
        reqwest::Method::POST,
        "/v1/api-keys",
        &root,
        Some(json!({"name": "direct"})),
    )
    .await;
    assert_eq!(s, 201);
    let direct = k["key"].as_str().unwrap().to_owned();
    secrets.push(secret(&direct).to_owned());
    let path = format!("/v1/api-keys/{}/rotate", access_id(&direct));
    let (s, r) = call(
        reqwest::Method::POST,
        &path,
        &root,
        Some(json!({"grace_period_seconds": 60})),
    )
    .await;
    assert_eq!(s, 201);
    secrets.push(secret(r["key"].as_str().unwrap()).to_owned());
    // Used, and refused: a wrong secret for a real access id, a Bearer header.
    assert_eq!(
        call(reqwest::Method::GET, "/v1/api-keys/self", &sa_key, None)
            .await
            .0,
        200
    );
    let forged = format!("ak-{}{}", access_id(&sa_key), secret(&fresh_key()));
    secrets.push(secret(&forged).to_owned());
    assert_eq!(
        call(reqwest::Method::GET, "/v1/api-keys/self", &forged, None)
            .await
            .0,
        401
    );
    let bearer = http
        .get(format!("{base}/v1/api-keys/self"))
        .header("Authorization", format!("Bearer {sa_key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status().as_u16(), 401);
    assert!(!bearer.text().await.unwrap().contains(secret(&sa_key)));

    stop(&mut child);
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut rest).unwrap();
    let mut err = Vec::new();
    std::io::Read::read_to_end(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(stopped_cleanly(child.wait().unwrap()));
    assert!(
        !err.is_empty(),
        "trace logging produced no output: the check would be hollow"
    );
    let all = [line.as_bytes(), &rest, &err].concat();
    for s in &secrets {
        assert!(!contains(&all, s), "the server printed a secret");
    }
    assert!(
        contains(&all, access_id(&sa_key)),
        "access ids are logged, as the public identifier"
    );
}
