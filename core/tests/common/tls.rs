//! A loopback listener that reads the first TLS record header and hangs up: a ClientHello
//! (record type 22) proves the client's TLS stack ran, whatever crypto provider it used.

use noorle::{Client, ErrorKind};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A TLS handshake record.
pub const HANDSHAKE: u8 = 22;
const KEY: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

pub struct TlsProbe {
    listener: TcpListener,
}

impl TlsProbe {
    pub async fn new() -> Self {
        Self {
            listener: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    /// A client of this listener over `https`, with no retries.
    pub fn client(&self) -> Client {
        let port = self.listener.local_addr().unwrap().port();
        Client::builder()
            .no_ambient_config()
            .api_key(KEY.parse().unwrap())
            .base_url(format!("https://127.0.0.1:{port}"))
            .max_retries(0)
            .build()
            .unwrap()
    }

    /// Calls `whoami` through `client`; returns the first byte the listener received. The call
    /// itself fails with a connection error, since the listener hangs up.
    pub async fn first_byte(&self, client: &Client) -> u8 {
        let accept = async {
            let (mut stream, _) = self.listener.accept().await.unwrap();
            let mut header = [0u8; 5];
            stream.read_exact(&mut header).await.unwrap();
            header[0]
        };
        let (byte, answer) = tokio::join!(accept, client.whoami());
        let err = answer.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Connection, "{err}");
        byte
    }
}
