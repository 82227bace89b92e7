//! Rotation on a schedule from the command line: `api-key list --older-than`, the age warning of
//! `doctor`, and `api-key rotate --if-older-than`, against a local server whose SQLite file the
//! tests backdate (a key's age comes from its `created_at`, and nobody waits a month).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use common::{id_of, secret_of, write_file, Env, Out};
use serde_json::Value;

struct Local {
    base_url: String,
    root_key: String,
    db: PathBuf,
    rt: &'static tokio::runtime::Runtime,
}

/// This file's own server, on a database file it can edit.
fn local() -> &'static Local {
    static LOCAL: OnceLock<Local> = OnceLock::new();
    LOCAL.get_or_init(|| {
        let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
        let db = dir.path().join("dev.sqlite");
        let rt: &'static _ = Box::leak(Box::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap(),
        ));
        let running = rt
            .block_on(noorle_dev_server::start(noorle_dev_server::Config {
                fault_injection: true,
                db: Some(db.clone()),
                ..Default::default()
            }))
            .unwrap();
        let l = Local {
            base_url: running.base_url(),
            root_key: running.root_key().unwrap().to_owned(),
            db,
            rt,
        };
        Box::leak(Box::new(running));
        l
    })
}

/// An isolated environment pointed at this file's server, with `key` in `NOORLE_API_KEY`.
fn env(key: Option<&str>) -> Env {
    let home = tempfile::tempdir().unwrap();
    let mut vars = vec![
        ("HOME".to_owned(), home.path().display().to_string()),
        ("NOORLE_BASE_URL".to_owned(), local().base_url.clone()),
    ];
    if let Some(k) = key {
        vars.push(("NOORLE_API_KEY".to_owned(), k.to_owned()));
    }
    Env { home, vars }
}

/// A new admin service account: (its id, its first key).
fn admin() -> (String, String) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("rotation-{n}");
    let out = env(Some(&local().root_key)).run(&[
        "service-account",
        "create",
        "--name",
        &name,
        "--role",
        "admin",
        "--json",
    ]);
    out.code(0);
    let v = out.json();
    (
        v["service_account"]["id"].as_str().unwrap().to_owned(),
        v["key"].as_str().unwrap().to_owned(),
    )
}

/// Moves key `id`'s `created_at` `days` into the past.
fn backdate(id: &str, days: i64) {
    let conn = rusqlite::Connection::open(&local().db).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let n = conn
        .execute(
            "UPDATE api_keys SET created_at = created_at - ?1 WHERE id = ?2",
            rusqlite::params![days * 86_400, id],
        )
        .unwrap();
    assert_eq!(n, 1);
}

/// How many rotate calls the server saw for key `id`.
fn rotations(id: &str) -> usize {
    let l = local();
    let root = noorle::Client::builder()
        .no_ambient_config()
        .api_key(noorle::ApiKey::parse(&l.root_key).unwrap())
        .base_url(&l.base_url)
        .build()
        .unwrap();
    let q = [("path".to_owned(), format!("/v1/api-keys/{id}/rotate"))];
    let r =
        l.rt.block_on(root.request(
            noorle::Method::GET,
            "/_dev/requests",
            &q,
            None,
            noorle::RequestOptions::default(),
        ))
        .unwrap();
    r.json["requests"].as_array().unwrap().len()
}

fn file_key(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().trim().to_owned()
}

fn rotate_args(file: &str) -> Vec<&str> {
    vec![
        "api-key",
        "rotate",
        "--api-key-file",
        file,
        "--write-to",
        file,
        "--grace",
        "1h",
        "--if-older-than",
        "30d",
    ]
}

#[test]
fn list_older_than_keeps_only_old_keys() {
    let (sa, key) = admin();
    let e = env(Some(&key));
    let old = e.run(&["api-key", "generate", "--name", "old", "--json"]);
    old.code(0);
    let old_id = old.json()["api_key"]["id"].as_str().unwrap().to_owned();
    e.run(&["api-key", "generate", "--name", "new", "--json"])
        .code(0);
    backdate(&old_id, 40);

    let out = e.run(&[
        "api-key",
        "list",
        "--service-account",
        &sa,
        "--older-than",
        "30d",
        "--json",
    ]);
    out.code(0);
    let ids: Vec<String> = out.json()["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![old_id.clone()]);
    let table = e.run(&[
        "api-key",
        "list",
        "--service-account",
        &sa,
        "--older-than",
        "30d",
    ]);
    table.code(0);
    assert!(table.stdout.contains(&old_id) && !table.stdout.contains(id_of(&key)));
    // Paging flags make no sense with a filter over every page.
    e.run(&["api-key", "list", "--older-than", "30d", "--limit", "5"])
        .code(2);
}

#[test]
fn doctor_warns_when_the_key_is_older_than_a_month() {
    let (_, key) = admin();
    let e = env(Some(&key));
    let out = e.run(&["doctor"]);
    out.code(0).no_secret(&key);
    assert!(out.stdout.contains("no problems found"), "{out:#?}");

    backdate(id_of(&key), 45);
    let out = e.run(&["doctor"]);
    out.code(1).no_secret(&key);
    for s in [
        "[age] warning",
        "45d old",
        "monthly rotation is recommended",
        "noorle api-key rotate --if-older-than 30d --write-to FILE --grace 1h",
    ] {
        assert!(out.stdout.contains(s), "{s}: {out:#?}");
    }
    let v = e.run(&["doctor", "--json"]).json();
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{v}");
    assert_eq!(problems[0]["check"], "age");
    assert_eq!(problems[0]["severity"], "warning");
}

#[test]
fn rotate_if_older_than_rotates_only_when_due() {
    let (_, key) = admin();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "key", &format!("{key}\n"), 0o600);
    let f = file.display().to_string();
    let e = env(None);

    // Fresh: not due, exit 0, nothing changed.
    let out = e.run(&rotate_args(&f));
    out.code(0).no_secret(&key);
    assert!(out.stdout.contains("no: not due"), "{out:#?}");
    assert_eq!(file_key(&file), key);
    assert_eq!(rotations(id_of(&key)), 0);

    // Due: rotated into the file, verified, said so.
    backdate(id_of(&key), 40);
    let out = e.run(&rotate_args(&f));
    out.code(0).no_secret(&key);
    let new_key = file_key(&file);
    out.no_secret(&new_key);
    assert_ne!(new_key, key);
    assert!(
        out.stdout.contains("yes (the old key was 40d old)"),
        "{out:#?}"
    );
    assert!(out.stdout.contains(&format!("ak-{}***", id_of(&new_key))));
    assert_eq!(rotations(id_of(&key)), 1);
    env(Some(&key)).run(&["whoami"]).code(0);

    // Again (the next hour's run): not due, the same key, and JSON says so.
    let mut args = rotate_args(&f);
    args.push("--json");
    let out = e.run(&args);
    out.code(0).no_secret(&new_key);
    let v = out.json();
    assert_eq!(v["rotated"], false);
    assert_eq!(v["new_id"], id_of(&new_key));
    assert_eq!(file_key(&file), new_key);
    assert_eq!(rotations(id_of(&new_key)), 0);
    assert_eq!(rotations(id_of(&key)), 1);

    // --if-older-than needs --write-to.
    env(Some(&new_key))
        .run(&["api-key", "rotate", "--if-older-than", "30d"])
        .code(2);
}

#[test]
fn two_runs_at_once_rotate_once() {
    let (_, key) = admin();
    backdate(id_of(&key), 40);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "key", &format!("{key}\n"), 0o600);
    let f = file.display().to_string();
    let e = env(None);
    let mut args = rotate_args(&f);
    args.push("--json");
    let spawn = || e.cmd().args(&args).output().unwrap();
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    let outs: Vec<Out> = [a, b]
        .into_iter()
        .map(|o| Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        })
        .collect();
    let reports: Vec<Value> = outs.iter().map(|o| o.code(0).json()).collect();
    assert_eq!(rotations(id_of(&key)), 1);
    let rotated: Vec<bool> = reports
        .iter()
        .map(|r| r["rotated"].as_bool().unwrap())
        .collect();
    assert_eq!(rotated.iter().filter(|r| **r).count(), 1, "{reports:?}");
    let new_key = file_key(&file);
    assert!(!new_key.contains(secret_of(&key)));
    for r in &reports {
        assert_eq!(r["new_id"], id_of(&new_key));
    }
}
