//! Wire models of contract section 5. They accept unknown fields, and enums keep values they do
//! not know as `Other(raw)`, so a newer server never breaks an older client.

mod enums;
mod page;
mod params;
mod records;

pub use crate::timestamp::{ParseTimestampError, Timestamp};
pub use enums::{KeyStatus, OwnerType, Permission, ResourceType, Role};
pub use page::{Page, RawResponse};
pub use params::{
    CreateApiKey, CreateServiceAccount, ListApiKeys, PageParams, RotateApiKey, UpdateApiKey,
    UpdateServiceAccount,
};
pub use records::{
    ApiKeyRecord, CreatedApiKey, CreatedServiceAccount, Owner, ResourceRef, RotatedApiKey, Scope,
    ServiceAccount,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_enum_values_are_tolerated() {
        let rec: ApiKeyRecord = serde_json::from_value(serde_json::json!({
            "id": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4", "name": "n", "status": "suspended",
            "owner": {"type": "team", "id": "t1"}, "scope": {"type": "account"},
            "permissions": ["read", "admin"], "last_six": "x4y5z6", "rate_limit_per_minute": null,
            "created_at": "2026-03-22T10:30:45Z", "last_used_at": null, "expires_at": null,
            "revoked_at": null, "rotated_from": null, "a_future_field": {"x": 1}
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
