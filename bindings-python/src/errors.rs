//! Core errors and Rust panics as the Python exception classes of `noorle/errors.py`.
//!
//! The classes live in Python (so they pickle, subclass and type-check like any exception); one
//! function there, `_from_info`, maps the core's `ErrorInfo.kind` to a class. Rust only hands it
//! the serialised `ErrorInfo`.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::sync::Once;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::json;

use crate::convert::value_to_py;

static FROM_INFO: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn from_info(py: Python<'_>, info: serde_json::Value) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let f = FROM_INFO.import(py, "noorle.errors", "_from_info")?;
        let exc = f.call1((value_to_py(py, info.clone())?,))?;
        Ok(PyErr::from_value(exc))
    };
    // Only if the pure-Python package is broken: still an exception, never a crash.
    build().unwrap_or_else(|e| {
        let msg = info
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("noorle error");
        PyRuntimeError::new_err(format!("{msg} (and noorle.errors is unusable: {e})"))
    })
}

/// The exception for a core error.
pub fn to_pyerr(py: Python<'_>, e: &noorle::Error) -> PyErr {
    let info = serde_json::to_value(e.to_info())
        .unwrap_or_else(|_| json!({"kind": "config", "message": e.to_string()}));
    from_info(py, info)
}

/// The exception for a panic inside the extension: a `NoorleError` (kind `internal`), so that
/// `except NoorleError` / `except Exception` catch it, unlike pyo3's `PanicException`.
pub fn panic_to_pyerr(py: Python<'_>, payload: Box<dyn Any + Send>) -> PyErr {
    to_pyerr(py, &noorle::Error::from_panic(payload.as_ref()))
}

thread_local! {
    // Entry points of this extension running on this thread, which catch their panics.
    static CATCHING: Cell<usize> = const { Cell::new(0) };
}

struct Catching;

impl Catching {
    fn enter() -> Self {
        CATCHING.with(|c| c.set(c.get() + 1));
        Catching
    }
}

impl Drop for Catching {
    fn drop(&mut self) {
        CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// `fut`, polled as an entry point of this extension: a panic in it is reported by the
/// extension's hook (redacted), not by the process's.
pub fn catching<F: Future>(fut: F) -> impl Future<Output = F::Output> {
    let mut fut = Box::pin(fut);
    std::future::poll_fn(move |cx| {
        let _c = Catching::enter();
        fut.as_mut().poll(cx)
    })
}

/// Chains a panic hook in front of the process's (once): panics inside this extension's entry
/// points, which become `NoorleError`s, are printed with anything key-shaped redacted; every
/// other panic goes to the hook that was installed before, unchanged.
pub fn chain_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) == 0 {
                return previous(info);
            }
            let what = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let at = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!(
                "noorle: internal panic{at}: {}",
                noorle::redact_keys_in(&what)
            );
        }));
    });
}

/// Runs `f`, turning a panic into a `NoorleError`.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let caught = {
        let _c = Catching::enter();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
    };
    match caught {
        Ok(r) => r,
        Err(p) => Err(panic_to_pyerr(py, p)),
    }
}
