//! The SDK against raw reqwest doing the same authenticated `GET /v1/api-keys/self` against the
//! same local server (a release build in its own process, so this process's CPU time is the
//! client's alone), in one run, alternating rounds; prints medians of throughput and of client
//! CPU time per call, and their ratios. Goal: the SDK's overhead is at most 3% on both.

use noorle::{ApiKey, Client};
use noorle_bench::{loadavg, median, throughput, Round, ServerProcess};

const ROUNDS: usize = 9;
const CALLS: usize = 4096;
const IN_FLIGHT: usize = 64;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("load average at start: {}", loadavg());
    let root = format!(
        "ak-{}{}",
        "0123456789abcdef0123456789abcdef", "BenchRootKey0000000000000000000a"
    );
    let server = ServerProcess::start(&root)?;
    let url = format!("{}/v1/api-keys/self", server.base_url);
    let key = ApiKey::parse(&root)?;
    let sdk = Client::builder()
        .no_ambient_config()
        .api_key(key.clone())
        .base_url(&server.base_url)
        .build()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let raw = reqwest::Client::new();

    let sdk_call = {
        let sdk = sdk.clone();
        move || {
            let sdk = sdk.clone();
            async move {
                sdk.whoami().await.ok();
            }
        }
    };
    let raw_call = {
        let (raw, url, secret) = (raw.clone(), url.clone(), key.expose_secret().to_owned());
        move || {
            let (raw, url, secret) = (raw.clone(), url.clone(), secret.clone());
            async move {
                let r = raw.get(&url).header("x-api-key", secret).send().await;
                if let Ok(r) = r {
                    // Decode as the SDK does, so both do the same work.
                    let _ = r.json::<serde_json::Value>().await;
                }
            }
        }
    };
    // Warm both pools.
    throughput(512, IN_FLIGHT, sdk_call.clone()).await;
    throughput(512, IN_FLIGHT, raw_call.clone()).await;
    let (mut s, mut r): (Vec<Round>, Vec<Round>) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        s.push(throughput(CALLS, IN_FLIGHT, sdk_call.clone()).await);
        r.push(throughput(CALLS, IN_FLIGHT, raw_call.clone()).await);
    }
    let rate = |v: &[Round]| median(&mut v.iter().map(|x| x.per_sec).collect::<Vec<_>>());
    let cpu = |v: &[Round]| median(&mut v.iter().map(|x| x.cpu_us).collect::<Vec<_>>());
    let rounds = |v: &[Round]| {
        v.iter()
            .map(|x| format!("{:.0}/{:.1}", x.per_sec, x.cpu_us))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (ms, mr, cs, cr) = (rate(&s), rate(&r), cpu(&s), cpu(&r));
    println!("{ROUNDS} rounds of {CALLS} calls, {IN_FLIGHT} in flight; rounds as req/s / client CPU us per call");
    println!(
        "sdk whoami:      median {ms:>8.0} req/s  {cs:>6.1} us CPU/call   rounds: {}",
        rounds(&s)
    );
    println!(
        "raw reqwest GET: median {mr:>8.0} req/s  {cr:>6.1} us CPU/call   rounds: {}",
        rounds(&r)
    );
    println!(
        "sdk/raw: throughput {:.3} (goal >= 0.97), CPU per call {:.3} (goal <= 1.03)",
        ms / mr,
        cs / cr
    );
    Ok(())
}
