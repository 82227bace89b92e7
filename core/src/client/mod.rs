//! The HTTP client: key attachment, retries, timeouts, errors (contract sections 2 and 4).

mod api_keys;
mod builder;
mod commandkey;
mod decode;
mod encode;
mod keysource;
mod options;
mod paginate;
mod retry;
mod service_accounts;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use serde_json::Value;

pub use api_keys::ApiKeys;
pub use builder::ClientBuilder;
pub use options::RequestOptions;
pub use retry::{RetryPolicy, MAX_SERVER_WAIT};
pub use service_accounts::ServiceAccounts;

use crate::error::{is_retryable_status, redact_keys_in, ApiError, Error, Result};
use crate::headers::{auth_header_value, HeaderScheme};
use crate::key::ApiKey;
use crate::load::KeySource;
use crate::models::ApiKeyRecord;
use crate::redact::debug_redacted;
use builder::HttpFactory;
use decode::{decode_created, decode_page};
use encode::{idempotency_header, path_segment};
use keysource::KeyProvider;
use paginate::paginate;
use retry::{backoff, server_wait};

/// Noorle's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.noorle.com";
/// The version of this crate, reported in the `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

struct Inner {
    // Built by the first call, with the fork generation it belongs to: the pool belongs to the runtime
    // that opened its connections, so a forked child builds a new one. Shared by the clients of
    // `with_api_key`, so that they share the pool whenever it is built.
    http_client: Arc<Mutex<Option<(u64, reqwest::Client)>>>,
    http: HttpFactory,
    base_url: String,
    provider: KeyProvider,
    source: KeySource,
    warnings: Vec<String>,
    scheme: HeaderScheme,
    retry: RetryPolicy,
    total_timeout: Option<Duration>,
}

/// A Noorle API client. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// The options of a [`Client::with_options`] view, under each call's own.
    opts: RequestOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The whole text redacted: the base URL and the key's source are the caller's text.
        let inner = &self.inner;
        debug_redacted(f, |f| {
            f.debug_struct("Client")
                .field("base_url", &inner.base_url)
                .field("key", &inner.provider.current().redacted())
                .field("key_source", &inner.source)
                .field("header_scheme", &inner.scheme)
                .finish()
        })
    }
}

impl Client {
    /// A builder with defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured entirely from the environment.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::default().build()
    }

    /// Where the key came from (never the key).
    pub fn key_source(&self) -> &KeySource {
        &self.inner.source
    }

    /// Non-fatal problems found while loading the key.
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    /// The key the next request will send.
    pub fn api_key(&self) -> Arc<ApiKey> {
        self.inner.provider.current()
    }

    /// Which header carries the key.
    pub fn header_scheme(&self) -> HeaderScheme {
        self.inner.scheme
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The same client (pool, base URL, options) sending another key.
    pub fn with_api_key(&self, key: ApiKey) -> Client {
        let i = &self.inner;
        Client {
            inner: Arc::new(Inner {
                http_client: i.http_client.clone(),
                http: i.http.clone(),
                base_url: i.base_url.clone(),
                provider: KeyProvider::Fixed(Arc::new(key)),
                source: KeySource::explicit(),
                warnings: Vec::new(),
                scheme: i.scheme,
                retry: i.retry,
                total_timeout: i.total_timeout,
            }),
            opts: self.opts.clone(),
        }
    }

    /// A view of this client (same pool, key and base URL) whose every call uses `opts` over
    /// the client's settings. An `idempotency_key` applies to every POST made through the view,
    /// so a view holding one is for one logical call.
    pub fn with_options(&self, opts: RequestOptions) -> Client {
        Client {
            inner: self.inner.clone(),
            opts: opts.or(&self.opts),
        }
    }

    /// Key management: `/v1/api-keys`.
    pub fn api_keys(&self) -> ApiKeys<'_> {
        ApiKeys { client: self }
    }

    /// Service accounts: `/v1/service-accounts`.
    pub fn service_accounts(&self) -> ServiceAccounts<'_> {
        ServiceAccounts { client: self }
    }

    /// The calling key's own record (`GET /v1/api-keys/self`).
    pub async fn whoami(&self) -> Result<ApiKeyRecord> {
        self.call(
            Method::GET,
            "/v1/api-keys/self",
            &[],
            None::<&()>,
            None,
            "api_key",
        )
        .await
    }

    /// The HTTP client, built on the first call (and again in a forked child). Built under the
    /// lock: concurrent first calls wait for one build.
    fn http(&self) -> Result<reqwest::Client> {
        let generation = crate::runtime::fork_generation();
        let mut slot = self
            .inner
            .http_client
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some((owner, http)) if *owner == generation => Ok(http.clone()),
            _ => {
                let http = self.inner.http.build()?;
                *slot = Some((generation, http.clone()));
                Ok(http)
            }
        }
    }

    /// The retry loop. Returns the status, headers and body of a success.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        json: Option<&Value>,
        opts: RequestOptions,
    ) -> Result<(u16, HeaderMap, bytes::Bytes)> {
        if !path.starts_with('/') {
            return Err(Error::config(format!(
                "the path '{path}' must start with '/'"
            )));
        }
        let opts = opts.or(&self.opts);
        let url = format!("{}{path}", self.inner.base_url);
        // POSTs are retried only with an Idempotency-Key: generate one per call, reused by
        // every retry of it.
        let idempotency_key = match (method == Method::POST, opts.idempotency_key) {
            (false, _) => None,
            (true, Some(k)) => Some(idempotency_header(&k)?),
            (true, None) => Some(
                HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                    .map_err(|e| Error::Internal(format!("generated Idempotency-Key: {e}")))?,
            ),
        };
        let may_retry = method == Method::GET
            || method == Method::DELETE
            || method == Method::HEAD
            || idempotency_key.is_some();
        let total = opts.total_timeout.or(self.inner.total_timeout);
        // An unrepresentable deadline (a huge total) is no deadline.
        let deadline = total.and_then(|t| tokio::time::Instant::now().checked_add(t));
        // Whether a wait of `d` still ends before the deadline.
        let fits = |d: Duration| {
            deadline.is_none_or(|end| {
                tokio::time::Instant::now()
                    .checked_add(d)
                    .is_some_and(|t| t < end)
            })
        };
        let http = self.http()?;
        let retry = self.inner.retry;
        let max_retries = opts.max_retries.unwrap_or(retry.max_retries);
        let timeout = opts.timeout.unwrap_or(self.inner.http.timeout);
        let mut attempt: u32 = 0;
        let mut reloaded = false;
        loop {
            let key = self.inner.provider.current_async().await?;
            let (name, value) = auth_header_value(&key, self.inner.scheme);
            let mut req = http.request(method.clone(), &url).header(name, value);
            if opts.timeout.is_some() {
                req = req.timeout(timeout);
            }
            if !query.is_empty() {
                req = req.query(query);
            }
            if let Some(k) = &idempotency_key {
                req = req.header("idempotency-key", k.clone());
            }
            if let Some(body) = json {
                req = req.json(body);
            }
            let exchange = async {
                match req.send().await {
                    Ok(mut resp) => {
                        let status = resp.status().as_u16();
                        // Taken, not cloned: the body read below consumes the response.
                        let headers = std::mem::take(resp.headers_mut());
                        match resp.bytes().await {
                            Ok(body) => Ok((status, headers, body)),
                            Err(e) => Err(self.transport_error(e, timeout)),
                        }
                    }
                    Err(e) => Err(self.transport_error(e, timeout)),
                }
            };
            let outcome = match deadline {
                Some(end) => tokio::time::timeout_at(end, exchange)
                    .await
                    .map_err(|_| total_timeout_error(total))
                    .and_then(|r| r),
                None => exchange.await,
            };
            let (status, headers, body) = match outcome {
                Ok(ok) => ok,
                Err(err) => {
                    // A timed-out attempt is retried like a dropped connection (the POST's
                    // Idempotency-Key makes that safe); the last one's error is returned.
                    let retryable = matches!(err, Error::Connection(_))
                        || matches!(&err, Error::Timeout(m) if !m.starts_with(TOTAL_TIMEOUT));
                    let delay = backoff(&retry, attempt);
                    if retryable && may_retry && attempt < max_retries && fits(delay) {
                        tracing::debug!(target: "noorle", %method, path, attempt, ?delay, "transport error, retrying: {err}");
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(err);
                }
            };
            let request_id = header_str(&headers, "x-request-id").map(str::to_owned);
            tracing::debug!(target: "noorle", %method, path, status, attempt, request_id = request_id.as_deref().unwrap_or(""), "response");
            if (200..300).contains(&status) {
                return Ok((status, headers, body));
            }
            if (300..400).contains(&status) {
                return Err(self.redirect_error(status, &headers, request_id));
            }
            // A rotated key file or a credential command's new key gets one more try.
            if status == 401 && !reloaded && self.inner.provider.reload_after_rejection(&key).await
            {
                reloaded = true;
                continue;
            }
            let wait = server_wait(&headers);
            let err = ApiError::from_response(status, &body, request_id, wait);
            if may_retry && is_retryable_status(status) && attempt < max_retries {
                let delay = match wait {
                    // Too long to wait, or past the call's deadline: the server's answer now.
                    Some(w) if w > retry.max_retry_after || !fits(w) => {
                        return Err(Error::Api(Box::new(err)))
                    }
                    Some(w) => w,
                    None => backoff(&retry, attempt),
                };
                if fits(delay) {
                    tracing::debug!(target: "noorle", %method, path, status, attempt, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    continue;
                }
            }
            return Err(Error::Api(Box::new(err)));
        }
    }

    fn redirect_error(
        &self,
        status: u16,
        headers: &HeaderMap,
        request_id: Option<String>,
    ) -> Error {
        let target: String = header_str(headers, "location")
            .map(redact_keys_in)
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        Error::Api(Box::new(ApiError {
            status,
            code: "redirect_not_followed".to_owned(),
            message: format!(
                "the server answered {status} with a redirect to '{target}'; redirects are not \
                 followed, so the key is only ever sent to {}. Set the base URL to the API's \
                 final address",
                self.inner.base_url
            ),
            request_id,
            details: None,
            retry_after: None,
        }))
    }

    fn transport_error(&self, e: reqwest::Error, timeout: Duration) -> Error {
        let e = e.without_url();
        if e.is_timeout() && !e.is_connect() {
            Error::Timeout(format!("no complete answer within {timeout:?}"))
        } else {
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                src = s.source();
            }
            Error::Connection(format!("{msg} (base URL {})", self.inner.base_url))
        }
    }
}

const TOTAL_TIMEOUT: &str = "the call did not complete within its total timeout";

fn total_timeout_error(total: Option<Duration>) -> Error {
    Error::Timeout(format!(
        "{TOTAL_TIMEOUT} of {:?}",
        total.unwrap_or_default()
    ))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}
