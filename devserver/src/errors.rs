//! The Noorle error envelope: `{"error": {"code", "message", "details"?}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

/// The error code the contract pairs with a status.
pub fn code_for_status(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        422 => "validation_error",
        429 => "rate_limited",
        502..=504 => "service_unavailable",
        500..=599 => "internal_error",
        _ => "invalid_request",
    }
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code_for_status(status.as_u16()),
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 422 with `details: {"field", "reason"}`.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        let (field, reason) = (field.into(), reason.into());
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid field {field}: {reason}"),
        )
        .with_details(json!({"field": field, "reason": reason}))
    }

    /// 401; `reason` goes to `details.reason` (only ever for callers that may learn it).
    pub fn unauthorized(message: impl Into<String>, reason: Option<&str>) -> Self {
        let e = Self::new(StatusCode::UNAUTHORIZED, message);
        match reason {
            Some(r) => e.with_details(json!({ "reason": r })),
            None => e,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
    }

    pub fn body(&self) -> Value {
        let mut err = json!({"code": self.code, "message": self.message});
        if let (Some(d), Some(obj)) = (&self.details, err.as_object_mut()) {
            obj.insert("details".into(), d.clone());
        }
        json!({ "error": err })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "database error");
        ApiError::internal()
    }
}
