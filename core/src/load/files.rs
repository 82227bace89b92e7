//! Reading key and credentials files: checked opens (regular file, size, permissions, no BOM),
//! key files and the credentials file's profiles.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::{MAX_CREDENTIALS_FILE_BYTES, MAX_KEY_FILE_BYTES};
use crate::error::{Error, Result};
use crate::key::ApiKey;

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
    api_key_command: Option<Vec<String>>,
    base_url: Option<String>,
}

/// What a profile gives: its key, or the command that prints it.
pub(super) enum ProfileKey {
    Key(ApiKey),
    Command(Vec<String>),
}

pub(super) fn read_profile(
    path: &Path,
    profile: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<(ProfileKey, Option<String>)>> {
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
            "the credentials file {shown} is not valid TOML{at} (api_key is a string, \
             api_key_command an array of strings)"
        ))
    })?;
    let Some(entry) = table.remove(profile) else {
        return Ok(None);
    };
    let raw = match (
        entry.api_key.map(zeroize::Zeroizing::new),
        entry.api_key_command,
    ) {
        (Some(_), Some(_)) => {
            return Err(Error::config(format!(
                "the profile {profile} of {shown} sets both api_key and api_key_command; \
                 keep only one of them"
            )))
        }
        (None, Some(argv)) => return Ok(Some((ProfileKey::Command(argv), entry.base_url))),
        (Some(raw), None) => raw,
        (None, None) => return Ok(None),
    };
    let key = ApiKey::parse_loaded(&raw).map_err(|error| Error::InvalidApiKey {
        error,
        origin: Some(format!("{shown} [profile {profile}]")),
    })?;
    Ok(Some((ProfileKey::Key(key), entry.base_url)))
}
