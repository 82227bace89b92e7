//! `noorle doctor`: where the key comes from, the file's mode, the format verdict, the base URL
//! and the server's view of the key, with a fix for each problem. Never prints the secret.
//!
//! The mode check is Unix only: on Windows access to a file is governed by ACLs, which are not
//! inspected, so `mode` and `private` are reported as unknown (`null`) and no mode problem is
//! raised (the same rule as the core's loader).
use std::path::{Path, PathBuf};
use std::time::Duration;

use noorle::models::ApiKeyRecord;
use noorle::{
    load_api_key, Client, Error, KeySource, LoadedKey, SourceKind, DEFAULT_BASE_URL, ENV_BASE_URL,
};
use serde::Serialize;
use serde_json::{json, Value};

use crate::args::Global;
use crate::context;
use crate::duration::{self, format_duration};
use crate::fail::{code, exit_code, hint_for, Failure};
use crate::output;

#[derive(Debug, Serialize)]
struct Problem {
    check: &'static str,
    /// `error` fails the setup; `warning` works but should be fixed.
    severity: &'static str,
    message: String,
    fix: String,
    #[serde(skip)]
    exit: u8,
}

impl Problem {
    fn error(check: &'static str, e: &Error) -> Self {
        Self {
            check,
            severity: "error",
            message: one_line(&e.to_string()),
            fix: hint_for(e),
            exit: exit_code(e.kind()),
        }
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Serialize)]
struct FileCheck {
    path: PathBuf,
    mode: Option<String>,
    private: Option<bool>,
}

pub async fn run(g: &Global) -> Result<(), Failure> {
    let opts = context::load_options(g);
    let mut problems = Vec::new();
    let loaded = load_api_key(&opts);

    // 1. Which source (the chain's answer, or the source it was reading when it failed).
    let source = match &loaded {
        Ok(l) => Some(l.source.clone()),
        Err(Error::CredentialsNotFound(_)) => None,
        Err(_) => noorle::locate_api_key(&opts).ok(),
    };

    // 2. The file and its mode.
    let file = source
        .as_ref()
        .and_then(|s| s.path.clone())
        .map(|p| check_file(&p, &mut problems));

    // 3. The format verdict.
    let format = match &loaded {
        Ok(l) => json!({ "valid": true, "key": l.key.redacted() }),
        Err(e) => {
            problems.push(Problem::error("key", e));
            match e {
                Error::InvalidApiKey { error, .. } => json!({
                    "valid": false,
                    "code": error.code().as_str(),
                    "position": error.position(),
                    "message": error.message(),
                }),
                _ => json!({ "valid": Value::Null, "message": one_line(&e.to_string()) }),
            }
        }
    };

    // 4. The base URL and where it came from.
    let (base_url, url_from) = resolve_base_url(g, loaded.as_ref().ok());

    // 5. The server's view of the key.
    let server = match &loaded {
        Ok(l) => match server_view(g, l, &base_url).await {
            Ok(me) => {
                status_problems(&me, &mut problems);
                age_problems(&me, file.as_ref().map(|f| f.path.as_path()), &mut problems);
                Ok(me)
            }
            Err(e) => {
                problems.push(Problem::error("server", &e));
                Err(e)
            }
        },
        Err(_) => Err(Error::config("no usable key to check")),
    };

    if g.json {
        let server_json = match (&server, &loaded) {
            (Ok(me), _) => json!({ "ok": true, "api_key": me }),
            (Err(e), Ok(_)) => json!({ "ok": false, "error": e.to_info() }),
            (Err(_), Err(_)) => json!({ "ok": false, "checked": false }),
        };
        output::json(&json!({
            "ok": problems.is_empty(),
            "source": source,
            "searched": loaded.as_ref().err().and_then(|e| e.searched()),
            "file": file,
            "format": format,
            "base_url": { "url": base_url, "from": url_from },
            "server": server_json,
            "problems": problems,
        }));
    } else {
        let mut lines: Vec<(&str, String)> = Vec::new();
        lines.push((
            "key source",
            match &source {
                Some(s) => describe_source(s),
                None => "none found".into(),
            },
        ));
        if let Some(f) = &file {
            lines.push((
                "key file",
                format!(
                    "{} (mode {})",
                    f.path.display(),
                    f.mode.as_deref().unwrap_or("unknown")
                ),
            ));
        }
        lines.push((
            "format",
            match &loaded {
                Ok(l) => format!("valid ({})", l.key.redacted()),
                Err(Error::InvalidApiKey { error, .. }) => format!(
                    "invalid: rule {} broken at position {}",
                    error.code(),
                    error.position()
                ),
                Err(_) => "not checked".into(),
            },
        ));
        lines.push(("base URL", format!("{base_url} (from {url_from})")));
        match &server {
            Ok(me) => {
                lines.push(("server", format!("knows the key: '{}'", me.name)));
                lines.push(("  owner", output::owner(me)));
                lines.push(("  scope", output::scope(&me.scope)));
                lines.push(("  permissions", output::permissions(me)));
                lines.push(("  status", me.status.to_string()));
                lines.push((
                    "  created",
                    format!(
                        "{} ({} ago)",
                        me.created_at,
                        format_duration(duration::age(&me.created_at))
                    ),
                ));
                lines.push((
                    "  expires",
                    me.expires_at
                        .as_ref()
                        .map_or_else(|| "never".into(), ToString::to_string),
                ));
                lines.push((
                    "  last used",
                    me.last_used_at
                        .as_ref()
                        .map_or_else(|| "never".into(), ToString::to_string),
                ));
            }
            Err(e) if loaded.is_ok() => lines.push(("server", format!("error: {}", e.kind()))),
            Err(_) => lines.push(("server", "not checked (no usable key)".into())),
        }
        output::pairs(&lines);
        if let Err(e) = &loaded {
            if let Some(searched) = e.searched() {
                println!("looked in, in order:");
                for (i, p) in searched.iter().enumerate() {
                    println!("  {}. {p}", i + 1);
                }
            }
        }
        if problems.is_empty() {
            println!("no problems found");
        } else {
            println!("problems:");
            for p in &problems {
                println!("  - [{}] {}: {}", p.check, p.severity, p.message);
                println!("    fix: {}", p.fix);
            }
        }
    }

    // Errors decide the exit code; warnings alone exit 1.
    match problems.iter().find(|p| p.severity == "error") {
        Some(p) => Err(quiet(p.exit)),
        None if !problems.is_empty() => Err(quiet(code::GENERIC)),
        None => Ok(()),
    }
}

/// A failure already explained by the report above.
fn quiet(exit: u8) -> Failure {
    Failure {
        code: exit,
        message: "noorle doctor found problems (listed above)".into(),
        hint: None,
        extra: Vec::new(),
        info: None,
        reported: true,
    }
}

fn describe_source(s: &KeySource) -> String {
    let what = match s.kind {
        SourceKind::Explicit => "given explicitly",
        SourceKind::File => "the file given with --api-key-file",
        SourceKind::Env => "an environment variable",
        SourceKind::EnvFile => "the file named by an environment variable",
        SourceKind::CredentialsDir => "the systemd credentials folder",
        SourceKind::DockerSecret => "a Docker secret",
        SourceKind::Profile => "a profile",
        _ => "another source",
    };
    format!("{} ({what})", s)
}

fn check_file(path: &Path, problems: &mut Vec<Problem>) -> FileCheck {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem {
                check: "file",
                severity: "error",
                message: format!("cannot read {}: {e}", path.display()),
                fix: "check the path, and that the file exists and is readable by you".into(),
                exit: code::KEY_OR_CONFIG,
            });
            return FileCheck {
                path: path.to_owned(),
                mode: None,
                private: None,
            };
        }
    };
    check_mode(path, &meta, problems)
}

#[cfg(not(unix))]
fn check_mode(path: &Path, _meta: &std::fs::Metadata, _problems: &mut [Problem]) -> FileCheck {
    FileCheck {
        path: path.to_owned(),
        mode: None,
        private: None,
    }
}

#[cfg(unix)]
fn check_mode(path: &Path, meta: &std::fs::Metadata, problems: &mut Vec<Problem>) -> FileCheck {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    let fix = format!("chmod 600 {}", path.display());
    if mode & 0o002 != 0 {
        // The loader refuses it and reports that too; this entry adds the fix.
        problems.push(Problem {
            check: "file",
            severity: "error",
            message: format!(
                "{} is world-writable (mode {mode:03o}): anyone could replace the key",
                path.display()
            ),
            fix: fix.clone(),
            exit: code::KEY_OR_CONFIG,
        });
    } else if mode & 0o077 != 0 {
        problems.push(Problem {
            check: "file",
            severity: "warning",
            message: format!(
                "{} is readable by group or others (mode {mode:03o})",
                path.display()
            ),
            fix,
            exit: code::GENERIC,
        });
    }
    FileCheck {
        path: path.to_owned(),
        mode: Some(format!("{mode:03o}")),
        private: Some(mode & 0o077 == 0),
    }
}

fn resolve_base_url(g: &Global, loaded: Option<&LoadedKey>) -> (String, String) {
    if let Some(u) = &g.base_url {
        return (u.clone(), "--base-url".into());
    }
    if let Some(u) = std::env::var(ENV_BASE_URL).ok().filter(|u| !u.is_empty()) {
        return (u, format!("${ENV_BASE_URL}"));
    }
    if let Some(u) = loaded.and_then(|l| l.base_url.clone()) {
        return (u, "the profile".into());
    }
    (DEFAULT_BASE_URL.to_owned(), "the default".into())
}

async fn server_view(g: &Global, l: &LoadedKey, base_url: &str) -> Result<ApiKeyRecord, Error> {
    let client = Client::builder()
        .no_ambient_config()
        .api_key(l.key.clone())
        .base_url(base_url)
        .max_retries(g.max_retries)
        .timeout(Duration::from_secs(15))
        .connect_timeout(Duration::from_secs(5))
        .sdk_language("cli")
        .build()?;
    client.whoami().await
}

/// A key the server accepts can still be close to trouble.
fn status_problems(me: &ApiKeyRecord, problems: &mut Vec<Problem>) {
    if let Some(until) = &me.revoked_at {
        problems.push(Problem {
            check: "server",
            severity: "warning",
            message: format!("the key was rotated and stops working at {until}"),
            fix: "switch to the new key before then".into(),
            exit: code::GENERIC,
        });
    }
}

/// Monthly rotation is recommended: a key in use for longer gets a warning.
pub const ROTATE_AFTER: Duration = Duration::from_secs(30 * 86_400);

fn age_problems(me: &ApiKeyRecord, file: Option<&Path>, problems: &mut Vec<Problem>) {
    let age = duration::age(&me.created_at);
    if age <= ROTATE_AFTER {
        return;
    }
    let target = file.map_or_else(|| "FILE".into(), |p| p.display().to_string());
    problems.push(Problem {
        check: "age",
        severity: "warning",
        message: format!(
            "the key is {} old (created {}); monthly rotation is recommended",
            format_duration(age),
            me.created_at
        ),
        fix: format!(
            "noorle api-key rotate --if-older-than 30d --write-to {target} --grace 1h \
             (safe to run hourly from cron; see examples/rotation)"
        ),
        exit: code::GENERIC,
    });
}
