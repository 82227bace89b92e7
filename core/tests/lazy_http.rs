//! The HTTP client and the platform's TLS roots come with a client's first call, not its
//! constructor (docs/decisions.md, "An idle client is cheap"); what the builder's own input could
//! make fail is still refused by the constructor, and concurrent first calls share one build. (Its own process: the platform's roots are loaded
//! once per process, and `SSL_CERT_FILE` is process-wide.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use noorle::{ApiKey, Client, ErrorKind};

const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

fn builder() -> noorle::ClientBuilder {
    Client::builder()
        .no_ambient_config()
        .api_key(KEY.parse().unwrap())
        .base_url("https://127.0.0.1:1")
}

#[tokio::test]
async fn the_constructor_refuses_its_own_input_and_the_first_call_loads_the_roots() {
    // A CA file without a certificate (and an empty CA directory): no roots. The constructor
    // does not load them (an idle client stays small); the first call does, and fails with a
    // configuration error before any request, not a connection error.
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let saved: Vec<_> = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .into_iter()
        .map(|v| (v, std::env::var_os(v)))
        .collect();
    std::env::set_var("SSL_CERT_FILE", &empty);
    std::env::set_var("SSL_CERT_DIR", dir.path().join("no such dir"));
    let client = builder().max_retries(0).build().unwrap();
    let err = client.whoami().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(err.to_string().contains("TLS roots"), "{err}");
    // A failure is not kept: once the roots load, the same client gets as far as connecting
    // (nothing listens on port 1).
    for (v, value) in saved {
        match value {
            Some(value) => std::env::set_var(v, value),
            None => std::env::remove_var(v),
        }
    }
    let err = client.whoami().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connection, "{err}");

    // A User-Agent that is no header value.
    let err = builder().sdk_language("py\nthon").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");

    // Concurrent first calls of a fresh client (and of a view with another key, which shares
    // its pool) all get through.
    let env = common::start().await;
    let key = ApiKey::parse(env.server.root_key().unwrap()).unwrap();
    let client = common::builder(&env).api_key(key.clone()).build().unwrap();
    let other = client.with_api_key(key);
    let calls = (0..16).map(|i| {
        let c = if i % 2 == 0 {
            client.clone()
        } else {
            other.clone()
        };
        tokio::spawn(async move { c.whoami().await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }
}
