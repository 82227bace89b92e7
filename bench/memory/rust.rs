//! Memory of the Rust client: RSS growth from building a `Client` (idle, on the caller's
//! runtime), then RSS after 1,000 and after 10,000 `whoami()` calls (flat means no growth).
//! Run by bench/memory/run.sh under scripts/with-devserver. Prints one line per figure.

use noorle::{ApiKey, Client};

/// This process's resident set size in KiB (`VmRSS` of /proc/self/status).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
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
    let mut calls = 0u32;
    let mut marks = Vec::new();
    for n in [1_000, 10_000] {
        while calls < n {
            client.whoami().await?;
            calls += 1;
        }
        marks.push(rss_kib());
    }
    let (after_1k, after_10k) = (marks[0], marks[1]);
    report("rust", before, idle, after_1k, after_10k);
    Ok(())
}

fn report(lang: &str, before: u64, idle: u64, k1: u64, k10: u64) {
    println!(
        "{lang:<7} idle client {:>6} KiB (goal <= 2048)   RSS after 1,000 calls {k1} KiB, after 10,000 {k10} KiB: {:+} KiB",
        idle.saturating_sub(before),
        k10 as i64 - k1 as i64
    );
}
