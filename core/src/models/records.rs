//! The records the API answers with (contract section 5), field for field as `spec/openapi.yaml`
//! defines them: a required field must be present (a nullable one may be `null`); unknown fields
//! are ignored.

use serde::{Deserialize, Deserializer, Serialize};

use super::enums::{KeyStatus, OwnerType, Permission, ResourceType, Role};
use crate::key::ApiKey;
use crate::timestamp::Timestamp;

/// The owner of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Owner {
    #[serde(rename = "type")]
    pub kind: OwnerType,
    pub id: String,
}

/// One resource a scoped key may touch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResourceRef {
    #[serde(rename = "type")]
    pub kind: ResourceType,
    pub id: String,
}

impl Owner {
    pub fn new(kind: OwnerType, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
}

impl ResourceRef {
    pub fn new(kind: ResourceType, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
    pub fn agent(id: impl Into<String>) -> Self {
        Self::new(ResourceType::Agent, id)
    }
    pub fn gateway(id: impl Into<String>) -> Self {
        Self::new(ResourceType::Gateway, id)
    }
}

/// Account-wide, or limited to some resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scope {
    Account,
    Resources { resources: Vec<ResourceRef> },
}

/// An API key's record. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ApiKeyRecord {
    /// The access id.
    pub id: String,
    pub name: String,
    pub status: KeyStatus,
    pub owner: Owner,
    pub scope: Scope,
    pub permissions: Vec<Permission>,
    /// The key's last 6 characters, by which the console identifies keys.
    pub last_six: String,
    /// The key's own limit, or `None` for the server's default.
    #[serde(deserialize_with = "nullable")]
    pub rate_limit_per_minute: Option<u32>,
    pub created_at: Timestamp,
    #[serde(deserialize_with = "nullable")]
    pub last_used_at: Option<Timestamp>,
    #[serde(deserialize_with = "nullable")]
    pub expires_at: Option<Timestamp>,
    /// When the key was (or, after a rotation with grace, will be) revoked.
    #[serde(deserialize_with = "nullable")]
    pub revoked_at: Option<Timestamp>,
    /// The access id of the key this one replaced by rotation.
    #[serde(deserialize_with = "nullable")]
    pub rotated_from: Option<String>,
}

/// A service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceAccount {
    pub id: String,
    pub name: String,
    /// Empty when the account has none.
    pub description: String,
    pub role: Role,
    pub enabled: bool,
    pub created_at: Timestamp,
}

/// The answer to creating a key: its record and, this once, the whole key.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct CreatedApiKey {
    pub api_key: ApiKeyRecord,
    pub key: ApiKey,
}

/// The answer to creating a service account: it, its first key's record, and the whole key once.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct CreatedServiceAccount {
    pub service_account: ServiceAccount,
    pub api_key: ApiKeyRecord,
    pub key: ApiKey,
}

/// The answer to a rotation: the new key (and its secret, once) and the old key's record.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct RotatedApiKey {
    pub api_key: ApiKeyRecord,
    pub key: ApiKey,
    pub previous: ApiKeyRecord,
}

// A field the spec marks required but nullable: `null` is `None`, a missing field is an error
// (serde would otherwise read a missing `Option` as `None`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}
