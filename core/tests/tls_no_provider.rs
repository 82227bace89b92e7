//! With no process-wide rustls provider installed, a client still speaks TLS, and building it
//! installs none. (Its own process: a default provider is process-wide.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/tls.rs"]
mod tls;

use rustls::crypto::CryptoProvider;
use tls::{TlsProbe, HANDSHAKE};

#[tokio::test]
async fn a_client_speaks_tls_without_a_default_provider_and_installs_none() {
    assert!(CryptoProvider::get_default().is_none());
    let probe = TlsProbe::new().await;
    let client = probe.client();
    assert_eq!(probe.first_byte(&client).await, HANDSHAKE);
    assert!(
        CryptoProvider::get_default().is_none(),
        "the SDK installed a process-wide rustls provider"
    );
}
