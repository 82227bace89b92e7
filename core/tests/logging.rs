//! `NOORLE_LOG`: the SDK's debug log goes to stderr and never holds a secret. A subscriber is
//! process-wide, so the logging side runs in a child process (this test binary again).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use noorle::models::Role;

use common::{outcomes, start, status_fault};
use serde_json::{json, Value};

const BASE_VAR: &str = "NOORLE_TEST_CHILD_BASE_URL";
const FILE_VAR: &str = "NOORLE_TEST_CHILD_KEY_FILE";

/// Runs `log_child` in a new process with `NOORLE_LOG` set to `filter` (or unset).
fn run_child(base_url: &str, key_file: &std::path::Path, filter: Option<&str>) -> (String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "log_child",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(BASE_VAR, base_url)
    .env(FILE_VAR, key_file)
    .env_remove("NOORLE_LOG")
    .env_remove("RUST_LOG");
    if let Some(f) = filter {
        cmd.env("NOORLE_LOG", f);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 passed"),
        "the child test did not run:\n{stdout}"
    );
    (stdout, stderr)
}

#[test]
fn noorle_log_debug_goes_to_stderr_without_the_secret() {
    // The server lives on this runtime's threads while the child runs.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(start());
    let (sa, _) = rt.block_on(env.account(Role::Admin));
    let id = sa.api_key.id.as_str();
    let path = "/v1/api-keys/self";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, sa.key.expose_secret()).unwrap();
    // Readable by others: loading it logs a warning too (modes are checked on Unix only).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let mode_warning = cfg!(unix).then_some("readable by group or others");
    let base = env.server.base_url();
    let secret = sa.key.expose_secret_part().to_owned();

    rt.block_on(env.fault(status_fault(id, "GET", path, 1, 503)));
    let (stdout, stderr) = run_child(&base, &file, Some("debug"));
    for want in ["retrying", "status=503", "status=200"]
        .into_iter()
        .chain(mode_warning)
    {
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    assert!(
        !stdout.contains("retrying"),
        "the log goes to stderr: {stdout}"
    );
    assert!(!stderr.contains(&secret) && !stdout.contains(&secret));

    // Unset: the same calls, nothing logged.
    rt.block_on(env.fault(status_fault(id, "GET", path, 1, 503)));
    let (_, stderr) = run_child(&base, &file, None);
    assert!(!stderr.contains("retrying"), "{stderr}");
    let log = rt.block_on(env.requests(id, Some(path)));
    let once = [(json!(503), json!("status")), (json!(200), Value::Null)];
    assert_eq!(outcomes(&log), [once.clone(), once].concat());
}

/// The child side of the test above; it needs the variables that test sets.
#[test]
#[ignore = "run in a child process by noorle_log_debug_goes_to_stderr_without_the_secret"]
fn log_child() {
    let base = std::env::var(BASE_VAR).expect("run by the test above");
    let file = std::env::var(FILE_VAR).expect("run by the test above");
    assert_eq!(
        noorle::logging::init_from_env(),
        std::env::var_os("NOORLE_LOG").is_some()
    );
    let c = noorle::Client::builder()
        .no_ambient_config()
        .api_key_file(file)
        .base_url(base)
        .retry_policy(common::fast_retry())
        .build()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(c.whoami()).unwrap();
}
