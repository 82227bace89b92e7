//! The blocking form of [`crate::ServiceAccounts`].

use super::{Client, Iter};
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
    pub fn create(&self, params: &CreateServiceAccount) -> Result<CreatedServiceAccount> {
        self.client
            .block_on(|c| async move { c.service_accounts().create(params).await })
    }

    /// One page of service accounts.
    pub fn list(&self, params: &PageParams) -> Result<Page<ServiceAccount>> {
        self.client
            .block_on(|c| async move { c.service_accounts().list(params).await })
    }

    /// Every service account, page after page.
    pub fn list_all(&self, params: PageParams) -> Iter<'a, ServiceAccount> {
        Iter::new(self.client.inner.service_accounts().list_all(params))
    }

    /// One service account.
    pub fn get(&self, id: &str) -> Result<ServiceAccount> {
        self.client
            .block_on(|c| async move { c.service_accounts().get(id).await })
    }

    /// Changes the name, description, role or enabled flag.
    pub fn update(&self, id: &str, params: &UpdateServiceAccount) -> Result<ServiceAccount> {
        self.client
            .block_on(|c| async move { c.service_accounts().update(id, params).await })
    }

    /// Deletes a service account; its keys are revoked.
    pub fn delete(&self, id: &str) -> Result<()> {
        self.client
            .block_on(|c| async move { c.service_accounts().delete(id).await })
    }

    /// Another key for the service account (several may be active, for rotation).
    pub fn create_key(&self, id: &str, params: &CreateApiKey) -> Result<CreatedApiKey> {
        self.client
            .block_on(|c| async move { c.service_accounts().create_key(id, params).await })
    }

    /// One page of the service account's keys.
    pub fn list_keys(&self, id: &str, params: &PageParams) -> Result<Page<ApiKeyRecord>> {
        self.client
            .block_on(|c| async move { c.service_accounts().list_keys(id, params).await })
    }

    /// Every key of the service account, page after page.
    pub fn list_all_keys(&self, id: &str, params: PageParams) -> Iter<'a, ApiKeyRecord> {
        Iter::new(
            self.client
                .inner
                .service_accounts()
                .list_all_keys(id, params),
        )
    }
}
