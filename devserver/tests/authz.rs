//! No credential more powerful than its maker (docs/contract.md, "Power"): the escalations that
//! were possible, and a matrix of every caller role and permission set × every operation that
//! creates, rotates, changes or deletes × every target role.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use common::*;
use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

fn in_hours(h: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::hours(h))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

/// `(status, details.attribute)` of an answer.
fn outcome(r: &Resp) -> (u16, Option<&str>) {
    (r.status, r.body["error"]["details"]["attribute"].as_str())
}

// ---- the escalations, one by one ----

#[tokio::test]
async fn admin_cannot_obtain_an_owner_credential() {
    let s = start_default().await;
    let (_, admin) = s.service_account("admin").await;
    let (owner_sa, _) = s.service_account("owner").await;
    let path = format!("/v1/service-accounts/{owner_sa}/api-keys");
    let r = s.post(&admin, &path, json!({"name": "mine"})).await;
    assert_eq!(outcome(&r), (403, Some("role")), "{:?}", r.body);
    assert_eq!(r.code(), "forbidden");
    assert!(r.body.get("key").is_none());
    assert_eq!(s.get(&s.root, &path).await.body["total"], 1);

    // Rotating the owner's root key would hand out the owner's secret.
    let root_id = access_id(&s.root);
    let r = s
        .post(&admin, &format!("/v1/api-keys/{root_id}/rotate"), json!({}))
        .await;
    assert_eq!(outcome(&r), (403, Some("role")), "{:?}", r.body);
    let r = s.get(&s.root, "/v1/api-keys/self").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["api_key"]["revoked_at"], Value::Null);
    // Nor may it switch the owner's key off.
    for action in ["deactivate", "revoke"] {
        let r = s
            .post(
                &admin,
                &format!("/v1/api-keys/{root_id}/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(outcome(&r), (403, Some("role")), "{action}");
    }
    // Reading is not acting: an admin still sees the owner's key.
    assert_eq!(
        s.get(&admin, &format!("/v1/api-keys/{root_id}"))
            .await
            .status,
        200
    );
    s.server.shutdown().await;
}

#[tokio::test]
async fn admin_cannot_change_owner_accounts() {
    let s = start_default().await;
    let (_, admin) = s.service_account("admin").await;
    let (owner_sa, owner_key) = s.service_account("owner").await;
    let path = format!("/v1/service-accounts/{owner_sa}");
    for body in [
        json!({"enabled": false}),
        json!({"role": "viewer"}),
        json!({"name": "renamed"}),
    ] {
        let r = s.patch(&admin, &path, body.clone()).await;
        assert_eq!(outcome(&r), (403, Some("role")), "{body}: {:?}", r.body);
    }
    let r = s.delete(&admin, &path).await;
    assert_eq!(outcome(&r), (403, Some("role")));
    let r = s.get(&s.root, &path).await;
    assert_eq!(r.body["service_account"]["enabled"], true);
    assert_eq!(r.body["service_account"]["role"], "owner");
    assert_eq!(r.body["service_account"]["name"], "owner-bot");
    assert_eq!(s.get(&owner_key, "/v1/api-keys/self").await.status, 200);
    // Promoting to a role above the caller's own stays refused too.
    let (dev_sa, _) = s.service_account("developer").await;
    let r = s
        .patch(
            &admin,
            &format!("/v1/service-accounts/{dev_sa}"),
            json!({"role": "owner"}),
        )
        .await;
    assert_eq!(outcome(&r), (403, Some("role")));
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_narrower_key_cannot_rotate_a_wider_one() {
    let s = start_default().await;
    let (sa, _) = s.service_account("admin").await;
    let keys = format!("/v1/service-accounts/{sa}/api-keys");
    let rm = s
        .post(
            &s.root,
            &keys,
            json!({"name": "rm", "permissions": ["read", "manage"]}),
        )
        .await;
    let rm = rm.body["key"].as_str().unwrap().to_string();
    let wide = s
        .post(
            &s.root,
            &keys,
            json!({"name": "rxm", "permissions": ["read", "execute", "manage"]}),
        )
        .await;
    let wide_id = wide.body["api_key"]["id"].as_str().unwrap().to_string();
    let r = s
        .post(
            &rm,
            &format!("/v1/api-keys/{wide_id}/rotate"),
            json!({"grace_period_seconds": 3600}),
        )
        .await;
    assert_eq!(outcome(&r), (403, Some("permissions")), "{:?}", r.body);
    assert!(r.body.get("key").is_none());
    let r = s.get(&s.root, &format!("/v1/api-keys/{wide_id}")).await;
    assert_eq!(r.body["api_key"]["revoked_at"], Value::Null);
    // A key it does dominate rotates fine.
    let (ro_id, _) = s
        .new_key(&rm, json!({"name": "ro", "permissions": ["read"]}))
        .await;
    let r = s
        .post(&rm, &format!("/v1/api-keys/{ro_id}/rotate"), json!({}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["api_key"]["permissions"], json!(["read"]));
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_child_never_outlives_its_maker() {
    let s = start_default().await;
    let exp = in_hours(1);
    let (_, short) = s
        .new_key(&s.root, json!({"name": "short", "expires_at": exp}))
        .await;
    let r = s
        .post(
            &short,
            "/v1/api-keys",
            json!({"name": "forever", "expires_at": null}),
        )
        .await;
    assert_eq!(outcome(&r), (403, Some("expires_at")), "{:?}", r.body);
    let r = s
        .post(
            &short,
            "/v1/api-keys",
            json!({"name": "later", "expires_at": in_hours(2)}),
        )
        .await;
    assert_eq!(outcome(&r), (403, Some("expires_at")));
    // Omitted: the child expires with its maker.
    let r = s
        .post(&short, "/v1/api-keys", json!({"name": "child"}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["api_key"]["expires_at"], exp.as_str());
    let child = r.body["api_key"]["id"].as_str().unwrap().to_string();
    // Sooner is fine.
    let sooner = (time::OffsetDateTime::now_utc() + time::Duration::minutes(30))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap();
    let r = s
        .post(
            &short,
            "/v1/api-keys",
            json!({"name": "sooner", "expires_at": sooner}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["api_key"]["expires_at"], sooner.as_str());
    // Nor can a change make the child outlive it.
    let r = s
        .patch(
            &short,
            &format!("/v1/api-keys/{child}"),
            json!({"expires_at": null}),
        )
        .await;
    assert_eq!(outcome(&r), (403, Some("expires_at")));
    let r = s.get(&s.root, &format!("/v1/api-keys/{child}")).await;
    assert_eq!(r.body["api_key"]["expires_at"], exp.as_str());
    // A service account created by an expiring key gets a first key that expires with it.
    let (sa_id, sa_key) = {
        let (_, admin_short) = {
            let (sa, _) = s.service_account("admin").await;
            let r = s
                .post(
                    &s.root,
                    &format!("/v1/service-accounts/{sa}/api-keys"),
                    json!({"name": "short-admin", "expires_at": exp}),
                )
                .await;
            (sa, r.body["key"].as_str().unwrap().to_string())
        };
        let r = s
            .post(
                &admin_short,
                "/v1/service-accounts",
                json!({"name": "made", "role": "developer"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        assert_eq!(r.body["api_key"]["expires_at"], exp.as_str());
        (
            r.body["service_account"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
            r.body["key"].as_str().unwrap().to_string(),
        )
    };
    assert!(!sa_id.is_empty());
    assert_eq!(s.get(&sa_key, "/v1/api-keys/self").await.status, 200);
    s.server.shutdown().await;
}

#[tokio::test]
async fn a_child_never_outpaces_its_maker() {
    let s = start_default().await;
    let (_, slow) = s
        .new_key(
            &s.root,
            json!({"name": "slow", "rate_limit_per_minute": 600}),
        )
        .await;
    for (limit, attr) in [
        (Value::Null, "rate_limit_per_minute"),
        (json!(601), "rate_limit_per_minute"),
    ] {
        let r = s
            .post(
                &slow,
                "/v1/api-keys",
                json!({"name": "fast", "rate_limit_per_minute": limit}),
            )
            .await;
        assert_eq!(outcome(&r), (403, Some(attr)), "{limit}: {:?}", r.body);
    }
    let r = s.post(&slow, "/v1/api-keys", json!({"name": "same"})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["api_key"]["rate_limit_per_minute"], 600);
    let r = s
        .post(
            &slow,
            "/v1/api-keys",
            json!({"name": "slower", "rate_limit_per_minute": 60}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["api_key"]["rate_limit_per_minute"], 60);
    s.server.shutdown().await;
}

// ---- the matrix ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    OwnerUser,
    Owner,
    Admin,
    Developer,
    Viewer,
}

impl Role {
    const ALL: [Role; 5] = [
        Role::OwnerUser,
        Role::Owner,
        Role::Admin,
        Role::Developer,
        Role::Viewer,
    ];
    const ACCOUNTS: [Role; 4] = [Role::Owner, Role::Admin, Role::Developer, Role::Viewer];

    fn rank(self) -> u8 {
        match self {
            Role::OwnerUser | Role::Owner => 4,
            Role::Admin => 3,
            Role::Developer => 2,
            Role::Viewer => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Role::OwnerUser | Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Developer => "developer",
            Role::Viewer => "viewer",
        }
    }

    /// The permissions of a key created for this principal without explicit permissions.
    fn default_permissions(self) -> &'static [&'static str] {
        match self {
            Role::Viewer => &["read"],
            _ => &["read", "execute", "manage"],
        }
    }
}

/// The calling key's permissions and limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// read, execute, manage; no expiry, no rate limit.
    Full,
    /// read, manage.
    ReadManage,
    /// Full, expiring in a day.
    Expiring,
    /// Full, 1000 requests per minute.
    Limited,
}

const VARIANTS: [Variant; 4] = [
    Variant::Full,
    Variant::ReadManage,
    Variant::Expiring,
    Variant::Limited,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// A principal with this role (a fresh one; the owner user is the one and only).
    Of(Role),
    /// The caller's own principal.
    Itself,
}

/// What an operation acts on, and which of the target's attributes count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `POST /v1/api-keys` asking for read, execute and manage: only the permissions can exceed
    /// (expiry and rate limit are inherited).
    NewDirectKey,
    /// A new key or a new account for a service account: only the role can exceed (the new
    /// key's permissions, expiry and rate limit default to the caller's at most).
    NewForAccount,
    /// An existing key: role of its owner, permissions, expiry, rate limit.
    ExistingKey,
    /// An existing service account: its role.
    ExistingAccount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    CreateKey,
    CreateSaKey,
    Rotate,
    PatchKey,
    Deactivate,
    Activate,
    Revoke,
    DeleteKey,
    CreateSa,
    PatchSa,
    DisableSa,
    DeleteSa,
}

/// The table: operation, what it acts on, its success status.
const OPS: [(Op, Kind, u16); 12] = [
    (Op::CreateKey, Kind::NewDirectKey, 201),
    (Op::CreateSaKey, Kind::NewForAccount, 201),
    (Op::Rotate, Kind::ExistingKey, 201),
    (Op::PatchKey, Kind::ExistingKey, 200),
    (Op::Deactivate, Kind::ExistingKey, 200),
    (Op::Activate, Kind::ExistingKey, 200),
    (Op::Revoke, Kind::ExistingKey, 200),
    (Op::DeleteKey, Kind::ExistingKey, 204),
    (Op::CreateSa, Kind::NewForAccount, 201),
    (Op::PatchSa, Kind::ExistingAccount, 200),
    (Op::DisableSa, Kind::ExistingAccount, 200),
    (Op::DeleteSa, Kind::ExistingAccount, 204),
];

fn on_service_accounts(op: Op) -> bool {
    matches!(
        op,
        Op::CreateSaKey | Op::CreateSa | Op::PatchSa | Op::DisableSa | Op::DeleteSa
    )
}

/// The targets an operation is tried on.
fn targets(op: Op, caller: Role) -> Vec<Target> {
    let mut out: Vec<Target> = match op {
        Op::CreateKey => return vec![Target::Itself],
        Op::CreateSa => return Role::ACCOUNTS.map(Target::Of).to_vec(),
        _ if on_service_accounts(op) => Role::ACCOUNTS.map(Target::Of).to_vec(),
        _ => Role::ALL.map(Target::Of).to_vec(),
    };
    // The owner user has no service account of its own.
    if !(on_service_accounts(op) && caller == Role::OwnerUser) {
        out.push(Target::Itself);
    }
    out
}

/// The documented answer: `(status, details.attribute)`.
fn expected(
    caller: Role,
    variant: Variant,
    op: Op,
    kind: Kind,
    success: u16,
    target: Target,
) -> (u16, Option<&'static str>) {
    // A viewer manages nothing.
    if caller == Role::Viewer {
        return (403, None);
    }
    // Only owner and admin manage service accounts.
    if on_service_accounts(op) && caller == Role::Developer {
        return (403, None);
    }
    let target_role = match target {
        Target::Itself => caller,
        Target::Of(r) => r,
    };
    // A developer sees only its own keys.
    if kind == Kind::ExistingKey && caller == Role::Developer && matches!(target, Target::Of(_)) {
        return (404, None);
    }
    // No target more powerful than the caller: role first...
    if kind != Kind::NewDirectKey && target_role.rank() > caller.rank() {
        return (403, Some("role"));
    }
    // ...then the key's own powers. Target keys have their role's default permissions, no expiry
    // and no rate limit.
    let wants_execute = match kind {
        Kind::NewDirectKey => true,
        Kind::ExistingKey => target_role.default_permissions().contains(&"execute"),
        _ => false,
    };
    if wants_execute && variant == Variant::ReadManage {
        return (403, Some("permissions"));
    }
    if kind == Kind::ExistingKey {
        match variant {
            Variant::Expiring => return (403, Some("expires_at")),
            Variant::Limited => return (403, Some("rate_limit_per_minute")),
            _ => {}
        }
    }
    (success, None)
}

struct Caller {
    key: String,
    /// The caller's service account, `None` for the owner user.
    sa: Option<String>,
    expires_at: Value,
    rate_limit: Value,
}

async fn make_caller(s: &Srv, role: Role, variant: Variant, exp: &str) -> Caller {
    let mut body = json!({"name": format!("{role:?}-{variant:?}"), "permissions": ["read", "execute", "manage"]});
    let (mut expires_at, mut rate_limit) = (Value::Null, Value::Null);
    match variant {
        Variant::Full => {}
        Variant::ReadManage => body["permissions"] = json!(["read", "manage"]),
        Variant::Expiring => {
            expires_at = json!(exp);
            body["expires_at"] = expires_at.clone();
        }
        Variant::Limited => {
            rate_limit = json!(1000);
            body["rate_limit_per_minute"] = rate_limit.clone();
        }
    }
    let (path, sa) = match role {
        Role::OwnerUser => ("/v1/api-keys".to_string(), None),
        _ => {
            let (sa, _) = s.service_account(role.name()).await;
            (format!("/v1/service-accounts/{sa}/api-keys"), Some(sa))
        }
    };
    let r = s.post(&s.root, &path, body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    Caller {
        key: r.body["key"].as_str().unwrap().to_string(),
        sa,
        expires_at,
        rate_limit,
    }
}

/// A fresh key of the target principal with its default permissions (made by the root key).
async fn target_key(s: &Srv, caller: &Caller, target: Target) -> String {
    let sa = match target {
        Target::Itself => caller.sa.clone(),
        Target::Of(Role::OwnerUser) => None,
        Target::Of(r) => Some(s.service_account(r.name()).await.0),
    };
    let path = match sa {
        Some(sa) => format!("/v1/service-accounts/{sa}/api-keys"),
        None => "/v1/api-keys".into(),
    };
    let r = s.post(&s.root, &path, json!({"name": "target"})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["api_key"]["id"].as_str().unwrap().to_string()
}

async fn target_account(s: &Srv, caller: &Caller, target: Target) -> String {
    match target {
        Target::Itself => caller.sa.clone().unwrap(),
        Target::Of(r) => s.service_account(r.name()).await.0,
    }
}

/// Runs one cell; `Err` describes a wrong answer.
async fn cell(
    s: &Srv,
    role: Role,
    variant: Variant,
    (op, kind, success): (Op, Kind, u16),
    target: Target,
    exp: &str,
) -> Result<u16, String> {
    let want = expected(role, variant, op, kind, success, target);
    let c = make_caller(s, role, variant, exp).await;
    let k = c.key.as_str();
    // What to look at afterwards, with the root key, to see that a refusal changed nothing.
    let mut check: Option<String> = None;
    let r = match op {
        Op::CreateKey => {
            s.post(
                k,
                "/v1/api-keys",
                json!({"name": "new", "permissions": ["read", "execute", "manage"]}),
            )
            .await
        }
        Op::CreateSaKey => {
            let sa = target_account(s, &c, target).await;
            s.post(
                k,
                &format!("/v1/service-accounts/{sa}/api-keys"),
                json!({"name": "new"}),
            )
            .await
        }
        Op::CreateSa => {
            let Target::Of(r) = target else {
                unreachable!()
            };
            s.post(
                k,
                "/v1/service-accounts",
                json!({"name": "new", "role": r.name()}),
            )
            .await
        }
        Op::PatchSa | Op::DisableSa | Op::DeleteSa => {
            let sa = target_account(s, &c, target).await;
            let path = format!("/v1/service-accounts/{sa}");
            check = Some(path.clone());
            match op {
                Op::PatchSa => s.patch(k, &path, json!({"description": "changed"})).await,
                Op::DisableSa => s.patch(k, &path, json!({"enabled": false})).await,
                _ => s.delete(k, &path).await,
            }
        }
        _ => {
            let id = target_key(s, &c, target).await;
            let path = format!("/v1/api-keys/{id}");
            check = Some(path.clone());
            match op {
                Op::Rotate => s.post(k, &format!("{path}/rotate"), json!({})).await,
                Op::PatchKey => s.patch(k, &path, json!({"name": "changed"})).await,
                Op::Deactivate => s.post(k, &format!("{path}/deactivate"), json!({})).await,
                Op::Activate => s.post(k, &format!("{path}/activate"), json!({})).await,
                Op::Revoke => s.post(k, &format!("{path}/revoke"), json!({})).await,
                _ => {
                    // Only a revoked key can be deleted.
                    let r = s.post(&s.root, &format!("{path}/revoke"), json!({})).await;
                    assert_eq!(r.status, 200);
                    s.delete(k, &path).await
                }
            }
        }
    };
    let what = format!("{role:?}/{variant:?} {op:?} on {target:?}");
    let got = outcome(&r);
    if got != want {
        return Err(format!(
            "{what}: expected {want:?}, got {got:?}: {}",
            r.body
        ));
    }
    if r.status >= 400 {
        if r.code().is_empty() || r.header("content-type") != Some("application/json") {
            return Err(format!("{what}: not an error envelope: {}", r.body));
        }
        // A refusal changed nothing.
        if let Some(path) = check {
            let after = s.get(&s.root, &path).await;
            let untouched = after.status == 200
                && if path.contains("/api-keys/") {
                    let rec = &after.body["api_key"];
                    let status = if op == Op::DeleteKey {
                        "revoked"
                    } else {
                        "active"
                    };
                    rec["name"] == "target"
                        && rec["status"] == status
                        && (rec["revoked_at"].is_null() || op == Op::DeleteKey)
                } else {
                    let rec = &after.body["service_account"];
                    rec["enabled"] == true && rec["description"] == ""
                };
            if !untouched {
                return Err(format!("{what}: refused but changed: {}", after.body));
            }
        }
    }
    if r.status == 201 {
        // A new key never exceeds its maker: it inherits the caller's expiry and rate limit.
        let key = &r.body["api_key"];
        if key["expires_at"] != c.expires_at || key["rate_limit_per_minute"] != c.rate_limit {
            return Err(format!(
                "{what}: the new key does not inherit the caller's limits: {key}"
            ));
        }
        if r.header("cache-control") != Some("no-store") {
            return Err(format!("{what}: a secret without Cache-Control: no-store"));
        }
    }
    Ok(r.status)
}

#[tokio::test]
async fn every_role_and_permission_set_against_every_operation_and_target() {
    let s = start_default().await;
    let exp = in_hours(24);
    let mut cells = Vec::new();
    for role in Role::ALL {
        for variant in VARIANTS {
            for op in OPS {
                for target in targets(op.0, role) {
                    cells.push((role, variant, op, target));
                }
            }
        }
    }
    let n = cells.len();
    let results: Vec<Result<u16, String>> = stream::iter(cells)
        .map(|(role, variant, op, target)| cell(&s, role, variant, op, target, &exp))
        .buffer_unordered(8)
        .collect()
        .await;
    assert_eq!(results.len(), n);
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {n} cells wrong:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The matrix exercises every kind of answer.
    for status in [200, 201, 204, 403, 404] {
        assert!(
            results.iter().any(|r| r.as_ref().ok() == Some(&status)),
            "no cell answered {status}"
        );
    }
    s.server.shutdown().await;
}
