//! Keys read from files are re-read when the file changes, without dropping requests; the
//! rotation helper writes the new key to such a file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt;
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
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
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
    let c = builder(&env)
        .api_key_file(&file)
        .reload_interval(Duration::from_millis(5))
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
    let mut seen = std::collections::HashSet::new();
    for i in 0..200 {
        // Half-written or garbage content in between must not break anything.
        if i % 50 == 25 {
            swap_in(&file, "not a key\n");
        } else {
            swap_in(&file, &format!("{}\n", keys[i % 2]));
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
        seen.insert(c.api_key().access_id().to_owned());
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    assert!(
        done.load(Ordering::Relaxed) > 100,
        "only {} requests ran",
        done.load(Ordering::Relaxed)
    );
    assert_eq!(seen.len(), 2, "both keys were used");
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
    let log = env
        .requests(&sa.api_key.id, Some("/v1/api-keys/self"))
        .await;
    assert_eq!(log.last().unwrap()["status"], 401);

    // Without a change in the file, a 401 is final.
    env.root.api_keys().revoke(&r.api_key.id).await.unwrap();
    assert_eq!(
        c.whoami().await.unwrap_err().kind(),
        ErrorKind::Authentication
    );
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
        .rotate_key_file(&RotateKeyFile {
            id: None,
            path: file.clone(),
            grace: Duration::from_secs(600),
        })
        .await
        .unwrap();
    assert_eq!(report.old_id, sa.api_key.id);
    let written = std::fs::read_to_string(&file).unwrap();
    let new_key = ApiKey::parse(written.trim()).unwrap();
    assert_eq!(new_key.access_id(), report.new_id);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
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
    let bad = RotateKeyFile {
        id: None,
        path: dir.path().join("missing-dir/key"),
        grace: Duration::from_secs(60),
    };
    let e = c.rotate_key_file(&bad).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("'write'") && msg.contains("keeps working"),
        "{msg}"
    );
    assert!(!msg.contains(new_key.expose_secret_part()));
}
