//! The async bridge runs futures on the core's shared runtime rather than a runtime owned by
//! pyo3-async-runtimes: the core rebuilds its runtime in a forked child, whereas
//! `pyo3_async_runtimes::tokio::init_with_runtime` pins one runtime for the life of the
//! process (a child would spawn onto a runtime with no threads and hang).
//!
//! Runtime threads touch Python (to hand a result to asyncio, to log). Once the interpreter
//! finalizes, a thread that attaches is killed or aborts the process, so every such touch goes
//! through a gate: an `atexit` hook (`shutdown`) closes it and waits, with the GIL released,
//! for the touches in progress; after that runtime tasks end without touching Python (their
//! Python references go to pyo3's deferred pool, which needs no GIL).

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::task::Poll;
use std::time::{Duration, Instant};

use pyo3_async_runtimes::generic::{ContextExt, Runtime};
use pyo3_async_runtimes::TaskLocals;

pub struct CoreRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

struct Gate {
    // The process the state belongs to: a forked child starts open, with nothing in progress.
    pid: u32,
    closed: bool,
    active: usize,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    pid: 0,
    closed: false,
    active: 0,
});
static IDLE: Condvar = Condvar::new();

fn gate() -> MutexGuard<'static, Gate> {
    let mut g = GATE.lock().unwrap_or_else(|p| p.into_inner());
    let pid = std::process::id();
    if g.pid != pid {
        *g = Gate {
            pid,
            closed: false,
            active: 0,
        };
    }
    g
}

/// Held while a runtime thread may touch Python.
pub struct Entered(());

impl Drop for Entered {
    fn drop(&mut self) {
        let mut g = gate();
        g.active = g.active.saturating_sub(1);
        if g.active == 0 {
            IDLE.notify_all();
        }
    }
}

/// `None` once the interpreter is shutting down: the caller must not touch Python.
pub fn enter() -> Option<Entered> {
    let mut g = gate();
    if g.closed {
        return None;
    }
    g.active += 1;
    Some(Entered(()))
}

/// Closes the gate and waits for the Python work in progress on runtime threads. Called by
/// `atexit`, with the GIL released. The wait is bounded so that a stuck callback cannot hang
/// the exit.
pub fn shutdown() {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut g = gate();
    g.closed = true;
    while g.active > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        g = IDLE
            .wait_timeout(g, left)
            .map(|(g, _)| g)
            .unwrap_or_else(|p| p.into_inner().0);
    }
}

fn handle() -> tokio::runtime::Handle {
    match noorle::runtime::runtime() {
        Ok(rt) => rt.handle().clone(),
        // Callers check `runtime()` before converting a future, so this cannot fail in practice;
        // if it does, the panic is caught and becomes a NoorleError.
        Err(e) => panic!("the noorle runtime is unavailable: {e}"),
    }
}

impl Runtime for CoreRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // Each poll may end in a Python call (setting the asyncio result): only through the gate.
        let mut fut = Box::pin(fut);
        handle().spawn(std::future::poll_fn(move |cx| match enter() {
            Some(_entered) => fut.as_mut().poll(cx),
            None => Poll::Ready(()),
        }))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        handle().spawn_blocking(move || {
            if let Some(_entered) = enter() {
                f();
            }
        })
    }
}

impl ContextExt for CoreRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}
