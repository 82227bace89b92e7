//! `noorle api-key ...`

use futures_util::TryStreamExt;
use noorle::models::{
    ApiKeyRecord, CreateApiKey, KeyStatus, ListApiKeys, OwnerType, Page, Permission, ResourceRef,
    ResourceType, RotateApiKey, Scope, UpdateApiKey,
};
use noorle::{Client, RotateKeyFile};
use serde_json::json;

use crate::args::{
    ApiKeyCmd, Global, ListKeysArgs, NewKeyArgs, OwnerTypeArg, PageArgs, PermissionArg, RotateArgs,
    StatusArg,
};
use crate::context;
use crate::duration::{self, format_duration};
use crate::fail::{code, Failure};
use crate::output;

pub async fn run(cmd: ApiKeyCmd, g: &Global) -> Result<(), Failure> {
    let client = context::client(g)?;
    let keys = client.api_keys();
    match cmd {
        ApiKeyCmd::Generate(a) => {
            let params = new_key_params(&a)?;
            let created = keys.create(&params).await?;
            announce_key(&created.api_key, "created");
            output::print_new_key(&created.key, json!({ "api_key": created.api_key }), g.json);
        }
        ApiKeyCmd::List(a) => list(&client, a, g.json).await?,
        ApiKeyCmd::Get { id } => output::print_key(&keys.get(&id).await?, g.json),
        ApiKeyCmd::Rename { id, name } => {
            let params = UpdateApiKey::default().name(name);
            output::print_key(&keys.update(&id, &params).await?, g.json);
        }
        ApiKeyCmd::Deactivate { id } => changed(&keys.deactivate(&id).await?, g.json),
        ApiKeyCmd::Activate { id } => changed(&keys.activate(&id).await?, g.json),
        ApiKeyCmd::Revoke { id } => changed(&keys.revoke(&id).await?, g.json),
        ApiKeyCmd::Delete { id } => {
            keys.delete(&id).await?;
            if g.json {
                output::json(&json!({ "deleted": id }));
            } else {
                println!("deleted key {id}");
            }
        }
        ApiKeyCmd::Rotate(a) => rotate(&client, a, g.json).await?,
    }
    Ok(())
}

/// One line on stderr about a key just made, so that stdout holds only the key.
pub fn announce_key(k: &ApiKeyRecord, verb: &str) {
    eprintln!(
        "{verb} key '{}' (id {}, permissions {}, scope {})",
        k.name,
        k.id,
        output::permissions(k),
        output::scope(&k.scope)
    );
}

fn changed(k: &ApiKeyRecord, as_json: bool) {
    if as_json {
        output::json(&json!({ "api_key": k }));
    } else {
        println!("key {} ('{}') is now {}", k.id, k.name, k.status);
    }
}

async fn list(client: &Client, a: ListKeysArgs, as_json: bool) -> Result<(), Failure> {
    let mut params = ListApiKeys::default();
    params.status = a.status.map(|s| match s {
        StatusArg::Active => KeyStatus::Active,
        StatusArg::Inactive => KeyStatus::Inactive,
        StatusArg::Revoked => KeyStatus::Revoked,
    });
    params.owner_type = a.owner_type.map(|o| match o {
        OwnerTypeArg::User => OwnerType::User,
        OwnerTypeArg::ServiceAccount => OwnerType::ServiceAccount,
    });
    params.service_account_id = a.service_account;
    params.limit = a.page.limit;
    params.offset = a.page.offset;
    let page = if let Some(min_age) = a.older_than {
        let items: Vec<ApiKeyRecord> = client.api_keys().list_all(params).try_collect().await?;
        whole(
            items
                .into_iter()
                .filter(|k| duration::age(&k.created_at) > min_age)
                .collect(),
        )
    } else if a.page.all {
        let items: Vec<ApiKeyRecord> = client.api_keys().list_all(params).try_collect().await?;
        whole(items)
    } else {
        client.api_keys().list(&params).await?
    };
    print_keys(&page, as_json);
    Ok(())
}

/// A list walked to the end, shaped as one page.
pub fn whole<T>(items: Vec<T>) -> Page<T> {
    let total = items.len() as u64;
    let limit = u32::try_from(items.len()).unwrap_or(u32::MAX);
    Page::new(items, total, limit, 0)
}

pub fn print_keys(page: &Page<ApiKeyRecord>, as_json: bool) {
    if as_json {
        output::json(&json!({
            "api_keys": page.items,
            "total": page.total,
            "limit": page.limit,
            "offset": page.offset,
        }));
        return;
    }
    output::table(&output::KEY_HEADERS, &output::key_rows(&page.items));
    footer(page);
}

pub fn footer<T>(page: &Page<T>) {
    let shown = page.items.len() as u64;
    if shown < page.total {
        eprintln!(
            "{}-{} of {}; more with --offset {} or --all",
            page.offset + u64::from(shown > 0),
            page.offset + shown,
            page.total,
            page.offset + shown
        );
    }
}

pub fn page_params(p: &PageArgs) -> noorle::models::PageParams {
    noorle::models::PageParams::new(p.limit, p.offset)
}

/// The create-key body from the flags.
pub fn new_key_params(a: &NewKeyArgs) -> Result<CreateApiKey, Failure> {
    let mut p = CreateApiKey::new(a.name.clone());
    if !a.permissions.is_empty() {
        p = p.permissions(a.permissions.iter().map(|p| match p {
            PermissionArg::Read => Permission::Read,
            PermissionArg::Execute => Permission::Execute,
            PermissionArg::Manage => Permission::Manage,
        }));
    }
    if !a.scope.is_empty() {
        let resources = a
            .scope
            .iter()
            .map(|s| parse_resource(s))
            .collect::<Result<Vec<_>, _>>()?;
        p = p.scope(Scope::Resources { resources });
    }
    if let Some(at) = &a.expires_at {
        p = p.expires_at(at.clone());
    }
    if let Some(d) = a.expires_in {
        p = p.expires_at(rfc3339_in(d)?);
    }
    if let Some(n) = a.rate_limit {
        p = p.rate_limit_per_minute(n);
    }
    Ok(p)
}

fn parse_resource(s: &str) -> Result<ResourceRef, Failure> {
    let bad = || {
        Failure::new(
            code::USAGE,
            format!("invalid --scope '{s}'"),
            "write TYPE:ID with TYPE agent, gateway or resource, e.g. --scope agent:agt_weather",
        )
    };
    let (kind, id) = s.split_once(':').ok_or_else(bad)?;
    let kind = match kind {
        "agent" => ResourceType::Agent,
        "gateway" => ResourceType::Gateway,
        "resource" => ResourceType::Resource,
        _ => return Err(bad()),
    };
    if id.is_empty() {
        return Err(bad());
    }
    Ok(ResourceRef::new(kind, id))
}

fn rfc3339_in(d: std::time::Duration) -> Result<String, Failure> {
    let too_far = || {
        Failure::new(
            code::USAGE,
            "--expires-in is too far in the future",
            "use --expires-at TIME",
        )
    };
    let secs = i64::try_from(d.as_secs()).map_err(|_| too_far())?;
    let at = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .map_err(|_| too_far())?
        .checked_add(time::Duration::seconds(secs))
        .ok_or_else(too_far)?;
    at.format(&time::format_description::well_known::Rfc3339)
        .map_err(|_| too_far())
}

async fn rotate(client: &Client, a: RotateArgs, as_json: bool) -> Result<(), Failure> {
    let grace = a.grace;
    if let Some(path) = a.write_to {
        // The core helper writes the key to the file and verifies it; nothing secret is printed.
        let report = client
            .rotate_key_file(&{
                let mut r = RotateKeyFile::new(path, grace);
                r.id = a.id;
                r.if_older_than = a.if_older_than;
                r
            })
            .await?;
        let age = format_duration(std::time::Duration::from_secs(report.age_seconds));
        if as_json {
            output::json(&report);
        } else if !report.rotated {
            let due = a.if_older_than.map(format_duration).unwrap_or_default();
            output::pairs(&[
                (
                    "rotated",
                    format!("no: not due (the key is {age} old; due at {due})"),
                ),
                ("key in use", report.new_key.clone()),
                ("key file", report.path.display().to_string()),
            ]);
        } else {
            output::pairs(&[
                ("rotated", format!("yes (the old key was {age} old)")),
                ("old key", report.old_key.clone()),
                (
                    "old key works until",
                    report
                        .old_key_valid_until
                        .as_ref()
                        .map_or_else(|| "now (revoked)".into(), ToString::to_string),
                ),
                ("new key", report.new_key.clone()),
                ("written to", report.path.display().to_string()),
                ("verified", "yes (whoami with the new key)".into()),
            ]);
        }
        return Ok(());
    }
    let id = match a.id {
        Some(id) => id,
        None => client.whoami().await?.id,
    };
    let params = RotateApiKey::default()
        .grace_period_seconds(u32::try_from(grace.as_secs()).unwrap_or(u32::MAX));
    let rotated = client.api_keys().rotate(&id, &params).await?;
    announce_key(&rotated.api_key, "rotated to new");
    eprintln!(
        "the old key ak-{}*** {}",
        rotated.previous.id,
        match &rotated.previous.revoked_at {
            Some(t) if grace.as_secs() > 0 => format!("keeps working until {t}"),
            _ => "is revoked".to_owned(),
        }
    );
    output::print_new_key(
        &rotated.key,
        json!({ "api_key": rotated.api_key, "previous": rotated.previous }),
        as_json,
    );
    Ok(())
}
