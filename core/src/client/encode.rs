//! What a caller puts into a request: ids as path segments and `Idempotency-Key` values,
//! checked so they can neither change the request nor leak a key.

use reqwest::header::HeaderValue;

use crate::error::{redact_keys_in, Error, Result};

/// Percent-encodes one id as one path segment, so an id can never change the path. Empty, `.`
/// and `..` are refused (URL resolution would drop or climb the segment), and so is an id that
/// holds a whole key (it would put the secret into the URL and the logs).
pub(crate) fn path_segment(s: &str) -> Result<String> {
    if matches!(s, "" | "." | "..") {
        return Err(Error::config(format!(
            "invalid id '{s}': an id must not be empty, '.' or '..'"
        )));
    }
    let redacted = redact_keys_in(s);
    if redacted != s {
        return Err(Error::config(format!(
            "the id '{redacted}' is a whole API key, secret included; pass the key's access id \
             (the 32 hex characters after 'ak-'), never the secret"
        )));
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// A caller's `Idempotency-Key`: a header value it must be, or the request could not be sent
/// (and would be retried as a connection error).
pub(super) fn idempotency_header(k: &str) -> Result<HeaderValue> {
    let ok = !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..0x7f).contains(&b));
    let v = ok.then(|| HeaderValue::from_str(k).ok()).flatten();
    v.ok_or_else(|| {
        Error::config(
            "the Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces, newlines \
             or other control characters)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_would_rewrite_the_path_or_leak_a_key_are_refused() {
        for id in ["", ".", ".."] {
            assert!(path_segment(id).is_err(), "{id:?}");
        }
        let key = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
        let e = path_segment(key).unwrap_err().to_string();
        assert!(!e.contains("s9t0"), "{e}");
        assert_eq!(path_segment("a/b..c").unwrap(), "a%2Fb..c");
        assert_eq!(path_segment("...").unwrap(), "...");
    }
}
