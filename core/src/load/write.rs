//! Storing keys: key files and credentials-file profiles, written atomically with mode 0600.

use std::path::Path;

use crate::error::{Error, Result};
use crate::key::ApiKey;

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
