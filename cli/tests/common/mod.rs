//! Test helpers: one local server per test binary, and a way to run the real `noorle` binary in
//! an isolated environment (its own HOME, no ambient NOORLE_* variables).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // helpers panic on purpose

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::Value;

pub struct Server {
    pub base_url: String,
    pub root_key: String,
}

/// The harness's server when `scripts/with-devserver` set one up, else one started in-process
/// (with fault injection) that lives as long as the test binary.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let (Ok(base_url), Ok(root_key)) = (
            std::env::var("NOORLE_BASE_URL"),
            std::env::var("NOORLE_DEV_ROOT_KEY"),
        ) {
            if !base_url.is_empty() && !root_key.is_empty() {
                return Server { base_url, root_key };
            }
        }
        let rt = Box::leak(Box::new(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime"),
        ));
        let running = rt
            .block_on(noorle_dev_server::start(noorle_dev_server::Config {
                fault_injection: true,
                ..Default::default()
            }))
            .expect("start the dev server");
        let s = Server {
            base_url: running.base_url(),
            root_key: running
                .root_key()
                .expect("a fresh server has a root key")
                .to_owned(),
        };
        // Dropping the handle would stop the server; keep it for the whole process.
        Box::leak(Box::new(running));
        s
    })
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "unexpected exit code; output: {self:#?}"
        );
        self
    }

    /// Asserts that neither stream holds the secret.
    pub fn no_secret(&self, key: &str) -> &Self {
        let secret = secret_of(key);
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "the secret leaked: {self:#?}"
        );
        self
    }
}

/// The part of a key after `ak-` and the 32-character access id.
pub fn secret_of(key: &str) -> &str {
    &key[35..]
}

/// The access id of a key.
pub fn id_of(key: &str) -> &str {
    &key[3..35]
}

/// An isolated environment: its own HOME, the server's base URL, no ambient key.
pub struct Env {
    pub home: tempfile::TempDir,
    pub vars: Vec<(String, String)>,
}

impl Env {
    pub fn new() -> Self {
        let home = tempfile::tempdir().expect("temp home");
        let vars = vec![
            ("HOME".into(), home.path().display().to_string()),
            ("NOORLE_BASE_URL".into(), server().base_url.clone()),
        ];
        Self { home, vars }
    }

    /// The same environment with `NOORLE_API_KEY` set.
    pub fn with_key(key: &str) -> Self {
        let mut e = Self::new();
        e.set("NOORLE_API_KEY", key);
        e
    }

    pub fn set(&mut self, k: &str, v: &str) {
        self.vars.retain(|(name, _)| name != k);
        self.vars.push((k.into(), v.into()));
    }

    pub fn unset(&mut self, k: &str) {
        self.vars.retain(|(name, _)| name != k);
    }

    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::cargo::cargo_bin_cmd!("noorle");
        for v in [
            "NOORLE_API_KEY",
            "NOORLE_API_KEY_FILE",
            "NOORLE_PROFILE",
            "NOORLE_BASE_URL",
            "NOORLE_LOG",
            "NOORLE_DEV_ROOT_KEY",
            "CREDENTIALS_DIRECTORY",
        ] {
            c.env_remove(v);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Out {
        self.run_stdin(args, "")
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let o = self
            .cmd()
            .args(args)
            .write_stdin(stdin)
            .output()
            .expect("run noorle");
        Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }
}

/// Creates a service account with the root key; returns (its id, its first key).
pub fn service_account(role: &str) -> (String, String) {
    let root = Env::with_key(&server().root_key);
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("cli-test-{}-{n}", std::process::id());
    let out = root.run(&[
        "service-account",
        "create",
        "--name",
        &name,
        "--role",
        role,
        "--json",
    ]);
    out.code(0);
    let v = out.json();
    let id = v["service_account"]["id"]
        .as_str()
        .expect("sa id")
        .to_owned();
    let key = v["key"].as_str().expect("key").to_owned();
    (id, key)
}

/// Writes `text` to a file in `dir` with `mode` (on Unix; elsewhere the default access).
pub fn write_file(dir: &Path, name: &str, text: &str, mode: u32) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    set_mode(&p, mode);
    p
}

#[cfg(unix)]
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
pub fn set_mode(_path: &Path, _mode: u32) {}

/// The permission bits of a file or folder.
#[cfg(unix)]
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// One bare HTTP/1.1 request to the server's `/_dev` endpoints; returns the whole answer.
fn dev_request(method: &str, path: &str, body: &str) -> String {
    let addr = server().base_url.trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    answer
}

/// Queues a fault on the server (`POST /_dev/faults`).
pub fn inject_fault(body: &Value) {
    let answer = dev_request("POST", "/_dev/faults", &body.to_string());
    assert!(
        answer.starts_with("HTTP/1.1 201"),
        "fault not queued: {answer}"
    );
}

/// The requests the server logged from `access_id` to `path`, oldest first.
pub fn requests(access_id: &str, path: &str) -> Vec<Value> {
    let answer = dev_request(
        "GET",
        &format!("/_dev/requests?access_id={access_id}&path={path}"),
        "",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").expect("a body");
    let v: Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"));
    v["requests"].as_array().expect("requests").clone()
}
