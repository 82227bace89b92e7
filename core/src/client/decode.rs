//! Turning answers into values: the decoding calls over the retry loop, the envelope decoder
//! that reads one field without building a tree, and the page and created-key decoders.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::{Client, RequestOptions};
use crate::error::{Error, Result};
use crate::models::{Page, RawResponse};

impl Client {
    /// An authenticated call to any Noorle endpoint, with the same retries and errors. Non-success
    /// statuses are errors; the answer carries the status, headers and decoded JSON.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        json: Option<&Value>,
        opts: RequestOptions,
    ) -> Result<RawResponse> {
        let (status, headers, body) = self.send(method, path, query, json, opts).await?;
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
        };
        let headers = headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        Ok(RawResponse {
            status,
            headers,
            json,
        })
    }

    /// Encodes `body`, sends the request and returns the answer's bytes.
    async fn send_encoded<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&B>,
        idempotency_key: Option<String>,
    ) -> Result<bytes::Bytes> {
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::config(format!("cannot encode the request: {e}")))?;
        let opts = RequestOptions {
            idempotency_key,
            ..RequestOptions::default()
        };
        let (_, _, bytes) = self.send(method, path, query, body.as_ref(), opts).await?;
        Ok(bytes)
    }

    /// Sends a request and decodes `field` of the answer's JSON object.
    pub(crate) async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&B>,
        idempotency_key: Option<String>,
        field: &str,
    ) -> Result<T> {
        let bytes = self
            .send_encoded(method, path, query, body, idempotency_key)
            .await?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde::de::DeserializeSeed::deserialize(FieldSeed::<T>::new(field), &mut de)
            .map_err(|e| unexpected(path, e))
    }

    /// Sends a request and decodes the whole JSON answer.
    pub(crate) async fn call_value<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&B>,
        idempotency_key: Option<String>,
    ) -> Result<Value> {
        let bytes = self
            .send_encoded(method, path, query, body, idempotency_key)
            .await?;
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| unexpected(path, e))
    }
}

pub(super) fn unexpected(path: &str, e: serde_json::Error) -> Error {
    Error::Connection(format!("unexpected answer from {path}: {e}"))
}

/// Decodes one field of a JSON object straight into `T`, skipping the others (the answers'
/// envelopes are `{"<field>": {...}}`), without building a `Value` tree first.
struct FieldSeed<'f, T> {
    field: &'f str,
    _t: std::marker::PhantomData<T>,
}

impl<'f, T> FieldSeed<'f, T> {
    fn new(field: &'f str) -> Self {
        Self {
            field,
            _t: std::marker::PhantomData,
        }
    }
}

impl<'de, T: DeserializeOwned> serde::de::DeserializeSeed<'de> for FieldSeed<'_, T> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for FieldSeed<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an object with the field '{}'", self.field)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == self.field && found.is_none() {
                found = Some(map.next_value::<T>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        found.ok_or_else(|| serde::de::Error::custom(format!("no '{}' in the answer", self.field)))
    }
}

/// `{"<field>": [...], "total", "limit", "offset"}` → a page.
/// A page answered for offset `asked`. An answer for another offset is an error: a server that
/// ignores `offset` would otherwise make every page walk (in every binding) loop for ever.
pub(crate) fn decode_page<T: DeserializeOwned>(
    mut v: Value,
    field: &str,
    asked: u64,
) -> Result<Page<T>> {
    let items = v.get_mut(field).map(Value::take).unwrap_or_default();
    let items: Vec<T> = serde_json::from_value(items).map_err(|e| unexpected(field, e))?;
    let num = |k: &str| v.get(k).and_then(Value::as_u64);
    let offset = num("offset").unwrap_or(0);
    if offset != asked {
        return Err(Error::Connection(format!(
            "the server does not page: asked for offset {asked}, it answered offset {offset} \
             with {} item(s)",
            items.len()
        )));
    }
    Ok(Page {
        total: num("total").unwrap_or(items.len() as u64),
        limit: num("limit")
            .and_then(|l| u32::try_from(l).ok())
            .unwrap_or(20),
        offset,
        items,
    })
}

/// An answer that carries a whole key (`CreatedApiKey`, `RotatedApiKey`, `CreatedServiceAccount`):
/// the key is parsed strictly into zeroizing storage, and an error never quotes it.
pub(crate) fn decode_created<T: DeserializeOwned>(v: Value, path: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| unexpected(path, e))
}
