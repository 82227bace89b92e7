//! `noorle._native`: the Rust side of the Python package `noorle`.
//!
//! A thin layer: every call is a `noorle::ops::Operation` run by `noorle::ops::execute` (so no
//! behaviour lives here); this crate converts Python objects to and from JSON values, maps core
//! errors to the exception classes of `noorle/errors.py`, releases the GIL while a sync call
//! waits, bridges async calls to asyncio, and turns panics into `NoorleError`.

/// The bindings' allocator: see `noorle::alloc` and docs/decisions.md, decision 11.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: noorle::alloc::Allocator = noorle::alloc::Allocator;

mod convert;
mod errors;
mod logging;
mod records;
mod rt;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3::IntoPyObjectExt;
use serde::Deserialize;

use noorle::ops::{CancellationToken, ClientConfig, Operation};

use crate::convert::{answer_to_py, py_to_value};
use crate::errors::{guard, to_pyerr};

const PICKLE_REFUSED: &str =
    "ApiKey objects cannot be pickled: that would write the secret into the \
pickle. Pickle where the key comes from instead (an environment variable or file), or, if you \
really mean to, the string from key.expose_secret()";

/// A parsed, validated Noorle API key. Printing it in any way shows only `ak-{access_id}***`;
/// `expose_secret()` is the one way to read the whole key. Equality is constant-time.
#[pyclass(module = "noorle", name = "ApiKey", frozen)]
pub struct PyApiKey {
    pub(crate) inner: noorle::ApiKey,
}

fn parse_key(py: Python<'_>, s: &str) -> PyResult<PyApiKey> {
    noorle::ApiKey::parse(s)
        .map(|inner| PyApiKey { inner })
        .map_err(|e| to_pyerr(py, &e.into()))
}

#[pymethods]
impl PyApiKey {
    #[new]
    fn new(py: Python<'_>, key: &str) -> PyResult<Self> {
        parse_key(py, key)
    }

    /// Parses a key strictly (no surrounding whitespace).
    #[staticmethod]
    fn parse(py: Python<'_>, key: &str) -> PyResult<Self> {
        parse_key(py, key)
    }

    /// Parses a value read from a file or variable: surrounding whitespace is stripped first.
    #[staticmethod]
    fn parse_loaded(py: Python<'_>, raw: &str) -> PyResult<Self> {
        noorle::ApiKey::parse_loaded(raw)
            .map(|inner| PyApiKey { inner })
            .map_err(|e| to_pyerr(py, &e.into()))
    }

    #[getter]
    fn access_id(&self) -> &str {
        self.inner.access_id()
    }

    fn redacted(&self) -> String {
        self.inner.redacted()
    }

    fn expose_secret(&self) -> &str {
        self.inner.expose_secret()
    }

    fn __repr__(&self) -> String {
        format!("ApiKey('{}')", self.inner.redacted())
    }

    fn __str__(&self) -> String {
        self.inner.redacted()
    }

    fn __format__(&self, py: Python<'_>, spec: &str) -> PyResult<Py<PyAny>> {
        // Format specs apply to the redacted form (f"{key:>60}").
        PyString::new(py, &self.inner.redacted())
            .call_method1("__format__", (spec,))
            .map(Bound::unbind)
    }

    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<Py<PyAny>> {
        let py = other.py();
        let Ok(other) = other.cast::<PyApiKey>() else {
            return Ok(py.NotImplemented());
        };
        // noorle::ApiKey's PartialEq compares in constant time.
        let eq = self.inner == other.get().inner;
        match op {
            CompareOp::Eq => eq.into_py_any(py),
            CompareOp::Ne => (!eq).into_py_any(py),
            _ => Ok(py.NotImplemented()),
        }
    }

    fn __hash__(&self) -> u64 {
        // The access id is public and identifies the key well enough for hashing.
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.access_id().hash(&mut h);
        h.finish()
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(PICKLE_REFUSED))
    }

    fn __reduce_ex__(&self, _protocol: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyTypeError::new_err(PICKLE_REFUSED))
    }

    fn __getstate__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(PICKLE_REFUSED))
    }

    // Immutable: copies are the same object (copy would otherwise go through __reduce_ex__).
    fn __copy__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __deepcopy__(slf: Py<Self>, _memo: &Bound<'_, PyAny>) -> Py<Self> {
        slf
    }
}

/// Cancels an async call in the core (drops its request) when the asyncio task is cancelled.
#[pyclass(module = "noorle._native", frozen)]
struct CancelToken {
    inner: CancellationToken,
}

#[pymethods]
impl CancelToken {
    #[new]
    fn new() -> Self {
        Self {
            inner: CancellationToken::new(),
        }
    }
    fn cancel(&self) {
        self.inner.cancel();
    }
    #[getter]
    fn cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

// Operations in flight in the core, for tests of cancellation.
static INFLIGHT: AtomicUsize = AtomicUsize::new(0);

struct Inflight;
impl Inflight {
    fn enter() -> Self {
        INFLIGHT.fetch_add(1, Ordering::SeqCst);
        Inflight
    }
}
impl Drop for Inflight {
    fn drop(&mut self) {
        INFLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

fn to_op(py: Python<'_>, op: &Bound<'_, PyAny>) -> PyResult<Operation> {
    value_to_op(py, py_to_value(op)?)
}

fn value_to_op(py: Python<'_>, v: serde_json::Value) -> PyResult<Operation> {
    Operation::deserialize(v).map_err(|e| {
        to_pyerr(
            py,
            &noorle::Error::config(format!("invalid arguments: {e}")),
        )
    })
}

/// The shared runtime's handle, for a call that will wait on it from this thread.
fn blocking_handle() -> noorle::Result<tokio::runtime::Handle> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(noorle::Error::config(
            "a blocking Noorle call was made from inside an async runtime; use the async client there",
        ));
    }
    rt::handle()
}

/// Runs `op` on the runtime and hands its outcome (a panic becomes an error) to `completer`
/// for the asyncio future `fut`.
fn spawn_for_loop<F>(
    completer: Py<rt::Completer>,
    fut: Py<PyAny>,
    decode: Option<Py<PyAny>>,
    op: F,
) -> noorle::Result<()>
where
    F: std::future::Future<Output = noorle::Result<serde_json::Value>> + Send + 'static,
{
    rt::handle()?.spawn(async move {
        let r = std::panic::AssertUnwindSafe(errors::catching(op))
            .catch_unwind()
            .await
            .unwrap_or_else(|p| Err(noorle::Error::from_panic(p.as_ref())));
        rt::Completer::complete(completer, fut, decode, r);
    });
    Ok(())
}

enum SyncOutcome {
    Done(noorle::Result<serde_json::Value>),
    Interrupted(PyErr),
}

// While a sync call waits with the GIL released, Python's signal handlers cannot run; poll
// them so Ctrl-C interrupts the call (and drops the request) instead of waiting it out.
async fn python_signals() -> PyErr {
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Err(e) = Python::attach(|py| py.check_signals()) {
            return e;
        }
    }
}

/// The client: `noorle::Client` built from the options of `noorle.Client` / `AsyncClient`.
#[pyclass(module = "noorle._native", frozen)]
struct NativeClient {
    inner: noorle::Client,
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (config, api_key=None))]
    fn new(
        py: Python<'_>,
        config: &Bound<'_, PyDict>,
        api_key: Option<PyRef<'_, PyApiKey>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let cfg = ClientConfig::deserialize(py_to_value(config.as_any())?).map_err(|e| {
                to_pyerr(
                    py,
                    &noorle::Error::config(format!("invalid client options: {e}")),
                )
            })?;
            let key = api_key.map(|k| k.inner.clone());
            // Building reads key files: no GIL needed.
            let built = py.detach(move || {
                let mut b = cfg.builder()?;
                if let Some(k) = key {
                    b = b.api_key(k);
                }
                b.build()
            });
            built
                .map(|inner| Self { inner })
                .map_err(|e| to_pyerr(py, &e))
        })
    }

    /// Runs one operation, blocking this thread with the GIL released, and decodes its answer
    /// with `decode` (a [`records::Decoder`] or a callable).
    fn execute(
        &self,
        py: Python<'_>,
        op: &Bound<'_, PyAny>,
        decode: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let op = to_op(py, op)?;
            let client = self.inner.clone();
            let out = py.detach(move || {
                let _g = Inflight::enter();
                // The request runs on a runtime worker (one wake-up of this thread when it
                // ends); this thread only waits, and watches for Ctrl-C.
                let handle = blocking_handle()?;
                let mut task = handle.spawn(crate::errors::catching(async move {
                    noorle::ops::execute(Some(&client), op, None).await
                }));
                noorle::Result::Ok(handle.block_on(async move {
                    tokio::select! {
                        r = noorle::runtime::join(&mut task) => SyncOutcome::Done(r.and_then(|r| r)),
                        e = python_signals() => {
                            task.abort();
                            SyncOutcome::Interrupted(e)
                        }
                    }
                }))
            });
            match out {
                Ok(SyncOutcome::Done(Ok(v))) => records::decode(py, v, decode),
                Ok(SyncOutcome::Done(Err(e))) | Err(e) => Err(to_pyerr(py, &e)),
                Ok(SyncOutcome::Interrupted(e)) => Err(e),
            }
        })
    }

    /// Starts one operation for an asyncio caller: its answer, decoded by `decode` (or the
    /// error), is set on `fut`, an asyncio future of the running loop, by `completer`, that
    /// loop's [`rt::Completer`]. Cancelling `token` drops the request in the core.
    fn execute_async(
        &self,
        py: Python<'_>,
        op: &Bound<'_, PyAny>,
        decode: Py<PyAny>,
        token: PyRef<'_, CancelToken>,
        completer: Py<rt::Completer>,
        fut: Py<PyAny>,
    ) -> PyResult<()> {
        guard(py, || {
            let op = to_op(py, op)?;
            let client = self.inner.clone();
            let token = token.inner.clone();
            spawn_for_loop(completer, fut, Some(decode), async move {
                let _g = Inflight::enter();
                noorle::ops::execute(Some(&client), op, Some(&token)).await
            })
            .map_err(|e| to_pyerr(py, &e))
        })
    }

    /// Where the key came from, the redacted key, the base URL and loading warnings: what the
    /// `key_source` operation answers, without a trip through the runtime (the constructor
    /// reads it, and must not start the runtime's threads for it).
    fn info(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            answer_to_py(py, noorle::ops::client_info(&self.inner))
        })
    }

    /// The redacted key, for `repr(client)`.
    fn redacted_key(&self) -> String {
        self.inner.api_key().redacted()
    }

    #[getter]
    fn base_url(&self) -> &str {
        self.inner.base_url()
    }
}

/// Runs an operation that needs no client (`load_api_key`, `version`, ...). `api_key` is the
/// explicit key of a `load_api_key` (the loading chain's first source).
#[pyfunction]
#[pyo3(signature = (op, api_key=None))]
fn execute_static(
    py: Python<'_>,
    op: &Bound<'_, PyAny>,
    api_key: Option<PyRef<'_, PyApiKey>>,
) -> PyResult<Py<PyAny>> {
    guard(py, || {
        let mut v = py_to_value(op)?;
        if let (Some(key), Some(obj)) = (api_key, v.as_object_mut()) {
            let config = obj
                .entry("config")
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let Some(config) = config.as_object_mut() {
                config.insert("api_key".to_owned(), key.inner.expose_secret().into());
            }
        }
        let op = value_to_op(py, v)?;
        let r = py.detach(move || noorle::ops::execute_static(op));
        match r {
            Ok(v) => answer_to_py(py, v),
            Err(e) => Err(to_pyerr(py, &e)),
        }
    })
}

/// The header to send a key with: `(name, value)`. The value holds the secret.
#[pyfunction]
#[pyo3(signature = (key, scheme="x-api-key"))]
fn auth_header(
    py: Python<'_>,
    key: PyRef<'_, PyApiKey>,
    scheme: &str,
) -> PyResult<(String, String)> {
    guard(py, || {
        let scheme: noorle::HeaderScheme = scheme
            .parse()
            .map_err(|e: noorle::Error| to_pyerr(py, &e))?;
        let (name, value) = noorle::auth_header(&key.inner, scheme);
        Ok((name.to_owned(), value))
    })
}

/// Sends the core's `tracing` events to `logging` with this filter. False if a bridge was
/// already installed.
#[pyfunction]
fn enable_logging(filter: &str) -> PyResult<bool> {
    logging::install(filter).map_err(PyValueError::new_err)
}

/// Registered with `atexit`: from here on, runtime threads no longer touch Python; waits for
/// those that are (see rt.rs).
#[pyfunction]
fn _shutdown(py: Python<'_>) {
    py.detach(rt::shutdown);
}

/// Operations running in the core right now (tests use it to see a cancelled call dropped).
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _inflight() -> usize {
    INFLIGHT.load(Ordering::SeqCst)
}

/// Panics inside the extension, sync or async, to test that a panic becomes a NoorleError.
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _panic_for_test<'py>(py: Python<'py>, asynchronous: bool) -> PyResult<Bound<'py, PyAny>> {
    if !asynchronous {
        return guard(py, || -> PyResult<Bound<'py, PyAny>> {
            panic!(
                "deliberate test panic holding ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6"
            )
        });
    }
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let fut = event_loop.call_method0("create_future")?;
    let completer = Py::new(py, rt::Completer::new_for(&event_loop)?)?;
    spawn_for_loop(completer, fut.clone().unbind(), None, async move {
        panic!("deliberate async test panic")
    })
    .map_err(|e| to_pyerr(py, &e))?;
    Ok(fut)
}

/// Panics on a thread of its own, outside every entry point: the process's panic hook reports it.
#[cfg(feature = "test-hooks")]
#[pyfunction]
fn _panic_in_thread(py: Python<'_>) -> bool {
    py.detach(|| {
        std::thread::spawn(|| panic!("deliberate panic outside the SDK"))
            .join()
            .is_err()
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::chain_panic_hook();
    rt::watch_forks();
    m.add_class::<PyApiKey>()?;
    m.add_class::<NativeClient>()?;
    m.add_class::<CancelToken>()?;
    m.add_class::<rt::Completer>()?;
    m.add_class::<records::Decoder>()?;
    m.add_function(wrap_pyfunction!(execute_static, m)?)?;
    m.add_function(wrap_pyfunction!(auth_header, m)?)?;
    m.add_function(wrap_pyfunction!(enable_logging, m)?)?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    #[cfg(feature = "test-hooks")]
    {
        m.add_function(wrap_pyfunction!(_inflight, m)?)?;
        m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
        m.add_function(wrap_pyfunction!(_panic_in_thread, m)?)?;
    }
    m.add("VERSION", noorle::VERSION)?;
    Ok(())
}
