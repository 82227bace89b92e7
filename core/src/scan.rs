//! Finding Noorle API keys in text: the leaked-key scanner behind `noorle scan`.
//!
//! A key is found where the format of [`ApiKey::parse`] says one is, and nowhere else: `ak-`,
//! 32 lowercase hex characters, then a secret of 16 to 128 letters and digits, with no letter or
//! digit just before the `ak-` nor just after the secret (a longer run of letters and digits is
//! something else that happens to contain a key-shaped part, not a key).
//!
//! One limit of any format-based scanner: an `ak-` followed by 33 hex characters and then letters
//! and digits *is* a well-formed key (its secret starts with the 33rd hex character), so it is
//! reported.
//!
//! ```
//! let text = b"NOORLE_API_KEY=ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6\n";
//! let found = noorle::scan::find_keys(text);
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].line, found[0].column), (1, 16));
//! assert_eq!(found[0].redacted, "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***");
//! ```

use memchr::memmem;

use crate::key::{ApiKey, ACCESS_ID_LEN, PREFIX, SECRET_MAX_LEN, SECRET_MIN_LEN};

const ID_END: usize = PREFIX.len() + ACCESS_ID_LEN;

/// One key found in a text. The printable fields never hold the secret; `key` keeps the whole key
/// (for checking it against the API) and prints redacted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Finding {
    /// Byte offset of the key's `ak-` in the text.
    pub offset: usize,
    /// Length of the key in bytes.
    pub len: usize,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based column of the key, in bytes from the start of its line.
    pub column: usize,
    /// The key's public access id (32 lowercase hex characters).
    pub access_id: String,
    /// The key with its secret hidden: `ak-{access_id}***`.
    pub redacted: String,
    /// The key itself. Its `Debug` and `Display` forms are redacted.
    pub key: ApiKey,
}

/// Every key in `text`, in order. Never allocates unless it finds something.
pub fn find_keys(text: &[u8]) -> Vec<Finding> {
    let mut found = Vec::new();
    // Lines are counted lazily, from the previous finding on, so a text without keys is read
    // once by the substring search and nothing else.
    let mut counted_to = 0;
    let mut line = 1;
    let mut line_start = 0;
    for start in memmem::find_iter(text, PREFIX.as_bytes()) {
        let Some(len) = key_len_at(text, start) else {
            continue;
        };
        // The bytes are ASCII (checked by `key_len_at`), so this never fails.
        let Ok(candidate) = std::str::from_utf8(&text[start..start + len]) else {
            continue;
        };
        // The same parser as every other way a key enters the SDK: the scanner cannot drift
        // from the format.
        let Ok(key) = ApiKey::parse(candidate) else {
            continue;
        };
        let before = &text[counted_to..start];
        line += memchr::memchr_iter(b'\n', before).count();
        if let Some(nl) = memchr::memrchr(b'\n', before) {
            line_start = counted_to + nl + 1;
        }
        counted_to = start;
        found.push(Finding {
            offset: start,
            len,
            line,
            column: start - line_start + 1,
            access_id: key.access_id().to_owned(),
            redacted: key.redacted(),
            key,
        });
    }
    found
}

/// The length of the key that starts at `start` (where `ak-` is), if the surroundings allow one:
/// no letter or digit before it, a lowercase-hex access id, and a run of 16 to 128 letters and
/// digits after it that is not followed by another letter or digit.
fn key_len_at(text: &[u8], start: usize) -> Option<usize> {
    if start > 0 && text[start - 1].is_ascii_alphanumeric() {
        return None;
    }
    let id = text.get(start + PREFIX.len()..start + ID_END)?;
    if !id.iter().all(|&b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let rest = &text[start + ID_END..];
    // Look one byte past the longest secret: a longer run is not a key.
    let run = rest
        .iter()
        .take(SECRET_MAX_LEN + 1)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if !(SECRET_MIN_LEN..=SECRET_MAX_LEN).contains(&run) {
        return None;
    }
    Some(ID_END + run)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";

    fn ids(text: &str) -> Vec<(usize, usize, String)> {
        find_keys(text.as_bytes())
            .into_iter()
            .map(|f| (f.line, f.column, f.access_id))
            .collect()
    }

    #[test]
    fn finds_keys_with_line_and_column() {
        let b = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm";
        let text = format!("{DOC}\nx = \"{b}\"\n\n  key: {DOC},{b}\n");
        let found = find_keys(text.as_bytes());
        let got: Vec<_> = found.iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(got, [(1, 1), (2, 6), (4, 8), (4, 60)]);
        assert_eq!(found[1].access_id, "0f9e8d7c6b5a49382716f5e4d3c2b1a0");
        assert_eq!(found[1].key.expose_secret(), b);
        assert_eq!(&text[found[3].offset..found[3].offset + found[3].len], b);
        for f in &found {
            let shown = format!("{f:?}");
            assert!(
                !shown.contains("s9t0u1v2") && !shown.contains("Zx9Q"),
                "{shown}"
            );
        }
    }

    #[test]
    fn near_misses_are_not_keys() {
        let id = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4";
        let secret = "s9t0u1v2w3x4y5z6";
        let misses = [
            format!("ak-A1B2c3d4e5f6a1b2c3d4e5f6a1b2c3d4{secret}"),
            format!("ak-{}{secret}", &id[..31]),
            format!("ak-{id}0"),
            format!("ak-{id}{}", &secret[..15]),
            format!("ak-{id}{}", "x".repeat(129)),
            format!("x{DOC}"),
            format!("task-{id}{secret}"),
            format!("7{DOC}"),
            format!("AK-{id}{secret}"),
            format!("ak_{id}{secret}"),
        ];
        for m in &misses {
            assert_eq!(ids(m), vec![], "{m}");
            assert_eq!(ids(&format!("<{m}>")), vec![], "{m}");
        }
        // The bounds themselves are keys.
        for s in [secret[..16].to_owned(), "x".repeat(128)] {
            assert_eq!(ids(&format!("-ak-{id}{s}_")), vec![(1, 2, id.to_owned())]);
        }
    }

    #[test]
    fn keys_in_bytes_that_are_not_utf8() {
        let mut text = b"\xff\xfe\x00 ".to_vec();
        text.extend_from_slice(DOC.as_bytes());
        text.extend_from_slice(b"\xe9\n\xc3");
        let found = find_keys(&text);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].offset, found[0].column), (4, 5));
        assert!(find_keys(b"ak-").is_empty());
        assert!(find_keys(b"").is_empty());
    }
}
