//! The blocking client, every operation once, against a real local server (which runs on its own
//! runtime: blocking calls must not be made from inside one).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{outcomes, status_fault, Env};
use noorle::blocking::Client;
use noorle::models::{
    CreateApiKey, CreateServiceAccount, KeyStatus, ListApiKeys, PageParams, Role, RotateApiKey,
    UpdateApiKey, UpdateServiceAccount,
};
use noorle::{ApiKey, ErrorKind, Method, RequestOptions, RotateKeyFile, SourceKind};
use serde_json::json;

struct Server {
    rt: tokio::runtime::Runtime,
    env: Env,
}

fn server() -> Server {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(common::start());
    Server { rt, env }
}

impl Server {
    /// A new admin service account's access id and a blocking client of its key.
    fn account(&self) -> (String, Client) {
        let (sa, _) = self.rt.block_on(self.env.account(Role::Admin));
        let c = Client::new(common::builder(&self.env).api_key(sa.key.clone())).unwrap();
        (sa.api_key.id, c)
    }

    fn root(&self) -> Client {
        let key = ApiKey::parse(self.env.server.root_key().unwrap()).unwrap();
        Client::new(common::builder(&self.env).api_key(key)).unwrap()
    }
}

#[test]
fn client_calls_and_options() {
    let s = server();
    let (id, c) = s.account();
    assert_eq!(c.key_source().kind, SourceKind::Explicit);
    assert_eq!(c.whoami().unwrap().id, id);
    let r = c.request(Method::GET, "/v1/gateways", &[], None).unwrap();
    assert_eq!(r.status, 200);

    // A view with no retries makes one attempt under a 503 the client would have retried.
    let path = "/v1/api-keys/self";
    s.rt.block_on(s.env.fault(status_fault(&id, "GET", path, 1, 503)));
    let once = c.with_options(RequestOptions::default().max_retries(0));
    assert_eq!(once.whoami().unwrap_err().status(), Some(503));
    let log = s.rt.block_on(s.env.requests(&id, Some(path)));
    assert_eq!(
        outcomes(&log[1..]),
        [(json!(503), json!("status"))],
        "{log:?}"
    );
}

#[test]
fn api_key_operations() {
    let s = server();
    let (_, c) = s.account();
    let keys = c.api_keys();
    let created = keys.create(&CreateApiKey::new("blocking")).unwrap();
    let kid = created.api_key.id.clone();
    assert_eq!(keys.get(&kid).unwrap().name, "blocking");
    let renamed = keys
        .update(&kid, &UpdateApiKey::default().name("blocking-2"))
        .unwrap();
    assert_eq!(renamed.name, "blocking-2");
    assert_eq!(keys.deactivate(&kid).unwrap().status, KeyStatus::Inactive);
    assert_eq!(keys.activate(&kid).unwrap().status, KeyStatus::Active);

    let rotated = keys
        .rotate(&kid, &RotateApiKey::default().grace_period_seconds(60))
        .unwrap();
    assert_eq!(rotated.previous.id, kid);
    let new_id = rotated.api_key.id.clone();
    assert_ne!(new_id, kid);

    let page = keys.list(&ListApiKeys::default().limit(100)).unwrap();
    assert!(page.items.iter().any(|k| k.id == new_id), "{page:?}");
    // Pages of one: the iteration walks every page and sees what one big page holds.
    let all: Vec<String> = keys
        .list_all(ListApiKeys::default().limit(1))
        .map(|k| k.unwrap().id)
        .collect();
    let mut one_page: Vec<String> = page.items.iter().map(|k| k.id.clone()).collect();
    let mut walked = all.clone();
    one_page.sort();
    walked.sort();
    assert_eq!(walked, one_page);
    assert!(all.len() >= 3, "{all:?}");

    assert_eq!(keys.revoke(&new_id).unwrap().status, KeyStatus::Revoked);
    keys.delete(&new_id).unwrap();
    assert_eq!(keys.get(&new_id).unwrap_err().kind(), ErrorKind::NotFound);

    // Rotating into a file: the new key is written there and verified.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    let report = c
        .rotate_key_file(&RotateKeyFile::new(&file, Duration::from_secs(60)).id(kid.clone()))
        .unwrap();
    assert_eq!(report.old_id, kid);
    let written = noorle::read_key_file(&file, &mut Vec::new()).unwrap();
    assert_eq!(written.access_id(), report.new_id);
}

#[test]
fn service_account_operations() {
    let s = server();
    let root = s.root();
    let sas = root.service_accounts();
    let created = sas
        .create(&CreateServiceAccount::new("blocking-sa").role(Role::Viewer))
        .unwrap();
    let sid = created.service_account.id.clone();
    assert_eq!(sas.get(&sid).unwrap().name, "blocking-sa");
    let updated = sas
        .update(&sid, &UpdateServiceAccount::default().description("d"))
        .unwrap();
    // Compared as JSON, whatever the field's Rust type.
    assert_eq!(serde_json::to_value(&updated).unwrap()["description"], "d");

    let page = sas.list(&PageParams::default().limit(100)).unwrap();
    assert!(page.items.iter().any(|a| a.id == sid));
    let walked = sas
        .list_all(PageParams::default().limit(1))
        .map(|a| a.unwrap().id)
        .filter(|a| a == &sid)
        .count();
    assert_eq!(walked, 1);

    let second = sas.create_key(&sid, &CreateApiKey::new("second")).unwrap();
    let keys = sas.list_keys(&sid, &PageParams::default()).unwrap();
    let mut ids: Vec<String> = keys.items.iter().map(|k| k.id.clone()).collect();
    ids.sort();
    let mut want = vec![created.api_key.id.clone(), second.api_key.id.clone()];
    want.sort();
    assert_eq!(ids, want);
    let mut walked: Vec<String> = sas
        .list_all_keys(&sid, PageParams::default().limit(1))
        .map(|k| k.unwrap().id)
        .collect();
    walked.sort();
    assert_eq!(walked, want);

    sas.delete(&sid).unwrap();
    assert_eq!(sas.get(&sid).unwrap_err().kind(), ErrorKind::NotFound);
}
