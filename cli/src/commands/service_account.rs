//! `noorle service-account ...`

use futures_util::TryStreamExt;
use noorle::models::{
    ApiKeyRecord, CreateServiceAccount, Role, ServiceAccount, UpdateServiceAccount,
};
use serde_json::json;

use super::api_key::{announce_key, footer, new_key_params, page_params, print_keys, whole};
use crate::args::{Global, RoleArg, ServiceAccountCmd};
use crate::context;
use crate::fail::{code, Failure};
use crate::output;

fn role(r: RoleArg) -> Role {
    match r {
        RoleArg::Owner => Role::Owner,
        RoleArg::Admin => Role::Admin,
        RoleArg::Developer => Role::Developer,
        RoleArg::Viewer => Role::Viewer,
    }
}

pub async fn run(cmd: ServiceAccountCmd, g: &Global) -> Result<(), Failure> {
    let client = context::client(g)?;
    let sas = client.service_accounts();
    match cmd {
        ServiceAccountCmd::Create {
            name,
            description,
            role: r,
        } => {
            let mut params = CreateServiceAccount::new(name);
            params.description = description;
            params.role = r.map(role);
            let created = sas.create(&params).await?;
            let sa = &created.service_account;
            eprintln!(
                "created service account '{}' (id {}, role {})",
                sa.name, sa.id, sa.role
            );
            announce_key(&created.api_key, "created its first");
            output::print_new_key(
                &created.key,
                json!({ "service_account": sa, "api_key": created.api_key }),
                g.json,
            );
        }
        ServiceAccountCmd::List(p) => {
            let params = page_params(&p);
            let page = if p.all {
                let items: Vec<ServiceAccount> = sas.list_all(params).try_collect().await?;
                whole(items)
            } else {
                sas.list(&params).await?
            };
            if g.json {
                output::json(&json!({
                    "service_accounts": page.items,
                    "total": page.total,
                    "limit": page.limit,
                    "offset": page.offset,
                }));
            } else {
                let rows: Vec<Vec<String>> = page
                    .items
                    .iter()
                    .map(|s| {
                        vec![
                            s.id.clone(),
                            s.name.clone(),
                            s.role.to_string(),
                            if s.enabled { "yes" } else { "no" }.to_owned(),
                            s.created_at.to_string(),
                            output::or_dash(Some(s.description.as_str())),
                        ]
                    })
                    .collect();
                output::table(
                    &["ID", "NAME", "ROLE", "ENABLED", "CREATED", "DESCRIPTION"],
                    &rows,
                );
                footer(&page);
            }
        }
        ServiceAccountCmd::Get { id } => output::print_sa(&sas.get(&id).await?, g.json),
        ServiceAccountCmd::Update {
            id,
            name,
            description,
            role: r,
            enable,
            disable,
        } => {
            let mut params = UpdateServiceAccount::default();
            params.name = name;
            params.description = description;
            params.role = r.map(role);
            params.enabled = (enable || disable).then_some(enable);
            if params.name.is_none()
                && params.description.is_none()
                && params.role.is_none()
                && params.enabled.is_none()
            {
                return Err(Failure::new(
                    code::USAGE,
                    "nothing to update",
                    "pass --name, --description, --role, --enable or --disable",
                ));
            }
            output::print_sa(&sas.update(&id, &params).await?, g.json);
        }
        ServiceAccountCmd::Delete { id } => {
            sas.delete(&id).await?;
            if g.json {
                output::json(&json!({ "deleted": id }));
            } else {
                println!("deleted service account {id}; its keys are revoked");
            }
        }
        ServiceAccountCmd::CreateKey { id, key } => {
            let params = new_key_params(&key)?;
            let created = sas.create_key(&id, &params).await?;
            announce_key(&created.api_key, "created");
            output::print_new_key(&created.key, json!({ "api_key": created.api_key }), g.json);
        }
        ServiceAccountCmd::ListKeys { id, page: p } => {
            let params = page_params(&p);
            let page = if p.all {
                let items: Vec<ApiKeyRecord> = sas.list_all_keys(&id, params).try_collect().await?;
                whole(items)
            } else {
                sas.list_keys(&id, &params).await?
            };
            print_keys(&page, g.json);
        }
    }
    Ok(())
}
