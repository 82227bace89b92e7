//! `noorle scan`: planted keys in files and in a git history, near-misses that are not keys, the
//! three report formats, `--verify` against a local server, and the exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] fns panic on purpose

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const ID: &str = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4";
const SECRET: &str = "s9t0u1v2w3x4y5z6";
/// The documentation's example key.
const DOC: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
const OTHER: &str = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm";

fn scan(dir: &Path, args: &[&str]) -> Out {
    let env = Env::new();
    let mut c = env.cmd();
    c.current_dir(dir).arg("scan").args(args);
    let o = c.output().expect("run noorle");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Lines that look like keys but are not, each on its own line.
fn near_misses() -> Vec<String> {
    vec![
        // Uppercase hex in the access id.
        format!("ak-A1B2C3D4E5F6a1b2c3d4e5f6a1b2c3d4{SECRET}"),
        // 31 hex digits (the secret's first letter is not hex), and 33 with nothing after.
        format!("ak-{}{SECRET}", &ID[..31]),
        format!("ak-{ID}f"),
        // Secrets of 15 and 129 characters.
        format!("ak-{ID}{}", &SECRET[..15]),
        format!("ak-{ID}{}", "Q".repeat(129)),
        // A letter or digit just before the prefix: part of a longer token.
        format!("x{DOC}"),
        format!("token=task-{ID}{SECRET}"),
        format!("9{DOC}"),
        // The doc example with one character dropped from the access id or the secret.
        DOC.replacen("a1b2", "a1b", 1),
        DOC.replacen("z6", "z", 1),
        // Wrong prefix case or separator.
        format!("AK-{ID}{SECRET}"),
        format!("ak_{ID}{SECRET}"),
    ]
}

#[test]
fn finds_planted_keys_in_files_and_reports_them_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("src/deep")).unwrap();
    std::fs::create_dir_all(d.join(".git")).unwrap();
    write_file(
        d,
        "config.env",
        &format!("# keys\nNOORLE_API_KEY={DOC}\n"),
        0o644,
    );
    write_file(
        &d.join("src/deep"),
        "app.py",
        &format!("a = 1\n\nclient = Client(api_key=\"{OTHER}\")  # {DOC}\n"),
        0o644,
    );
    // Not scanned: the .git folder, binary files (a NUL early on).
    write_file(&d.join(".git"), "config", &format!("{DOC}\n"), 0o644);
    std::fs::write(d.join("blob.bin"), format!("\0\u{1}{DOC}")).unwrap();
    write_file(d, "misses.txt", &near_misses().join("\n"), 0o644);

    let out = scan(d, &[]);
    out.code(1).no_secret(DOC).no_secret(OTHER);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("config.env:2:16: ak-{ID}***"),
            "src/deep/app.py:3:26: ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0***".to_owned(),
            format!("src/deep/app.py:3:99: ak-{ID}***"),
        ],
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("2 Noorle API key(s) in 3 place(s)"),
        "{out:#?}"
    );

    // Paths named explicitly: a file, and a folder.
    let out = scan(d, &["config.env", "src"]);
    out.code(1);
    assert_eq!(out.stdout.lines().count(), 3, "{out:#?}");
}

#[test]
fn near_misses_are_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let misses = near_misses();
    write_file(dir.path(), "misses.txt", &misses.join("\n"), 0o644);
    // Each one alone too, where nothing else can hide a false match.
    for (i, m) in misses.iter().enumerate() {
        write_file(dir.path(), &format!("m{i}.txt"), m, 0o644);
    }
    let out = scan(dir.path(), &["--json"]);
    out.code(0);
    let v = out.json();
    assert_eq!(v["findings"], serde_json::json!([]), "{out:#?}");
    assert_eq!(v["summary"]["files_scanned"], misses.len() + 1);
    assert!(scan(dir.path(), &[])
        .stderr
        .contains("no Noorle API keys found"));
}

#[test]
fn json_and_sarif_parse_and_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "a.txt",
        &format!("{DOC}\n{DOC} {OTHER}\n"),
        0o644,
    );

    let out = scan(dir.path(), &["--format", "json"]);
    out.code(1).no_secret(DOC).no_secret(OTHER);
    let v = out.json();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    assert_eq!(f[1]["line"], 2);
    assert_eq!(f[2]["column"], 53);
    assert_eq!(f[2]["offset"], 52 + 52);
    assert_eq!(f[2]["access_id"], "0f9e8d7c6b5a49382716f5e4d3c2b1a0");
    assert_eq!(f[0]["redacted_key"], format!("ak-{ID}***"));
    assert_eq!(f[0]["path"], "a.txt");
    assert_eq!(v["summary"]["distinct_keys"], 2);
    // The global --json flag means the same.
    assert_eq!(scan(dir.path(), &["--json"]).json(), v);

    let out = scan(dir.path(), &["--format", "sarif"]);
    out.code(1).no_secret(DOC).no_secret(OTHER);
    let s = out.json();
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "noorle-api-key");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let loc = &results[2]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "a.txt");
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], 53);
    assert_eq!(results[2]["ruleId"], "noorle-api-key");
    assert_eq!(
        results[2]["partialFingerprints"]["noorleAccessId/v1"],
        "0f9e8d7c6b5a49382716f5e4d3c2b1a0"
    );
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Scan Test",
            "-c",
            "user.email=scan@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(o.status.success(), "git {args:?}: {o:?}");
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[test]
fn git_history_finds_a_key_removed_later() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write_file(d, "README", "hello\n", 0o644);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "start"]);
    write_file(d, "README", &format!("hello\nsecond\nkey: {DOC}\n"), 0o644);
    std::fs::create_dir_all(d.join("dir with space")).unwrap();
    write_file(
        &d.join("dir with space"),
        "b.txt",
        &format!("{OTHER}\n"),
        0o644,
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "oops"]);
    let leaked = git(d, &["rev-parse", "HEAD"]);
    write_file(d, "README", "hello\nsecond\n", 0o644);
    std::fs::remove_file(d.join("dir with space/b.txt")).unwrap();
    git(d, &["commit", "-qam", "remove the keys"]);

    // The working tree is clean ...
    scan(d, &[]).code(0);
    // ... the history is not.
    let out = scan(d, &["--git"]);
    out.code(1).no_secret(DOC).no_secret(OTHER);
    let short = &leaked[..12];
    let mut lines: Vec<&str> = out.stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            format!("README:3:6: ak-{ID}*** in commit {short}"),
            format!("dir with space/b.txt:1:1: ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0*** in commit {short}"),
        ],
        "{out:#?}"
    );
    let s = scan(d, &["--git", "--format", "sarif"]).json();
    let results = s["runs"][0]["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 2);
    for r in &results {
        assert_eq!(r["partialFingerprints"]["commitSha/v1"], leaked.as_str());
        assert_eq!(r["properties"]["commit"], leaked.as_str());
    }
    let v = scan(d, &["--git", "--json"]).json();
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "dir with space/b.txt" && f["commit"] == leaked.as_str()));
}

#[test]
fn verify_tells_live_keys_from_revoked_ones() {
    let (_, admin) = service_account("admin");
    let env = Env::with_key(&admin);
    let out = env.run(&["api-key", "generate", "--name", "to-revoke"]);
    out.code(0);
    let revoked = out.stdout.trim().to_owned();
    env.run(&["api-key", "revoke", id_of(&revoked)]).code(0);
    let (_, live) = service_account("developer");

    let dir = tempfile::tempdir().unwrap();
    // The live key twice: one finding per place, one question to the API per key.
    write_file(
        dir.path(),
        "leak.txt",
        &format!("{live}\n{revoked}\n# again: {live}\n"),
        0o644,
    );
    let out = scan(dir.path(), &["--verify", "--json"]);
    out.code(1).no_secret(&live).no_secret(&revoked);
    let v = out.json();
    let status: Vec<(String, String, Value)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["access_id"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
                f["status_detail"].clone(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            (id_of(&live).to_owned(), "live".to_owned(), Value::Null),
            (
                id_of(&revoked).to_owned(),
                "not_live".to_owned(),
                "revoked".into()
            ),
            (id_of(&live).to_owned(), "live".to_owned(), Value::Null),
        ],
        "{out:#?}"
    );
    assert_eq!(requests(id_of(&live), "/v1/api-keys/self").len(), 1);

    let out = scan(dir.path(), &["--verify"]);
    out.code(1).no_secret(&live).no_secret(&revoked);
    assert!(out.stdout.contains("[LIVE]"), "{out:#?}");
    assert!(out.stdout.contains("[not live (revoked)]"), "{out:#?}");

    // A server that cannot be reached says nothing about the key: unknown.
    let out = scan(
        dir.path(),
        &[
            "--verify",
            "--json",
            "--max-retries",
            "0",
            "--base-url",
            "http://127.0.0.1:1",
        ],
    );
    out.code(1).no_secret(&live);
    let f = &out.json()["findings"][0];
    assert_eq!(f["status"], "unknown", "{out:#?}");
    assert!(
        f["status_detail"]
            .as_str()
            .unwrap()
            .starts_with("connection"),
        "{out:#?}"
    );
}

#[test]
fn exit_codes_and_skipped_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Over the size limit: skipped with a note, not scanned.
    let mut big = "x".repeat(1024 * 1024);
    big.push('\n');
    big.push_str(DOC);
    write_file(d, "big.log", &big, 0o644);
    let out = scan(d, &["--max-file-size", "1"]);
    out.code(0);
    assert!(out.stderr.contains("skipped big.log"), "{out:#?}");
    scan(d, &["--max-file-size", "2"]).code(1);

    scan(d, &["no-such-path"]).code(2);
    scan(d, &["--format", "xml"]).code(2);
    // --git outside a repository.
    let out = scan(d, &["--git"]);
    out.code(2);
    assert!(out.stderr.contains("git"), "{out:#?}");
}
