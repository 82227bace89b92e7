//! Shared helpers: an in-process server on a free port and a plain HTTP client.
#![allow(dead_code)]

use noorle_dev_server::{start, Config, RunningServer};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

pub struct Srv {
    pub server: RunningServer,
    pub base: String,
    pub root: String,
    pub http: reqwest::Client,
}

pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn reason(&self) -> Option<&str> {
        self.body["error"]["details"]["reason"].as_str()
    }
    pub fn field(&self) -> Option<&str> {
        self.body["error"]["details"]["field"].as_str()
    }
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

pub async fn start_with(mut config: Config) -> Srv {
    let _ = rustls::crypto::ring::default_provider().install_default();
    if config.root_key.is_none() {
        config.root_key = Some(fresh_key());
    }
    let server = start(config).await.unwrap();
    let root = server.root_key().unwrap().to_string();
    Srv {
        base: server.base_url(),
        server,
        root,
        http: client(),
    }
}

pub async fn start_default() -> Srv {
    start_with(Config {
        fault_injection: true,
        ..Config::default()
    })
    .await
}

/// A valid key that the server did not issue (`ak-` + 32 hex + 32 base62).
pub fn fresh_key() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let secret: String = uuid::Uuid::new_v4()
        .simple()
        .to_string()
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                c
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    format!("ak-{id}{secret}")
}

pub fn access_id(key: &str) -> &str {
    &key[3..35]
}

pub fn secret(key: &str) -> &str {
    &key[35..]
}

impl Srv {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        let rid = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            rid.len() == 28
                && rid.starts_with("req_")
                && rid[4..].chars().all(|c| c.is_ascii_hexdigit()),
            "bad X-Request-Id {rid:?} on {path}"
        );
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, key: &str, path: &str) -> Resp {
        self.send(Method::GET, path, &[("X-API-Key", key)], None)
            .await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Resp {
        self.send(Method::POST, path, &[("X-API-Key", key)], Some(body))
            .await
    }

    pub async fn patch(&self, key: &str, path: &str, body: Value) -> Resp {
        self.send(Method::PATCH, path, &[("X-API-Key", key)], Some(body))
            .await
    }

    pub async fn delete(&self, key: &str, path: &str) -> Resp {
        self.send(Method::DELETE, path, &[("X-API-Key", key)], None)
            .await
    }

    /// Creates a service account with `role`; returns (service account id, its first key).
    pub async fn service_account(&self, role: &str) -> (String, String) {
        let r = self
            .post(
                &self.root,
                "/v1/service-accounts",
                json!({"name": format!("{role}-bot"), "role": role}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        (
            r.body["service_account"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
            r.body["key"].as_str().unwrap().to_string(),
        )
    }

    /// Creates a direct key with `key`; returns (access id, full key).
    pub async fn new_key(&self, key: &str, body: Value) -> (String, String) {
        let r = self.post(key, "/v1/api-keys", body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        (
            r.body["api_key"]["id"].as_str().unwrap().to_string(),
            r.body["key"].as_str().unwrap().to_string(),
        )
    }
}
