//! `noorle-dev-server`: a local Noorle-compatible API server with real state, for development
//! and for the test suites of every binding. See `docs/contract.md` and `docs/decisions.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), noorle_dev_server::Error> {
//! let server = noorle_dev_server::start(noorle_dev_server::Config::default()).await?;
//! println!("{} {:?}", server.base_url(), server.root_key().is_some());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod auth;
mod authz;
mod db;
mod errors;
mod faults;
mod idempotency;
mod keys;
mod ratelimit;
mod routes;
mod server;
mod state;
mod util;
mod view;

use state::AppState;

/// How to run the server.
#[derive(Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub bind: SocketAddr,
    /// SQLite file; `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Enables `/_dev/faults` and `/_dev/requests`.
    pub fault_injection: bool,
    /// The bootstrap owner key to use (`NOORLE_DEV_ROOT_KEY`) instead of generating one.
    pub root_key: Option<String>,
    /// Where to write a generated bootstrap key (mode 0600).
    pub root_key_file: Option<PathBuf>,
    /// Requests per minute for keys without their own `rate_limit_per_minute`.
    pub default_rate_limit: u32,
    /// Allow binding an address other than loopback.
    pub allow_non_loopback: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            fault_injection: false,
            root_key: None,
            root_key_file: None,
            default_rate_limit: 100_000,
            allow_non_loopback: false,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The root key is redacted to its public access id.
        let root_key = self
            .root_key
            .as_deref()
            .map(|k| match keys::parse(k.trim()) {
                Ok(p) => format!("ak-{}***", p.access_id),
                Err(_) => "***".to_string(),
            });
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("db", &self.db)
            .field("fault_injection", &self.fault_injection)
            .field("root_key", &root_key)
            .field("root_key_file", &self.root_key_file)
            .field("default_rate_limit", &self.default_rate_limit)
            .field("allow_non_loopback", &self.allow_non_loopback)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("refusing to bind {0}: it is not a loopback address (pass --allow-non-loopback to allow it)")]
    NonLoopback(SocketAddr),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("NOORLE_DEV_ROOT_KEY is not a valid API key: {0}")]
    InvalidRootKey(String),
    #[error("NOORLE_DEV_ROOT_KEY: {0}")]
    RootKeyConflict(String),
    #[error("cannot write the root key file {path}: {source}")]
    RootKeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// A server started by [`start`]. Dropping it stops the server too (without waiting).
pub struct RunningServer {
    addr: SocketAddr,
    root_key: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bootstrap owner key, when this start created it or was given it.
    pub fn root_key(&self) -> Option<&str> {
        self.root_key.as_deref()
    }

    /// Stops accepting, lets in-flight requests finish, flushes `last_used_at`.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the root key.
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Binds, opens the store, seeds the owner, and serves in the background.
pub async fn start(config: Config) -> Result<RunningServer, Error> {
    if !config.bind.ip().is_loopback() && !config.allow_non_loopback {
        return Err(Error::NonLoopback(config.bind));
    }
    if config.default_rate_limit == 0 {
        return Err(Error::Config(
            "the default rate limit must be at least 1".into(),
        ));
    }
    let given = match config.root_key.as_deref().map(str::trim) {
        Some(k) => {
            keys::parse(k).map_err(|e| Error::InvalidRootKey(e.to_string()))?;
            Some(k.to_string())
        }
        None => None,
    };
    let conn = db::open(config.db.as_deref())?;
    let root_key = bootstrap(&conn, given, config.root_key_file.as_deref())?;

    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| Error::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: config.bind,
        source,
    })?;

    let state = Arc::new(AppState::new(
        conn,
        config.fault_injection,
        config.default_rate_limit,
    ));
    let router = routes::router(state.clone());
    let (tx, rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let flusher = tokio::spawn(flush_loop(state.clone()));
        server::serve(listener, state.clone(), router, rx).await;
        flusher.abort();
        state.flush_usage();
    });
    tracing::info!(%addr, fault_injection = config.fault_injection, "noorle-dev-server listening");
    Ok(RunningServer {
        addr,
        root_key,
        shutdown: Some(tx),
        task: Some(task),
    })
}

async fn flush_loop(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        state.flush_usage();
        n += 1;
        if n % 60 == 0 {
            state.idempotency.purge(util::now());
        }
    }
}

/// Creates the owner user and bootstrap key on an empty store; on an existing store, adds the
/// given root key if it is not there yet. Returns the key when this start created or got one.
fn bootstrap(
    conn: &rusqlite::Connection,
    given: Option<String>,
    key_file: Option<&std::path::Path>,
) -> Result<Option<String>, Error> {
    let now = util::now();
    let owner = match db::owner_user(conn)? {
        Some(id) => id,
        None => {
            let id = uuid::Uuid::new_v4().to_string();
            db::insert_user(conn, &id, "owner", now)?;
            let generated = given.is_none();
            let key = given.unwrap_or_else(|| keys::NewKey::generate().full());
            insert_root_key(conn, &id, &key, now)?;
            if let (true, Some(path)) = (generated, key_file) {
                write_key_file(path, &key)?;
            }
            return Ok(Some(key));
        }
    };
    let Some(key) = given else { return Ok(None) };
    let parsed = keys::parse(&key).map_err(|e| Error::InvalidRootKey(e.to_string()))?;
    match db::get_key(conn, parsed.access_id)? {
        None => insert_root_key(conn, &owner, &key, now)?,
        Some(row) => {
            let same: bool = subtle::ConstantTimeEq::ct_eq(
                row.digest.as_slice(),
                &keys::digest(parsed.secret)[..],
            )
            .into();
            if !same || row.owner_type != "user" {
                return Err(Error::RootKeyConflict(format!(
                    "the store already has a key with access id {} but another secret or owner",
                    parsed.access_id
                )));
            }
        }
    }
    Ok(Some(key))
}

fn insert_root_key(
    conn: &rusqlite::Connection,
    owner: &str,
    key: &str,
    now: i64,
) -> Result<(), Error> {
    let parsed = keys::parse(key).map_err(|e| Error::InvalidRootKey(e.to_string()))?;
    let row = db::KeyRow {
        id: parsed.access_id.to_string(),
        digest: keys::digest(parsed.secret).to_vec(),
        name: "root".into(),
        status: "active".into(),
        owner_type: "user".into(),
        owner_id: owner.into(),
        scope: db::Scope::Account,
        permissions: vec!["read".into(), "execute".into(), "manage".into()],
        last_six: keys::last_six(parsed.secret),
        rate_limit: None,
        created_at: now,
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
        rotated_from: None,
    };
    db::insert_key(conn, &row)?;
    tracing::info!(access_id = %row.id, "bootstrap owner key stored");
    Ok(())
}

fn write_key_file(path: &std::path::Path, key: &str) -> Result<(), Error> {
    use std::io::Write;
    let err = |source| Error::RootKeyFile {
        path: path.to_path_buf(),
        source,
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(0o600);
        let mut f = opts.open(path).map_err(err)?;
        // An existing file keeps its mode on open: tighten it.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(err)?;
        writeln!(f, "{key}").map_err(err)?;
    }
    #[cfg(not(unix))]
    {
        let mut f = opts.open(path).map_err(err)?;
        writeln!(f, "{key}").map_err(err)?;
    }
    Ok(())
}
