//! The API's JSON for a key record, written straight from the row (the hot path of
//! `GET /v1/api-keys/self`) rather than through a `serde_json::Value`.

use serde::Serialize;

use crate::db::{KeyRow, Scope};
use crate::util;

impl KeyRow {
    /// The record as the API shows it, serialised without building a `serde_json::Value` (the
    /// hot path of `GET /v1/api-keys/self`). `last_used_at` is passed in so that the in-memory
    /// usage can be applied without copying the row.
    pub fn view(&self, now: i64, last_used_at: Option<i64>) -> KeyView<'_> {
        KeyView {
            created_at: Ts(self.created_at),
            expires_at: self.expires_at.map(Ts),
            id: &self.id,
            last_six: &self.last_six,
            last_used_at: last_used_at.map(Ts),
            name: &self.name,
            owner: OwnerView {
                id: &self.owner_id,
                kind: &self.owner_type,
            },
            permissions: &self.permissions,
            rate_limit_per_minute: self.rate_limit,
            revoked_at: self.revoked_at.map(Ts),
            rotated_from: self.rotated_from.as_deref(),
            scope: ScopeView(&self.scope),
            status: self.effective_status(now),
        }
    }
}

// The views list their fields in sorted order, as `serde_json::Value` (a sorted map) writes
// them, so the JSON is byte for byte what the `Value`-based code wrote.

#[derive(Serialize)]
pub struct KeyView<'a> {
    created_at: Ts,
    expires_at: Option<Ts>,
    id: &'a str,
    last_six: &'a str,
    last_used_at: Option<Ts>,
    name: &'a str,
    owner: OwnerView<'a>,
    permissions: &'a [String],
    rate_limit_per_minute: Option<i64>,
    revoked_at: Option<Ts>,
    rotated_from: Option<&'a str>,
    scope: ScopeView<'a>,
    status: &'a str,
}

#[derive(Serialize)]
struct OwnerView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// A Unix time written as RFC 3339.
struct Ts(i64);

impl Serialize for Ts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&util::fmt_ts(self.0))
    }
}

struct ScopeView<'a>(&'a Scope);

impl Serialize for ScopeView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        #[derive(Serialize)]
        struct Res<'a> {
            id: &'a str,
            #[serde(rename = "type")]
            kind: &'a str,
        }
        match self.0 {
            Scope::Account => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("type", "account")?;
                m.end()
            }
            Scope::Resources { resources } => {
                let list: Vec<Res<'_>> = resources
                    .iter()
                    .map(|r| Res {
                        id: &r.id,
                        kind: &r.kind,
                    })
                    .collect();
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("resources", &list)?;
                m.serialize_entry("type", "resources")?;
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ResourceRef;

    /// The record as it was built before `KeyView`: the view must write the same bytes.
    fn reference(k: &KeyRow, now: i64) -> String {
        serde_json::json!({
            "id": k.id,
            "name": k.name,
            "status": k.effective_status(now),
            "owner": {"type": k.owner_type, "id": k.owner_id},
            "scope": k.scope,
            "permissions": k.permissions,
            "last_six": k.last_six,
            "rate_limit_per_minute": k.rate_limit,
            "created_at": util::fmt_ts(k.created_at),
            "last_used_at": k.last_used_at.map(util::fmt_ts),
            "expires_at": k.expires_at.map(util::fmt_ts),
            "revoked_at": k.revoked_at.map(util::fmt_ts),
            "rotated_from": k.rotated_from,
        })
        .to_string()
    }

    #[test]
    fn key_view_writes_what_the_value_did() {
        let mut k = KeyRow {
            id: "0123456789abcdef0123456789abcdef".into(),
            digest: vec![0; 32],
            name: "a \"quoted\" name\n".into(),
            status: "active".into(),
            owner_type: "service_account".into(),
            owner_id: "sa_1".into(),
            scope: Scope::Account,
            permissions: vec!["api_keys:read".into(), "api_keys:manage".into()],
            last_six: "abcdef".into(),
            rate_limit: None,
            created_at: 1_700_000_000,
            last_used_at: None,
            expires_at: None,
            revoked_at: None,
            rotated_from: None,
        };
        let now = 1_800_000_000;
        for step in 0..3 {
            let view = serde_json::to_string(&k.view(now, k.last_used_at)).unwrap_or_default();
            assert_eq!(view, reference(&k, now), "step {step}");
            assert_eq!(
                k.to_json(now).to_string(),
                reference(&k, now),
                "step {step}"
            );
            // Then every optional field set, and a resource scope.
            k.rate_limit = Some(60);
            k.last_used_at = Some(1_700_000_100);
            k.expires_at = Some(1_900_000_000);
            k.revoked_at = Some(1_750_000_000);
            k.rotated_from = Some("fedcba9876543210fedcba9876543210".into());
            k.scope = Scope::Resources {
                resources: vec![
                    ResourceRef {
                        kind: "agent".into(),
                        id: "ag_1".into(),
                    },
                    ResourceRef {
                        kind: "gateway".into(),
                        id: "gw_2".into(),
                    },
                ],
            };
        }
    }
}
