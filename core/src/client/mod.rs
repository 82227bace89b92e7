//! The HTTP client: key attachment, retries, timeouts, errors (contract sections 2 and 4).

mod api_keys;
mod keysource;
mod service_accounts;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use api_keys::ApiKeys;
pub use service_accounts::ServiceAccounts;

use crate::error::{is_retryable_status, redact_keys_in, ApiError, Error, Result};
use crate::headers::{auth_header_value, HeaderScheme};
use crate::key::ApiKey;
use crate::load::{load_api_key, Env, KeySource, LoadOptions, ENV_BASE_URL};
use crate::models::{ApiKeyRecord, CreatedApiKey, Page, RawResponse};
use futures_util::Stream;
use keysource::{FileKey, KeyProvider};
use std::future::Future;

/// Noorle's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.noorle.com";
/// The version of this crate, reported in the `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How the client retries (contract section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// First backoff step (default 0.5 s); doubles each retry, with full jitter.
    pub base_delay: Duration,
    /// Longest backoff (default 8 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` / `X-RateLimit-Reset` wait honoured (default 60 s); a longer one
    /// is not waited for: the error is returned with `retry_after` set.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Retries after the first attempt.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// First backoff step.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }
    /// Longest backoff.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }
    /// The longest server-requested wait honoured.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }
}

/// Per-call options.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// The `Idempotency-Key` for a POST; one is generated when absent.
    pub idempotency_key: Option<String>,
    /// A bound on the whole call, retries and their waits included; overrides the client's
    /// [`ClientBuilder::total_timeout`].
    pub total_timeout: Option<Duration>,
}

impl RequestOptions {
    /// The `Idempotency-Key` for a POST.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
    /// A bound on the whole call, retries and their waits included.
    pub fn total_timeout(mut self, d: Duration) -> Self {
        self.total_timeout = Some(d);
        self
    }
}

/// The longest wait a server can ask for that is kept as such (`Retry-After`,
/// `X-RateLimit-Reset`); a longer one is clamped to it. Only waits up to
/// [`RetryPolicy::max_retry_after`] are ever slept.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Builds a [`Client`]. Unset options come from the environment, then the profile, then defaults.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    load: LoadOptions,
    base_url: Option<String>,
    header_scheme: HeaderScheme,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    total_timeout: Option<Duration>,
    reload_interval: Duration,
    sdk: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            load: LoadOptions::default(),
            base_url: None,
            header_scheme: HeaderScheme::default(),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            total_timeout: None,
            reload_interval: Duration::from_millis(250),
            sdk: "rust".to_owned(),
        }
    }
}

impl ClientBuilder {
    /// The key to send (skips the loading chain).
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.load.api_key = Some(key);
        self
    }
    /// A file holding the key; it is re-read when it changes.
    pub fn api_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.load.api_key_file = Some(path.into());
        self
    }
    /// The profile of `~/.noorle/credentials` to use.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.load.profile = Some(profile.into());
        self
    }
    /// Replaces the whole set of load options (environment source, file paths, ...).
    pub fn load_options(mut self, load: LoadOptions) -> Self {
        self.load = load;
        self
    }
    /// Ignore the environment and the well-known files: use only what is set explicitly.
    pub fn no_ambient_config(mut self) -> Self {
        self.load.env = Env::Empty;
        self.load.docker_secret = None;
        self
    }
    /// The API's base URL (default `NOORLE_BASE_URL`, the profile's, or `https://api.noorle.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Which header carries the key (default `X-API-Key`).
    pub fn header_scheme(mut self, scheme: HeaderScheme) -> Self {
        self.header_scheme = scheme;
        self
    }
    /// The whole-request timeout (default 60 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
    /// The connect timeout (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }
    /// A bound on each whole call, retries and their waits included (default none: each attempt
    /// is bounded by [`ClientBuilder::timeout`] only). A server's `Retry-After` that would end
    /// past it is not waited for: the server's error is returned at once.
    pub fn total_timeout(mut self, t: Duration) -> Self {
        self.total_timeout = Some(t);
        self
    }
    /// Retries after the first attempt (default 2).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }
    /// The whole retry policy.
    pub fn retry_policy(mut self, p: RetryPolicy) -> Self {
        self.retry = p;
        self
    }
    /// How often, at most, a key file is checked for changes (default 250 ms).
    pub fn reload_interval(mut self, d: Duration) -> Self {
        self.reload_interval = d;
        self
    }
    /// Names the language binding in the `User-Agent`, e.g. `python/3.11.7`.
    pub fn sdk_language(mut self, lang: impl Into<String>) -> Self {
        self.sdk = lang.into();
        self
    }

    /// Loads the key and builds the client. Fails on a missing or invalid key, conflicting
    /// settings, or a bad base URL; never on the network.
    pub fn build(self) -> Result<Client> {
        let loaded = load_api_key(&self.load)?;
        let provider = match (&loaded.source.path, loaded.source.is_file()) {
            (Some(path), true) => KeyProvider::File(Arc::new(FileKey::new(
                path.clone(),
                loaded.key.clone(),
                self.reload_interval,
            )?)),
            _ => KeyProvider::Fixed(Arc::new(loaded.key.clone())),
        };
        let env_base_url = match &self.base_url {
            Some(_) => None,
            None => self.load.env.var_checked(ENV_BASE_URL)?,
        };
        let base_url = self
            .base_url
            .clone()
            .or(env_base_url)
            .or(loaded.base_url.clone())
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|e| Error::config(format!("invalid base URL '{base_url}': {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::config(format!(
                "invalid base URL '{base_url}': use http:// or https:// and a host"
            )));
        }
        let user_agent = format!(
            "noorle-sdk/{VERSION} ({}; {} {}) noorle-core/{VERSION}",
            self.sdk,
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        let http = HttpFactory {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            user_agent,
        };
        let first = http.build()?;
        Ok(Client {
            inner: Arc::new(Inner {
                http_client: Mutex::new((std::process::id(), first)),
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                provider,
                source: loaded.source,
                warnings: loaded.warnings,
                scheme: self.header_scheme,
                retry: self.retry,
                total_timeout: self.total_timeout,
            }),
        })
    }
}

#[derive(Debug, Clone)]
struct HttpFactory {
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
}

impl HttpFactory {
    fn build(&self) -> Result<reqwest::Client> {
        // A config of our own (ring, platform roots): no process-wide rustls provider needed.
        reqwest::Client::builder()
            .use_preconfigured_tls(crate::tls::client_config()?)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(&self.user_agent)
            .pool_idle_timeout(Duration::from_secs(60))
            // The key goes to the base URL's origin only: a redirect is returned as an error,
            // never followed (reqwest's default policy would carry X-API-Key to any host).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
    }
}

struct Inner {
    // The pool belongs to the runtime that opened its connections; a forked child gets a new one.
    http_client: Mutex<(u32, reqwest::Client)>,
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
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("key", &self.inner.provider.current().redacted())
            .field("key_source", &self.inner.source)
            .field("header_scheme", &self.inner.scheme)
            .finish()
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
        // The same pool, with the process id it belongs to (so a fork is still detected).
        let slot = i
            .http_client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Client {
            inner: Arc::new(Inner {
                http_client: Mutex::new(slot),
                http: i.http.clone(),
                base_url: i.base_url.clone(),
                provider: KeyProvider::Fixed(Arc::new(key)),
                source: KeySource::explicit(),
                warnings: Vec::new(),
                scheme: i.scheme,
                retry: i.retry,
                total_timeout: i.total_timeout,
            }),
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

    /// An authenticated call to any Noorle endpoint, with the same retries and errors. Non-success
    /// statuses are errors; the answer carries the status, headers and decoded JSON.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        json: Option<&Value>,
        opts: RequestOptions,
    ) -> Result<RawResponse> {
        let (status, headers, body) = self.send(method, path, query, json, opts).await?;
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        let headers = headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        Ok(RawResponse {
            status,
            headers,
            json,
        })
    }

    /// Sends a request and decodes `field` of the answer's JSON object.
    pub(crate) async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&B>,
        idempotency_key: Option<String>,
        field: &str,
    ) -> Result<T> {
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::config(format!("cannot encode the request: {e}")))?;
        let opts = RequestOptions {
            idempotency_key,
            ..RequestOptions::default()
        };
        let (_, _, bytes) = self.send(method, path, query, body.as_ref(), opts).await?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde::de::DeserializeSeed::deserialize(FieldSeed::<T>::new(field), &mut de)
            .map_err(|e| unexpected(path, e))
    }

    /// Sends a request and decodes the whole JSON answer.
    pub(crate) async fn call_value<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&B>,
        idempotency_key: Option<String>,
    ) -> Result<Value> {
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::config(format!("cannot encode the request: {e}")))?;
        let opts = RequestOptions {
            idempotency_key,
            ..RequestOptions::default()
        };
        let (_, _, bytes) = self.send(method, path, query, body.as_ref(), opts).await?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| unexpected(path, e))
    }

    fn http(&self) -> Result<reqwest::Client> {
        let pid = std::process::id();
        let mut slot = self
            .inner
            .http_client
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if slot.0 != pid {
            *slot = (pid, self.inner.http.build()?);
        }
        Ok(slot.1.clone())
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
        let mut attempt: u32 = 0;
        let mut reloaded = false;
        loop {
            let key = self.inner.provider.current_async().await;
            let (name, value) = auth_header_value(&key, self.inner.scheme);
            let mut req = http.request(method.clone(), &url).header(name, value);
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
                            Err(e) => Err(self.transport_error(e)),
                        }
                    }
                    Err(e) => Err(self.transport_error(e)),
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
                    if retryable && may_retry && attempt < retry.max_retries && fits(delay) {
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
            // A rotated key file: the new key gets one more try.
            if status == 401 && !reloaded && self.inner.provider.reload_after_rejection(&key).await
            {
                reloaded = true;
                continue;
            }
            let wait = server_wait(&headers);
            let err = ApiError::from_response(status, &body, request_id, wait);
            if may_retry && is_retryable_status(status) && attempt < retry.max_retries {
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

    fn transport_error(&self, e: reqwest::Error) -> Error {
        let e = e.without_url();
        if e.is_timeout() && !e.is_connect() {
            Error::Timeout(format!(
                "no complete answer within {:?}",
                self.inner.http.timeout
            ))
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

/// A caller's `Idempotency-Key`: a header value it must be, or the request could not be sent
/// (and would be retried as a connection error).
fn idempotency_header(k: &str) -> Result<HeaderValue> {
    let ok = !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..0x7f).contains(&b));
    let v = ok.then(|| HeaderValue::from_str(k).ok()).flatten();
    v.ok_or_else(|| {
        Error::config(
            "the Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces, newlines \
             or other control characters)",
        )
    })
}

fn unexpected(path: &str, e: serde_json::Error) -> Error {
    Error::Connection(format!("unexpected answer from {path}: {e}"))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
}

/// `Retry-After` (seconds or an HTTP-date), else `X-RateLimit-Reset` (Unix seconds) on a 429;
/// clamped to [`MAX_SERVER_WAIT`].
fn server_wait(headers: &HeaderMap) -> Option<Duration> {
    let now = SystemTime::now();
    if let Some(v) = header_str(headers, RETRY_AFTER.as_str()) {
        return parse_retry_after(v, now);
    }
    let reset = header_str(headers, "x-ratelimit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    let remaining = header_str(headers, "x-ratelimit-remaining")?
        .trim()
        .parse::<u64>()
        .ok()?;
    if remaining > 0 {
        return None;
    }
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)).min(MAX_SERVER_WAIT))
}

/// A `Retry-After` value: delay-seconds (fractions tolerated) or an HTTP-date. Anything else,
/// negative or NaN is ignored; any size is clamped, never a panic.
fn parse_retry_after(v: &str, now: SystemTime) -> Option<Duration> {
    let v = v.trim();
    if let Ok(s) = v.parse::<f64>() {
        if s.is_nan() || s < 0.0 {
            return None;
        }
        let s = s.min(MAX_SERVER_WAIT.as_secs_f64());
        return Some(Duration::try_from_secs_f64(s).unwrap_or(MAX_SERVER_WAIT));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_SERVER_WAIT),
    )
}

/// Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)].
fn backoff(p: &RetryPolicy, attempt: u32) -> Duration {
    let cap = p
        .base_delay
        .saturating_mul(1u32 << attempt.min(16))
        .min(p.max_delay);
    let ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::rng().random_range(0..=ms))
}

/// Decodes one field of a JSON object straight into `T`, skipping the others (the answers'
/// envelopes are `{"<field>": {...}}`), without building a `Value` tree first.
struct FieldSeed<'f, T> {
    field: &'f str,
    _t: std::marker::PhantomData<T>,
}

impl<'f, T> FieldSeed<'f, T> {
    fn new(field: &'f str) -> Self {
        Self {
            field,
            _t: std::marker::PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> serde::de::DeserializeSeed<'de> for FieldSeed<'_, T> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for FieldSeed<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an object with the field '{}'", self.field)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.field && found.is_none() {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        found.ok_or_else(|| serde::de::Error::custom(format!("no '{}' in the answer", self.field)))
    }
}

/// Percent-encodes one id as one path segment, so an id can never change the path. Empty, `.`
/// and `..` are refused (URL resolution would drop or climb the segment), and so is an id that
/// holds a whole key (it would put the secret into the URL and the logs).
pub(crate) fn path_segment(s: &str) -> Result<String> {
    if matches!(s, "" | "." | "..") {
        return Err(Error::config(format!(
            "invalid id '{s}': an id must not be empty, '.' or '..'"
        )));
    }
    let redacted = redact_keys_in(s);
    if redacted != s {
        return Err(Error::config(format!(
            "the id '{redacted}' is a whole API key, secret included; pass the key's access id \
             (the 32 hex characters after 'ak-'), never the secret"
        )));
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// `{"<field>": [...], "total", "limit", "offset"}` → a page.
pub(crate) fn decode_page<T: DeserializeOwned>(mut v: Value, field: &str) -> Result<Page<T>> {
    let items = v.get_mut(field).map(Value::take).unwrap_or_default();
    let items: Vec<T> = serde_json::from_value(items).map_err(|e| unexpected(field, e))?;
    let num = |k: &str| v.get(k).and_then(Value::as_u64);
    Ok(Page {
        total: num("total").unwrap_or(items.len() as u64),
        limit: num("limit")
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(20),
        offset: num("offset").unwrap_or(0),
        items,
    })
}

/// `{"api_key": {...}, "key": "ak-..."}` → the record and the parsed key.
pub(crate) fn decode_created(mut v: Value, path: &str) -> Result<CreatedApiKey> {
    let rec = v.get_mut("api_key").map(Value::take).unwrap_or_default();
    let api_key = serde_json::from_value(rec).map_err(|e| unexpected(path, e))?;
    let raw = zeroize::Zeroizing::new(match v.get_mut("key").map(Value::take) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    });
    let key = ApiKey::parse(&raw).map_err(|e| {
        Error::Connection(format!(
            "the server answered {path} with a malformed key: {e}"
        ))
    })?;
    Ok(CreatedApiKey { api_key, key })
}

/// Walks pages from `start`, yielding items, until the last page or the first error. A server
/// that does not page (answers another offset than asked, or the same page twice) ends the walk
/// with an error instead of an endless loop.
pub(crate) fn paginate<'a, T, F, Fut>(start: u64, fetch: F) -> impl Stream<Item = Result<T>> + 'a
where
    T: Clone + PartialEq + 'a,
    F: Fn(u64) -> Fut + 'a,
    Fut: Future<Output = Result<Page<T>>> + 'a,
{
    use futures_util::stream::{self, StreamExt};
    stream::unfold((Some(start), None::<Vec<T>>), move |(next, previous)| {
        let fut = next.map(|offset| (offset, fetch(offset)));
        async move {
            let (offset, fut) = fut?;
            match fut.await {
                Ok(page) => {
                    let stuck = page.offset != offset
                        || (!page.items.is_empty() && previous.as_ref() == Some(&page.items));
                    if stuck {
                        let e = Error::Connection(format!(
                            "the server does not page: asked for offset {offset}, it answered \
                                 offset {} with {} item(s){}; stopped instead of looping",
                            page.offset,
                            page.items.len(),
                            if page.offset == offset {
                                ", the same as the page before"
                            } else {
                                ""
                            }
                        ));
                        return Some((Err(e), (None, None)));
                    }
                    let next = page.next_offset();
                    let items = page.items;
                    let keep = next.map(|_| items.clone());
                    Some((Ok(items), (next, keep)))
                }
                Err(e) => Some((Err(e), (None, None))),
            }
        }
    })
    .flat_map(|r| match r {
        Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
        Err(e) => stream::iter(std::iter::once(Err(e))).right_stream(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        for attempt in 0..20 {
            // Full jitter: uniform in [0, cap], cap = min(max_delay, base * 2^attempt). A backoff
            // that never waits, or always waits the cap, fails too: over 1,000 draws the smallest
            // lies in the bottom tenth and the largest in the top tenth (each miss has odds
            // below 1e-45).
            let cap = (p.base_delay * 2u32.pow(attempt.min(16))).min(p.max_delay);
            let draws: Vec<Duration> = (0..1000).map(|_| backoff(&p, attempt)).collect();
            let (lo, hi) = (draws.iter().min().unwrap(), draws.iter().max().unwrap());
            assert!(*hi <= cap, "attempt {attempt}: {hi:?} over {cap:?}");
            assert!(
                *hi >= cap.mul_f64(0.9),
                "attempt {attempt}: never near {cap:?}"
            );
            assert!(
                *lo <= cap.mul_f64(0.1),
                "attempt {attempt}: never near zero"
            );
        }
        assert_eq!(p.base_delay, Duration::from_millis(500));
        assert_eq!(p.max_delay, Duration::from_secs(8));
    }

    #[test]
    fn retry_after_wins_over_reset() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(server_wait(&h), Some(Duration::from_secs(2)));
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1"));
        assert_eq!(server_wait(&h), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_of_any_size_or_form_never_panics() {
        let now = SystemTime::now();
        let max = Some(MAX_SERVER_WAIT);
        for (v, want) in [
            ("1e20", max),
            ("18446744073709551615", max),
            ("1e400", max),
            ("inf", max),
            ("2", Some(Duration::from_secs(2))),
            ("0.5", Some(Duration::from_millis(500))),
            ("NaN", None),
            ("-1", None),
            ("soon", None),
        ] {
            assert_eq!(parse_retry_after(v, now), want, "{v}");
        }
        let later = httpdate::fmt_http_date(now + Duration::from_secs(120));
        let got = parse_retry_after(&later, now).unwrap();
        assert!(
            got > Duration::from_secs(118) && got <= Duration::from_secs(120),
            "{got:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(120));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        let far = "Fri, 31 Dec 9999 23:59:59 GMT";
        assert_eq!(parse_retry_after(far, now), max);
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(server_wait(&h), max);
    }

    #[test]
    fn ids_that_would_rewrite_the_path_or_leak_a_key_are_refused() {
        for id in ["", ".", ".."] {
            assert!(path_segment(id).is_err(), "{id:?}");
        }
        let key = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
        let e = path_segment(key).unwrap_err().to_string();
        assert!(!e.contains("s9t0"), "{e}");
        assert_eq!(path_segment("a/b..c").unwrap(), "a%2Fb..c");
        assert_eq!(path_segment("...").unwrap(), "...");
    }
}
