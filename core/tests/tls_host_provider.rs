//! A host application installs its own rustls provider after the SDK built a client: the
//! install succeeds (the SDK took no slot), nothing panics, and old and new clients work.
//! (Its own process: a default provider is process-wide.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/tls.rs"]
mod tls;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use tls::{TlsProbe, HANDSHAKE};

#[tokio::test]
async fn a_provider_installed_after_building_a_client_is_the_hosts() {
    let probe = TlsProbe::new().await;
    let before = probe.client();
    assert_eq!(probe.first_byte(&before).await, HANDSHAKE);

    // A provider that differs from the SDK's: one cipher suite only.
    let mut host = rustls::crypto::ring::default_provider();
    host.cipher_suites.truncate(1);
    host.install_default()
        .expect("the SDK had already installed a process-wide provider");
    let installed = CryptoProvider::get_default().unwrap();
    assert_eq!(installed.cipher_suites.len(), 1);

    let after = probe.client();
    assert_eq!(probe.first_byte(&after).await, HANDSHAKE);
    assert_eq!(probe.first_byte(&before).await, HANDSHAKE);
    // Still the host's provider.
    assert!(Arc::ptr_eq(
        installed,
        CryptoProvider::get_default().unwrap()
    ));
}
