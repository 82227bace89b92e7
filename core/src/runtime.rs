//! One lazily built tokio runtime shared by the blocking client and the bindings.
//!
//! Plumbing for the bindings, not part of the documented public API: it has no stability
//! promise and may change in any release.
//!
//! A forked child inherits the runtime's memory but none of its threads, so the runtime (and any
//! connection pool tied to it) is unusable there. Each access compares the fork generation and
//! builds a fresh runtime in a child; the parent's copy is leaked on purpose, since dropping it
//! would try to join threads that do not exist in the child.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};

use tokio::runtime::Runtime;

use crate::error::{Error, Result};

// Forks of this process seen by the child handler below.
static FORKS: AtomicU64 = AtomicU64::new(0);

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    FORKS.fetch_add(1, Ordering::SeqCst);
}

/// How many times this process is a forked child of a process that used the SDK: what was built
/// at another generation belongs to a parent (its threads are gone). Counted by a
/// `pthread_atfork` child handler, registered by the first call, so checking costs no syscall
/// (`getpid` is one).
pub fn fork_generation() -> u64 {
    static WATCH: Once = Once::new();
    WATCH.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a handler that only increments an atomic (async-signal-safe).
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
    FORKS.load(Ordering::SeqCst)
}

static RUNTIME: Mutex<Option<(u64, Arc<Runtime>)>> = Mutex::new(None);

/// The shared runtime, built on first use (and again in a forked child).
pub fn runtime() -> Result<Arc<Runtime>> {
    let generation = fork_generation();
    let mut slot = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, rt)) = slot.as_ref() {
        if *owner == generation {
            return Ok(rt.clone());
        }
    }
    if let Some((_, stale)) = slot.take() {
        std::mem::forget(stale);
    }
    let rt = Arc::new(
        // One worker: the bindings' calls are I/O and hand-offs, and a second worker mostly
        // added wake-ups and task stealing between the two (client CPU per call, A/B of both:
        // Go -20%, Node -25%, Python sync -15%; BENCHMARKS.md). Blocking work goes to
        // `spawn_blocking`, never to the worker.
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("noorle-rt")
            .enable_all()
            .build()
            .map_err(|e| Error::config(format!("cannot start the async runtime: {e}")))?,
    );
    *slot = Some((generation, rt.clone()));
    Ok(rt)
}

/// Runs `fut` to completion on the shared runtime, blocking this thread. Must not be called from
/// inside an async context.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::config(
            "a blocking Noorle call was made from inside an async runtime; use the async client there",
        ));
    }
    Ok(runtime()?.block_on(fut))
}

/// Spawns `fut` on the shared runtime.
pub fn spawn<F>(fut: F) -> Result<tokio::task::JoinHandle<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Ok(runtime()?.spawn(fut))
}

/// Waits for a task spawned on the shared runtime; a panic inside it becomes [`Error::Internal`].
pub async fn join<T>(
    task: impl Future<Output = std::result::Result<T, tokio::task::JoinError>>,
) -> Result<T> {
    match task.await {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => Err(Error::from_panic(e.into_panic().as_ref())),
        Err(_) => Err(Error::Cancelled),
    }
}

/// Runs `fut` as a task on the shared runtime and blocks this thread until it ends. Unlike
/// [`block_on`], the future runs on a worker next to its connections' tasks, so the caller is
/// woken once rather than at every I/O event (what the C ABI and Python's sync client use).
pub fn run<F>(fut: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = spawn(fut)?;
    block_on(join(task))?
}

/// A readiness fd for the bindings' completion queues: a Linux eventfd (non-blocking,
/// close-on-exec), readable while its counter is non-zero, so an event loop can watch it.
/// Elsewhere there is none ([`WakeFd::new`] is `None`) and callers are woken another way.
#[cfg(target_os = "linux")]
pub struct WakeFd(std::os::fd::OwnedFd);

/// A readiness fd for the bindings' completion queues (none on this platform).
#[cfg(not(target_os = "linux"))]
pub struct WakeFd(std::convert::Infallible);

#[cfg(target_os = "linux")]
impl WakeFd {
    /// A new eventfd, or `None` if the system refuses one.
    pub fn new() -> Option<Self> {
        use std::os::fd::FromRawFd;
        // SAFETY: plain syscall; on success the fd is new and ours alone.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        // SAFETY: a fresh fd from eventfd, owned (and closed on drop) from here on.
        (fd >= 0).then(|| Self(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }))
    }

    /// The fd to watch.
    pub fn raw(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.0.as_raw_fd()
    }

    /// Adds one to the counter, making the fd readable. It cannot fail short of overflow
    /// (2^64 - 2 unread signals), and then the fd is readable anyway.
    pub fn raise(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to an fd we own (non-blocking).
        let _ = unsafe { libc::write(self.raw(), (&raw const one).cast(), 8) };
    }

    /// Resets the counter to zero: the fd is no longer readable until the next [`raise`](Self::raise).
    pub fn drain(&self) {
        let mut n: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from an fd we own (non-blocking: a zero counter
        // fails with EAGAIN, which leaves nothing to do).
        let _ = unsafe { libc::read(self.raw(), (&raw mut n).cast(), 8) };
    }
}

#[cfg(not(target_os = "linux"))]
impl WakeFd {
    /// No readiness fd on this platform.
    pub fn new() -> Option<Self> {
        None
    }

    /// Unreachable: no value exists.
    pub fn raw(&self) -> i32 {
        match self.0 {}
    }

    /// Unreachable: no value exists.
    pub fn raise(&self) {
        match self.0 {}
    }

    /// Unreachable: no value exists.
    pub fn drain(&self) {
        match self.0 {}
    }
}
