//! Answers decoded straight into the package's record classes (`noorle/_records.py`), so that a
//! call's hot path runs no Python decoder and builds no intermediate dict.
//!
//! A [`Decoder`] holds the record's plan, generated with the records (`PLANS` in `_records.py`),
//! and the Python decoder it stands for. The native path takes only answers of the exact shape
//! the plan describes; anything else (a missing field, a wrong type, a timestamp it does not
//! read) goes to the Python decoder, which builds the same record or raises its precise error.
//! `tests/test_records.py` holds the two paths to the same results.

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyTuple, PyType};
use pyo3::IntoPyObjectExt;
use serde_json::Value;
use zeroize::Zeroize;

use crate::convert::{answer_to_py, value_to_py};
use crate::PyApiKey;

// Field kinds, as `scripts/surface/python.py` writes them into the plans.
const STR: u8 = 0;
const INT: u8 = 1;
const BOOL: u8 = 2;
const TIMESTAMP: u8 = 3;
const RECORD: u8 = 4;
const LIST: u8 = 5;
const JSON: u8 = 6;
const SECRET_KEY: u8 = 7;
const PYTHON: u8 = 8;

enum Kind {
    Str,
    Int,
    Bool,
    Timestamp,
    Record(Arc<Plan>),
    List(Box<Kind>),
    Json,
    SecretKey,
    /// A Python decoder of the field's JSON value (a tagged union's `from_dict`).
    Python(Py<PyAny>),
}

struct Field {
    name: Py<PyString>,
    key: String,
    nullable: bool,
    kind: Kind,
}

struct Plan {
    cls: Py<PyType>,
    fields: Vec<Field>,
}

/// A plan's `(kind, sub)` pair: `sub` is the record's plan, the list's element or the decoder.
fn compile_kind(kind: u8, sub: &Bound<'_, PyAny>) -> PyResult<Kind> {
    Ok(match kind {
        STR => Kind::Str,
        INT => Kind::Int,
        BOOL => Kind::Bool,
        TIMESTAMP => Kind::Timestamp,
        RECORD => Kind::Record(Arc::new(compile(sub)?)),
        LIST => {
            let (k, s): (u8, Bound<'_, PyAny>) = sub.extract()?;
            Kind::List(Box::new(compile_kind(k, &s)?))
        }
        JSON => Kind::Json,
        SECRET_KEY => Kind::SecretKey,
        PYTHON => Kind::Python(sub.clone().unbind()),
        other => return Err(PyTypeError::new_err(format!("unknown field kind {other}"))),
    })
}

/// `(cls, ((name, kind, nullable, sub), ...))`, fields in `__slots__` order.
fn compile(plan: &Bound<'_, PyAny>) -> PyResult<Plan> {
    let (cls, fields): (Bound<'_, PyType>, Bound<'_, PyTuple>) = plan.extract()?;
    let fields = fields
        .iter()
        .map(|f| {
            let (name, kind, nullable, sub): (Bound<'_, PyString>, u8, bool, Bound<'_, PyAny>) =
                f.extract()?;
            Ok(Field {
                key: name.to_str()?.to_owned(),
                name: name.unbind(),
                nullable,
                kind: compile_kind(kind, &sub)?,
            })
        })
        .collect::<PyResult<_>>()?;
    Ok(Plan {
        cls: cls.unbind(),
        fields,
    })
}

/// What the records are built with: `object.__new__`, `datetime.datetime` and `timezone.utc`.
struct Builtins {
    new: Py<PyAny>,
    datetime: Py<PyAny>,
    utc: Py<PyAny>,
}

static BUILTINS: PyOnceLock<Builtins> = PyOnceLock::new();

fn builtins(py: Python<'_>) -> PyResult<&Builtins> {
    BUILTINS.get_or_try_init(py, || {
        let dt = py.import("datetime")?;
        Ok(Builtins {
            new: py
                .import("builtins")?
                .getattr("object")?
                .getattr("__new__")?
                .unbind(),
            datetime: dt.getattr("datetime")?.unbind(),
            utc: dt.getattr("timezone")?.getattr("utc")?.unbind(),
        })
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, the form the core and the server write; `None` for any other
/// (an offset, a lowercase `t` or `z`, more than six fraction digits), which the Python decoder
/// reads instead.
fn utc_parts(s: &str) -> Option<[u32; 7]> {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let shape = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if shape.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let micros = match b.len() - 20 {
        0 => 0,
        n @ 2..=7 if b[19] == b'.' => {
            let digits = n - 1;
            num(20..20 + digits)? * 10u32.pow(6 - digits as u32)
        }
        _ => return None,
    };
    Some([
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
        micros,
    ])
}

impl Plan {
    /// The record for `v`, or `None` when `v` is not exactly of the plan's shape.
    fn build(&self, py: Python<'_>, v: &Value) -> PyResult<Option<Py<PyAny>>> {
        let Value::Object(m) = v else {
            return Ok(None);
        };
        let obj = builtins(py)?.new.call1(py, (self.cls.bind(py),))?;
        for f in &self.fields {
            let value = match m.get(&f.key) {
                None => return Ok(None),
                Some(Value::Null) if f.nullable => py.None(),
                Some(x) => match value(py, &f.kind, x)? {
                    Some(x) => x,
                    None => return Ok(None),
                },
            };
            // The records are frozen: set the slot as `object.__setattr__` does.
            // SAFETY: three live objects, held by `obj`, `f.name` and `value`, and the GIL is held.
            let rc = unsafe {
                pyo3::ffi::PyObject_GenericSetAttr(obj.as_ptr(), f.name.as_ptr(), value.as_ptr())
            };
            if rc != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(Some(obj))
    }
}

fn value(py: Python<'_>, kind: &Kind, v: &Value) -> PyResult<Option<Py<PyAny>>> {
    Ok(Some(match (kind, v) {
        (Kind::Str, Value::String(s)) => PyString::new(py, s).into_any().unbind(),
        (Kind::Int, Value::Number(n)) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py)?,
            (None, Some(u)) => u.into_py_any(py)?,
            _ => return Ok(None),
        },
        (Kind::Bool, Value::Bool(b)) => b.into_py_any(py)?,
        (Kind::Timestamp, Value::String(s)) => {
            let Some([y, mo, d, h, mi, sec, us]) = utc_parts(s) else {
                return Ok(None);
            };
            let b = builtins(py)?;
            // An out-of-range field (month 13, second 60) raises: the Python decoder reports it.
            match b
                .datetime
                .call1(py, (y, mo, d, h, mi, sec, us, b.utc.bind(py)))
            {
                Ok(t) => t,
                Err(_) => return Ok(None),
            }
        }
        (Kind::Record(plan), _) => return plan.build(py, v),
        (Kind::List(item), Value::Array(a)) => {
            let mut items = Vec::with_capacity(a.len());
            for x in a {
                match value(py, item, x)? {
                    Some(x) => items.push(x),
                    None => return Ok(None),
                }
            }
            PyTuple::new(py, items)?.into_any().unbind()
        }
        (Kind::Json, _) => value_to_py(py, v.clone())?,
        (Kind::SecretKey, Value::String(s)) => match noorle::ApiKey::parse(s) {
            Ok(k) => Py::new(py, PyApiKey { inner: k })?.into_any(),
            Err(_) => return Ok(None),
        },
        (Kind::Python(decode), Value::Object(_)) => {
            match decode.call1(py, (value_to_py(py, v.clone())?,)) {
                Ok(x) => x,
                Err(_) => return Ok(None),
            }
        }
        _ => return Ok(None),
    }))
}

/// Decodes an answer into a record (`Decoder(key, plan, fallback)`): natively by the plan when
/// the answer (its member `key`, or all of it) has the plan's shape, else by `fallback`, the
/// Python decoder of the whole answer. Calling it decodes a Python value with `fallback`.
#[pyclass(module = "noorle._native", frozen)]
pub struct Decoder {
    key: Option<String>,
    plan: Plan,
    fallback: Py<PyAny>,
}

#[pymethods]
impl Decoder {
    #[new]
    #[pyo3(signature = (key, plan, fallback))]
    fn new(key: Option<String>, plan: &Bound<'_, PyAny>, fallback: Py<PyAny>) -> PyResult<Self> {
        Ok(Self {
            key,
            plan: compile(plan)?,
            fallback,
        })
    }

    fn __call__(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.fallback.call1(py, (v,))
    }

    /// Decodes JSON text as an answer from the core (the native path and its fallback; tests).
    fn decode_json(&self, py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        self.decode(py, v)
    }
}

impl Decoder {
    fn decode(&self, py: Python<'_>, mut v: Value) -> PyResult<Py<PyAny>> {
        let target = match &self.key {
            Some(k) => v.get(k.as_str()),
            None => Some(&v),
        };
        if let Some(obj) = target.and_then(|t| self.plan.build(py, t).ok().flatten()) {
            // The answer's copy of a created key's secret is overwritten, as `answer_to_py` does.
            if let Some(Value::String(s)) = v.get_mut("key") {
                s.zeroize();
            }
            return Ok(obj);
        }
        self.fallback.call1(py, (answer_to_py(py, v)?,))
    }
}

/// An operation's answer decoded by `decode`: a [`Decoder`], or any callable taking the answer
/// as Python objects.
pub fn decode(py: Python<'_>, v: Value, decode: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    match decode.cast::<Decoder>() {
        Ok(d) => d.get().decode(py, v),
        Err(_) => Ok(decode.call1((answer_to_py(py, v)?,))?.unbind()),
    }
}
