//! An exclusive advisory lock on a file beside a key file, so that two rotations of one key file
//! on one host take turns. The operating system releases it when the holder exits, even on a
//! crash, so a lock is never left stale; the lock file itself stays (removing it would race).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Held while alive; dropping it (closing the file) releases the lock.
#[derive(Debug)]
pub(crate) struct FileLock {
    _file: File,
}

/// `<path>.lock`: beside the key file, so every process that writes the file finds it.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Waits (on a blocking thread) until this process holds the lock beside `path`.
pub(crate) async fn lock_beside(path: &Path) -> Result<FileLock> {
    let lock = lock_path(path);
    let shown = lock.display().to_string();
    tokio::task::spawn_blocking(move || acquire(&lock))
        .await
        .map_err(|e| Error::config(format!("cannot lock {shown}: {e}")))?
        .map(|file| FileLock { _file: file })
        .map_err(|e| Error::config(format!("cannot lock {shown}: {e}")))
}

#[cfg(unix)]
fn acquire(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)?;
    loop {
        // SAFETY: a valid open descriptor, owned by `file` for the whole call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(file);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

// No flock: a handle opened with no sharing is exclusive until it is closed.
#[cfg(windows)]
fn acquire(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    loop {
        match std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .share_mode(0)
            .open(path)
        {
            Err(e) if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

#[cfg(not(any(unix, windows)))]
fn acquire(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}
