//! Small helpers: time, randomness, digests.

use rand::{rngs::OsRng, TryRngCore};
use sha2::{Digest, Sha256};
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// Current time, Unix seconds (the API's timestamps have second precision).
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The last second RFC 3339 can write: 9999-12-31T23:59:59Z.
pub const MAX_TS: i64 = 253_402_300_799;

/// RFC 3339 UTC with a `Z` suffix, e.g. `2026-03-22T10:30:45Z`. Clamped to years 0000 to 9999,
/// which input validation keeps every stored time within, so the answer is never empty.
pub fn fmt_ts(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts.clamp(-62_167_219_200, MAX_TS))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// Parses an RFC 3339 timestamp (any offset) to Unix seconds.
pub fn parse_ts(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Bytes from the operating system's CSPRNG.
pub fn os_random(buf: &mut [u8]) {
    if OsRng.try_fill_bytes(buf).is_err() {
        // The OS generator failing is unrecoverable for a server that mints secrets.
        panic!("operating system random number generator failed");
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A base62 string from OS randomness, by rejection sampling (no modulo bias).
pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        os_random(&mut buf);
        for b in buf {
            if b < 248 && out.len() < len {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

/// Lowercase hex of `n` random bytes.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    os_random(&mut buf);
    hex(&buf)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
