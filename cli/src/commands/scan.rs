//! `noorle scan`: find Noorle API keys in files, or in every commit of a git repository, and
//! optionally ask the API which of them are live. Exit status: 0 none found, 1 keys found, 2 a
//! usage or I/O error.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use noorle::scan::{find_keys, Finding};
use noorle::{ApiKey, Client, ErrorKind, LoadOptions};
use serde_json::{json, Value};

use crate::args::{Global, ScanArgs, ScanFormat};
use crate::fail::{code, Failure};

/// Files with a NUL byte in their first 8 KiB are binary and skipped.
const BINARY_SNIFF: usize = 8 * 1024;
const RULE_ID: &str = "noorle-api-key";

/// One key at one place.
struct Place {
    path: String,
    /// The commit that added the line (`--git` only).
    commit: Option<String>,
    finding: Finding,
    /// What the API said of the key (`--verify` only).
    status: Option<Status>,
}

/// What the API says of a key (`--verify`).
#[derive(Clone)]
enum Status {
    Live,
    /// 401: revoked, inactive, expired, unknown to the server.
    NotLive(String),
    /// Any other error: the key's state is not known.
    Unknown(String),
}

impl Status {
    fn label(&self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::NotLive(_) => "not_live",
            Status::Unknown(_) => "unknown",
        }
    }
    fn detail(&self) -> Option<&str> {
        match self {
            Status::Live => None,
            Status::NotLive(d) | Status::Unknown(d) => Some(d),
        }
    }
    fn text(&self) -> String {
        match self {
            Status::Live => "LIVE".to_owned(),
            Status::NotLive(d) => format!("not live ({d})"),
            Status::Unknown(d) => format!("unknown ({d})"),
        }
    }
}

/// Files scanned and problems met, for the summary and the exit status.
#[derive(Default)]
struct Tally {
    files: usize,
    io_errors: usize,
}

pub async fn run(a: ScanArgs, g: &Global) -> Result<(), Failure> {
    let format = if g.json && matches!(a.format, ScanFormat::Text) {
        ScanFormat::Json
    } else {
        a.format
    };
    let roots = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let mut tally = Tally::default();
    let places = if a.git {
        let mut all = Vec::new();
        for root in &roots {
            all.extend(scan_history(root)?);
        }
        all
    } else {
        let limit = a.max_file_size.saturating_mul(1024 * 1024);
        let mut files = Vec::new();
        for root in &roots {
            // A path named on the command line must exist: a typo is not "no keys found".
            let meta = std::fs::metadata(root).map_err(|e| {
                Failure::new(
                    code::USAGE,
                    format!("cannot read {}: {e}", root.display()),
                    "check the path",
                )
            })?;
            if meta.is_dir() {
                walk(root, &mut files, &mut tally);
            } else {
                files.push(root.clone());
            }
        }
        scan_files(&files, limit, &mut tally)
    };

    let mut places = places;
    if a.verify {
        let statuses = verify(&places, g).await;
        for p in &mut places {
            p.status = statuses
                .iter()
                .find(|(k, _)| *k == p.finding.key)
                .map(|(_, st)| st.clone());
        }
    }

    let mut out = std::io::stdout().lock();
    let printed = match format {
        ScanFormat::Text => places.iter().try_for_each(|p| {
            let mut line = format!(
                "{}:{}:{}: {}",
                p.path, p.finding.line, p.finding.column, p.finding.redacted
            );
            if let Some(c) = &p.commit {
                line.push_str(&format!(" in commit {}", short(c)));
            }
            if let Some(st) = &p.status {
                line.push_str(&format!(" [{}]", st.text()));
            }
            writeln!(out, "{line}")
        }),
        ScanFormat::Json => {
            let findings: Vec<Value> = places.iter().map(finding_json).collect();
            let v = json!({
                "findings": findings,
                "summary": {
                    "findings": places.len(),
                    "distinct_keys": distinct(&places),
                    "files_scanned": if a.git { Value::Null } else { tally.files.into() },
                },
            });
            writeln!(out, "{v}")
        }
        ScanFormat::Sarif => writeln!(out, "{}", sarif(&places)),
    };
    drop(out);
    printed.map_err(|e| Failure::new(code::USAGE, format!("cannot write the report: {e}"), ""))?;

    if tally.io_errors > 0 {
        let mut f = Failure::new(
            code::USAGE,
            format!(
                "{} file(s) could not be read (see above); the scan is incomplete",
                tally.io_errors
            ),
            "",
        );
        f.reported = true;
        return Err(f);
    }
    if places.is_empty() {
        if matches!(format, ScanFormat::Text) {
            eprintln!("no Noorle API keys found");
        }
        return Ok(());
    }
    let mut f = Failure::new(
        code::GENERIC,
        format!(
            "found {} Noorle API key(s) in {} place(s): revoke them (`noorle api-key revoke ID`) \
             and remove them from the files and history",
            distinct(&places),
            places.len()
        ),
        "",
    );
    f.reported = true;
    Err(f)
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// The number of different keys among the places.
fn distinct(places: &[Place]) -> usize {
    let mut seen: Vec<&ApiKey> = Vec::new();
    for p in places {
        if !seen.contains(&&p.finding.key) {
            seen.push(&p.finding.key);
        }
    }
    seen.len()
}

fn finding_json(p: &Place) -> Value {
    let mut v = json!({
        "path": p.path,
        "line": p.finding.line,
        "column": p.finding.column,
        "access_id": p.finding.access_id,
        "redacted_key": p.finding.redacted,
    });
    match &p.commit {
        Some(c) => v["commit"] = c.as_str().into(),
        None => v["offset"] = p.finding.offset.into(),
    }
    if let Some(st) = &p.status {
        v["status"] = st.label().into();
        v["status_detail"] = st.detail().into();
    }
    v
}

/// A SARIF 2.1.0 log with one rule and one result per place.
fn sarif(places: &[Place]) -> Value {
    let results: Vec<Value> = places
        .iter()
        .map(|p| {
            let st = p.status.as_ref();
            let mut text = format!(
                "Noorle API key {} committed to the source",
                p.finding.redacted
            );
            if let Some(st) = st {
                text.push_str(&format!(" ({})", st.text()));
            }
            let mut fingerprints = json!({ "noorleAccessId/v1": p.finding.access_id });
            let mut props = json!({ "accessId": p.finding.access_id });
            if let Some(c) = &p.commit {
                fingerprints["commitSha/v1"] = c.as_str().into();
                props["commit"] = c.as_str().into();
            }
            if let Some(st) = st {
                props["status"] = st.label().into();
            }
            json!({
                "ruleId": RULE_ID,
                "ruleIndex": 0,
                "level": "error",
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&p.path) },
                        "region": {
                            "startLine": p.finding.line,
                            "startColumn": p.finding.column,
                            "endColumn": p.finding.column + p.finding.len,
                        },
                    },
                }],
                "partialFingerprints": fingerprints,
                "properties": props,
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "noorle-scan",
                "version": noorle::VERSION,
                "informationUri": "https://github.com/noorle/noorle-sdk",
                "rules": [{
                    "id": RULE_ID,
                    "name": "NoorleApiKey",
                    "shortDescription": { "text": "Noorle API key in source" },
                    "fullDescription": { "text": "A Noorle API key (ak- + 32 lowercase hex \
                        characters + a 16 to 128 character secret) is stored in a file or in the \
                        repository's history, where anyone who can read it can use the key." },
                    "help": { "text": "Revoke the key (noorle api-key revoke ID), create a new \
                        one, load it from the environment or a secret manager, and remove the old \
                        one from the history." },
                    "defaultConfiguration": { "level": "error" },
                }],
            }},
            "results": results,
        }],
    })
}

/// A relative path as a SARIF URI: forward slashes, and the characters a URI cannot hold
/// percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The path as shown: without a leading `./`.
fn display(path: &Path) -> String {
    path.strip_prefix(".")
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Every file under `dir`, sorted, without following symbolic links and skipping `.git`.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, tally: &mut Tally) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", dir.display());
            tally.io_errors += 1;
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() {
            if e.file_name() != ".git" {
                walk(&path, files, tally);
            }
        } else if kind.is_file() {
            files.push(path);
        }
    }
}

/// What scanning one file gave: its keys, `None` when skipped, or why it could not be read.
type FileResult = Result<Option<Vec<Finding>>, String>;

/// Scans the files on every core, keeping the order of `files` in the result.
fn scan_files(files: &[PathBuf], limit: u64, tally: &mut Tally) -> Vec<Place> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, FileResult)>> = Mutex::default();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                let r = scan_file(path, limit);
                if let Ok(mut d) = done.lock() {
                    d.push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_by_key(|(i, _)| *i);
    let mut places = Vec::new();
    for (i, r) in done {
        match r {
            Ok(Some(found)) => {
                tally.files += 1;
                let path = display(&files[i]);
                places.extend(found.into_iter().map(|finding| Place {
                    path: path.clone(),
                    commit: None,
                    finding,
                    status: None,
                }));
            }
            Ok(None) => {}
            Err(msg) => {
                eprintln!("error: {msg}");
                tally.io_errors += 1;
            }
        }
    }
    places
}

/// The keys in one file; `None` for a file skipped (binary, or over the size limit).
fn scan_file(path: &Path, limit: u64) -> FileResult {
    let err = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut f = std::fs::File::open(path).map_err(err)?;
    let size = f.metadata().map_err(err)?.len();
    if size > limit {
        eprintln!(
            "note: skipped {} ({size} bytes, over --max-file-size {} MiB)",
            display(path),
            limit / (1024 * 1024)
        );
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    f.read_to_end(&mut bytes).map_err(err)?;
    if memchr_nul(&bytes[..bytes.len().min(BINARY_SNIFF)]) {
        return Ok(None);
    }
    Ok(Some(find_keys(&bytes)))
}

fn memchr_nul(b: &[u8]) -> bool {
    b.contains(&0)
}

/// Every key on a line added by any commit reachable from any ref of the repository at `repo`.
fn scan_history(repo: &Path) -> Result<Vec<Place>, Failure> {
    let io = |what: String| {
        Failure::new(
            code::USAGE,
            what,
            "is git installed, and is the path inside a git repository?",
        )
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "core.quotePath=false",
            "log",
            "--all",
            "-p",
            "--unified=0",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--format=commit %H",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        // git's own messages go straight to the user: a second pipe read only after stdout
        // could fill up and stall git.
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| io(format!("cannot run git: {e}")))?;
    let Some(stdout) = child.stdout.take() else {
        return Err(io("cannot read git's output".into()));
    };
    let prefix = if repo == Path::new(".") {
        String::new()
    } else {
        format!("{}/", repo.display())
    };
    let places = parse_log(BufReader::new(stdout), &prefix)
        .map_err(|e| io(format!("cannot read git's output: {e}")))?;
    let status = child
        .wait()
        .map_err(|e| io(format!("cannot run git: {e}")))?;
    if !status.success() {
        return Err(io(format!(
            "git log failed in {} ({status})",
            repo.display()
        )));
    }
    Ok(places)
}

/// Reads `git log -p --unified=0 --format='commit %H'`: the keys on added (`+`) lines, with the
/// commit, the file and the line number in the new version of the file.
fn parse_log(mut r: impl BufRead, prefix: &str) -> std::io::Result<Vec<Place>> {
    let mut places = Vec::new();
    let mut commit = String::new();
    let mut path: Option<String> = None;
    let mut in_header = false;
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(sha) = line.strip_prefix(b"commit ") {
            commit = String::from_utf8_lossy(sha).into_owned();
            path = None;
            in_header = false;
        } else if line.starts_with(b"diff --git ") {
            path = None;
            in_header = true;
        } else if line.starts_with(b"@@ ") {
            in_header = false;
            line_no = hunk_start(line).unwrap_or(0);
        } else if in_header {
            if let Some(p) = line.strip_prefix(b"+++ ") {
                path = new_path(p);
            }
        } else if let Some(added) = line.strip_prefix(b"+") {
            if let Some(p) = &path {
                for mut finding in find_keys(added) {
                    finding.line = line_no;
                    places.push(Place {
                        path: format!("{prefix}{p}"),
                        commit: Some(commit.clone()),
                        finding,
                        status: None,
                    });
                }
            }
            line_no += 1;
        }
    }
    Ok(places)
}

/// The first line of the new side of a hunk: `@@ -a,b +c,d @@` gives c.
fn hunk_start(line: &[u8]) -> Option<usize> {
    let s = std::str::from_utf8(line).ok()?;
    let new = s.split(' ').find_map(|w| w.strip_prefix('+'))?;
    new.split(',').next()?.parse().ok()
}

/// The path of `+++ b/PATH` (`None` for `/dev/null`, a deleted file). Git quotes unusual names
/// and adds a tab after names with spaces.
fn new_path(p: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(p);
    let s = s.trim_end_matches('\t');
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    s.strip_prefix("b/").map(str::to_owned)
}

/// Asks the API, with each distinct key in turn, who it is: a 401 means the key no longer works.
async fn verify(places: &[Place], g: &Global) -> Vec<(ApiKey, Status)> {
    let mut out: Vec<(ApiKey, Status)> = Vec::new();
    for p in places {
        let key = &p.finding.key;
        if out.iter().any(|(k, _)| k == key) {
            continue;
        }
        // Only this key: no file, profile or environment key may stand in for it.
        let mut b = Client::builder()
            .load_options(LoadOptions::default())
            .api_key(key.clone())
            .max_retries(g.max_retries)
            .sdk_language("cli");
        if let Some(url) = &g.base_url {
            b = b.base_url(url);
        }
        let status = match b.build() {
            Err(e) => Status::Unknown(one_line(&e.to_string())),
            Ok(client) => match client.whoami().await {
                Ok(_) => Status::Live,
                Err(e) if e.kind() == ErrorKind::Authentication => Status::NotLive(
                    e.details()
                        .and_then(|d| d.get("reason"))
                        .and_then(Value::as_str)
                        .or(e.code())
                        .unwrap_or("unauthorized")
                        .to_owned(),
                ),
                Err(e) => Status::Unknown(format!(
                    "{}: {}",
                    e.kind().as_str(),
                    one_line(&e.to_string())
                )),
            },
        };
        out.push((key.clone(), status));
    }
    out
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

    #[test]
    fn parses_added_lines_of_a_log() {
        let log = format!(
            "commit 1111\n\ndiff --git a/x b/x\nnew file mode 100644\nindex 0..1\n--- /dev/null\n\
             +++ b/x\n@@ -0,0 +1,3 @@\n+a\n+b\n+key = {KEY}\n\
             commit 2222\n\ndiff --git a/x b/x\nindex 1..2\n--- a/x\n+++ b/x\n@@ -3 +2,0 @@\n-key = {KEY}\n\
             diff --git \"a/we ird\" \"b/we ird\"\n--- /dev/null\n+++ \"b/we ird\"\t\n@@ -0,0 +7 @@\n+++ {KEY}\n"
        );
        let places = parse_log(log.as_bytes(), "").unwrap();
        let got: Vec<_> = places
            .iter()
            .map(|p| {
                (
                    p.path.as_str(),
                    p.commit.as_deref().unwrap(),
                    p.finding.line,
                    p.finding.column,
                )
            })
            .collect();
        assert_eq!(got, [("x", "1111", 3, 7), ("we ird", "2222", 7, 4)]);
    }

    #[test]
    fn sarif_uris_are_encoded() {
        assert_eq!(uri("a b/c%d.rs"), "a%20b/c%25d.rs");
        assert_eq!(uri(r"dir\f.txt"), "dir/f.txt");
    }
}
