//! Shared helpers of the benchmark programs.

use std::time::{Duration, Instant};

/// The median of `xs` (sorted in place).
pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// Runs `total` calls of `call` with `in_flight` concurrent workers; returns calls per second.
pub async fn throughput<F, Fut>(total: usize, in_flight: usize, call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let per = total / in_flight;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(in_flight);
    for _ in 0..in_flight {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per {
                call().await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    (per * in_flight) as f64 / start.elapsed().max(Duration::from_nanos(1)).as_secs_f64()
}
