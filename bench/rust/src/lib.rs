//! Shared helpers of the benchmark programs.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

/// User + system CPU time of this process, all its threads included.
pub fn cpu_time() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// `/proc/loadavg` (first three fields), for the record of the machine's load during a run.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// One round: calls per second and client CPU microseconds per call.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    pub per_sec: f64,
    pub cpu_us: f64,
}

/// Runs `total` calls of `call` with `in_flight` concurrent workers.
pub async fn throughput<F, Fut>(total: usize, in_flight: usize, call: F) -> Round
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let per = total / in_flight;
    let cpu0 = cpu_time();
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
    let wall = start.elapsed().max(Duration::from_nanos(1));
    let calls = (per * in_flight) as f64;
    Round {
        per_sec: calls / wall.as_secs_f64(),
        cpu_us: (cpu_time() - cpu0).as_secs_f64() * 1e6 / calls,
    }
}

/// A release `noorle-dev-server` in its own process, so that this process's CPU time is the
/// client's alone. Killed on drop.
pub struct ServerProcess {
    child: Child,
    // Kept open so that the server never writes into a closed pipe.
    _stdout: Option<BufReader<std::process::ChildStdout>>,
    pub base_url: String,
}

impl ServerProcess {
    /// Starts `$NOORLE_DEV_SERVER_BIN`, or the `noorle-dev-server` beside this executable.
    pub fn start(root_key: &str) -> std::io::Result<Self> {
        let bin = match std::env::var_os("NOORLE_DEV_SERVER_BIN") {
            Some(p) => PathBuf::from(p),
            None => std::env::current_exe()?.with_file_name("noorle-dev-server"),
        };
        let mut child = Command::new(&bin)
            .args(["--bind", "127.0.0.1:0", "--default-rate-limit", "10000000"])
            .env("NOORLE_DEV_ROOT_KEY", root_key)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        let mut stdout = child.stdout.take().map(BufReader::new);
        if let Some(out) = stdout.as_mut() {
            out.read_line(&mut line)?;
        }
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            return Err(std::io::Error::other(format!(
                "{} did not start",
                bin.display()
            )));
        };
        Ok(ServerProcess {
            base_url: url.to_string(),
            child,
            _stdout: stdout,
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
