//! What every fuzz target shares: the secrets an input carries, the leak check, and a process
//! environment that points nowhere real.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

const PREFIX: &[u8] = b"ak-";
const ACCESS_ID_LEN: usize = 32;
const SECRET_MIN_LEN: usize = 16;

/// The secret parts of the key-shaped strings in `text`: `ak-` + 32 lowercase hex + a run of at
/// least 16 letters and digits (any length, so over-long secrets count too).
fn secret_runs(text: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i + PREFIX.len() + ACCESS_ID_LEN <= text.len() {
        let id = i + PREFIX.len();
        let start = id + ACCESS_ID_LEN;
        if text[i..].starts_with(PREFIX)
            && text[id..start]
                .iter()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            let len = text[start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if len >= SECRET_MIN_LEN {
                runs.push((start, start + len));
            }
        }
        // One step, not past the match: a run can hold the start of the next key
        // (`...ak-<id><secret>` right after a secret ending in `ak`).
        i += 1;
    }
    runs
}

fn strings_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                strings_in(x, out);
            }
        }
        _ => {}
    }
}

/// The secrets an input holds, looked for in the raw bytes and, when the input is JSON, in its
/// decoded strings (an escaped key is still a key).
pub struct Secrets {
    needles: Vec<Vec<u8>>,
}

impl Secrets {
    pub fn of(data: &[u8]) -> Self {
        let mut texts = vec![data.to_vec()];
        if let Ok(v) = serde_json::from_slice::<Value>(data) {
            let mut strings = Vec::new();
            strings_in(&v, &mut strings);
            texts.extend(strings.into_iter().map(String::into_bytes));
        }
        // Each text with its secrets cut out: a needle still found there was written by the
        // input in another place (a field name, an access id), so seeing it is not a leak.
        let residues: Vec<Vec<u8>> = texts
            .iter()
            .map(|t| {
                let mut r = Vec::with_capacity(t.len());
                let mut at = 0;
                for (s, e) in secret_runs(t) {
                    r.extend_from_slice(&t[at..s]);
                    r.push(b'\n');
                    at = e;
                }
                r.extend_from_slice(&t[at..]);
                r
            })
            .collect();
        let mut needles: Vec<Vec<u8>> = Vec::new();
        for t in &texts {
            for (s, _) in secret_runs(t) {
                // The first 16 characters: a truncated echo is a leak too.
                let n = t[s..s + SECRET_MIN_LEN].to_vec();
                if !needles.contains(&n) && !residues.iter().any(|r| contains(r, &n)) {
                    needles.push(n);
                }
            }
        }
        Self { needles }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Panics (a finding) when `shown` holds a secret of the input.
    pub fn assert_absent(&self, what: &str, shown: &str) {
        for n in &self.needles {
            if contains(shown.as_bytes(), n) {
                panic!(
                    "secret leak: {what} contains the secret starting {:?}: {shown}",
                    String::from_utf8_lossy(n)
                );
            }
        }
    }

    /// Checks an error's message, its Debug form and the JSON the bindings get from it.
    pub fn assert_error_clean(&self, what: &str, e: &noorle::Error) {
        self.assert_absent(&format!("{what} (Display)"), &e.to_string());
        self.assert_absent(&format!("{what} (Debug)"), &format!("{e:?}"));
        let info = serde_json::to_string(&e.to_info()).unwrap_or_default();
        self.assert_absent(&format!("{what} (to_info)"), &info);
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// A private scratch folder for this process; also the environment the loaders see: `HOME`
/// points here and no `NOORLE_*` variable is set, so nothing reads the machine's real keys.
pub fn sandbox() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("noorle-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        // Runs once, on the first input, before the target has started any thread.
        std::env::set_var("HOME", &dir);
        for (name, _) in std::env::vars() {
            if name.starts_with("NOORLE_") || name == "CREDENTIALS_DIRECTORY" {
                std::env::remove_var(name);
            }
        }
        dir
    })
}

/// Writes `data` to `name` in the sandbox with mode 0600 and returns the path.
pub fn private_file(name: &str, data: &[u8]) -> PathBuf {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = sandbox().join(name);
    let _ = std::fs::remove_file(&path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
    f.write_all(data)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}
