//! The runtime side of the extension: the core's shared runtime (rebuilt in a forked child), the
//! asyncio bridge, and the gate that keeps runtime threads away from a finalizing interpreter.
//!
//! Fork detection: the core's fork generation (a `pthread_atfork` child handler counts forks), so
//! a call compares a counter instead of asking the kernel for its pid (a syscall per call).
//!
//! The asyncio bridge: an async call's future is an ordinary asyncio future, created by the
//! caller. A runtime task that ends pushes its raw answer onto its event loop's [`Completer`],
//! and only the push that finds the queue empty wakes the loop (`call_soon_threadsafe`, a write to
//! the loop's self-pipe); the loop then converts and sets every queued answer in one callback,
//! on its own thread. Under load, many completions share one wake-up, and runtime threads never
//! build Python objects.
//!
//! Runtime threads touch Python (to wake a loop, to log). Once the interpreter finalizes, a thread
//! that attaches is killed or aborts the process, so every such touch goes through a gate: an
//! `atexit` hook (`shutdown`) closes it and waits, with the GIL released, for the touches in
//! progress; after that runtime tasks end without touching Python (their Python references go to
//! pyo3's deferred pool, which needs no GIL).

use std::cell::RefCell;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pyo3::intern;
use pyo3::prelude::*;

use crate::convert::answer_to_py;
use crate::errors::to_pyerr;

/// Registers the core's fork counter at import (the core's first call would too).
pub fn watch_forks() {
    noorle::runtime::fork_generation();
}

thread_local! {
    // This thread's handle of the shared runtime, and the fork count it was taken at.
    static HANDLE: RefCell<Option<(u64, tokio::runtime::Handle)>> = const { RefCell::new(None) };
}

/// The shared runtime's handle. Asks the core (which rebuilds it after a fork) only for a
/// thread's first call and after a fork; otherwise it is a thread-local read.
pub fn handle() -> noorle::Result<tokio::runtime::Handle> {
    let forks = noorle::runtime::fork_generation();
    HANDLE.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some((at, h)) = slot.as_ref() {
            if *at == forks {
                return Ok(h.clone());
            }
        }
        let h = noorle::runtime::runtime()?.handle().clone();
        *slot = Some((forks, h.clone()));
        Ok(h)
    })
}

struct Gate {
    // The fork the state belongs to: a forked child starts open, with nothing in progress.
    forks: u64,
    closed: bool,
    active: usize,
}

static GATE: Mutex<Gate> = Mutex::new(Gate {
    forks: 0,
    closed: false,
    active: 0,
});
static IDLE: Condvar = Condvar::new();

fn gate() -> MutexGuard<'static, Gate> {
    let mut g = GATE.lock().unwrap_or_else(|p| p.into_inner());
    let forks = noorle::runtime::fork_generation();
    if g.forks != forks {
        *g = Gate {
            forks,
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

struct Done {
    fut: Py<PyAny>,
    result: noorle::Result<serde_json::Value>,
}

#[derive(Default)]
struct Queue {
    items: Vec<Done>,
    // A drain is scheduled on the loop and has not yet taken the queue.
    scheduled: bool,
}

/// Completes the asyncio futures of one event loop, in batches, on the loop's thread. Calling
/// it (what the loop does after a wake-up) sets every queued answer.
#[pyclass(module = "noorle._native", frozen)]
pub struct Completer {
    call_soon_threadsafe: Py<PyAny>,
    queue: Mutex<Queue>,
}

impl Completer {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an answer for `fut` (on a runtime thread, without the GIL); the first answer of a
    /// batch wakes the loop.
    pub fn complete(
        this: Py<Completer>,
        fut: Py<PyAny>,
        result: noorle::Result<serde_json::Value>,
    ) {
        let wake = {
            let mut q = this.get().lock();
            q.items.push(Done { fut, result });
            !std::mem::replace(&mut q.scheduled, true)
        };
        if !wake {
            return;
        }
        let wake = move || {
            let Some(_entered) = enter() else { return };
            Python::attach(|py| {
                let me = this.get();
                if me
                    .call_soon_threadsafe
                    .call1(py, (this.clone_ref(py),))
                    .is_err()
                {
                    // The loop is closed: nothing awaits these any more.
                    let mut q = me.lock();
                    q.items.clear();
                    q.scheduled = false;
                }
                drop(this);
            });
        };
        // A busy loop's thread holds the GIL; waiting for it here would stall every other call
        // this runtime thread serves, so the wake-up waits on a blocking-pool thread.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(wake)),
            Err(_) => wake(),
        }
    }
}

#[pymethods]
impl Completer {
    #[new]
    pub fn new_for(event_loop: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            call_soon_threadsafe: event_loop.getattr("call_soon_threadsafe")?.unbind(),
            queue: Mutex::new(Queue::default()),
        })
    }

    fn __call__(&self, py: Python<'_>) {
        let items = {
            let mut q = self.lock();
            q.scheduled = false;
            std::mem::take(&mut q.items)
        };
        for d in items {
            let fut = d.fut.bind(py);
            // A cancelled future (its task was cancelled) takes no result.
            if fut
                .call_method0(intern!(py, "done"))
                .and_then(|b| b.is_truthy())
                .unwrap_or(true)
            {
                continue;
            }
            let set = match d.result.map(|v| answer_to_py(py, v)) {
                Ok(Ok(v)) => fut.call_method1(intern!(py, "set_result"), (v,)),
                Ok(Err(e)) => fut.call_method1(intern!(py, "set_exception"), (e.into_value(py),)),
                Err(e) => fut.call_method1(
                    intern!(py, "set_exception"),
                    (to_pyerr(py, &e).into_value(py),),
                ),
            };
            // Only an InvalidStateError can come back here; the other futures still get theirs.
            drop(set);
        }
    }
}
