//! No credential more powerful than its maker (docs/contract.md, "Power"): an operation that
//! yields a secret, or changes an account or a key, is allowed only when its target, and its
//! result, are at most as powerful as the caller. Every management route asks `may_act_on`.

use serde_json::json;

use crate::auth::{role_rank, Principal};
use crate::db::{KeyRow, Scope};
use crate::errors::ApiError;
use crate::util;

/// What a key or an account can do.
#[derive(Debug, Clone)]
pub struct Power {
    /// The role of the principal (owner user or service account).
    pub role: String,
    /// The key's own limits; `None` when the target is a service account itself, where only its
    /// role counts.
    pub key: Option<KeyPower>,
}

#[derive(Debug, Clone)]
pub struct KeyPower {
    pub permissions: Vec<String>,
    pub scope: Scope,
    /// `None`: never expires.
    pub expires_at: Option<i64>,
    /// `None`: no limit of its own.
    pub rate_limit: Option<i64>,
}

impl Power {
    pub fn account(role: &str) -> Self {
        Power {
            role: role.to_string(),
            key: None,
        }
    }

    pub fn key(role: &str, k: &KeyRow) -> Self {
        Power {
            role: role.to_string(),
            key: Some(KeyPower {
                permissions: k.permissions.clone(),
                scope: k.scope.clone(),
                expires_at: k.expires_at,
                rate_limit: k.rate_limit,
            }),
        }
    }
}

/// Whether `outer` reaches everything `inner` reaches. A `resource` entry covers an agent or a
/// gateway of the same id, as it does when a request is checked.
fn scope_covers(outer: &Scope, inner: &Scope) -> bool {
    match (outer, inner) {
        (Scope::Account, _) => true,
        (Scope::Resources { .. }, Scope::Account) => false,
        (Scope::Resources { resources: a }, Scope::Resources { resources: b }) => {
            b.iter().all(|r| {
                a.iter()
                    .any(|o| o.id == r.id && (o.kind == r.kind || o.kind == "resource"))
            })
        }
    }
}

/// The first way `target` exceeds `caller`: (attribute, explanation), or `None`.
fn excess(caller: &Power, target: &Power) -> Option<(&'static str, String)> {
    if role_rank(&target.role) > role_rank(&caller.role) {
        return Some((
            "role",
            format!(
                "it has the {} role, above the caller's {} role",
                target.role, caller.role
            ),
        ));
    }
    let (Some(c), Some(t)) = (&caller.key, &target.key) else {
        return None;
    };
    if let Some(p) = t.permissions.iter().find(|p| !c.permissions.contains(p)) {
        return Some((
            "permissions",
            format!("it has the {p} permission, which the calling key lacks"),
        ));
    }
    if !scope_covers(&c.scope, &t.scope) {
        return Some((
            "scope",
            "its scope reaches resources the calling key's scope does not".into(),
        ));
    }
    if let Some(limit) = c.expires_at {
        match t.expires_at {
            None => {
                return Some((
                    "expires_at",
                    format!(
                        "it never expires, and the calling key expires at {}",
                        util::fmt_ts(limit)
                    ),
                ))
            }
            Some(e) if e > limit => {
                return Some((
                    "expires_at",
                    format!(
                        "it expires at {}, after the calling key ({})",
                        util::fmt_ts(e),
                        util::fmt_ts(limit)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    if let Some(limit) = c.rate_limit {
        match t.rate_limit {
            None => {
                return Some((
                    "rate_limit_per_minute",
                    format!(
                        "it has no rate limit, and the calling key is limited to {limit} requests per minute"
                    ),
                ))
            }
            Some(r) if r > limit => {
                return Some((
                    "rate_limit_per_minute",
                    format!(
                        "it allows {r} requests per minute, more than the calling key's {limit}"
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    None
}

impl Principal {
    pub fn power(&self) -> Power {
        Power::key(&self.role, &self.key)
    }

    /// `403 forbidden` when `target` (an existing key or account, or the one an operation would
    /// create) is more powerful than the caller. `action` says what was refused, e.g.
    /// "cannot rotate API key 0f9e…".
    pub fn may_act_on(&self, action: &str, target: &Power) -> Result<(), ApiError> {
        match excess(&self.power(), target) {
            None => Ok(()),
            Some((attribute, why)) => Err(ApiError::forbidden(format!(
                "{action}: {why}; nobody may obtain or change a credential more powerful than their own"
            ))
            .with_details(json!({"reason": "exceeds_caller", "attribute": attribute}))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ResourceRef;

    fn key(perms: &[&str], scope: Scope, exp: Option<i64>, rl: Option<i64>) -> KeyPower {
        KeyPower {
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            scope,
            expires_at: exp,
            rate_limit: rl,
        }
    }

    fn res(kind: &str, id: &str) -> ResourceRef {
        ResourceRef {
            kind: kind.into(),
            id: id.into(),
        }
    }

    #[test]
    fn each_attribute_is_compared() {
        let all = ["read", "execute", "manage"];
        let caller = Power {
            role: "admin".into(),
            key: Some(key(&all, Scope::Account, Some(100), Some(10))),
        };
        let at = |p: &Power| excess(&caller, p).map(|(a, _)| a);
        let k = |k| Power {
            role: "admin".into(),
            key: Some(k),
        };
        assert_eq!(at(&k(key(&all, Scope::Account, Some(100), Some(10)))), None);
        assert_eq!(at(&Power::account("owner")), Some("role"));
        assert_eq!(at(&Power::account("admin")), None);
        assert_eq!(
            at(&k(key(&all, Scope::Account, None, Some(10)))),
            Some("expires_at")
        );
        assert_eq!(
            at(&k(key(&all, Scope::Account, Some(101), Some(10)))),
            Some("expires_at")
        );
        assert_eq!(
            at(&k(key(&all, Scope::Account, Some(99), None))),
            Some("rate_limit_per_minute")
        );
        assert_eq!(
            at(&k(key(&all, Scope::Account, Some(99), Some(11)))),
            Some("rate_limit_per_minute")
        );
        let narrow = Power {
            role: "admin".into(),
            key: Some(key(
                &["read"],
                Scope::Resources {
                    resources: vec![res("resource", "x")],
                },
                None,
                None,
            )),
        };
        let agent_x = key(
            &["read"],
            Scope::Resources {
                resources: vec![res("agent", "x")],
            },
            None,
            None,
        );
        let agent_y = key(
            &["read"],
            Scope::Resources {
                resources: vec![res("agent", "y")],
            },
            None,
            None,
        );
        assert!(excess(&narrow, &k(agent_x)).is_none());
        assert_eq!(excess(&narrow, &k(agent_y)).map(|(a, _)| a), Some("scope"));
        assert_eq!(
            excess(
                &narrow,
                &k(key(&["read", "execute"], Scope::Account, None, None))
            )
            .map(|(a, _)| a),
            Some("permissions")
        );
    }
}
