//! The API's string enums. Each keeps a value it does not know as `Other(raw)`, so a newer
//! server never breaks an older client.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
            /// Every value this version of the SDK knows.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

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
    OwnerType { User = "user", ServiceAccount = "service_account" }
);
string_enum!(
    /// What a resource-scoped key may touch.
    ResourceType { Gateway = "gateway", Agent = "agent", Resource = "resource" }
);
