//! `noorle dev-server`: the local server, embedded; same flags and output as
//! `noorle-dev-server`.

use std::io::Write;

use noorle_dev_server::{start, Config};

use crate::args::DevServerArgs;
use crate::fail::{code, Failure};

pub async fn run(a: DevServerArgs) -> Result<(), Failure> {
    let filter = std::env::var("NOORLE_DEV_LOG")
        .or_else(|_| std::env::var("NOORLE_LOG"))
        .unwrap_or_else(|_| "warn".to_owned());
    noorle::logging::init(&filter);
    let root_key = std::env::var("NOORLE_DEV_ROOT_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    let print_key = root_key.is_none() && a.root_key_file.is_none();
    let config = Config {
        bind: a.bind,
        db: a.db,
        fault_injection: a.fault_injection,
        root_key,
        root_key_file: a.root_key_file,
        default_rate_limit: a.default_rate_limit,
        allow_non_loopback: a.allow_non_loopback,
    };
    let server = start(config).await.map_err(|e| {
        // The server's errors name the problem but never a key.
        Failure::new(
            code::GENERIC,
            format!("cannot start the local server: {e}"),
            "pick a free --bind address (port 0 picks one), or another --db file",
        )
    })?;
    {
        // The test harness reads this first line to learn the address.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", server.base_url());
        if let (true, Some(key)) = (print_key, server.root_key()) {
            let _ = writeln!(out, "root key (shown once): {key}");
        }
        let _ = out.flush();
    }
    wait_for_signal().await;
    server.shutdown().await;
    Ok(())
}

/// Unix: SIGTERM or SIGINT (Ctrl+C) stops the server. Windows has no SIGTERM: Ctrl+C (or
/// Ctrl+Break) stops it; a killed process (`taskkill /F`) ends without the graceful shutdown.
#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(windows)]
async fn wait_for_signal() {
    match tokio::signal::windows::ctrl_break() {
        Ok(mut brk) => {
            tokio::select! {
                _ = brk.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(any(unix, windows)))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
