//! Finding the key: the loading chain of contract section 3.

//!
//! File permissions: on Unix a key or credentials file that anyone may write is refused and one
//! that others may read gets a warning (ssh's rule). Windows has no such mode bits (ACLs decide),
//! so there these checks are skipped; the regular-file and size checks apply everywhere.
//!
//! This module holds the loader's options and records; `chain` runs the chain, `files` reads key
//! and credentials files, `write` stores them.

mod chain;
mod command;
mod files;
mod write;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::key::ApiKey;
use crate::redact::{command_debug, debug_redacted};
use crate::timestamp::Timestamp;

pub use chain::{credentials_path, load_api_key, locate_api_key};
pub(crate) use command::{CommandOutput, KeyCommand};
pub use command::{DEFAULT_COMMAND_TIMEOUT, ENV_API_KEY_COMMAND, MAX_COMMAND_OUTPUT_BYTES};
pub use files::read_key_file;
#[cfg(test)]
pub(crate) use files::AFTER_READ;
pub(crate) use files::{read_key_file_stamped, FileStamp};
pub use write::{write_key_file, write_profile};

/// The variable holding the key.
pub const ENV_API_KEY: &str = "NOORLE_API_KEY";
/// The variable holding the path of a file with the key.
pub const ENV_API_KEY_FILE: &str = "NOORLE_API_KEY_FILE";
/// The variable choosing the profile.
pub const ENV_PROFILE: &str = "NOORLE_PROFILE";
/// The variable overriding the base URL.
pub const ENV_BASE_URL: &str = "NOORLE_BASE_URL";
/// systemd's credentials folder (`LoadCredential=`).
pub const ENV_CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";
/// The file name of the key in a credentials or secrets folder.
pub const SECRET_FILE_NAME: &str = "noorle_api_key";
/// Where Docker and Compose mount secrets.
pub const DOCKER_SECRET_PATH: &str = "/run/secrets/noorle_api_key";
/// A key file larger than this is refused: it cannot be a key.
pub const MAX_KEY_FILE_BYTES: u64 = 4096;
/// A credentials file larger than this is refused: profiles are a few lines each.
pub const MAX_CREDENTIALS_FILE_BYTES: u64 = 64 * 1024;

/// Where the loader reads environment variables from.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Env {
    /// The process environment.
    #[default]
    Process,
    /// A fixed set of variables (tests, embedding).
    Map(HashMap<String, String>),
    /// No environment at all.
    Empty,
}

impl Env {
    /// A variable's value; empty values count as unset.
    pub fn var(&self, name: &str) -> Option<String> {
        let v = match self {
            Self::Process => std::env::var(name).ok(),
            Self::Map(m) => m.get(name).cloned(),
            Self::Empty => None,
        };
        v.filter(|v| !v.is_empty())
    }

    /// Like [`Env::var`], but a value that is not valid UTF-8 is an error instead of "unset"
    /// (the value is not shown: it may be a secret).
    pub fn var_checked(&self, name: &str) -> Result<Option<String>> {
        if let Self::Process = self {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(Error::config(format!(
                    "the environment variable {name} is set but is not valid UTF-8; \
                     fix or unset it"
                )));
            }
        }
        Ok(self.var(name))
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values may be secrets: show only the variable names.
        match self {
            Self::Process => f.write_str("Env::Process"),
            Self::Map(m) => f
                .debug_tuple("Env::Map")
                .field(&m.keys().collect::<Vec<_>>())
                .finish(),
            Self::Empty => f.write_str("Env::Empty"),
        }
    }
}

/// Options of [`load_api_key`]. The default reads the process environment and the usual files.
/// `Debug` shows the key redacted, the command's program only, and nothing key-shaped.
#[derive(Clone)]
#[non_exhaustive]
pub struct LoadOptions {
    /// A key given directly: wins over everything.
    pub api_key: Option<ApiKey>,
    /// A key file given directly: wins over the environment.
    pub api_key_file: Option<PathBuf>,
    /// A credential command given directly (the program and its arguments): wins over the
    /// environment.
    pub api_key_command: Option<Vec<String>>,
    /// How long a credential command, from any source, may run (default 30 s).
    pub api_key_command_timeout: Option<Duration>,
    /// The profile to read from the credentials file (else `NOORLE_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// Where environment variables come from.
    pub env: Env,
    /// The credentials file (default `~/.noorle/credentials`: `$HOME`, else the platform's home
    /// directory).
    pub credentials_file: Option<PathBuf>,
    /// The Docker secret path; `None` skips it.
    pub docker_secret: Option<PathBuf>,
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = self;
        debug_redacted(f, |f| {
            f.debug_struct("LoadOptions")
                .field("api_key", &o.api_key)
                .field("api_key_file", &o.api_key_file)
                .field(
                    "api_key_command",
                    &o.api_key_command.as_deref().map(command_debug),
                )
                .field("api_key_command_timeout", &o.api_key_command_timeout)
                .field("profile", &o.profile)
                .field("env", &o.env)
                .field("credentials_file", &o.credentials_file)
                .field("docker_secret", &o.docker_secret)
                .finish()
        })
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            api_key: None,
            api_key_file: None,
            api_key_command: None,
            api_key_command_timeout: None,
            profile: None,
            env: Env::Process,
            credentials_file: None,
            docker_secret: Some(PathBuf::from(DOCKER_SECRET_PATH)),
        }
    }
}

impl LoadOptions {
    /// A key given directly: wins over everything.
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.api_key = Some(key);
        self
    }
    /// A key file given directly: wins over the environment.
    pub fn api_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.api_key_file = Some(path.into());
        self
    }
    /// A credential command (program and arguments, never a shell string): wins over the
    /// environment.
    pub fn api_key_command<S: Into<String>>(mut self, argv: impl IntoIterator<Item = S>) -> Self {
        self.api_key_command = Some(argv.into_iter().map(Into::into).collect());
        self
    }
    /// How long a credential command may run before it is killed (default 30 s).
    pub fn api_key_command_timeout(mut self, timeout: Duration) -> Self {
        self.api_key_command_timeout = Some(timeout);
        self
    }
    /// The profile to read from the credentials file.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }
    /// Where environment variables come from.
    pub fn env(mut self, env: Env) -> Self {
        self.env = env;
        self
    }
    /// The credentials file, instead of `~/.noorle/credentials`.
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.credentials_file = Some(path.into());
        self
    }
    /// The Docker secret path; `None` skips it.
    pub fn docker_secret(mut self, path: Option<PathBuf>) -> Self {
        self.docker_secret = path;
        self
    }

    /// Options that read nothing ambient: only what is set explicitly (a key, a file, or a
    /// credentials file with a profile).
    pub fn explicit_only() -> Self {
        Self {
            env: Env::Empty,
            docker_secret: None,
            ..Self::default()
        }
    }
}

/// Which source a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceKind {
    /// Passed directly.
    Explicit,
    /// A key file passed directly.
    File,
    /// `NOORLE_API_KEY`.
    Env,
    /// The file named by `NOORLE_API_KEY_FILE`.
    EnvFile,
    /// `$CREDENTIALS_DIRECTORY/noorle_api_key`.
    CredentialsDir,
    /// `/run/secrets/noorle_api_key`.
    DockerSecret,
    /// A profile of `~/.noorle/credentials`.
    Profile,
    /// A credential command (the `api_key_command` option, `NOORLE_API_KEY_COMMAND` or a
    /// profile's `api_key_command`).
    Command,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Explicit => "explicit",
            Self::File => "file",
            Self::Env => "env",
            Self::EnvFile => "env_file",
            Self::CredentialsDir => "credentials_dir",
            Self::DockerSecret => "docker_secret",
            Self::Profile => "profile",
            Self::Command => "command",
        }
    }
}

/// Where a key came from: the kind, and the variable name, path or profile. Never the value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct KeySource {
    pub kind: SourceKind,
    /// The environment variable, when one was involved.
    pub variable: Option<String>,
    /// The file, when the key was read from one.
    pub path: Option<PathBuf>,
    /// The profile name, for `profile` (and `command` configured in a profile).
    pub profile: Option<String>,
    /// The program (argv[0] only), for `command`.
    pub program: Option<String>,
}

impl KeySource {
    fn new(kind: SourceKind) -> Self {
        Self {
            kind,
            variable: None,
            path: None,
            profile: None,
            program: None,
        }
    }

    /// A key passed directly.
    pub fn explicit() -> Self {
        Self::new(SourceKind::Explicit)
    }

    /// Whether the key lives in a file that may change (and so is re-read).
    pub fn is_file(&self) -> bool {
        matches!(
            self.kind,
            SourceKind::File
                | SourceKind::EnvFile
                | SourceKind::CredentialsDir
                | SourceKind::DockerSecret
        )
    }
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(program) = &self.program {
            return write!(f, "command {program} (from {})", self.configured_in());
        }
        f.write_str(self.kind.as_str())?;
        if let Some(v) = &self.variable {
            write!(f, " ${v}")?;
        }
        if let Some(p) = &self.path {
            write!(f, " {}", p.display())?;
        }
        if let Some(p) = &self.profile {
            write!(f, " [profile {p}]")?;
        }
        Ok(())
    }
}

impl KeySource {
    /// Where a command was configured: `$VARIABLE`, `path [profile p]` or the option.
    pub(crate) fn configured_in(&self) -> String {
        match (&self.variable, &self.path, &self.profile) {
            (Some(v), _, _) => format!("${v}"),
            (None, Some(p), Some(profile)) => format!("{} [profile {profile}]", p.display()),
            _ => "the api_key_command option".to_owned(),
        }
    }
}

/// A key and where it came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadedKey {
    pub key: ApiKey,
    pub source: KeySource,
    /// The profile's `base_url`, when the key came from a profile that sets one.
    pub base_url: Option<String>,
    /// Problems that did not stop loading (a key file readable by others, ...).
    pub warnings: Vec<String>,
    /// When a credential command said the key expires.
    pub expires_at: Option<Timestamp>,
    /// The command that gave the key, run again when it expires or is refused.
    pub(crate) command: Option<KeyCommand>,
}
