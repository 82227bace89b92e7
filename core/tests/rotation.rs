//! Rotation on a schedule: `rotate_key_file` with `if_older_than`, against a local server whose
//! database the tests can backdate (a key's age comes from its `created_at`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{builder, fast_retry, random_key, Env};
use noorle::models::Role;
use noorle::{ApiKey, Client, RotateKeyFile};
use noorle_dev_server::Config;

const DAY: u64 = 86_400;
const MONTH: Duration = Duration::from_secs(30 * DAY);

struct Db {
    env: Env,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

/// A server on a SQLite file, so a test can make a key older than it is.
async fn start_on_file() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dev.sqlite");
    let root_key = random_key();
    let server = noorle_dev_server::start(Config {
        fault_injection: true,
        root_key: Some(root_key.clone()),
        db: Some(db.clone()),
        ..Config::default()
    })
    .await
    .unwrap();
    let root = Client::builder()
        .no_ambient_config()
        .api_key(ApiKey::parse(&root_key).unwrap())
        .base_url(server.base_url())
        .retry_policy(fast_retry())
        .build()
        .unwrap();
    Db {
        env: Env { server, root },
        db,
        _dir: dir,
    }
}

impl Db {
    /// Moves the key's `created_at` `days` into the past.
    fn backdate(&self, id: &str, days: u64) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        let changed = conn
            .execute(
                "UPDATE api_keys SET created_at = created_at - ?1 WHERE id = ?2",
                rusqlite::params![i64::try_from(days * DAY).unwrap(), id],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    /// The rotate calls the server saw for key `id`.
    async fn rotations(&self, id: &str) -> usize {
        self.env
            .requests(id, Some(&format!("/v1/api-keys/{id}/rotate")))
            .await
            .len()
    }
}

fn key_in(path: &std::path::Path) -> ApiKey {
    ApiKey::parse(std::fs::read_to_string(path).unwrap().trim()).unwrap()
}

#[tokio::test]
async fn not_due_changes_nothing_and_due_rotates() {
    let db = start_on_file().await;
    let (sa, _) = db.env.account(Role::Admin).await;
    let old_id = sa.api_key.id.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    noorle::write_key_file(&file, &sa.key).unwrap();
    let c = builder(&db.env).api_key_file(&file).build().unwrap();
    let params = RotateKeyFile::new(file.clone(), Duration::from_secs(3600)).if_older_than(MONTH);

    // A fresh key is not due: no rotate call, the same key in the file.
    let report = c.rotate_key_file(&params).await.unwrap();
    assert!(!report.rotated);
    assert_eq!(
        (report.old_id.as_str(), report.new_id.as_str()),
        (old_id.as_str(), old_id.as_str())
    );
    assert!(report.age_seconds < MONTH.as_secs());
    assert_eq!(db.rotations(&old_id).await, 0);
    assert_eq!(key_in(&file).expose_secret(), sa.key.expose_secret());

    // Forty days old: due, rotated once, the new key written and working, the old one too (grace).
    db.backdate(&old_id, 40);
    let report = c.rotate_key_file(&params).await.unwrap();
    assert!(report.rotated);
    assert!(report.age_seconds >= 40 * DAY);
    assert_eq!(report.old_id, old_id);
    assert_eq!(db.rotations(&old_id).await, 1);
    let new_key = key_in(&file);
    assert_eq!(new_key.access_id(), report.new_id);
    assert_ne!(report.new_id, old_id);
    assert!(report.old_key_valid_until.is_some());
    builder(&db.env)
        .api_key(sa.key.clone())
        .build()
        .unwrap()
        .whoami()
        .await
        .unwrap();
    let shown = format!("{report:?}{}", serde_json::to_string(&report).unwrap());
    assert!(!shown.contains(new_key.expose_secret_part()));

    // Running again is a no-op: the new key is fresh.
    let again = builder(&db.env)
        .api_key_file(&file)
        .build()
        .unwrap()
        .rotate_key_file(&params)
        .await
        .unwrap();
    assert!(!again.rotated);
    assert_eq!(again.new_id, report.new_id);
    assert_eq!(db.rotations(&report.new_id).await, 0);
    assert_eq!(key_in(&file).expose_secret(), new_key.expose_secret());
}

#[tokio::test]
async fn two_runs_at_once_rotate_once_and_agree() {
    let db = start_on_file().await;
    let (sa, _) = db.env.account(Role::Admin).await;
    let old_id = sa.api_key.id.clone();
    db.backdate(&old_id, 40);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    noorle::write_key_file(&file, &sa.key).unwrap();
    // Two clients that both read the old key, as two cron runs would.
    let a = builder(&db.env).api_key(sa.key.clone()).build().unwrap();
    let b = builder(&db.env).api_key(sa.key.clone()).build().unwrap();
    let params = RotateKeyFile::new(file.clone(), Duration::from_secs(3600)).if_older_than(MONTH);

    let (ra, rb) = tokio::join!(a.rotate_key_file(&params), b.rotate_key_file(&params));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());

    assert_eq!(db.rotations(&old_id).await, 1);
    assert_eq!(
        [ra.rotated, rb.rotated].iter().filter(|r| **r).count(),
        1,
        "{ra:?} {rb:?}"
    );
    assert_eq!(ra.new_id, rb.new_id);
    assert_ne!(ra.new_id, old_id);
    assert_eq!(key_in(&file).access_id(), ra.new_id);
    assert!(dir.path().join("key.lock").exists());
}

#[tokio::test]
async fn a_named_key_is_judged_by_its_own_age() {
    let db = start_on_file().await;
    let (sa, admin) = db.env.account(Role::Admin).await;
    let other = admin
        .api_keys()
        .create(&noorle::models::CreateApiKey::new("worker"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("worker-key");
    let params = RotateKeyFile::new(file.clone(), Duration::ZERO)
        .id(other.api_key.id.clone())
        .if_older_than(MONTH);

    // The admin's own key is old; the worker key is not: not due, and no file is written.
    db.backdate(&sa.api_key.id, 40);
    let r = admin.rotate_key_file(&params).await.unwrap();
    assert!(!r.rotated);
    assert_eq!(r.new_id, other.api_key.id);
    assert!(!file.exists());
    assert_eq!(db.rotations(&other.api_key.id).await, 0);

    db.backdate(&other.api_key.id, 31);
    let r = admin.rotate_key_file(&params).await.unwrap();
    assert!(r.rotated);
    assert_eq!(r.old_id, other.api_key.id);
    assert_eq!(key_in(&file).access_id(), r.new_id);
}

#[tokio::test]
async fn the_operation_takes_if_older_than_in_seconds() {
    let db = start_on_file().await;
    let (sa, _) = db.env.account(Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    noorle::write_key_file(&file, &sa.key).unwrap();
    let c = builder(&db.env).api_key_file(&file).build().unwrap();
    let run = |secs: f64| {
        let op = noorle::ops::Operation::from_json(
            &serde_json::json!({
                "op": "api_keys.rotate_file",
                "path": file,
                "grace_period_seconds": 60,
                "if_older_than": secs,
            })
            .to_string(),
        )
        .unwrap();
        let c = c.clone();
        async move { noorle::ops::execute(Some(&c), op, None).await }
    };
    let v = run(30.0 * 86_400.0).await.unwrap();
    assert_eq!(v["rotated"], false);
    assert_eq!(v["new_id"], sa.api_key.id.as_str());
    assert_eq!(db.rotations(&sa.api_key.id).await, 0);
    let v = run(0.0).await.unwrap();
    assert_eq!(v["rotated"], true);
    assert_eq!(db.rotations(&sa.api_key.id).await, 1);
    let e = run(-1.0).await.unwrap_err();
    assert!(e.to_string().contains("if_older_than"), "{e}");
}
