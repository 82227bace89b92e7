//! Memory of the Rust client: RSS growth from building a `Client` (idle, on the caller's
//! runtime), then after the first `whoami()` call, and RSS after 1,000 and after 10,000 calls
//! (flat means no growth). Run by bench/memory/run.sh under scripts/with-devserver, once against
//! the local server (http) and once through a TLS front (https). Prints one line.

use noorle::{ApiKey, Client};

/// This process's resident set size and its anonymous part (heap, stacks) in KiB, from
/// /proc/self/status (`VmRSS`, `RssAnon`).
fn rss_kib() -> (i64, i64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> i64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("RssAnon:"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::var("NOORLE_BASE_URL")?;
    let key = ApiKey::parse(&std::env::var("NOORLE_DEV_ROOT_KEY")?)?;
    // Warm what any program has before its first client: the runtime's threads, the key.
    tokio::task::yield_now().await;
    let before = rss_kib();
    let client = Client::builder()
        .no_ambient_config()
        .api_key(key)
        .base_url(&base)
        .build()?;
    let idle = rss_kib();
    client.whoami().await?;
    let first = rss_kib();
    let mut calls = 1u32;
    let mut marks = Vec::new();
    for n in [1_000, 10_000] {
        while calls < n {
            client.whoami().await?;
            calls += 1;
        }
        marks.push(rss_kib().0);
    }
    let scheme = base.split(':').next().unwrap_or("?");
    println!(
        "{:<6} {scheme:<5} idle client {:>+6} KiB (anon {:>+6}; goal <= 2048)   first call {:>+6} KiB (anon {:>+6})   RSS after 1,000 calls {} KiB, after 10,000 {} KiB: {:+} KiB",
        "rust",
        idle.0 - before.0,
        idle.1 - before.1,
        first.0 - before.0,
        first.1 - before.1,
        marks[0],
        marks[1],
        marks[1] - marks[0]
    );
    Ok(())
}
