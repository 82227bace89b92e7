//! A credential command: a program (a secret manager's CLI) that prints the key on stdout, as
//! plain text or as JSON `{"api_key": "...", "expires_at": "RFC 3339" | null}`.
//!
//! It is run directly (argv[0] looked up on `PATH`, never through a shell), with stdin closed,
//! in a process group of its own so that a timeout kills whatever it started too. Errors name
//! the program (argv[0] only: arguments may be secret), where it was configured, the exit status
//! and a redacted excerpt of stderr; never stdout, which may hold a key.

use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::error::{redact_keys_in, Error, Result};
use crate::key::ApiKey;
use crate::timestamp::Timestamp;

/// The variable holding a credential command: a JSON array of strings.
pub const ENV_API_KEY_COMMAND: &str = "NOORLE_API_KEY_COMMAND";
/// How long a credential command may run by default.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A command printing more than this on stdout is refused: it cannot be a key.
pub const MAX_COMMAND_OUTPUT_BYTES: usize = 64 * 1024;
// Of stderr, this much is kept, and this much of that shown in an error.
const STDERR_KEPT: usize = 8 * 1024;
const STDERR_SHOWN: usize = 1024;

/// A configured credential command.
#[derive(Clone)]
pub(crate) struct KeyCommand {
    argv: Vec<String>,
    timeout: Duration,
    /// Where it was configured, e.g. `$NOORLE_API_KEY_COMMAND`.
    origin: String,
}

/// What one run of a credential command gave.
pub(crate) struct CommandOutput {
    pub(crate) key: ApiKey,
    pub(crate) expires_at: Option<Timestamp>,
}

#[derive(Deserialize)]
struct JsonOutput {
    api_key: String,
    #[serde(default)]
    expires_at: Option<String>,
}

/// Parses the value of `NOORLE_API_KEY_COMMAND`: a JSON array of strings.
pub(crate) fn parse_env_argv(text: &str) -> Result<Vec<String>> {
    match serde_json::from_str::<Vec<String>>(text) {
        Ok(argv) => Ok(argv),
        Err(_) => Err(Error::config(format!(
            "{ENV_API_KEY_COMMAND} must be a JSON array of strings, the program and its \
             arguments, e.g. [\"op\", \"read\", \"op://vault/noorle/key\"]"
        ))),
    }
}

impl std::fmt::Debug for KeyCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Arguments may be secret: the program only.
        f.debug_struct("KeyCommand")
            .field("program", &self.program())
            .field("timeout", &self.timeout)
            .field("origin", &self.origin)
            .finish()
    }
}

impl KeyCommand {
    /// A command from its argv; an empty argv or program is a configuration error.
    pub(crate) fn new(argv: Vec<String>, timeout: Duration, origin: String) -> Result<Self> {
        if argv.first().is_none_or(String::is_empty) {
            return Err(Error::config(format!(
                "the credential command from {origin} is empty; give the program and its \
                 arguments, e.g. [\"op\", \"read\", \"op://vault/noorle/key\"]"
            )));
        }
        Ok(Self {
            argv,
            timeout,
            origin,
        })
    }

    /// argv[0], as configured.
    pub(crate) fn program(&self) -> &str {
        &self.argv[0]
    }

    fn fail(&self, what: &str, stderr: &[u8]) -> Error {
        let mut msg = format!(
            "the credential command {} (from {}) {what}",
            self.program(),
            self.origin
        );
        let shown = stderr_excerpt(stderr);
        if !shown.is_empty() {
            msg.push_str("; its stderr: ");
            msg.push_str(&shown);
        }
        Error::config(msg)
    }

    /// Runs the command and reads the key it prints. Blocks the calling thread for up to the
    /// timeout: async callers run it on the blocking pool.
    pub(crate) fn run(&self) -> Result<CommandOutput> {
        let mut cmd = std::process::Command::new(self.program());
        cmd.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                "was not found (looked up on PATH)".to_owned()
            } else {
                format!("could not be started: {e}")
            };
            self.fail(&what, b"")
        })?;
        // A huge timeout would overflow the instant: a year is as good as forever here.
        let deadline = Instant::now() + self.timeout.min(Duration::from_secs(365 * 24 * 3600));
        let (out_tx, out_rx) = mpsc::channel();
        let (err_tx, err_rx) = mpsc::channel();
        if let Some(mut out) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(4096));
                let cap = MAX_COMMAND_OUTPUT_BYTES as u64 + 1;
                let r = (&mut out).take(cap).read_to_end(&mut buf);
                // Closing the pipe here stops a runaway writer (EPIPE) instead of draining it.
                drop(out);
                let _ = out_tx.send(r.map(|_| buf));
            });
        }
        if let Some(err) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut err = err;
                let _ = (&mut err).take(STDERR_KEPT as u64).read_to_end(&mut buf);
                // Drain the rest so the program never blocks on a full stderr pipe.
                let _ = std::io::copy(&mut err, &mut std::io::sink());
                let _ = err_tx.send(buf);
            });
        }

        let status = wait_until(&mut child, deadline);
        let Some(status) = status else {
            kill(&mut child);
            let stderr = err_rx
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_default();
            return Err(self.fail(
                &format!(
                    "did not finish within its timeout of {:?} and was killed",
                    self.timeout
                ),
                &stderr,
            ));
        };
        // A background process it left behind may still hold the pipes open: wait for them
        // until the deadline, then end its process group.
        let left = deadline.saturating_duration_since(Instant::now());
        let stdout = match out_rx.recv_timeout(left) {
            Ok(r) => Some(r),
            Err(_) => {
                kill(&mut child);
                out_rx.recv_timeout(Duration::from_secs(1)).ok()
            }
        };
        let stderr = err_rx
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_default();
        // Checked before the status: a runaway writer dies of SIGPIPE once its pipe is closed.
        if let Some(Ok(bytes)) = &stdout {
            if bytes.len() > MAX_COMMAND_OUTPUT_BYTES {
                return Err(self.fail(
                    &format!(
                        "printed more than {MAX_COMMAND_OUTPUT_BYTES} bytes on stdout; a key is one line"
                    ),
                    &stderr,
                ));
            }
        }
        if !status.success() {
            return Err(self.fail(&describe(status), &stderr));
        }
        let stdout = match stdout {
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => return Err(self.fail(&format!("cannot be read from: {e}"), &stderr)),
            None => {
                return Err(self.fail(
                    "exited but left its output open (a background process holding stdout?)",
                    &stderr,
                ))
            }
        };
        self.parse_output(&stdout, &stderr)
    }

    fn parse_output(&self, stdout: &[u8], stderr: &[u8]) -> Result<CommandOutput> {
        let Ok(text) = std::str::from_utf8(stdout) else {
            return Err(self.fail("printed something that is not UTF-8 text on stdout", stderr));
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(self.fail(
                "printed nothing on stdout; it must print the key there (plain text, or JSON \
                 {\"api_key\": ..., \"expires_at\": ...})",
                stderr,
            ));
        }
        let origin = || {
            Some(format!(
                "the output of the credential command {} (from {})",
                self.program(),
                self.origin
            ))
        };
        if text.starts_with('{') {
            // serde's message may quote the output: only the position is kept.
            let out: JsonOutput = serde_json::from_str(text).map_err(|e| {
                self.fail(
                    &format!(
                        "printed JSON that is not {{\"api_key\": \"...\", \"expires_at\": \
                         \"RFC 3339\" | null}} (at line {}, column {})",
                        e.line(),
                        e.column()
                    ),
                    b"",
                )
            })?;
            let raw = zeroize::Zeroizing::new(out.api_key);
            let key = ApiKey::parse_loaded(&raw).map_err(|error| Error::InvalidApiKey {
                error,
                origin: origin(),
            })?;
            let expires_at = match out.expires_at.as_deref() {
                None => None,
                Some(s) => Some(Timestamp::parse(s).map_err(|_| {
                    self.fail(
                        "printed an expires_at that is not an RFC 3339 timestamp",
                        b"",
                    )
                })?),
            };
            return Ok(CommandOutput { key, expires_at });
        }
        if text.lines().count() > 1 {
            return Err(self.fail(
                "printed more than one line on stdout; it must print the key alone",
                b"",
            ));
        }
        let key = ApiKey::parse_loaded(text).map_err(|error| Error::InvalidApiKey {
            error,
            origin: origin(),
        })?;
        Ok(CommandOutput {
            key,
            expires_at: None,
        })
    }
}

// Polls for the exit until the deadline (std has no wait with a timeout); None when it passed.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => return None,
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

// Kills the command and everything in its process group, and reaps it.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill has no memory preconditions; the group is the one made at spawn.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("was killed by signal {sig}");
        }
    }
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("failed ({status})"),
    }
}

/// Up to 1 KiB of stderr, keys redacted (before shortening, so no cut key escapes the redactor).
fn stderr_excerpt(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let red = redact_keys_in(text.trim());
    if red.len() <= STDERR_SHOWN {
        return red;
    }
    let mut end = STDERR_SHOWN;
    while !red.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &red[..end])
}
