//! The runtime side of the extension: the core's shared runtime (rebuilt in a forked child), the
//! asyncio bridge, and the gate that keeps runtime threads away from a finalizing interpreter.
//!
//! Fork detection: the core's fork generation (a `pthread_atfork` child handler counts forks), so
//! a call compares a counter instead of asking the kernel for its pid (a syscall per call).
//!
//! The asyncio bridge: an async call's future is an ordinary asyncio future, created by the
//! caller. A runtime task that ends pushes its raw answer onto its event loop's [`Completer`],
//! and only the push that finds the queue empty wakes the loop: a write to an eventfd the loop
//! watches, or else `call_soon_threadsafe`; the loop then converts and sets every queued answer
//! in one callback, on its own thread. Under load, many completions share one wake-up, and
//! runtime threads never build Python objects.
//!
//! Runtime threads touch Python (to wake a loop, to log). Once the interpreter finalizes, a thread
//! that attaches is killed or aborts the process, so every such touch goes through a gate: an
//! `atexit` hook (`shutdown`) closes it and waits, with the GIL released, for the touches in
//! progress; after that runtime tasks end without touching Python (their Python references go to
//! pyo3's deferred pool, which needs no GIL).

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
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
    // What decodes the answer (`records::decode`); `None`: the answer as plain Python objects.
    decode: Option<Py<PyAny>>,
    result: noorle::Result<serde_json::Value>,
}

#[derive(Default)]
struct Queue {
    items: Vec<Done>,
    // A drain is scheduled on the loop and has not yet taken the queue.
    scheduled: bool,
}

/// An eventfd the event loop watches (`loop.add_reader`): a runtime thread wakes the loop with
/// one `write`, without the GIL, which the loop's thread holds while it is busy. Linux only;
/// elsewhere, and on a loop that cannot watch a fd (Windows' proactor), the wake-up is
/// `call_soon_threadsafe`.
struct Wakeup {
    fd: noorle::runtime::WakeFd,
    // The loop watches the fd (set once `add_reader` succeeded).
    watched: AtomicBool,
}

impl Wakeup {
    fn new() -> Option<Self> {
        Some(Self {
            fd: noorle::runtime::WakeFd::new()?,
            watched: AtomicBool::new(false),
        })
    }
}

/// The completer's loop: a weak reference where the loop takes one, since the loop keeps its
/// completer (its fd's reader) and a strong reference back would keep both alive forever.
enum LoopRef {
    Weak(Py<PyAny>),
    Strong(Py<PyAny>),
}

/// Completes the asyncio futures of one event loop, in batches, on the loop's thread. Calling
/// it (what the loop does after a wake-up) sets every queued answer.
#[pyclass(module = "noorle._native", frozen)]
pub struct Completer {
    event_loop: LoopRef,
    queue: Mutex<Queue>,
    wakeup: Option<Wakeup>,
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
        decode: Option<Py<PyAny>>,
        result: noorle::Result<serde_json::Value>,
    ) {
        let wake = {
            let mut q = this.get().lock();
            q.items.push(Done {
                fut,
                decode,
                result,
            });
            !std::mem::replace(&mut q.scheduled, true)
        };
        if !wake {
            return;
        }
        if let Some(w) = this.get().wakeup.as_ref() {
            if w.watched.load(Ordering::Acquire) {
                // `this` drops without the GIL: pyo3 defers the decref.
                w.fd.raise();
                return;
            }
        }
        let wake = move || {
            let Some(_entered) = enter() else { return };
            Python::attach(|py| {
                let me = this.get();
                let call = match &me.event_loop {
                    LoopRef::Weak(r) => r.bind(py).call0().and_then(|l| {
                        if l.is_none() {
                            Err(pyo3::exceptions::PyRuntimeError::new_err(
                                "the loop is gone",
                            ))
                        } else {
                            l.call_method1("call_soon_threadsafe", (this.clone_ref(py),))
                        }
                    }),
                    LoopRef::Strong(l) => l
                        .bind(py)
                        .call_method1("call_soon_threadsafe", (this.clone_ref(py),)),
                };
                if call.is_err() {
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

fn py_weakref(obj: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
    let py = obj.py();
    let weakref = py.import("weakref").ok()?;
    weakref
        .getattr("ref")
        .ok()?
        .call1((obj,))
        .ok()
        .map(Bound::unbind)
}

#[pymethods]
impl Completer {
    #[new]
    pub fn new_for(event_loop: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            event_loop: match py_weakref(event_loop) {
                Some(r) => LoopRef::Weak(r),
                None => LoopRef::Strong(event_loop.clone().unbind()),
            },
            queue: Mutex::new(Queue::default()),
            wakeup: Wakeup::new(),
        })
    }

    /// The fd for the loop to watch (`loop.add_reader(fd, completer.drain_fd)`), or None.
    fn fileno(&self) -> Option<i32> {
        self.wakeup.as_ref().map(|w| w.fd.raw())
    }

    /// Says that the loop watches the fd: wake-ups go through it from now on.
    fn watched(&self) {
        if let Some(w) = &self.wakeup {
            w.watched.store(true, Ordering::Release);
        }
    }

    /// The loop's reader callback: clears the fd, then sets every queued answer.
    fn drain_fd(&self, py: Python<'_>) {
        if let Some(w) = &self.wakeup {
            w.fd.drain();
        }
        self.__call__(py);
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
            let decoded = d.result.map(|v| match &d.decode {
                Some(f) => crate::records::decode(py, v, f.bind(py)),
                None => answer_to_py(py, v),
            });
            let set = match decoded {
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
