//! `/v1/api-keys`: direct keys and every key's lifecycle.

use futures_util::Stream;
use reqwest::Method;

use super::{decode_created, decode_page, paginate, path_segment as seg, Client};
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
    pub async fn create(&self, params: &CreateApiKey) -> Result<CreatedApiKey> {
        let v = self
            .client
            .call_value(Method::POST, "/v1/api-keys", &[], Some(params), None)
            .await?;
        decode_created(v, "/v1/api-keys")
    }

    /// One page of keys.
    pub async fn list(&self, params: &ListApiKeys) -> Result<Page<ApiKeyRecord>> {
        let mut q = Vec::new();
        if let Some(s) = &params.status {
            q.push(("status".to_owned(), s.to_string()));
        }
        if let Some(o) = &params.owner_type {
            q.push(("owner_type".to_owned(), o.to_string()));
        }
        if let Some(id) = &params.service_account_id {
            q.push(("service_account_id".to_owned(), id.clone()));
        }
        push_page(&mut q, params.limit, params.offset);
        let v = self
            .client
            .call_value(Method::GET, "/v1/api-keys", &q, None::<&()>, None)
            .await?;
        decode_page(v, "api_keys", params.offset.unwrap_or(0))
    }

    /// Every key, page after page.
    pub fn list_all(&self, params: ListApiKeys) -> impl Stream<Item = Result<ApiKeyRecord>> + 'a {
        let this = *self;
        paginate(params.offset.unwrap_or(0), move |offset| {
            let p = ListApiKeys {
                offset: Some(offset),
                ..params.clone()
            };
            async move { this.list(&p).await }
        })
    }

    /// One key.
    pub async fn get(&self, id: &str) -> Result<ApiKeyRecord> {
        let path = format!("/v1/api-keys/{}", seg(id)?);
        self.client
            .call(Method::GET, &path, &[], None::<&()>, None, "api_key")
            .await
    }

    /// Renames a key or changes its expiry.
    pub async fn update(&self, id: &str, params: &UpdateApiKey) -> Result<ApiKeyRecord> {
        let path = format!("/v1/api-keys/{}", seg(id)?);
        self.client
            .call(Method::PATCH, &path, &[], Some(params), None, "api_key")
            .await
    }

    /// active → inactive (idempotent).
    pub async fn deactivate(&self, id: &str) -> Result<ApiKeyRecord> {
        self.transition(id, "deactivate").await
    }

    /// inactive → active (idempotent; a revoked key is a conflict).
    pub async fn activate(&self, id: &str) -> Result<ApiKeyRecord> {
        self.transition(id, "activate").await
    }

    /// → revoked, for good (idempotent).
    pub async fn revoke(&self, id: &str) -> Result<ApiKeyRecord> {
        self.transition(id, "revoke").await
    }

    /// Removes a revoked key.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let path = format!("/v1/api-keys/{}", seg(id)?);
        self.client
            .call_value(Method::DELETE, &path, &[], None::<&()>, None)
            .await
            .map(drop)
    }

    /// A new key with the same owner, name, scope and permissions; the old one keeps working for
    /// the grace period, then is revoked.
    pub async fn rotate(&self, id: &str, params: &RotateApiKey) -> Result<RotatedApiKey> {
        let path = format!("/v1/api-keys/{}/rotate", seg(id)?);
        let v = self
            .client
            .call_value(Method::POST, &path, &[], Some(params), None)
            .await?;
        decode_created(v, &path)
    }

    async fn transition(&self, id: &str, action: &str) -> Result<ApiKeyRecord> {
        let path = format!("/v1/api-keys/{}/{action}", seg(id)?);
        self.client
            .call(Method::POST, &path, &[], None::<&()>, None, "api_key")
            .await
    }
}

pub(super) fn push_page(q: &mut Vec<(String, String)>, limit: Option<u32>, offset: Option<u64>) {
    if let Some(l) = limit {
        q.push(("limit".to_owned(), l.to_string()));
    }
    if let Some(o) = offset {
        q.push(("offset".to_owned(), o.to_string()));
    }
}
