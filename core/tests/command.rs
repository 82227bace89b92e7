//! Credential commands (`api_key_command`, `NOORLE_API_KEY_COMMAND`, a profile's
//! `api_key_command`): the scripts of testdata/credential-commands play a secret manager's CLI,
//! and the keys they print are real keys of a local server.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use noorle::models::Role;
use noorle::{load_api_key, Env, ErrorKind, LoadOptions, SourceKind, Timestamp};

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/credential-commands")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn key_file(dir: &Path, name: &str, key: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("{key}\n")).unwrap();
    p.to_str().unwrap().to_owned()
}

fn count(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn isolated() -> LoadOptions {
    LoadOptions::explicit_only()
}

fn map(pairs: &[(&str, &str)]) -> Env {
    Env::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[tokio::test]
async fn the_option_gives_a_working_client_and_reports_the_command() {
    let env = common::start().await;
    let (created, _) = env.account(Role::Developer).await;
    let dir = tempfile::tempdir().unwrap();
    let file = key_file(dir.path(), "key", created.key.expose_secret());
    let counter = dir.path().join("runs");
    let client = common::builder(&env)
        .api_key_command([
            script("print-key.sh"),
            file,
            counter.to_str().unwrap().to_owned(),
        ])
        .build()
        .unwrap();
    let me = client.whoami().await.unwrap();
    assert_eq!(me.id, created.api_key.id);
    let src = client.key_source();
    assert_eq!(src.kind, SourceKind::Command);
    assert_eq!(
        src.program.as_deref(),
        Some(script("print-key.sh").as_str())
    );
    assert_eq!(
        src.to_string(),
        format!(
            "command {} (from the api_key_command option)",
            script("print-key.sh")
        )
    );
    // No expiry: the key is cached; reading it or printing the client runs nothing.
    client.whoami().await.unwrap();
    let _ = (client.api_key(), format!("{client:?}"));
    assert_eq!(count(&counter), 1);
}

#[test]
fn the_variable_and_the_profile_name_where_the_command_was_configured() {
    let dir = tempfile::tempdir().unwrap();
    let k = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
    let file = key_file(dir.path(), "key", k);
    let argv = serde_json::to_string(&[script("print-key.sh"), file.clone()]).unwrap();
    let l = load_api_key(&isolated().env(map(&[("NOORLE_API_KEY_COMMAND", &argv)]))).unwrap();
    assert_eq!(l.key.expose_secret(), k);
    assert_eq!(l.source.kind, SourceKind::Command);
    assert_eq!(
        l.source.to_string(),
        format!(
            "command {} (from $NOORLE_API_KEY_COMMAND)",
            script("print-key.sh")
        )
    );

    let creds = dir.path().join("credentials");
    let toml_argv = format!("[\"{}\", \"{file}\"]", script("print-key.sh"));
    std::fs::write(
        &creds,
        format!("[ci]\napi_key_command = {toml_argv}\nbase_url = \"http://127.0.0.1:9\"\n"),
    )
    .unwrap();
    let l = load_api_key(&isolated().credentials_file(&creds).profile("ci")).unwrap();
    assert_eq!(l.key.expose_secret(), k);
    assert_eq!(
        (l.source.kind, l.source.profile.as_deref()),
        (SourceKind::Command, Some("ci"))
    );
    assert_eq!(l.base_url.as_deref(), Some("http://127.0.0.1:9"));
    assert_eq!(
        l.source.to_string(),
        format!(
            "command {} (from {} [profile ci])",
            script("print-key.sh"),
            creds.display()
        )
    );

    // A profile with both, a variable that is not a JSON array, two variables at once.
    std::fs::write(
        &creds,
        format!("[ci]\napi_key = \"{k}\"\napi_key_command = {toml_argv}\n"),
    )
    .unwrap();
    let e = load_api_key(&isolated().credentials_file(&creds).profile("ci")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(
        e.to_string().contains("both api_key and api_key_command"),
        "{e}"
    );
    let e =
        load_api_key(&isolated().env(map(&[("NOORLE_API_KEY_COMMAND", "op read x")]))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("JSON array of strings"), "{e}");
    let e = load_api_key(&isolated().env(map(&[
        ("NOORLE_API_KEY_COMMAND", &argv),
        ("NOORLE_API_KEY_FILE", &file),
    ])))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(
        e.to_string()
            .contains("NOORLE_API_KEY_FILE and NOORLE_API_KEY_COMMAND are both set"),
        "{e}"
    );
    // The option wins over the variable.
    let other = key_file(
        dir.path(),
        "other",
        "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm",
    );
    let l = load_api_key(
        &isolated()
            .env(map(&[("NOORLE_API_KEY_COMMAND", &argv)]))
            .api_key_command([script("print-key.sh"), other]),
    )
    .unwrap();
    assert_eq!(l.source.variable, None);
    assert!(l.key.expose_secret().starts_with("ak-0f9e"));
}

#[tokio::test]
async fn an_expired_key_runs_the_command_again_and_a_fresh_one_does_not() {
    let env = common::start().await;
    let (created, _) = env.account(Role::Developer).await;
    let dir = tempfile::tempdir().unwrap();
    let file = key_file(dir.path(), "key", created.key.expose_secret());
    let client_with = |expires: String, counter: &PathBuf| {
        common::builder(&env)
            .api_key_command([
                script("print-json.sh"),
                file.clone(),
                expires,
                counter.to_str().unwrap().to_owned(),
            ])
            .build()
            .unwrap()
    };

    let past = dir.path().join("past");
    let client = client_with("2020-01-01T00:00:00Z".to_owned(), &past);
    assert_eq!(count(&past), 1);
    client.whoami().await.unwrap();
    client.whoami().await.unwrap();
    assert_eq!(
        count(&past),
        3,
        "each call with an expired key runs the command"
    );

    let later = Timestamp::from(std::time::SystemTime::now() + Duration::from_secs(3600));
    let fresh = dir.path().join("fresh");
    let client = client_with(later.as_str().to_owned(), &fresh);
    client.whoami().await.unwrap();
    client.whoami().await.unwrap();
    assert_eq!(count(&fresh), 1, "a key valid for an hour is cached");

    let none = dir.path().join("none");
    let l = load_api_key(&isolated().api_key_command([
        script("print-json.sh"),
        file.clone(),
        "null".to_owned(),
        none.to_str().unwrap().to_owned(),
    ]))
    .unwrap();
    assert_eq!(l.expires_at, None);
    assert_eq!(l.key.expose_secret(), created.key.expose_secret());
}

#[tokio::test]
async fn concurrent_calls_with_an_expired_key_run_the_command_one_at_a_time() {
    let env = common::start().await;
    let (created, _) = env.account(Role::Developer).await;
    let dir = tempfile::tempdir().unwrap();
    let file = key_file(dir.path(), "key", created.key.expose_secret());
    let counter = dir.path().join("runs");
    let client = common::builder(&env)
        .api_key_command([
            script("print-json.sh"),
            file,
            "2020-01-01T00:00:00Z".to_owned(),
            counter.to_str().unwrap().to_owned(),
        ])
        .build()
        .unwrap();
    let calls = (0..8).map(|_| client.whoami());
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    // The script's read-add-write of the counter would lose counts if two runs overlapped.
    assert_eq!(count(&counter), 9);
}

#[tokio::test]
async fn a_refused_key_runs_the_command_again_and_the_call_succeeds_with_the_new_key() {
    let env = common::start().await;
    let (old, _) = env.account(Role::Developer).await;
    let (new, _) = env.account(Role::Developer).await;
    env.root.api_keys().revoke(&old.api_key.id).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("runs");
    let client = common::builder(&env)
        .api_key_command([
            script("in-turn.sh"),
            counter.to_str().unwrap().to_owned(),
            key_file(dir.path(), "old", old.key.expose_secret()),
            key_file(dir.path(), "new", new.key.expose_secret()),
        ])
        .build()
        .unwrap();
    let me = client.whoami().await.unwrap();
    assert_eq!(me.id, new.api_key.id);
    assert_eq!(count(&counter), 2);
    let refused = env
        .requests(old.key.access_id(), Some("/v1/api-keys/self"))
        .await;
    assert_eq!(common::outcomes(&refused).len(), 1);
    assert_eq!(refused[0]["status"], 401);
}

#[test]
fn a_slow_command_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let e = load_api_key(
        &isolated()
            .api_key_command([script("slow.sh"), pidfile.to_str().unwrap().to_owned()])
            .api_key_command_timeout(Duration::from_secs(2)),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let msg = e.to_string();
    assert!(msg.contains("timeout") && msg.contains("killed"), "{msg}");
    assert!(msg.contains(&script("slow.sh")), "{msg}");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: signal 0 only asks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    assert!(!alive, "the command's process {pid} is still there");
}

#[test]
fn a_failing_command_names_its_status_and_shows_stderr_redacted() {
    let e = load_api_key(&isolated().api_key_command([script("fail.sh")])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "the credential command {} (from the api_key_command option) exited with status 3",
            script("fail.sh")
        )),
        "{msg}"
    );
    assert!(
        msg.contains("permission denied reading ak-3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c***"),
        "{msg}"
    );
    assert!(!msg.contains("LEAKED"), "{msg}");
}

#[test]
fn garbage_stderr_only_and_missing_programs_are_clear_errors() {
    let e = load_api_key(&isolated().api_key_command([script("garbage.sh")])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidApiKey);
    assert!(e.to_string().contains("credential command"), "{e}");
    assert!(!e.to_string().contains("hello"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let k = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
    let file = key_file(dir.path(), "key", k);
    let e =
        load_api_key(&isolated().api_key_command([script("stderr-only.sh"), file])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    let msg = e.to_string();
    assert!(msg.contains("printed nothing on stdout"), "{msg}");
    assert!(
        msg.contains("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"),
        "{msg}"
    );
    assert!(!msg.contains("s9t0u1"), "{msg}");

    let e = load_api_key(&isolated().api_key_command([script("flood.sh")])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("more than 65536 bytes"), "{e}");
    assert!(!e.to_string().contains("just a lot"), "{e}");

    let e = load_api_key(&isolated().api_key_command(["noorle-no-such-program-x"])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("was not found"), "{e}");
    let e = load_api_key(&isolated().api_key_command(Vec::<String>::new())).unwrap_err();
    assert!(e.to_string().contains("is empty"), "{e}");
}
