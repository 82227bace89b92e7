//! A real local server per test (in-process, in-memory SQLite, fault injection on), and helpers
//! that talk to it over real HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use noorle::models::{CreateServiceAccount, CreatedServiceAccount, Role};
use noorle::{ApiKey, Client, ClientBuilder, Method, RequestOptions, RetryPolicy};
use noorle_dev_server::{Config, RunningServer};
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};

pub struct Env {
    pub server: RunningServer,
    pub root: Client,
}

/// A fresh valid key, for the server's bootstrap key.
pub fn random_key() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "ak-{id}{}",
        Alphanumeric.sample_string(&mut rand::rng(), 32)
    )
}

/// Retries with a tiny backoff so the suite stays fast.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
}

pub fn builder(env: &Env) -> ClientBuilder {
    Client::builder()
        .no_ambient_config()
        .base_url(env.server.base_url())
        .retry_policy(fast_retry())
}

pub async fn start() -> Env {
    let root_key = random_key();
    let server = noorle_dev_server::start(Config {
        fault_injection: true,
        root_key: Some(root_key.clone()),
        ..Config::default()
    })
    .await
    .expect("start the dev server");
    let root = Client::builder()
        .no_ambient_config()
        .api_key(ApiKey::parse(&root_key).unwrap())
        .base_url(server.base_url())
        .retry_policy(fast_retry())
        .build()
        .unwrap();
    Env { server, root }
}

impl Env {
    /// A new service account (role admin unless said) and a client holding its first key.
    pub async fn account(&self, role: Role) -> (CreatedServiceAccount, Client) {
        let name = format!("sa-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let created = self
            .root
            .service_accounts()
            .create(&CreateServiceAccount::new(name).role(role))
            .await
            .unwrap();
        let client = builder(self).api_key(created.key.clone()).build().unwrap();
        (created, client)
    }

    pub async fn fault(&self, body: Value) {
        let r = self
            .root
            .request(
                Method::POST,
                "/_dev/faults",
                &[],
                Some(&body),
                RequestOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{:?}", r.json);
    }

    /// The requests the server saw from `access_id`, optionally only for `path`.
    pub async fn requests(&self, access_id: &str, path: Option<&str>) -> Vec<Value> {
        let mut q = vec![("access_id".to_owned(), access_id.to_owned())];
        if let Some(p) = path {
            q.push(("path".to_owned(), p.to_owned()));
        }
        let r = self
            .root
            .request(
                Method::GET,
                "/_dev/requests",
                &q,
                None,
                RequestOptions::default(),
            )
            .await
            .unwrap();
        r.json["requests"].as_array().cloned().unwrap_or_default()
    }
}

impl Env {
    /// Waits until the server has logged at least `n` requests from `access_id` to `path`
    /// (logged on arrival, before any fault runs), and returns them.
    pub async fn wait_for_requests(&self, access_id: &str, path: &str, n: usize) -> Vec<Value> {
        loop {
            let log = self.requests(access_id, Some(path)).await;
            if log.len() >= n {
                return log;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// The `status` (null while unanswered or dropped) and `fault` of each logged request.
pub fn outcomes(log: &[Value]) -> Vec<(Value, Value)> {
    log.iter()
        .map(|r| (r["status"].clone(), r["fault"].clone()))
        .collect()
}

pub fn status_fault(access_id: &str, method: &str, path: &str, count: u32, status: u16) -> Value {
    json!({"access_id": access_id, "method": method, "path": path, "count": count,
           "fault": {"type": "status", "status": status}})
}
