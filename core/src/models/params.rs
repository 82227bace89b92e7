//! Request parameters: what the caller sends to create, list and update.

use serde::{Deserialize, Deserializer, Serialize};

use super::enums::{KeyStatus, OwnerType, Permission, Role};
use super::records::Scope;

/// `POST /v1/api-keys` and `POST /v1/service-accounts/{id}/api-keys`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateApiKey {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<Scope>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub permissions: Option<Vec<Permission>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rate_limit_per_minute: Option<u32>,
}

impl CreateApiKey {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = Some(scope);
        self
    }
    pub fn permissions(mut self, p: impl IntoIterator<Item = Permission>) -> Self {
        self.permissions = Some(p.into_iter().collect());
        self
    }
    pub fn expires_at(mut self, at: impl Into<String>) -> Self {
        self.expires_at = Some(at.into());
        self
    }
    pub fn rate_limit_per_minute(mut self, n: u32) -> Self {
        self.rate_limit_per_minute = Some(n);
        self
    }
}

/// `GET /v1/api-keys` filters and page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListApiKeys {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<KeyStatus>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner_type: Option<OwnerType>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub service_account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<u64>,
}

/// A page request for lists without filters.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageParams {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub offset: Option<u64>,
}

/// `PATCH /v1/api-keys/{id}`. `expires_at: Some(None)` clears the expiry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpdateApiKey {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "double_option"
    )]
    pub expires_at: Option<Option<String>>,
}

/// `POST /v1/api-keys/{id}/rotate`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RotateApiKey {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub grace_period_seconds: Option<u32>,
}

/// `POST /v1/service-accounts`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateServiceAccount {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<Role>,
}

impl CreateServiceAccount {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    pub fn role(mut self, r: Role) -> Self {
        self.role = Some(r);
        self
    }
}

/// `PATCH /v1/service-accounts/{id}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UpdateServiceAccount {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enabled: Option<bool>,
}

// Setters for the optional fields of a request: `ListApiKeys::default().limit(10)`.
macro_rules! setters {
    ($t:ty { $($field:ident: $ty:ty),+ $(,)? }) => {
        impl $t {
            $(
                #[doc = concat!("Sets `", stringify!($field), "`.")]
                #[allow(clippy::useless_conversion)]
                pub fn $field(mut self, value: $ty) -> Self {
                    self.$field = Some(value.into());
                    self
                }
            )+
        }
    };
}

setters!(ListApiKeys {
    status: KeyStatus,
    owner_type: OwnerType,
    service_account_id: impl Into<String>,
    limit: u32,
    offset: u64,
});
setters!(PageParams {
    limit: u32,
    offset: u64
});
setters!(RotateApiKey {
    grace_period_seconds: u32
});
setters!(UpdateServiceAccount {
    name: impl Into<String>,
    description: impl Into<String>,
    role: Role,
    enabled: bool,
});

impl PageParams {
    pub fn new(limit: Option<u32>, offset: Option<u64>) -> Self {
        Self { limit, offset }
    }
}

impl UpdateApiKey {
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// A new expiry (RFC 3339), or `None` to clear it.
    pub fn expires_at(mut self, at: Option<String>) -> Self {
        self.expires_at = Some(at);
        self
    }
}

// Distinguishes a field that is absent (`None`) from one that is `null` (`Some(None)`).
fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}
