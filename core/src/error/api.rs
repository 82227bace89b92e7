//! [`ApiError`]: a server's error answer, decoded from whichever body it sent.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::redact::{redact_keys_in, redact_value};

/// A non-success answer from the server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub details: Option<Value>,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Builds the error from a response: the Noorle envelope, an OAuth-style body, or any other
    /// body (its text, shortened, becomes the message).
    pub fn from_response(
        status: u16,
        body: &[u8],
        request_id: Option<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        let mut code = default_code(status).to_owned();
        let mut message = String::new();
        let mut details = None;
        if let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) {
            match obj.get("error") {
                Some(Value::Object(e)) => {
                    if let Some(c) = e.get("code").and_then(Value::as_str) {
                        code = c.to_owned();
                    }
                    if let Some(m) = e.get("message").and_then(Value::as_str) {
                        message = m.to_owned();
                    }
                    details = e.get("details").filter(|d| !d.is_null()).cloned();
                }
                Some(Value::String(c)) => {
                    code = c.clone();
                    if let Some(m) = obj.get("error_description").and_then(Value::as_str) {
                        message = m.to_owned();
                    }
                }
                _ => {}
            }
            if message.is_empty() {
                if let Some(m) = obj.get("message").and_then(Value::as_str) {
                    message = m.to_owned();
                }
            }
        } else {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            message = text.chars().take(200).collect();
        }
        if message.is_empty() {
            message = format!("the server answered {status} with no explanation");
        }
        Self {
            status,
            code: redact_keys_in(&code),
            message: redact_keys_in(&message),
            request_id,
            details: details.map(redact_value),
            retry_after,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "validation_error",
        429 => "rate_limited",
        503 => "service_unavailable",
        500..=599 => "internal_error",
        _ => "http_error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    #[test]
    fn parses_noorle_envelope() {
        let body =
            br#"{"error":{"code":"not_found","message":"no such key","details":{"id":"x"}}}"#;
        let e = ApiError::from_response(404, body, Some("req_1".into()), None);
        assert_eq!(e.code, "not_found");
        assert_eq!(e.message, "no such key");
        assert_eq!(e.details, Some(serde_json::json!({"id": "x"})));
        let err = Error::Api(Box::new(e));
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.request_id(), Some("req_1"));
        assert!(err.to_string().contains("req_1"));
    }

    #[test]
    fn parses_oauth_and_plain_bodies() {
        let e = ApiError::from_response(
            401,
            br#"{"error":"invalid_token","error_description":"expired"}"#,
            None,
            None,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("invalid_token", "expired")
        );
        let e = ApiError::from_response(502, b"<html>Bad Gateway</html>", None, None);
        assert_eq!(e.code, "internal_error");
        assert_eq!(e.message, "<html>Bad Gateway</html>");
        let e = ApiError::from_response(503, b"", None, None);
        assert_eq!(e.code, "service_unavailable");
        assert!(e.message.contains("503"));
    }

    #[test]
    fn redacts_keys_in_code_and_details() {
        let k = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
        let body = serde_json::json!({"error": {"code": format!("bad_{k}"), "message": "m",
            "details": {"key": k, "list": [k, 1], k: true}}});
        let e = ApiError::from_response(400, body.to_string().as_bytes(), None, None);
        let all = format!("{e:?}");
        assert!(!all.contains("s9t0"), "{all}");
        assert_eq!(e.code, "bad_ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***");
        let d = e.details.unwrap();
        assert_eq!(d["list"][1], 1);
        assert_eq!(d["ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"], true);
    }
}
