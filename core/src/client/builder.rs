//! [`ClientBuilder`]: options, key loading and base URL resolution, and the HTTP client
//! they configure.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::commandkey::CommandKey;
use super::keysource::{FileKey, KeyProvider};
use super::{Client, Inner, RetryPolicy, DEFAULT_BASE_URL, VERSION};
use crate::error::{redact_keys_in, Error, Result};
use crate::headers::HeaderScheme;
use crate::key::ApiKey;
use crate::load::{load_api_key, Env, LoadOptions, ENV_BASE_URL};
use crate::redact::debug_redacted;

/// Builds a [`Client`]. Unset options come from the environment, then the profile, then defaults.
/// `Debug` shows nothing secret: the key redacted, the command's program only, nothing key-shaped.
#[derive(Clone)]
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

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        debug_redacted(f, |f| {
            f.debug_struct("ClientBuilder")
                .field("load", &b.load)
                .field("base_url", &b.base_url)
                .field("header_scheme", &b.header_scheme)
                .field("timeout", &b.timeout)
                .field("connect_timeout", &b.connect_timeout)
                .field("retry", &b.retry)
                .field("total_timeout", &b.total_timeout)
                .field("reload_interval", &b.reload_interval)
                .field("sdk", &b.sdk)
                .finish()
        })
    }
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
    /// A credential command (program and arguments; run directly, never through a shell)
    /// printing the key; run now, and again when its key expires or is refused.
    pub fn api_key_command<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.load = self.load.api_key_command(argv);
        self
    }
    /// How long the credential command may run before it is killed (default 30 s).
    pub fn api_key_command_timeout(mut self, t: Duration) -> Self {
        self.load.api_key_command_timeout = Some(t);
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
        let provider = match (&loaded.source.path, &loaded.command) {
            (_, Some(command)) => KeyProvider::Command(Arc::new(CommandKey::new(
                command.clone(),
                loaded.key.clone(),
                loaded.expires_at.as_ref(),
            ))),
            (Some(path), None) if loaded.source.is_file() => KeyProvider::File(Arc::new(
                FileKey::new(path.clone(), loaded.key.clone(), self.reload_interval)?,
            )),
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
        // A key in the base URL would travel in every request's URL, into access logs.
        if redact_keys_in(&base_url) != base_url {
            return Err(Error::config(format!(
                "the base URL '{base_url}' holds an API key, which would be sent in every \
                 request's URL: give the base URL without it, and the key as the API key"
            )));
        }
        let user_agent = format!(
            "noorle-sdk/{VERSION} ({}; {} {}) noorle-core/{VERSION}",
            self.sdk,
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        // What building the HTTP client could refuse from the builder's own input is checked
        // here, so that the constructor still reports it; the HTTP client itself, and the
        // platform's TLS roots it needs, come with the first call (an idle client stays small,
        // docs/decisions.md).
        reqwest::header::HeaderValue::from_str(&user_agent)
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        let http = HttpFactory {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            user_agent,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http_client: Arc::new(Mutex::new(None)),
                http,
                base_url: base_url.trim_end_matches('/').to_owned(),
                provider,
                source: loaded.source,
                warnings: loaded.warnings,
                scheme: self.header_scheme,
                retry: self.retry,
                total_timeout: self.total_timeout,
            }),
            opts: super::RequestOptions::default(),
        })
    }
}

#[derive(Clone)]
pub(super) struct HttpFactory {
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) user_agent: String,
}

impl HttpFactory {
    /// Builds the HTTP client; the process's platform roots are loaded by the first build (an
    /// unusable CA store fails it with a configuration error, and the next call tries again).
    pub(super) fn build(&self) -> Result<reqwest::Client> {
        // A config of our own (ring, platform roots): no process-wide rustls provider needed.
        reqwest::Client::builder()
            .use_preconfigured_tls(crate::tls::client_config(crate::tls::verifier()?)?)
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
