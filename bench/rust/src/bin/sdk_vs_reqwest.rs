//! The SDK against raw reqwest doing the same authenticated `GET /v1/api-keys/self` against the
//! same in-process local server, in one run, alternating rounds; prints medians and the ratio.
//! Goal: the SDK's overhead is at most 5% (ratio ≥ 0.95).

use noorle::{ApiKey, Client};
use noorle_bench::{median, throughput};
use noorle_dev_server::Config;

const ROUNDS: usize = 7;
const CALLS: usize = 4096;
const IN_FLIGHT: usize = 64;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = format!(
        "ak-{}{}",
        "0123456789abcdef0123456789abcdef", "BenchRootKey0000000000000000000a"
    );
    let server = noorle_dev_server::start(Config {
        root_key: Some(root.clone()),
        ..Config::default()
    })
    .await?;
    let url = format!("{}/v1/api-keys/self", server.base_url());
    let key = ApiKey::parse(&root)?;
    let sdk = Client::builder()
        .no_ambient_config()
        .api_key(key.clone())
        .base_url(server.base_url())
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
    let (mut s, mut r) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        s.push(throughput(CALLS, IN_FLIGHT, sdk_call.clone()).await);
        r.push(throughput(CALLS, IN_FLIGHT, raw_call.clone()).await);
    }
    let (ms, mr) = (median(&mut s), median(&mut r));
    println!("sdk whoami:       median {ms:>9.0} req/s over {ROUNDS} rounds of {CALLS}, {IN_FLIGHT} in flight");
    println!("raw reqwest GET:  median {mr:>9.0} req/s");
    println!("ratio sdk/raw: {:.3} (goal >= 0.95)", ms / mr);
    server.shutdown().await;
    Ok(())
}
