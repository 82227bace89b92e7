//! The TLS configuration every client gets.
//!
//! reqwest is built without a rustls provider, and the SDK installs no process-wide default: that
//! belongs to the application, which may install its own before or after building a client.
//! Each client gets a config that names *ring* directly and verifies certificates with the
//! platform verifier (the roots reqwest itself would use).
//!
//! The platform's roots are loaded once per process, by the first client's first call, and
//! shared by every client after it (docs/decisions.md, "An idle client is cheap"): each load reads and
//! parses every root certificate of the system, and the result does not differ between clients.

use std::sync::{Arc, Mutex};

use rustls::client::danger::ServerCertVerifier;

use crate::error::{Error, Result};

static VERIFIER: Mutex<Option<Arc<dyn ServerCertVerifier>>> = Mutex::new(None);

/// The platform verifier with the system's roots, loaded on the first call of the process. A
/// failure (no usable root certificate) is not kept: the next call tries again.
pub(crate) fn verifier() -> Result<Arc<dyn ServerCertVerifier>> {
    let mut slot = VERIFIER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(v) = slot.as_ref() {
        return Ok(v.clone());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let v: Arc<dyn ServerCertVerifier> = Arc::new(
        rustls_platform_verifier::Verifier::new(provider)
            .map_err(|e| Error::config(format!("cannot load the platform's TLS roots: {e}")))?,
    );
    *slot = Some(v.clone());
    Ok(v)
}

/// A client's TLS configuration around the shared `verifier`. Each client gets its own (and so
/// its own session cache).
pub(crate) fn client_config(verifier: Arc<dyn ServerCertVerifier>) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("cannot configure TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // What reqwest offers when it builds the config itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
