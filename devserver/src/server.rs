//! The accept loop and the per-request pipeline: request id, faults and request log, body
//! limit, authentication, rate limit, idempotency, then the router.
//!
//! We run our own hyper loop rather than `axum::serve` because a `drop` fault must close the
//! connection without any response: hyper does exactly that when the service returns `Err`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Method, Request, Response};
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

use crate::auth;
use crate::errors::ApiError;
use crate::faults::{self, Fault, Seen};
use crate::idempotency;
use crate::state::AppState;
use crate::util;

/// Request bodies above this are refused with `400 invalid_request`.
pub const MAX_BODY: usize = 64 * 1024;

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    router: Router,
    mut shutdown: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            // A sent signal and a dropped sender both mean stop.
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let (st, rt) = (state.clone(), router.clone());
                    let svc = hyper::service::service_fn(move |req| handle(st.clone(), rt.clone(), req));
                    let conn = graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), svc));
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // E.g. out of file descriptors: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after 30 s; closing them");
    }
}

/// A request id needs to be unique, not secret: the thread's CSPRNG (seeded from the OS) gives
/// it without a system call per request.
fn request_id() -> HeaderValue {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    id.push_str(&util::hex(&bytes));
    HeaderValue::from_str(&id)
        .unwrap_or_else(|_| HeaderValue::from_static("req_000000000000000000000000"))
}

async fn handle(
    state: Arc<AppState>,
    router: Router,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let rid = request_id();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let is_dev = path == "/_dev" || path.starts_with("/_dev/");

    let mut log_seq = None;
    let mut fault = None;
    if let (Some(f), false) = (&state.faults, is_dev) {
        let (auth_header, access_id) = auth::presented(req.headers());
        let idem = req
            .headers()
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok());
        let seen = Seen {
            method: method.as_str(),
            path: &path,
            access_id: access_id.as_deref(),
            auth_header,
            idempotency_key: idem,
        };
        fault = f.take(&seen);
        log_seq = Some(f.log_start(&seen, fault.as_ref()));
    }

    let mut resp = match fault {
        Some(Fault::Drop) => {
            tracing::info!(%method, %path, "fault: dropping the connection");
            return Err(Dropped);
        }
        Some(Fault::Status {
            status,
            retry_after,
            code,
        }) => faults::status_response(status, retry_after, code.as_deref()),
        Some(Fault::DropAfter) => {
            let resp = dispatch(&state, router, req, is_dev).await;
            if let (Some(f), Some(seq)) = (&state.faults, log_seq) {
                f.log_finish(seq, resp.status().as_u16());
            }
            tracing::info!(%method, %path, "fault: executed, dropping the answer");
            return Err(Dropped);
        }
        Some(Fault::Stall { ms }) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            dispatch(&state, router, req, is_dev).await
        }
        None => dispatch(&state, router, req, is_dev).await,
    };
    resp.headers_mut().insert("x-request-id", rid);
    if let (Some(f), Some(seq)) = (&state.faults, log_seq) {
        f.log_finish(seq, resp.status().as_u16());
    }
    Ok(resp)
}

async fn dispatch(
    state: &Arc<AppState>,
    router: Router,
    req: Request<Incoming>,
    is_dev: bool,
) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(Body::new(body), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::bad_request("the request body is over 64 KiB or could not be read")
                .into_response()
        }
    };
    if is_dev {
        return match &state.faults {
            Some(f) => f.handle(&parts.method, &parts.uri, &body),
            None => ApiError::not_found("no such endpoint").into_response(),
        };
    }
    let path = parts.uri.path();
    if !(path == "/v1" || path.starts_with("/v1/")) {
        return route(router, Request::from_parts(parts, Body::from(body))).await;
    }

    let now = util::now();
    let principal = match auth::authenticate(state, &parts.headers, now) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let rate = state
        .rate
        .check(principal.access_id(), principal.key.rate_limit, now);
    if rate.retry_after.is_some() {
        let mut r = ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            format!("rate limit of {} requests per minute exceeded", rate.limit),
        )
        .into_response();
        rate.apply(r.headers_mut());
        return r;
    }
    state.touch(principal.access_id(), now);
    let caller = principal.access_id().to_string();
    parts.extensions.insert(principal);

    let idem = match parts.headers.get("idempotency-key") {
        Some(v) if parts.method == Method::POST => match idempotency::valid_key(v) {
            Some(k) => Some(k.to_string()),
            None => {
                let mut r = ApiError::bad_request(
                    "Idempotency-Key must be 1 to 255 printable ASCII characters",
                )
                .into_response();
                rate.apply(r.headers_mut());
                return r;
            }
        },
        _ => None,
    };
    let mut resp = match idem {
        Some(key) => {
            let pq = parts
                .uri
                .path_and_query()
                .map_or(parts.uri.path(), |p| p.as_str())
                .to_string();
            let fp = idempotency::fingerprint(parts.method.as_str(), &pq, &body);
            let req = Request::from_parts(parts, Body::from(body));
            state
                .idempotency
                .run(&caller, &key, fp, || route(router, req))
                .await
        }
        None => route(router, Request::from_parts(parts, Body::from(body))).await,
    };
    rate.apply(resp.headers_mut());
    resp
}

async fn route(router: Router, req: Request<Body>) -> Response<Body> {
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    enveloped(resp).await
}

/// Every error answer carries the JSON envelope, also the framework's own rejections (a path
/// segment that is not UTF-8, a query string that does not decode), which answer in plain text.
async fn enveloped(resp: Response<Body>) -> Response<Body> {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match text.trim() {
        "" => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string(),
        t => t.to_string(),
    };
    let mut out = ApiError::new(status, message).into_response();
    // Keep the framework's other headers (e.g. `Allow`), but not its length or type.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}
