//! A blocking client for programs without an async runtime. It drives the async client on the
//! crate's shared runtime; do not call it from inside an async context.

use std::future::Future;

use crate::client::{ClientBuilder, RequestOptions};
use crate::error::Result;
use crate::models::{ApiKeyRecord, RawResponse};
use crate::Method;

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
}
