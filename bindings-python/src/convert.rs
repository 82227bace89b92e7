//! JSON values to and from Python objects, so that operations cross the boundary without a
//! round trip through JSON text (and a created key never exists as a Python `str`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::{Map, Number, Value};

use crate::PyApiKey;

/// Containers nested deeper than this are refused (serde_json reads no deeper by default, and
/// the conversion recurses on the native stack: unbounded input would overflow it).
pub const MAX_DEPTH: usize = 128;

/// A Python object made of dicts, lists, tuples, str, int, float, bool and None, as JSON.
/// Raises `ValueError` for a value nested deeper than [`MAX_DEPTH`] or that contains itself.
pub fn py_to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value(obj, &mut Vec::new())
}

// `path` holds the containers being converted, outermost first: one met again is a cycle.
fn to_value(obj: &Bound<'_, PyAny>, path: &mut Vec<*mut pyo3::ffi::PyObject>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: bool is a subclass of int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(PyTypeError::new_err(
            "integer out of the range JSON numbers allow",
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyTypeError::new_err("NaN and infinity are not valid JSON"));
    }
    let is_container = obj.cast::<PyDict>().is_ok()
        || obj.cast::<PyList>().is_ok()
        || obj.cast::<PyTuple>().is_ok();
    if !is_container {
        return Err(PyTypeError::new_err(format!(
            "cannot send a {} as JSON",
            obj.get_type().name()?
        )));
    }
    let ptr = obj.as_ptr();
    if path.contains(&ptr) {
        return Err(PyValueError::new_err(
            "cannot send a value that contains itself as JSON (circular reference)",
        ));
    }
    if path.len() >= MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "cannot send JSON nested more than {MAX_DEPTH} levels deep"
        )));
    }
    path.push(ptr);
    let out = container_to_value(obj, path);
    path.pop();
    out
}

fn container_to_value(
    obj: &Bound<'_, PyAny>,
    path: &mut Vec<*mut pyo3::ffi::PyObject>,
) -> PyResult<Value> {
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let k = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err("JSON object keys must be str"))?;
            m.insert(k.to_cow()?.into_owned(), to_value(&v, path)?);
        }
        return Ok(Value::Object(m));
    }
    let items = if let Ok(l) = obj.cast::<PyList>() {
        l.iter()
            .map(|v| to_value(&v, path))
            .collect::<PyResult<_>>()
    } else {
        obj.cast::<PyTuple>()?
            .iter()
            .map(|v| to_value(&v, path))
            .collect::<PyResult<_>>()
    };
    items.map(Value::Array)
}

/// A JSON value as plain Python objects.
pub fn value_to_py(py: Python<'_>, v: Value) -> PyResult<Py<PyAny>> {
    match v {
        Value::Null => Ok(py.None()),
        Value::Bool(b) => b.into_py_any(py),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_py_any(py)
            } else if let Some(u) = n.as_u64() {
                u.into_py_any(py)
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_py_any(py)
            }
        }
        Value::String(s) => s.into_py_any(py),
        Value::Array(a) => {
            let items = a
                .into_iter()
                .map(|v| value_to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        }
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, v) in m {
                d.set_item(k, value_to_py(py, v)?)?;
            }
            d.into_py_any(py)
        }
    }
}

/// The answer of an operation as Python objects. A top-level `"key"` (the whole key, returned
/// once at creation or by the loader) becomes an `ApiKey` here, in Rust, so the secret never
/// exists as a Python `str` unless the user calls `expose_secret()`.
pub fn answer_to_py(py: Python<'_>, mut v: Value) -> PyResult<Py<PyAny>> {
    let key = match &mut v {
        Value::Object(m) => match m.remove("key") {
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                m.insert("key".to_owned(), other);
                None
            }
            None => None,
        },
        _ => None,
    };
    let obj = value_to_py(py, v)?;
    if let Some(raw) = key {
        // The plain copy of the secret is overwritten when dropped.
        let raw = zeroize::Zeroizing::new(raw);
        let k = noorle::ApiKey::parse(&raw).map_err(|e| crate::errors::to_pyerr(py, &e.into()))?;
        obj.bind(py)
            .cast::<PyDict>()?
            .set_item("key", Py::new(py, PyApiKey { inner: k })?)?;
    }
    Ok(obj)
}
