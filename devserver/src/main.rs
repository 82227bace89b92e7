//! `noorle-dev-server`: a thin command-line wrapper over the library.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use noorle_dev_server::{start, Config};

/// Local Noorle-compatible API server for development and tests.
#[derive(Debug, Parser)]
#[command(name = "noorle-dev-server", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8787")]
    bind: SocketAddr,
    /// SQLite database file (default: in memory, lost on exit).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Enable the /_dev/faults and /_dev/requests control endpoints.
    #[arg(long)]
    fault_injection: bool,
    /// Write a generated bootstrap key to this file (mode 0600) instead of printing it.
    #[arg(long, value_name = "PATH")]
    root_key_file: Option<PathBuf>,
    /// Requests per minute for keys without their own limit.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    default_rate_limit: u32,
    /// Allow binding a non-loopback address (the control endpoints need no key).
    #[arg(long)]
    allow_non_loopback: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NOORLE_DEV_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let args = Args::parse();
    // Install the handlers before announcing the address, so that a SIGTERM sent right after
    // the listening line still shuts down gracefully.
    let signals = Signals::install();
    let root_key = std::env::var("NOORLE_DEV_ROOT_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    let print_key = root_key.is_none() && args.root_key_file.is_none();
    let config = Config {
        bind: args.bind,
        db: args.db,
        fault_injection: args.fault_injection,
        root_key,
        root_key_file: args.root_key_file,
        default_rate_limit: args.default_rate_limit,
        allow_non_loopback: args.allow_non_loopback,
    };
    let server = match start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("noorle-dev-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", server.base_url());
        if let (true, Some(key)) = (print_key, server.root_key()) {
            let _ = writeln!(out, "root key (shown once): {key}");
        }
        let _ = out.flush();
    }
    signals.wait().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            async fn recv(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = recv(self.term) => {}
                _ = recv(self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
