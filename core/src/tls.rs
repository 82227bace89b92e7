//! The TLS configuration every client gets.
//!
//! reqwest is built without a rustls provider, and the SDK installs no process-wide default: that
//! belongs to the application, which may install its own before or after building a client.
//! Each client gets a config that names *ring* directly and verifies certificates with the
//! platform verifier (the roots reqwest itself would use).

use std::sync::Arc;

use crate::error::{Error, Result};

pub(crate) fn client_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
        .map_err(|e| Error::config(format!("cannot load the platform's TLS roots: {e}")))?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("cannot configure TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // What reqwest offers when it builds the config itself.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
