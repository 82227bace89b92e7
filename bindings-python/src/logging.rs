//! The core's `tracing` events, forwarded to Python's `logging` (logger `noorle`, or
//! `noorle.<target>` for the HTTP stack's own targets), filtered by a `NOORLE_LOG`-style filter.
//! Messages pass through the core's key redaction once more before they reach Python.

use std::fmt::Write as _;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

static GET_LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={}", field.name(), value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={:?}", field.name(), value);
        }
    }
}

struct PyLogLayer;

fn py_level(l: &Level) -> i32 {
    match *l {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

impl<S: Subscriber> Layer<S> for PyLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut f = Fields::default();
        event.record(&mut f);
        let text = noorle::redact_keys_in(&format!("{}{}", f.message, f.rest));
        let target = meta.target();
        let name = if target == "noorle" || target.starts_with("noorle::") {
            "noorle".to_owned()
        } else {
            format!("noorle.{}", target.split("::").next().unwrap_or(target))
        };
        let level = py_level(meta.level());
        // Not once the interpreter is shutting down (see rt.rs): the record is dropped.
        let Some(_entered) = crate::rt::enter() else {
            return;
        };
        // Logging must never break a request: Python errors here are dropped.
        Python::attach(|py| {
            let _ = (|| -> PyResult<()> {
                let get = GET_LOGGER.import(py, "logging", "getLogger")?;
                let logger = get.call1((name,))?;
                if logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                    logger.call_method1("log", (level, "%s", text))?;
                }
                Ok(())
            })();
        });
    }
}

/// Installs the bridge with a `tracing` filter (`debug`, `noorle=trace,hyper=warn`, ...). Only
/// the first call in a process installs it; returns whether this one did.
pub fn install(filter: &str) -> Result<bool, String> {
    let filter: Targets = filter
        .parse()
        .map_err(|e| format!("invalid log filter '{filter}': {e}"))?;
    let subscriber = tracing_subscriber::registry().with(PyLogLayer.with_filter(filter));
    Ok(tracing::subscriber::set_global_default(subscriber).is_ok())
}
