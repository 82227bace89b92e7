//! Core errors and Rust panics as the Python exception classes of `noorle/errors.py`.
//!
//! The classes live in Python (so they pickle, subclass and type-check like any exception); one
//! function there, `_from_info`, maps the core's `ErrorInfo.kind` to a class. Rust only hands it
//! the serialised `ErrorInfo`.

use std::any::Any;

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

/// Runs `f`, turning a panic into a `NoorleError`.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(panic_to_pyerr(py, p)),
    }
}
