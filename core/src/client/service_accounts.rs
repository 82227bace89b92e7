//! `/v1/service-accounts`: service accounts and their keys.

use futures_util::Stream;
use reqwest::Method;

use super::api_keys::push_page;
use super::{decode_created, decode_page, paginate, path_segment as seg, Client};
use crate::error::Result;
use crate::models::{
    ApiKeyRecord, CreateApiKey, CreateServiceAccount, CreatedApiKey, CreatedServiceAccount, Page,
    PageParams, ServiceAccount, UpdateServiceAccount,
};

/// Service-account calls. Get one with [`Client::service_accounts`].
#[derive(Debug, Clone, Copy)]
pub struct ServiceAccounts<'a> {
    pub(super) client: &'a Client,
}

impl<'a> ServiceAccounts<'a> {
    /// Creates a service account; its first key is generated with it and returned once.
    pub async fn create(&self, params: &CreateServiceAccount) -> Result<CreatedServiceAccount> {
        let path = "/v1/service-accounts";
        let v = self
            .client
            .call_value(Method::POST, path, &[], Some(params), None)
            .await?;
        decode_created(v, path)
    }

    /// One page of service accounts.
    pub async fn list(&self, params: &PageParams) -> Result<Page<ServiceAccount>> {
        let mut q = Vec::new();
        push_page(&mut q, params.limit, params.offset);
        let v = self
            .client
            .call_value(Method::GET, "/v1/service-accounts", &q, None::<&()>, None)
            .await?;
        decode_page(v, "service_accounts", params.offset.unwrap_or(0))
    }

    /// Every service account, page after page.
    pub fn list_all(&self, params: PageParams) -> impl Stream<Item = Result<ServiceAccount>> + 'a {
        let this = *self;
        paginate(params.offset.unwrap_or(0), move |offset| {
            let p = PageParams {
                offset: Some(offset),
                ..params
            };
            async move { this.list(&p).await }
        })
    }

    /// One service account.
    pub async fn get(&self, id: &str) -> Result<ServiceAccount> {
        let path = format!("/v1/service-accounts/{}", seg(id)?);
        self.client
            .call(
                Method::GET,
                &path,
                &[],
                None::<&()>,
                None,
                "service_account",
            )
            .await
    }

    /// Changes the name, description, role or enabled flag.
    pub async fn update(&self, id: &str, params: &UpdateServiceAccount) -> Result<ServiceAccount> {
        let path = format!("/v1/service-accounts/{}", seg(id)?);
        self.client
            .call(
                Method::PATCH,
                &path,
                &[],
                Some(params),
                None,
                "service_account",
            )
            .await
    }

    /// Deletes a service account; its keys are revoked.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let path = format!("/v1/service-accounts/{}", seg(id)?);
        self.client
            .call_value(Method::DELETE, &path, &[], None::<&()>, None)
            .await
            .map(drop)
    }

    /// Another key for the service account (several may be active, for rotation).
    pub async fn create_key(&self, id: &str, params: &CreateApiKey) -> Result<CreatedApiKey> {
        let path = format!("/v1/service-accounts/{}/api-keys", seg(id)?);
        let v = self
            .client
            .call_value(Method::POST, &path, &[], Some(params), None)
            .await?;
        decode_created(v, &path)
    }

    /// One page of the service account's keys.
    pub async fn list_keys(&self, id: &str, params: &PageParams) -> Result<Page<ApiKeyRecord>> {
        let path = format!("/v1/service-accounts/{}/api-keys", seg(id)?);
        let mut q = Vec::new();
        push_page(&mut q, params.limit, params.offset);
        let v = self
            .client
            .call_value(Method::GET, &path, &q, None::<&()>, None)
            .await?;
        decode_page(v, "api_keys", params.offset.unwrap_or(0))
    }

    /// Every key of the service account, page after page.
    pub fn list_all_keys(
        &self,
        id: &str,
        params: PageParams,
    ) -> impl Stream<Item = Result<ApiKeyRecord>> + 'a {
        let this = *self;
        let id = id.to_owned();
        paginate(params.offset.unwrap_or(0), move |offset| {
            let p = PageParams {
                offset: Some(offset),
                ..params
            };
            let id = id.clone();
            async move { this.list_keys(&id, &p).await }
        })
    }
}
