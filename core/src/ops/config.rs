//! [`ClientConfig`]: the options every binding accepts, their redacting `Debug`, and how they
//! map onto the loader and the client builder.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::client::{Client, ClientBuilder, RequestOptions, RetryPolicy};
use crate::error::{redact_keys_in, Error, Result};
use crate::key::ApiKey;
use crate::load::{Env, LoadOptions};
use crate::redact::{command_debug, debug_redacted, RedactedDebug};

/// Client and loader options, as every binding accepts them (README.md, "Configuration").
/// `Debug` redacts the key and shows only the names of `env_vars`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub api_key: Option<String>,
    pub api_key_file: Option<PathBuf>,
    /// A credential command: the program and its arguments.
    pub api_key_command: Option<Vec<String>>,
    /// How long the credential command may run, seconds (default 30).
    pub api_key_command_timeout: Option<f64>,
    pub profile: Option<String>,
    pub base_url: Option<String>,
    /// `x-api-key` (default), `api-key` or `authorization`.
    pub header_scheme: Option<String>,
    /// Whole-request timeout, seconds.
    pub timeout: Option<f64>,
    /// Connect timeout, seconds.
    pub connect_timeout: Option<f64>,
    pub max_retries: Option<u32>,
    /// A bound on each whole call, retries and waits included, seconds (default none).
    pub total_timeout: Option<f64>,
    /// First backoff step, seconds (default 0.5).
    pub retry_base_delay: Option<f64>,
    /// Longest backoff, seconds (default 8).
    pub retry_max_delay: Option<f64>,
    /// `false`: read no environment variables and no well-known files.
    pub env: Option<bool>,
    /// An isolated environment to read instead of the process's.
    pub env_vars: Option<HashMap<String, String>>,
    /// The credentials file (default `~/.noorle/credentials`).
    pub credentials_file: Option<PathBuf>,
    /// The Docker secret file (default `/run/secrets/noorle_api_key`).
    pub docker_secret: Option<PathBuf>,
    /// How often a key file is checked for changes, seconds (default 0.25).
    pub reload_interval: Option<f64>,
    /// The binding's language, for the `User-Agent` (e.g. `python/3.11.7`).
    pub sdk_language: Option<String>,
}

/// Per-call options of a client operation, as `"options": {...}` beside its fields (seconds as
/// numbers). Each one set overrides the client's setting for that call. `Debug` redacts.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// A bound on each attempt, seconds.
    pub timeout: Option<f64>,
    /// A bound on the whole call, retries and waits included, seconds.
    pub total_timeout: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// The `Idempotency-Key` of a POST.
    pub idempotency_key: Option<String>,
}

impl CallOptions {
    /// The client's form of these options; a negative, NaN or infinite number of seconds is a
    /// configuration error naming the option.
    pub fn request_options(&self) -> Result<RequestOptions> {
        let d = |name: &str, v: Option<f64>| v.map(|t| secs(name, t)).transpose();
        Ok(RequestOptions {
            timeout: d("options.timeout", self.timeout)?,
            total_timeout: d("options.total_timeout", self.total_timeout)?,
            max_retries: self.max_retries,
            idempotency_key: self.idempotency_key.clone(),
        })
    }
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("total_timeout", &self.total_timeout)
            .field("max_retries", &self.max_retries)
            .field("idempotency_key", &RedactedDebug(&self.idempotency_key))
            .finish()
    }
}

pub(super) fn secs(name: &str, v: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(v).map_err(|_| {
        Error::config(format!(
            "{name} must be a finite, non-negative number of seconds, got {v}"
        ))
    })
}

/// A secret string for `Debug`: the redacted key when it is one, else nothing of it.
pub(super) fn secret_debug(s: &str) -> String {
    ApiKey::parse_loaded(s).map_or_else(|_| "<redacted>".to_owned(), |k| k.redacted())
}

impl std::fmt::Debug for ClientConfig {
    /// Shown: the key as `secret_debug` gives it (nothing of a value that is not a key), the
    /// command's program only (arguments may be secret), the names of `env_vars` only (values may
    /// be secrets); then the whole text is redacted, so a key pasted into any field (a path, a
    /// profile name, the language tag) never shows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self;
        debug_redacted(f, |f| {
            f.debug_struct("ClientConfig")
                .field("api_key", &c.api_key.as_deref().map(secret_debug))
                .field("api_key_file", &c.api_key_file)
                .field(
                    "api_key_command",
                    &c.api_key_command.as_deref().map(command_debug),
                )
                .field("api_key_command_timeout", &c.api_key_command_timeout)
                .field("profile", &c.profile)
                .field("base_url", &c.base_url)
                .field("header_scheme", &c.header_scheme)
                .field("timeout", &c.timeout)
                .field("connect_timeout", &c.connect_timeout)
                .field("max_retries", &c.max_retries)
                .field("total_timeout", &c.total_timeout)
                .field("retry_base_delay", &c.retry_base_delay)
                .field("retry_max_delay", &c.retry_max_delay)
                .field("env", &c.env)
                .field(
                    "env_vars",
                    &c.env_vars.as_ref().map(|m| m.keys().collect::<Vec<_>>()),
                )
                .field("credentials_file", &c.credentials_file)
                .field("docker_secret", &c.docker_secret)
                .field("reload_interval", &c.reload_interval)
                .field("sdk_language", &c.sdk_language)
                .finish()
        })
    }
}

impl ClientConfig {
    /// Parses settings from JSON text; unknown fields are an error (a typo must not be ignored).
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            Error::config(format!(
                "invalid client configuration: {}",
                redact_keys_in(&e.to_string())
            ))
        })
    }

    /// The loader options these settings describe.
    pub fn load_options(&self) -> Result<LoadOptions> {
        let mut o = LoadOptions::default();
        if let Some(raw) = &self.api_key {
            o.api_key = Some(ApiKey::parse(raw).map_err(|error| Error::InvalidApiKey {
                error,
                origin: Some("the api_key option".into()),
            })?);
        }
        o.api_key_file.clone_from(&self.api_key_file);
        o.api_key_command.clone_from(&self.api_key_command);
        if let Some(t) = self.api_key_command_timeout {
            o.api_key_command_timeout = Some(secs("api_key_command_timeout", t)?);
        }
        o.profile.clone_from(&self.profile);
        if let Some(vars) = &self.env_vars {
            o.env = Env::Map(vars.clone());
        }
        if self.env == Some(false) {
            o.env = Env::Empty;
            o.docker_secret = None;
        }
        if self.credentials_file.is_some() {
            o.credentials_file.clone_from(&self.credentials_file);
        }
        if self.docker_secret.is_some() {
            o.docker_secret.clone_from(&self.docker_secret);
        }
        Ok(o)
    }

    /// The client these settings describe.
    pub fn builder(&self) -> Result<ClientBuilder> {
        let mut b = Client::builder().load_options(self.load_options()?);
        if let Some(u) = &self.base_url {
            b = b.base_url(u.clone());
        }
        if let Some(s) = &self.header_scheme {
            b = b.header_scheme(s.parse()?);
        }
        if let Some(t) = self.timeout {
            b = b.timeout(secs("timeout", t)?);
        }
        if let Some(t) = self.connect_timeout {
            b = b.connect_timeout(secs("connect_timeout", t)?);
        }
        if let Some(t) = self.total_timeout {
            b = b.total_timeout(secs("total_timeout", t)?);
        }
        let mut retry = RetryPolicy::default();
        if let Some(n) = self.max_retries {
            retry.max_retries = n;
        }
        if let Some(d) = self.retry_base_delay {
            retry.base_delay = secs("retry_base_delay", d)?;
        }
        if let Some(d) = self.retry_max_delay {
            retry.max_delay = secs("retry_max_delay", d)?;
        }
        b = b.retry_policy(retry);
        if let Some(d) = self.reload_interval {
            b = b.reload_interval(secs("reload_interval", d)?);
        }
        if let Some(l) = &self.sdk_language {
            b = b.sdk_language(l.clone());
        }
        Ok(b)
    }

    /// Builds the client.
    pub fn build(&self) -> Result<Client> {
        self.builder()?.build()
    }
}
