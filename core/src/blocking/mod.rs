//! A blocking client for programs without an async runtime. It drives the async client on the
//! crate's shared runtime; do not call it from inside an async context.

mod api_keys;
mod service_accounts;

use std::future::Future;
use std::pin::Pin;

use futures_util::{Stream, StreamExt};

use crate::client::{ClientBuilder, RequestOptions};
use crate::error::Result;
use crate::load::KeySource;
use crate::models::{ApiKeyRecord, RawResponse};
use crate::rotate::{RotateKeyFile, RotationReport};
use crate::Method;

pub use api_keys::ApiKeys;
pub use service_accounts::ServiceAccounts;

/// The blocking form of [`crate::Client`].
#[derive(Debug, Clone)]
pub struct Client {
    inner: crate::Client,
}

impl Client {
    /// Builds from a [`ClientBuilder`].
    pub fn new(builder: ClientBuilder) -> Result<Self> {
        Ok(Self {
            inner: builder.build()?,
        })
    }

    /// A client configured entirely from the environment.
    pub fn from_env() -> Result<Self> {
        Self::new(ClientBuilder::default())
    }

    /// The async client underneath.
    pub fn async_client(&self) -> &crate::Client {
        &self.inner
    }

    /// Where the key came from (never the key).
    pub fn key_source(&self) -> &KeySource {
        self.inner.key_source()
    }

    /// A view of this client (same pool, key and base URL) whose every call uses `opts`; see
    /// [`crate::Client::with_options`].
    pub fn with_options(&self, opts: RequestOptions) -> Client {
        Client {
            inner: self.inner.with_options(opts),
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

    /// Runs any async call of the client to completion:
    /// `c.block_on(|c| async move { c.api_keys().get(&id).await })`.
    pub fn block_on<F, Fut, T>(&self, f: F) -> Result<T>
    where
        F: FnOnce(crate::Client) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        crate::runtime::block_on(f(self.inner.clone()))?
    }

    /// `GET /v1/api-keys/self`.
    pub fn whoami(&self) -> Result<ApiKeyRecord> {
        self.block_on(|c| async move { c.whoami().await })
    }

    /// An authenticated call to any endpoint.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        json: Option<&serde_json::Value>,
    ) -> Result<RawResponse> {
        self.block_on(|c| async move {
            c.request(method, path, query, json, RequestOptions::default())
                .await
        })
    }

    /// Rotates a key and writes the new one to a file; see [`crate::Client::rotate_key_file`].
    pub fn rotate_key_file(&self, params: &RotateKeyFile) -> Result<RotationReport> {
        self.block_on(|c| async move { c.rotate_key_file(params).await })
    }
}

/// Every item of a paged listing; each page is fetched when the iteration reaches it.
pub struct Iter<'a, T> {
    stream: Pin<Box<dyn Stream<Item = Result<T>> + 'a>>,
    done: bool,
}

impl<'a, T> Iter<'a, T> {
    fn new(stream: impl Stream<Item = Result<T>> + 'a) -> Self {
        Self {
            stream: Box::pin(stream),
            done: false,
        }
    }
}

impl<T> std::fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter").field("done", &self.done).finish()
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        // The listing stops after its first error; so does the iteration.
        match crate::runtime::block_on(self.stream.next()) {
            Ok(Some(Ok(item))) => Some(Ok(item)),
            Ok(Some(Err(e))) | Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(None) => {
                self.done = true;
                None
            }
        }
    }
}
