//! The quickstart story: service account, calls with its key, a scoped key and its 403,
//! rotation with a grace period, deactivate / activate, revoke.
//!
//! Run against the local server: `scripts/with-devserver examples/rust/run.sh`.

use noorle::models::{
    CreateApiKey, CreateServiceAccount, PageParams, Permission, ResourceRef, Role, RotateApiKey,
    Scope,
};
use noorle::{ApiKey, Client, ErrorKind, Method, RequestOptions};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn check(ok: bool, what: &str) -> Res<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("expectation failed: {what}").into())
    }
}

async fn get(c: &Client, path: &str) -> noorle::Result<noorle::models::RawResponse> {
    c.request(Method::GET, path, &[], None, RequestOptions::default())
        .await
}

fn client_for(admin: &Client, key: &ApiKey) -> noorle::Result<Client> {
    Client::builder()
        .api_key(key.clone())
        .base_url(admin.base_url())
        .build()
}

#[tokio::main]
async fn main() -> Res<()> {
    // The management key comes from the usual chain (here NOORLE_API_KEY).
    let admin = Client::from_env()?;
    println!(
        "[rust] managing as {} (from {})",
        admin.api_key().redacted(),
        admin.key_source()
    );

    let created = admin
        .service_accounts()
        .create(
            &CreateServiceAccount::new("quickstart-rust")
                .description("the Rust quickstart")
                .role(Role::Developer),
        )
        .await?;
    let sa = &created.service_account;
    println!("[rust] 1. created service account {} ({})", sa.name, sa.id);
    println!(
        "[rust]    its first key, shown once: {}",
        created.key.expose_secret()
    );
    println!(
        "[rust]    (it will not be shown again; from now on: {})",
        created.key
    );

    let bot = client_for(&admin, &created.key)?;
    let me = bot.whoami().await?;
    let agents = get(&bot, "/v1/agents").await?;
    println!(
        "[rust] 2. X-API-Key works: whoami = {} ({}), {} agents visible",
        me.name, me.id, agents.json["total"]
    );

    let keys = admin
        .service_accounts()
        .list_keys(&sa.id, &PageParams::default())
        .await?;
    println!("[rust] 3. keys of {}:", sa.name);
    for k in &keys.items {
        println!(
            "[rust]    {}  {:<8} last used {}",
            k.id,
            k.status,
            k.last_used_at.as_ref().map_or("never", |t| t.as_str())
        );
    }
    check(
        keys.items.iter().any(|k| k.last_used_at.is_some()),
        "last_used_at is tracked",
    )?;

    let scoped = admin
        .service_accounts()
        .create_key(
            &sa.id,
            &CreateApiKey::new("weather-only")
                .scope(Scope::Resources {
                    resources: vec![ResourceRef::agent("agt_weather")],
                })
                .permissions([Permission::Read]),
        )
        .await?;
    let weather = client_for(&admin, &scoped.key)?;
    let ok = get(&weather, "/v1/agents/agt_weather").await?;
    let denied = get(&weather, "/v1/agents/agt_support").await;
    println!(
        "[rust] 4. scoped key {}: agt_weather -> {}, agt_support -> {}",
        scoped.key,
        ok.status,
        denied
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    );
    check(
        matches!(&denied, Err(e) if e.kind() == ErrorKind::PermissionDenied),
        "403 outside the scope",
    )?;

    let rotated = admin
        .api_keys()
        .rotate(
            &created.api_key.id,
            &RotateApiKey::default().grace_period_seconds(3600),
        )
        .await?;
    let new = client_for(&admin, &rotated.key)?;
    bot.whoami().await?;
    new.whoami().await?;
    println!(
        "[rust] 5. rotated {} -> {}; both work, the old one until {}",
        created.key,
        rotated.key,
        rotated
            .previous
            .revoked_at
            .as_ref()
            .map_or("?", |t| t.as_str())
    );

    admin.api_keys().deactivate(&rotated.api_key.id).await?;
    let e = new.whoami().await.err();
    println!(
        "[rust] 6. deactivated the new key: {}",
        e.as_ref().map(|e| e.to_string()).unwrap_or_default()
    );
    check(
        e.is_some_and(|e| e.status() == Some(401)),
        "401 when inactive",
    )?;
    admin.api_keys().activate(&rotated.api_key.id).await?;
    new.whoami().await?;
    println!("[rust]    activated again: works");

    admin.api_keys().revoke(&rotated.api_key.id).await?;
    let e = new.whoami().await.err();
    println!(
        "[rust] 7. revoked: {}",
        e.as_ref().map(|e| e.to_string()).unwrap_or_default()
    );
    check(
        e.is_some_and(|e| e.status() == Some(401)),
        "401 when revoked",
    )?;

    admin.service_accounts().delete(&sa.id).await?;
    println!("[rust] 8. deleted {}; done", sa.name);
    Ok(())
}
