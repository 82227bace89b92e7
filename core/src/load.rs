//! Finding the key: the loading chain of contract section 3.

//!
//! File permissions: on Unix a key or credentials file that anyone may write is refused and one
//! that others may read gets a warning (ssh's rule). Windows has no such mode bits (ACLs decide),
//! so there these checks are skipped; the regular-file and size checks apply everywhere.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{CredentialsNotFound, Error, Result};
use crate::key::ApiKey;

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
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadOptions {
    /// A key given directly: wins over everything.
    pub api_key: Option<ApiKey>,
    /// A key file given directly: wins over the environment.
    pub api_key_file: Option<PathBuf>,
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

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            api_key: None,
            api_key_file: None,
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
    /// The profile name, for `profile`.
    pub profile: Option<String>,
}

impl KeySource {
    fn new(kind: SourceKind) -> Self {
        Self {
            kind,
            variable: None,
            path: None,
            profile: None,
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
}

/// Runs the loading chain; the first source that is set wins.
pub fn load_api_key(opts: &LoadOptions) -> Result<LoadedKey> {
    let (source, mut searched) = locate(opts)?;
    let mut warnings = Vec::new();
    let key = match source.kind {
        SourceKind::Explicit => opts.api_key.clone(),
        SourceKind::Env => {
            let raw = zeroize::Zeroizing::new(opts.env.var(ENV_API_KEY).unwrap_or_default());
            Some(
                ApiKey::parse_loaded(&raw).map_err(|error| Error::InvalidApiKey {
                    error,
                    origin: Some(format!("environment variable {ENV_API_KEY}")),
                })?,
            )
        }
        SourceKind::Profile => {
            let (path, profile) = (
                source.path.clone().unwrap_or_default(),
                source.profile.clone().unwrap_or_default(),
            );
            match read_profile(&path, &profile, &mut warnings)? {
                Some((key, base_url)) => {
                    let mut l = loaded(key, source, warnings);
                    l.base_url = base_url;
                    return Ok(l);
                }
                None => {
                    searched.push(format!(
                        "{} [profile {profile}] (no api_key in that profile)",
                        path.display()
                    ));
                    return Err(Error::CredentialsNotFound(CredentialsNotFound { searched }));
                }
            }
        }
        _ => match &source.path {
            Some(path) => Some(read_key_file(path, &mut warnings)?),
            None => None,
        },
    };
    let key = key.ok_or_else(|| Error::config(format!("no key at the located source {source}")))?;
    Ok(loaded(key, source, warnings))
}

/// Which source the chain would use, without reading or validating the key (for diagnostics
/// such as `noorle doctor`). Fails like [`load_api_key`] when no source is set.
pub fn locate_api_key(opts: &LoadOptions) -> Result<KeySource> {
    locate(opts).map(|(s, _)| s)
}

// The chain's order lives here once; returns the source and every place looked at before it.
fn locate(opts: &LoadOptions) -> Result<(KeySource, Vec<String>)> {
    let mut searched = Vec::new();
    let with = |kind, variable: Option<&str>, path: Option<PathBuf>| {
        let mut s = KeySource::new(kind);
        s.variable = variable.map(str::to_owned);
        s.path = path;
        s
    };

    if opts.api_key.is_some() {
        return Ok((KeySource::new(SourceKind::Explicit), searched));
    }
    searched.push("the api_key option".to_owned());
    if let Some(path) = &opts.api_key_file {
        return Ok((with(SourceKind::File, None, Some(path.clone())), searched));
    }
    searched.push("the api_key_file option".to_owned());

    // A profile chosen explicitly is an explicit choice too: it wins over the environment.
    if opts.profile.is_none() {
        let env_key = opts.env.var_checked(ENV_API_KEY)?;
        let env_file = opts.env.var_checked(ENV_API_KEY_FILE)?;
        if env_key.is_some() && env_file.is_some() {
            return Err(Error::config(format!(
                "both {ENV_API_KEY} and {ENV_API_KEY_FILE} are set; set only one of them"
            )));
        }
        if env_key.is_some() {
            return Ok((with(SourceKind::Env, Some(ENV_API_KEY), None), searched));
        }
        searched.push(format!("environment variable {ENV_API_KEY}"));
        if let Some(path) = env_file {
            return Ok((
                with(
                    SourceKind::EnvFile,
                    Some(ENV_API_KEY_FILE),
                    Some(path.into()),
                ),
                searched,
            ));
        }
        searched.push(format!("environment variable {ENV_API_KEY_FILE}"));

        match opts.env.var_checked(ENV_CREDENTIALS_DIRECTORY)? {
            Some(dir) => {
                let path = Path::new(&dir).join(SECRET_FILE_NAME);
                if path.exists() {
                    let s = with(SourceKind::CredentialsDir, Some(ENV_CREDENTIALS_DIRECTORY), Some(path));
                    return Ok((s, searched));
                }
                searched.push(format!("{} (from ${ENV_CREDENTIALS_DIRECTORY})", path.display()));
            }
            None => searched.push(format!(
                "${ENV_CREDENTIALS_DIRECTORY}/{SECRET_FILE_NAME} (${ENV_CREDENTIALS_DIRECTORY} is not set)"
            )),
        }

        if let Some(path) = &opts.docker_secret {
            if path.exists() {
                return Ok((
                    with(SourceKind::DockerSecret, None, Some(path.clone())),
                    searched,
                ));
            }
            searched.push(path.display().to_string());
        }
    }

    let profile = match &opts.profile {
        Some(p) => p.clone(),
        None => opts
            .env
            .var_checked(ENV_PROFILE)?
            .unwrap_or_else(|| "default".to_owned()),
    };
    match credentials_path(opts) {
        Some(path) if path.exists() => {
            let mut s = with(SourceKind::Profile, None, Some(path));
            s.profile = Some(profile);
            Ok((s, searched))
        }
        Some(path) => {
            searched.push(format!("{} [profile {profile}]", path.display()));
            Err(Error::CredentialsNotFound(CredentialsNotFound { searched }))
        }
        None => {
            searched.push(format!(
                "~/.noorle/credentials [profile {profile}] (no home directory: $HOME is not set)"
            ));
            Err(Error::CredentialsNotFound(CredentialsNotFound { searched }))
        }
    }
}

/// The credentials file: the option, else `<home>/.noorle/credentials`.
pub fn credentials_path(opts: &LoadOptions) -> Option<PathBuf> {
    opts.credentials_file
        .clone()
        .or_else(|| home_dir(&opts.env).map(|h| h.join(".noorle").join("credentials")))
}

/// `$HOME` when set; for the process environment, else the platform's home directory (the
/// user's profile folder, `USERPROFILE`, on Windows; the password database on Unix).
fn home_dir(env: &Env) -> Option<PathBuf> {
    if let Some(h) = env.var("HOME") {
        return Some(PathBuf::from(h));
    }
    match env {
        Env::Process => home::home_dir().filter(|p| !p.as_os_str().is_empty()),
        Env::Map(_) | Env::Empty => None,
    }
}

fn loaded(key: ApiKey, source: KeySource, warnings: Vec<String>) -> LoadedKey {
    LoadedKey {
        key,
        source,
        base_url: None,
        warnings,
    }
}

/// What identifies one version of a key file: when it changes, the file is re-read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl FileStamp {
    /// `metadata` follows symlinks, so swapping a `..data` symlink (Kubernetes) changes the inode.
    pub(crate) fn of(path: &Path) -> std::io::Result<Self> {
        std::fs::metadata(path).map(|m| Self::from_meta(&m))
    }

    #[cfg(unix)]
    fn from_meta(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }

    // No inode numbers through std elsewhere: length and modification time.
    #[cfg(not(unix))]
    fn from_meta(m: &std::fs::Metadata) -> Self {
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i128::try_from(d.as_nanos()).unwrap_or(i128::MAX));
        Self {
            dev: 0,
            ino: 0,
            len: m.len(),
            mtime_ns,
        }
    }
}

/// Reads and validates a key file: refuses anything but a regular file, world-writable files,
/// files over 4 KiB, a UTF-8 BOM, a NUL byte or text that is not UTF-8; warns (through `tracing`
/// and `warnings`) about files others can read.
pub fn read_key_file(path: &Path, warnings: &mut Vec<String>) -> Result<ApiKey> {
    read_key_file_stamped(path, warnings).map(|(k, _)| k)
}

/// Reads a key file; the stamp is that of the very file read (fstat of the open handle), so a
/// replacement landing after the read is seen as a change by the next check.
pub(crate) fn read_key_file_stamped(
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<(ApiKey, FileStamp)> {
    let shown = path.display();
    let (bytes, stamp) = read_private_file(path, "key file", MAX_KEY_FILE_BYTES, warnings)?;
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::config(format!(
            "the key file {shown} has a NUL byte at offset {i}; it must hold the key as text"
        )));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Error::config(format!("the key file {shown} is not UTF-8 text ({e})")))?;
    let key = ApiKey::parse_loaded(text).map_err(|error| Error::InvalidApiKey {
        error,
        origin: Some(format!("file {shown}")),
    })?;
    Ok((key, stamp))
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Opens `path` without blocking (a FIFO would otherwise wait for a writer forever), checks the
/// open file (fstat: what is checked is what is read) is a regular file of at most `cap` bytes
/// with safe permissions and no BOM, and reads it into memory that is zeroed on drop.
fn read_private_file(
    path: &Path,
    what: &str,
    cap: u64,
    warnings: &mut Vec<String>,
) -> Result<(zeroize::Zeroizing<Vec<u8>>, FileStamp)> {
    let shown = path.display();
    let io = |e: std::io::Error| Error::config(format!("cannot read the {what} {shown}: {e}"));
    let file = open_no_wait(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Error::config(format!(
            "the {what} {shown} is not a regular file"
        )));
    }
    check_mode(path, what, &meta, warnings)?;
    let too_big = |len: u64| {
        Error::config(format!(
            "the {what} {shown} is {len} bytes or more; the limit is {cap} bytes"
        ))
    };
    if meta.len() > cap {
        return Err(too_big(meta.len()));
    }
    // Room for the whole cap up front: no reallocation leaves an unzeroed copy behind.
    let room = usize::try_from(cap + 1).unwrap_or(usize::MAX);
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(room));
    (&file).take(cap + 1).read_to_end(&mut bytes).map_err(io)?;
    #[cfg(test)]
    AFTER_READ.with(|hook| hook.borrow_mut().take().map(|f| f()));
    if bytes.len() as u64 > cap {
        return Err(too_big(bytes.len() as u64));
    }
    if bytes.starts_with(UTF8_BOM) {
        return Err(Error::config(format!(
            "the {what} {shown} starts with a UTF-8 BOM (byte order mark, EF BB BF); save it \
             as plain UTF-8 without a BOM"
        )));
    }
    Ok((bytes, FileStamp::from_meta(&meta)))
}

// Runs once right after the next read on this thread: lets tests replace the file mid-read.
#[cfg(test)]
thread_local! {
    pub(crate) static AFTER_READ: std::cell::RefCell<Option<Box<dyn FnOnce()>>> =
        const { std::cell::RefCell::new(None) };
}

#[cfg(unix)]
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO returns at once; on a regular file it changes nothing.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_wait(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

// ssh's rule: world-writable is refused; readable by others is a warning when the file is ours
// (mounted secrets owned by another user, as Kubernetes makes them, are left alone).
#[cfg(unix)]
fn check_mode(
    path: &Path,
    what: &str,
    meta: &std::fs::Metadata,
    warnings: &mut Vec<String>,
) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    if mode & 0o002 != 0 {
        return Err(Error::config(format!(
            "the {what} {} is world-writable (mode {mode:03o}); anyone could replace the key. Fix: chmod 600 {}",
            path.display(),
            path.display()
        )));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    if mode & 0o044 != 0 && meta.uid() == euid {
        let w = format!(
            "the {what} {} is readable by group or others (mode {mode:03o}); fix: chmod 600 {}",
            path.display(),
            path.display()
        );
        tracing::warn!(target: "noorle", "{w}");
        warnings.push(w);
    }
    Ok(())
}

// Windows: no Unix mode bits; access is governed by ACLs, which are not inspected.
#[cfg(not(unix))]
fn check_mode(
    _path: &Path,
    _what: &str,
    _meta: &std::fs::Metadata,
    _warnings: &mut Vec<String>,
) -> Result<()> {
    Ok(())
}

#[derive(Deserialize)]
struct ProfileEntry {
    api_key: Option<String>,
    base_url: Option<String>,
}

fn read_profile(
    path: &Path,
    profile: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<(ApiKey, Option<String>)>> {
    let shown = path.display();
    let (bytes, _) = read_private_file(
        path,
        "credentials file",
        MAX_CREDENTIALS_FILE_BYTES,
        warnings,
    )?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::config(format!(
            "the credentials file {shown} is not UTF-8 text ({e})"
        ))
    })?;
    let mut table: HashMap<String, ProfileEntry> = toml::from_str(text).map_err(|e| {
        // toml's message quotes the offending line, which may hold a key: keep only the position.
        let at = e
            .span()
            .map(|s| format!(" at byte {}", s.start))
            .unwrap_or_default();
        Error::config(format!(
            "the credentials file {shown} is not valid TOML{at}"
        ))
    })?;
    let Some(entry) = table.remove(profile) else {
        return Ok(None);
    };
    let Some(raw) = entry.api_key.map(zeroize::Zeroizing::new) else {
        return Ok(None);
    };
    let key = ApiKey::parse_loaded(&raw).map_err(|error| Error::InvalidApiKey {
        error,
        origin: Some(format!("{shown} [profile {profile}]")),
    })?;
    Ok(Some((key, entry.base_url)))
}

/// Writes `key` to `path` atomically with mode 0600: a temp file beside it, fsync, rename.
pub fn write_key_file(path: &Path, key: &ApiKey) -> Result<()> {
    let text = zeroize::Zeroizing::new(format!("{}\n", key.expose_secret()));
    write_private(path, text.as_bytes())
}

/// Stores `key` (and `base_url`, if given) as `profile` in the credentials file at `path`,
/// keeping its other profiles; atomic, mode 0600, the folder created with mode 0700.
pub fn write_profile(
    path: &Path,
    profile: &str,
    key: &ApiKey,
    base_url: Option<&str>,
) -> Result<()> {
    let shown = path.display();
    let mut table = if path.exists() {
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| Error::config(format!("cannot read {shown}: {e}")))?,
        );
        toml::from_str::<toml::Table>(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at byte {}", s.start))
                .unwrap_or_default();
            Error::config(format!("{shown} is not valid TOML{at}; fix or remove it"))
        })?
    } else {
        toml::Table::new()
    };
    let mut entry = toml::Table::new();
    entry.insert(
        "api_key".into(),
        toml::Value::String(key.expose_secret().to_owned()),
    );
    if let Some(url) = base_url {
        entry.insert("base_url".into(), toml::Value::String(url.to_owned()));
    }
    table.insert(profile.to_owned(), toml::Value::Table(entry));
    let text = zeroize::Zeroizing::new(
        toml::to_string(&table)
            .map_err(|e| Error::config(format!("cannot encode {shown}: {e}")))?,
    );
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    }
    write_private(path, text.as_bytes())
}

// Temp file beside the target (same file system), mode 0600 from creation, fsync, rename, then
// fsync the folder so the rename itself is durable.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let io = |what: &str, e: std::io::Error| {
        Error::config(format!("cannot {what} {}: {e}", tmp.display()))
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&tmp)
        .map_err(|e| io("create", e))
        .and_then(|mut f| {
            f.write_all(bytes)
                .and_then(|()| f.sync_all())
                .map_err(|e| io("write", e))
        })
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| Error::config(format!("cannot replace {}: {e}", path.display())))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
