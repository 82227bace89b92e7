//! The blocking form of [`crate::ApiKeys`].

use super::{Client, Iter};
use crate::error::Result;
use crate::models::{
    ApiKeyRecord, CreateApiKey, CreatedApiKey, ListApiKeys, Page, RotateApiKey, RotatedApiKey,
    UpdateApiKey,
};

/// Key management calls. Get one with [`Client::api_keys`].
#[derive(Debug, Clone, Copy)]
pub struct ApiKeys<'a> {
    pub(super) client: &'a Client,
}

impl<'a> ApiKeys<'a> {
    /// Creates a direct key for the calling principal. The answer holds the whole key, once.
    pub fn create(&self, params: &CreateApiKey) -> Result<CreatedApiKey> {
        self.client
            .block_on(|c| async move { c.api_keys().create(params).await })
    }

    /// One page of keys.
    pub fn list(&self, params: &ListApiKeys) -> Result<Page<ApiKeyRecord>> {
        self.client
            .block_on(|c| async move { c.api_keys().list(params).await })
    }

    /// Every key, page after page.
    pub fn list_all(&self, params: ListApiKeys) -> Iter<'a, ApiKeyRecord> {
        Iter::new(self.client.inner.api_keys().list_all(params))
    }

    /// One key.
    pub fn get(&self, id: &str) -> Result<ApiKeyRecord> {
        self.client
            .block_on(|c| async move { c.api_keys().get(id).await })
    }

    /// Renames a key or changes its expiry.
    pub fn update(&self, id: &str, params: &UpdateApiKey) -> Result<ApiKeyRecord> {
        self.client
            .block_on(|c| async move { c.api_keys().update(id, params).await })
    }

    /// active → inactive (idempotent).
    pub fn deactivate(&self, id: &str) -> Result<ApiKeyRecord> {
        self.client
            .block_on(|c| async move { c.api_keys().deactivate(id).await })
    }

    /// inactive → active (idempotent; a revoked key is a conflict).
    pub fn activate(&self, id: &str) -> Result<ApiKeyRecord> {
        self.client
            .block_on(|c| async move { c.api_keys().activate(id).await })
    }

    /// → revoked, for good (idempotent).
    pub fn revoke(&self, id: &str) -> Result<ApiKeyRecord> {
        self.client
            .block_on(|c| async move { c.api_keys().revoke(id).await })
    }

    /// Removes a revoked key.
    pub fn delete(&self, id: &str) -> Result<()> {
        self.client
            .block_on(|c| async move { c.api_keys().delete(id).await })
    }

    /// A new key with the same owner, name, scope and permissions; the old one keeps working for
    /// the grace period, then is revoked.
    pub fn rotate(&self, id: &str, params: &RotateApiKey) -> Result<RotatedApiKey> {
        self.client
            .block_on(|c| async move { c.api_keys().rotate(id, params).await })
    }
}
