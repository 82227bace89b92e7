//! Keys read from files are re-read when the file changes, without dropping requests; the
//! rotation helper writes the new key to such a file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use noorle::models::{CreateApiKey, Role};
use noorle::{ApiKey, ErrorKind, RotateKeyFile, SourceKind};

use common::{builder, start};

/// Atomic replace, as Kubernetes and config managers do.
fn swap_in(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    #[cfg(unix)]
    set_mode(&tmp, 0o600);
    std::fs::rename(&tmp, path).unwrap();
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewriting_the_key_file_under_load_drops_no_request() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    let second = env
        .root
        .service_accounts()
        .create_key(&sa.service_account.id, &CreateApiKey::new("second"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("noorle_api_key");
    swap_in(&file, &format!("{}\n", sa.key.expose_secret()));
    // Every request checks the file (interval 0), so swaps land between requests.
    let c = builder(&env)
        .api_key_file(&file)
        .reload_interval(Duration::ZERO)
        .build()
        .unwrap();
    assert_eq!(c.key_source().kind, SourceKind::File);

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (c, stop, done) = (c.clone(), stop.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                c.whoami()
                    .await
                    .expect("no request may fail during a key swap");
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let keys = [
        sa.key.expose_secret().to_owned(),
        second.key.expose_secret().to_owned(),
    ];
    for i in 0..120 {
        // Half-written or garbage content in between must not break anything.
        if i % 40 == 20 {
            swap_in(&file, "not a key\n");
        } else {
            swap_in(&file, &format!("{}\n", keys[i % 2]));
        }
        // Paced by completed requests, not by time.
        let before = done.load(Ordering::Relaxed);
        while done.load(Ordering::Relaxed) == before {
            tokio::task::yield_now().await;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    // Quiet now: the next request reads whichever key the file holds.
    for (key, id) in [(&keys[0], &sa.api_key.id), (&keys[1], &second.api_key.id)] {
        swap_in(&file, &format!("{key}\n"));
        assert_eq!(&c.whoami().await.unwrap().id, id);
    }
    // The server saw every request, each with one of the two keys, and refused none.
    let mut total = 0;
    for id in [&sa.api_key.id, &second.api_key.id] {
        let log = env.requests(id, Some("/v1/api-keys/self")).await;
        let refused: Vec<_> = log.iter().filter(|r| r["status"] != 200).collect();
        assert!(refused.is_empty(), "{refused:?}");
        total += log.len();
    }
    assert_eq!(total, done.load(Ordering::Relaxed) + 2);
}

#[tokio::test]
async fn a_401_after_the_file_changed_is_retried_once_with_the_new_key() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    swap_in(&file, sa.key.expose_secret());
    // A long interval: only the 401 makes the client look at the file again.
    let c = builder(&env)
        .api_key_file(&file)
        .reload_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    c.whoami().await.unwrap();
    let r = env
        .root
        .api_keys()
        .rotate(&sa.api_key.id, &Default::default())
        .await
        .unwrap();
    swap_in(&file, r.key.expose_secret());
    assert_eq!(c.whoami().await.unwrap().id, r.api_key.id);
    let path = "/v1/api-keys/self";
    let statuses = |log: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        log.into_iter().map(|r| r["status"].clone()).collect()
    };
    // The old key once more (refused), then the new key once.
    assert_eq!(
        statuses(env.requests(&sa.api_key.id, Some(path)).await),
        [200, 401]
    );
    assert_eq!(
        statuses(env.requests(&r.api_key.id, Some(path)).await),
        [200]
    );

    // Without a change in the file, a 401 is final: one attempt, no retry.
    env.root.api_keys().revoke(&r.api_key.id).await.unwrap();
    assert_eq!(
        c.whoami().await.unwrap_err().kind(),
        ErrorKind::Authentication
    );
    assert_eq!(
        statuses(env.requests(&r.api_key.id, Some(path)).await),
        [200, 401]
    );
    assert_eq!(env.requests(&sa.api_key.id, Some(path)).await.len(), 2);
}

// Unix only: Windows has no mode bits, and the loader does not inspect ACLs.
#[cfg(unix)]
#[tokio::test]
async fn a_world_writable_key_file_is_not_reloaded() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    let second = env
        .root
        .service_accounts()
        .create_key(&sa.service_account.id, &CreateApiKey::new("second"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    swap_in(&file, sa.key.expose_secret());
    let c = builder(&env)
        .api_key_file(&file)
        .reload_interval(Duration::ZERO)
        .build()
        .unwrap();
    // Anyone could have written this one: the last good key stays in use.
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, second.key.expose_secret()).unwrap();
    set_mode(&tmp, 0o666);
    std::fs::rename(&tmp, &file).unwrap();
    assert_eq!(c.whoami().await.unwrap().id, sa.api_key.id);
    assert_eq!(c.api_key().access_id(), sa.api_key.id);
    // Nor after a 401: the file is refused again, and the 401 stands.
    env.root.api_keys().revoke(&sa.api_key.id).await.unwrap();
    assert_eq!(
        c.whoami().await.unwrap_err().kind(),
        ErrorKind::Authentication
    );
    assert!(env
        .requests(&second.api_key.id, Some("/v1/api-keys/self"))
        .await
        .is_empty());
    // The same content, made private, is taken.
    set_mode(&file, 0o600);
    assert_eq!(c.whoami().await.unwrap().id, second.api_key.id);
}

#[tokio::test]
async fn rotate_key_file_writes_verifies_and_reports_redacted() {
    let env = start().await;
    let (sa, _) = env.account(Role::Admin).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    swap_in(&file, sa.key.expose_secret());
    let c = builder(&env)
        .api_key_file(&file)
        .reload_interval(Duration::from_millis(1))
        .build()
        .unwrap();
    let report = c
        .rotate_key_file(&RotateKeyFile::new(file.clone(), Duration::from_secs(600)))
        .await
        .unwrap();
    assert_eq!(report.old_id, sa.api_key.id);
    let written = std::fs::read_to_string(&file).unwrap();
    let new_key = ApiKey::parse(written.trim()).unwrap();
    assert_eq!(new_key.access_id(), report.new_id);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let shown = format!("{report:?}");
    assert!(
        !shown.contains(new_key.expose_secret_part())
            && !shown.contains(sa.key.expose_secret_part())
    );
    assert!(report.old_key_valid_until.is_some());
    // Old key still works during the grace period; the client itself moved to the new key.
    builder(&env)
        .api_key(sa.key.clone())
        .build()
        .unwrap()
        .whoami()
        .await
        .unwrap();
    assert_eq!(c.whoami().await.unwrap().id, report.new_id);

    // A failing step is named, and says what still works.
    let bad = RotateKeyFile::new(dir.path().join("missing-dir/key"), Duration::from_secs(60));
    let e = c.rotate_key_file(&bad).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("'write'") && msg.contains("keeps working"),
        "{msg}"
    );
    assert!(!msg.contains(new_key.expose_secret_part()));
}
