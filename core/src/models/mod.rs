//! Wire models of contract section 5. They accept unknown fields, and enums keep values they do
//! not know as `Other(raw)`, so a newer server never breaks an older client.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::key::ApiKey;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($variant,)+
            /// A value this version of the SDK does not know.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $s,)+
                    Self::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($s => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok(Self::from(s.as_str()))
            }
        }
    };
}

string_enum!(
    /// A key's lifecycle state.
    KeyStatus { Active = "active", Inactive = "inactive", Revoked = "revoked" }
);
string_enum!(
    /// What a key allows.
    Permission { Read = "read", Execute = "execute", Manage = "manage" }
);
string_enum!(
    /// A service account's role.
    Role { Owner = "owner", Admin = "admin", Developer = "developer", Viewer = "viewer" }
);
string_enum!(
    /// Who owns a key.
    OwnerType { ServiceAccount = "service_account", User = "user" }
);
string_enum!(
    /// What a resource-scoped key may touch.
    ResourceType { Gateway = "gateway", Agent = "agent", Resource = "resource" }
);

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
        Self {
            kind: ResourceType::Agent,
            id: id.into(),
        }
    }
    pub fn gateway(id: impl Into<String>) -> Self {
        Self {
            kind: ResourceType::Gateway,
            id: id.into(),
        }
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
    #[serde(default)]
    pub permissions: Vec<Permission>,
    #[serde(default)]
    pub last_six: Option<String>,
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
    pub created_at: String,
    #[serde(default)]
    pub last_used_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub revoked_at: Option<String>,
    #[serde(default)]
    pub rotated_from: Option<String>,
}

/// A service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceAccount {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub role: Role,
    pub enabled: bool,
    pub created_at: String,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, total: u64, limit: u32, offset: u64) -> Self {
        Self {
            items,
            total,
            limit,
            offset,
        }
    }

    /// The offset of the next page, if there is one.
    pub fn next_offset(&self) -> Option<u64> {
        let next = self.offset + self.items.len() as u64;
        (!self.items.is_empty() && next < self.total).then_some(next)
    }
}

/// The answer to creating a key: its record and, this once, the whole key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreatedApiKey {
    pub api_key: ApiKeyRecord,
    pub key: ApiKey,
}

/// The answer to creating a service account: it, its first key's record, and the whole key once.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreatedServiceAccount {
    pub service_account: ServiceAccount,
    pub api_key: ApiKeyRecord,
    pub key: ApiKey,
}

/// The answer to a rotation: the new key (and its secret, once) and the old key's record.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RotatedApiKey {
    pub api_key: ApiKeyRecord,
    pub key: ApiKey,
    pub previous: ApiKeyRecord,
}

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

/// A raw answer from [`crate::Client::request`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The decoded JSON body; `Null` when empty, a string when the body is not JSON.
    pub json: Value,
}

impl RawResponse {
    /// The first value of a header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_enum_values_are_tolerated() {
        let rec: ApiKeyRecord = serde_json::from_value(serde_json::json!({
            "id": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4", "name": "n", "status": "suspended",
            "owner": {"type": "team", "id": "t1"}, "scope": {"type": "account"},
            "permissions": ["read", "admin"], "created_at": "2026-03-22T10:30:45Z",
            "a_future_field": {"x": 1}
        }))
        .unwrap();
        assert_eq!(rec.status, KeyStatus::Other("suspended".into()));
        assert_eq!(rec.owner.kind.as_str(), "team");
        assert_eq!(
            rec.permissions,
            vec![Permission::Read, Permission::Other("admin".into())]
        );
        // And they serialise back to the raw string.
        assert_eq!(serde_json::to_value(&rec.status).unwrap(), "suspended");
    }

    #[test]
    fn errors_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<crate::Error>();
        assert_send_sync::<crate::Client>();
    }
}
