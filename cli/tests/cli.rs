//! The real `noorle` binary against a local server: every command, `--json`, redaction, exit
//! codes, doctor, login, and the embedded dev server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use predicates::prelude::*;
use serde_json::json;

#[test]
fn help_and_usage_errors_exit_2() {
    let env = Env::new();
    env.cmd()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("api-key").and(predicate::str::contains("doctor")));
    env.run(&["api-key", "frobnicate"]).code(2);
    env.run(&["api-key", "rotate", "--grace", "8d"]).code(2);
    let out = env.run(&["api-key", "rotate", "--grace", "soon"]);
    out.code(2);
    assert!(out.stderr.contains("15m"), "{out:#?}");
    // Login never takes the key as an argument.
    env.run(&["login", "--api-key", "ak-abc"]).code(2);
}

#[test]
fn whoami_human_and_json() {
    let (_, key) = service_account("admin");
    let env = Env::with_key(&key);
    env.cmd().arg("whoami").assert().success().stdout(
        predicate::str::contains(format!("ak-{}***", id_of(&key)))
            .and(predicate::str::contains("env $NOORLE_API_KEY"))
            .and(predicate::str::contains(secret_of(&key)).not()),
    );
    let out = env.run(&["whoami", "--json"]);
    out.code(0).no_secret(&key);
    let v = out.json();
    assert_eq!(v["api_key"]["id"], id_of(&key));
    assert_eq!(v["source"]["kind"], "env");
    assert_eq!(v["base_url"], server().base_url);
}

#[test]
fn api_key_lifecycle() {
    let (sa, admin) = service_account("admin");
    let env = Env::with_key(&admin);

    // generate: the whole key once on stdout, a warning on stderr, never the secret there.
    let out = env.run(&[
        "api-key",
        "generate",
        "--name",
        "lifecycle",
        "--permissions",
        "read,execute",
        "--scope",
        "agent:agt_weather",
        "--expires-in",
        "30d",
        "--rate-limit",
        "600",
    ]);
    out.code(0);
    let new_key = out.stdout.trim().to_owned();
    assert!(new_key.starts_with("ak-"), "{out:#?}");
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stderr.contains("only time"), "{out:#?}");
    assert!(!out.stderr.contains(secret_of(&new_key)));
    let id = id_of(&new_key).to_owned();

    // get: the record, redacted.
    let out = env.run(&["api-key", "get", &id]);
    out.code(0).no_secret(&new_key);
    for s in ["agent:agt_weather", "read,execute", "600/min", "active"] {
        assert!(out.stdout.contains(s), "{s}: {out:#?}");
    }
    let v = env.run(&["api-key", "get", &id, "--json"]).json();
    assert_eq!(v["api_key"]["rate_limit_per_minute"], 600);
    assert!(v["api_key"]["expires_at"].is_string());

    // list: a table with the key; --json; filters; paging. Other tests add keys to the same
    // account at the same time, so each list is narrowed to this test's service account.
    let out = env.run(&[
        "api-key",
        "list",
        "--status",
        "active",
        "--service-account",
        &sa,
    ]);
    out.code(0).no_secret(&new_key).no_secret(&admin);
    assert!(out.stdout.starts_with("ID "), "{out:#?}");
    assert!(out.stdout.contains(&id));
    let out = env.run(&[
        "api-key",
        "list",
        "--json",
        "--all",
        "--service-account",
        &sa,
    ]);
    out.code(0).no_secret(&new_key);
    let v = out.json();
    let mut ids: Vec<_> = v["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected = vec![id.clone(), id_of(&admin).to_owned()];
    expected.sort();
    assert_eq!(ids, expected);
    let out = env.run(&["api-key", "list", "--limit", "1", "--service-account", &sa]);
    out.code(0);
    assert_eq!(out.stdout.lines().count(), 2, "{out:#?}");
    assert!(
        out.stderr.contains("1-1 of 2; more with --offset 1"),
        "{out:#?}"
    );

    // rename
    let out = env.run(&["api-key", "rename", &id, "renamed", "--json"]);
    out.code(0);
    assert_eq!(out.json()["api_key"]["name"], "renamed");

    // deactivate: the key is refused (exit 4), activate: it works again.
    let out = env.run(&["api-key", "deactivate", &id]);
    out.code(0);
    assert!(out.stdout.contains("inactive"), "{out:#?}");
    let out = Env::with_key(&new_key).run(&["whoami"]);
    out.code(4).no_secret(&new_key);
    assert!(out.stderr.contains("hint:") && out.stderr.contains("activate"));
    env.run(&["api-key", "activate", &id]).code(0);
    Env::with_key(&new_key).run(&["whoami"]).code(0);

    // delete refuses an active key; revoke, then activate is a conflict; delete; gone.
    env.run(&["api-key", "delete", &id]).code(7);
    let out = env.run(&["api-key", "revoke", &id, "--json"]);
    out.code(0);
    assert_eq!(out.json()["api_key"]["status"], "revoked");
    Env::with_key(&new_key).run(&["whoami"]).code(4);
    env.run(&["api-key", "activate", &id]).code(7);
    let out = env.run(&["api-key", "delete", &id]);
    out.code(0);
    assert!(out.stdout.contains("deleted"));
    env.run(&["api-key", "get", &id]).code(6);
}

#[test]
fn rotate_prints_the_new_key_once_or_writes_it() {
    let (_, admin) = service_account("admin");
    let env = Env::with_key(&admin);
    let created = env.run(&["api-key", "generate", "--name", "to-rotate", "--json"]);
    created.code(0);
    let old = created.json()["key"].as_str().unwrap().to_owned();

    // Rotating by id with a grace period: the old key still works.
    let out = env.run(&["api-key", "rotate", id_of(&old), "--grace", "1h", "--json"]);
    out.code(0);
    assert!(!out.stderr.contains(secret_of(&old)));
    let v = out.json();
    let new_key = v["key"].as_str().unwrap().to_owned();
    assert_eq!(v["api_key"]["rotated_from"], id_of(&old));
    assert!(v["previous"]["revoked_at"].is_string());
    assert!(!out.stderr.contains(secret_of(&new_key)));
    assert_eq!(out.stdout.matches(secret_of(&new_key)).count(), 1);
    Env::with_key(&old).run(&["whoami"]).code(0);
    Env::with_key(&new_key).run(&["whoami"]).code(0);

    // --write-to: the key in use (from a file) is rotated into the file; nothing secret shown.
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "key", &format!("{new_key}\n"), 0o600);
    let file_s = file.display().to_string();
    let plain = Env::new();
    let out = plain.run(&[
        "api-key",
        "rotate",
        "--api-key-file",
        &file_s,
        "--write-to",
        &file_s,
        "--grace",
        "90s",
    ]);
    out.code(0).no_secret(&new_key);
    let written = std::fs::read_to_string(&file).unwrap();
    let newest = written.trim();
    assert_ne!(newest, new_key);
    assert!(!out.stdout.contains(secret_of(newest)));
    assert!(out.stdout.contains(&format!("ak-{}***", id_of(newest))));
    #[cfg(unix)]
    assert_eq!(mode_of(&file), 0o600);
    plain
        .run(&["whoami", "--api-key-file", &file_s])
        .code(0)
        .no_secret(newest);

    // The human form of a plain rotation: the key alone on stdout.
    let out = Env::with_key(newest).run(&["api-key", "rotate"]);
    out.code(0);
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stdout.starts_with("ak-"));
    assert!(out.stderr.contains("is revoked"), "{out:#?}");
    Env::with_key(newest).run(&["whoami"]).code(4);
}

#[test]
fn service_account_commands() {
    let (_, admin) = service_account("admin");
    let env = Env::with_key(&admin);

    let out = env.run(&[
        "service-account",
        "create",
        "--name",
        "sa-cmds",
        "--description",
        "for the CLI test",
        "--role",
        "developer",
    ]);
    out.code(0);
    let sa_key = out.stdout.trim().to_owned();
    assert_eq!(out.stdout.lines().count(), 1);
    assert!(out.stderr.contains("only time") && out.stderr.contains("sa-cmds"));
    assert!(!out.stderr.contains(secret_of(&sa_key)));
    let who = Env::with_key(&sa_key).run(&["whoami", "--json"]).json();
    let sa_id = who["api_key"]["owner"]["id"].as_str().unwrap().to_owned();

    let out = env.run(&["service-account", "list", "--all"]);
    out.code(0).no_secret(&sa_key);
    assert!(out.stdout.contains(&sa_id) && out.stdout.contains("developer"));
    // Walked to the end: other tests add accounts meanwhile, so it may not be on page one.
    let v = env
        .run(&["service-account", "list", "--json", "--all"])
        .json();
    let found: Vec<_> = v["service_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"] == sa_id.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["name"], "sa-cmds");

    let out = env.run(&["service-account", "get", &sa_id]);
    out.code(0);
    assert!(out.stdout.contains("for the CLI test"));

    // Disabling refuses its keys; enabling lets them in again.
    let out = env.run(&["service-account", "update", &sa_id, "--disable", "--json"]);
    out.code(0);
    assert_eq!(out.json()["service_account"]["enabled"], false);
    let out = Env::with_key(&sa_key).run(&["whoami"]);
    out.code(4).no_secret(&sa_key);
    assert!(out.stderr.contains("--enable"), "{out:#?}");
    env.run(&[
        "service-account",
        "update",
        &sa_id,
        "--enable",
        "--name",
        "sa-renamed",
    ])
    .code(0);
    Env::with_key(&sa_key).run(&["whoami"]).code(0);
    env.run(&["service-account", "update", &sa_id]).code(2);

    // create-key and list-keys
    let out = env.run(&[
        "service-account",
        "create-key",
        &sa_id,
        "--name",
        "second",
        "--json",
    ]);
    out.code(0);
    let second = out.json()["key"].as_str().unwrap().to_owned();
    assert!(!out.stderr.contains(secret_of(&second)));
    let out = env.run(&["service-account", "list-keys", &sa_id]);
    out.code(0).no_secret(&second).no_secret(&sa_key);
    assert!(out.stdout.contains(id_of(&second)) && out.stdout.contains(id_of(&sa_key)));
    let v = env
        .run(&["service-account", "list-keys", &sa_id, "--json"])
        .json();
    assert_eq!(v["total"], 2);

    // delete: its keys are revoked; the account is gone.
    let out = env.run(&["service-account", "delete", &sa_id]);
    out.code(0);
    assert!(out.stdout.contains("deleted"));
    Env::with_key(&second).run(&["whoami"]).code(4);
    env.run(&["service-account", "get", &sa_id]).code(6);
}

#[test]
fn exit_codes_by_error_kind() {
    let (_, admin) = service_account("admin");
    let env = Env::with_key(&admin);

    // 3: no key, an invalid key, a bad base URL.
    let out = Env::new().run(&["whoami"]);
    out.code(3);
    assert!(out.stderr.starts_with("error: no Noorle API key found"));
    assert!(out.stderr.contains("hint: run `noorle login --api-key`"));
    let bad = format!("ak-{}short!", id_of(&admin));
    let out = Env::with_key(&bad).run(&["whoami"]);
    out.code(3);
    assert!(out.stderr.contains("at position") && !out.stderr.contains("short!"));
    env.run(&["whoami", "--base-url", "ftp://x"]).code(3);

    // 4: a well-formed key the server does not know (message never echoes it).
    let unknown = format!("ak-{}{}", "0".repeat(32), "A".repeat(32));
    Env::with_key(&unknown)
        .run(&["whoami"])
        .code(4)
        .no_secret(&unknown);

    // 5: a viewer may manage nothing.
    let (_, viewer) = service_account("viewer");
    let out = Env::with_key(&viewer).run(&["api-key", "list"]);
    out.code(5);
    assert!(out.stderr.contains("hint:"));

    // 6, 7, 8
    env.run(&["api-key", "get", &"f".repeat(32)]).code(6);
    env.run(&["service-account", "delete", "no-such-account"])
        .code(6);
    let out = env.run(&["api-key", "generate", "--name", "x", "--rate-limit", "0"]);
    out.code(8);
    assert!(out.stderr.contains("rate_limit_per_minute"), "{out:#?}");
    let out = env.run(&[
        "api-key",
        "generate",
        "--name",
        "x",
        "--scope",
        "planet:mars",
    ]);
    out.code(2);
    let out = env.run(&[
        "api-key",
        "generate",
        "--name",
        "x",
        "--expires-at",
        "yesterday",
    ]);
    out.code(8);

    // 9 and 10 through fault injection, matched on this key's access id.
    inject_fault(&json!({
        "method": "GET",
        "path": "/v1/api-keys/self",
        "access_id": id_of(&admin),
        "fault": {"type": "status", "status": 429, "retry_after": 30}
    }));
    let out = env.run(&["whoami", "--max-retries", "0", "--json"]);
    out.code(9);
    let v = out.json();
    assert_eq!(v["error"]["kind"], "rate_limited");
    assert!(v["hint"].as_str().unwrap().contains("30"));
    inject_fault(&json!({
        "method": "GET",
        "path": "/v1/api-keys/self",
        "access_id": id_of(&admin),
        "fault": {"type": "status", "status": 503}
    }));
    env.run(&["whoami", "--max-retries", "0"]).code(10);

    // 11: nothing listening.
    let out = env.run(&[
        "whoami",
        "--base-url",
        "http://127.0.0.1:9",
        "--max-retries",
        "0",
    ]);
    out.code(11);
    assert!(out.stderr.contains("noorle dev-server"));
}

#[test]
fn doctor_on_a_good_key() {
    let (_, admin) = service_account("admin");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "key", &format!("{admin}\n"), 0o600);
    let mut env = Env::new();
    env.set("NOORLE_API_KEY_FILE", &file.display().to_string());
    let out = env.run(&["doctor"]);
    out.code(0).no_secret(&admin);
    // Windows has no mode bits: doctor reports the mode as unknown.
    let mode = if cfg!(unix) {
        "mode 600"
    } else {
        "mode unknown"
    };
    for s in [
        "env_file $NOORLE_API_KEY_FILE",
        mode,
        "valid (ak-",
        "from $NOORLE_BASE_URL",
        "status       active",
        "permissions  read,execute,manage",
        "last used",
        "no problems found",
    ] {
        assert!(out.stdout.contains(s), "{s}: {out:#?}");
    }
    let out = env.run(&["doctor", "--json"]);
    out.code(0).no_secret(&admin);
    let v = out.json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["source"]["kind"], "env_file");
    let mode = if cfg!(unix) {
        json!("600")
    } else {
        json!(null)
    };
    assert_eq!(v["file"]["mode"], mode);
    assert_eq!(v["server"]["api_key"]["status"], "active");
}

#[test]
fn doctor_on_an_invalid_key_file() {
    let dir = tempfile::tempdir().unwrap();
    // A valid access id, then a secret with a character outside [A-Za-z0-9].
    let secret = "SuperSecretValue_12345";
    let file = write_file(
        dir.path(),
        "key",
        &format!("ak-{}{secret}\n", "a".repeat(32)),
        0o600,
    );
    let out = Env::new().run(&["doctor", "--api-key-file", &file.display().to_string()]);
    out.code(3);
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    assert!(out.stdout.contains("secret_invalid_char"), "{out:#?}");
    assert!(out.stdout.contains("position 51"), "{out:#?}");
    assert!(out.stdout.contains("fix:"));

    let out = Env::new().run(&[
        "doctor",
        "--json",
        "--api-key-file",
        &file.display().to_string(),
    ]);
    out.code(3);
    let v = out.json();
    assert_eq!(v["format"]["valid"], false);
    assert_eq!(v["format"]["code"], "secret_invalid_char");
    assert_eq!(v["format"]["position"], 51);
    assert!(!out.stdout.contains(secret));

    // No key anywhere: the places searched, exit 3.
    let out = Env::new().run(&["doctor"]);
    out.code(3);
    assert!(out.stdout.contains("none found") && out.stdout.contains("NOORLE_API_KEY"));
}

// Unix only: Windows has no mode bits, and doctor does not inspect ACLs.
#[cfg(unix)]
#[test]
fn doctor_on_a_world_readable_file() {
    let (_, admin) = service_account("admin");
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "key", &admin, 0o644);
    let shown = file.display().to_string();
    let out = Env::new().run(&["doctor", "--api-key-file", &shown]);
    // The key works; the mode is the one problem.
    out.code(1).no_secret(&admin);
    assert!(out.stdout.contains("mode 644"), "{out:#?}");
    assert!(
        out.stdout.contains(&format!("chmod 600 {shown}")),
        "{out:#?}"
    );
    assert!(out.stdout.contains("status       active"));

    // World-writable is refused, with the same fix.
    set_mode(&file, 0o666);
    let out = Env::new().run(&["doctor", "--api-key-file", &shown]);
    out.code(3).no_secret(&admin);
    assert!(out.stdout.contains("world-writable") && out.stdout.contains("chmod 600"));
}

#[test]
fn login_writes_a_private_profile() {
    let (_, admin) = service_account("admin");
    let env = Env::new();
    let out = env.run_stdin(&["login", "--api-key"], &format!("{admin}\n"));
    out.code(0).no_secret(&admin);
    assert!(out.stdout.contains("logged in as"), "{out:#?}");
    let dir = env.home().join(".noorle");
    let file = dir.join("credentials");
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&file), 0o600);
        assert_eq!(mode_of(&dir), 0o700);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[default]") && text.contains(&admin));
    assert!(text.contains(&server().base_url));

    // The profile is used when nothing else is set, base URL included.
    let mut bare = Env::new();
    bare.set("HOME", &env.home().display().to_string());
    bare.unset("NOORLE_BASE_URL");
    let v = bare.run(&["whoami", "--json"]).json();
    assert_eq!(v["source"]["kind"], "profile");
    assert_eq!(v["api_key"]["id"], id_of(&admin));

    // A second profile keeps the first; --profile picks it even when NOORLE_API_KEY is set.
    let (_, other) = service_account("developer");
    let out = env.run_stdin(&["login", "--api-key", "--profile", "dev"], &other);
    out.code(0);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[default]") && text.contains("[dev]"));
    let mut both = Env::with_key(&admin);
    both.set("HOME", &env.home().display().to_string());
    let v = both.run(&["whoami", "--profile", "dev", "--json"]).json();
    assert_eq!(v["api_key"]["id"], id_of(&other));

    // Refused: an invalid key (3), a key the server does not know (4); nothing written.
    let fresh = Env::new();
    let out = fresh.run_stdin(&["login", "--api-key"], "Bearer nope");
    out.code(3);
    assert!(out.stderr.contains("hint:"));
    let unknown = format!("ak-{}{}", "1".repeat(32), "B".repeat(32));
    fresh
        .run_stdin(&["login", "--api-key"], &unknown)
        .code(4)
        .no_secret(&unknown);
    assert!(!fresh.home().join(".noorle/credentials").exists());
}

#[test]
fn dev_server_prints_its_listening_line_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_noorle"))
        .args(["dev-server", "--bind", "127.0.0.1:0"])
        .env_remove("NOORLE_DEV_ROOT_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let url = first
        .strip_prefix("listening on http://127.0.0.1:")
        .map(|port| format!("http://127.0.0.1:{port}"));
    let root = second
        .strip_prefix("root key (shown once): ")
        .map(str::to_owned);
    let result = (|| {
        let (url, root) = (url?, root?);
        let mut env = Env::with_key(&root);
        env.set("NOORLE_BASE_URL", &url);
        let v = env.run(&["whoami", "--json"]);
        Some((v.code, v.json()["api_key"]["name"].clone()))
    })();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(result, Some((0, json!("root"))), "{first} / {second}");

    // A non-loopback address is refused with a clean error, not a panic.
    let out = Env::new().run(&["dev-server", "--bind", "8.8.8.8:1"]);
    out.code(1);
    assert!(out
        .stderr
        .starts_with("error: cannot start the local server"));
}

#[test]
fn noorle_log_debug_goes_to_stderr_without_the_secret() {
    let (_, key) = service_account("admin");
    let fault = json!({
        "method": "GET",
        "path": "/v1/api-keys/self",
        "access_id": id_of(&key),
        "fault": {"type": "status", "status": 503}
    });
    let mut env = Env::with_key(&key);
    env.set("NOORLE_LOG", "debug");
    inject_fault(&fault);
    let out = env.run(&["whoami", "--json"]);
    out.code(0).no_secret(&key);
    // The retry and the answer, on stderr only; stdout stays the JSON answer.
    assert!(
        out.stderr.contains("retrying") && out.stderr.contains("status=503"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("status=200"), "{out:#?}");
    assert_eq!(out.json()["api_key"]["id"], id_of(&key));

    // Unset: the same retry happens silently.
    env.unset("NOORLE_LOG");
    inject_fault(&fault);
    let out = env.run(&["whoami", "--json"]);
    out.code(0);
    assert!(!out.stderr.contains("retrying"), "{out:#?}");
    let seen = requests(id_of(&key), "/v1/api-keys/self");
    let statuses: Vec<_> = seen.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [503, 200, 503, 200]);
}
