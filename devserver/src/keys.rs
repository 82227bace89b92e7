//! The server's own key parsing and minting (independent of the `noorle` crate on purpose, so
//! that the two implementations check each other; both pass `testdata/api_keys.json`).

use std::fmt;

use crate::util;

pub const PREFIX: &str = "ak-";
pub const ACCESS_ID_LEN: usize = 32;
pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 128;
pub const ISSUED_SECRET_LEN: usize = 32;

#[derive(Debug, Clone, Copy)]
pub struct ParsedKey<'a> {
    pub access_id: &'a str,
    pub secret: &'a str,
}

/// Why a value is not a key: `code` is one of the error codes of `testdata/api_keys.json`,
/// `position` the 0-based character index of the first offending character (the input's length
/// when it is too short). The message never echoes a secret character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub code: &'static str,
    pub position: usize,
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at position {})", self.message, self.position)
    }
}

fn fail<T>(code: &'static str, position: usize, message: &str) -> Result<T, KeyError> {
    Err(KeyError {
        code,
        position,
        message: message.to_string(),
    })
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// Why a value that does not start with `ak-` is not a key, in the vectors' order of checks.
fn not_a_key<T>(key: &str) -> Result<T, KeyError> {
    let starts_ci = |p: &str| {
        key.as_bytes()
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
    };
    if key.starts_with(['"', '\'', '`']) {
        return fail("quoted", 0, "the key is wrapped in quotes; remove them");
    }
    if starts_ci("Bearer ") || starts_ci("ApiKey ") {
        return fail(
            "scheme_prefix",
            0,
            "the value carries an authentication scheme; send only the key",
        );
    }
    let header_name = key.split_once(':').map(|(name, _)| name).filter(|n| {
        !n.is_empty() && n.len() <= 32 && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if header_name.is_some() {
        return fail(
            "scheme_prefix",
            0,
            "the value is a whole header line; send only the key",
        );
    }
    fail("missing_prefix", 0, "a key must start with \"ak-\"")
}

/// Parses `ak-{32 lowercase hex}{16..128 base62}`, checking the rules in the order of
/// `testdata/api_keys.json` and reporting the first one broken.
pub fn parse(key: &str) -> Result<ParsedKey<'_>, KeyError> {
    if key.is_empty() {
        return fail("empty", 0, "the key is empty");
    }
    if key.starts_with(char::is_whitespace) {
        return fail(
            "surrounding_whitespace",
            0,
            "the key starts with whitespace",
        );
    }
    if key.ends_with(char::is_whitespace) {
        let last = key.chars().count() - 1;
        return fail(
            "surrounding_whitespace",
            last,
            "the key ends with whitespace",
        );
    }
    if !key.starts_with(PREFIX) {
        return not_a_key(key);
    }
    // From here every byte before the one examined is ASCII, so byte offsets are positions.
    let bytes = key.as_bytes();
    let split = PREFIX.len() + ACCESS_ID_LEN;
    for pos in PREFIX.len()..split {
        match bytes.get(pos) {
            None => {
                return fail(
                    "too_short",
                    pos,
                    "the access id must be 32 lowercase hex characters; the key is too short",
                )
            }
            Some(&b) if !is_lower_hex(b) => {
                return fail(
                    "access_id_not_hex",
                    pos,
                    "the access id must be lowercase hex [0-9a-f]",
                )
            }
            Some(_) => {}
        }
    }
    // Bytes 3..35 are ASCII, so 35 is a char boundary.
    let (access_id, secret) = (&key[PREFIX.len()..split], &key[split..]);
    if let Some(i) = secret.bytes().position(|b| !b.is_ascii_alphanumeric()) {
        return fail(
            "secret_invalid_char",
            split + i,
            "the secret must be base62 [A-Za-z0-9]",
        );
    }
    if secret.is_empty() {
        return fail(
            "secret_missing",
            split,
            "the key has no secret after the access id",
        );
    }
    if secret.len() < SECRET_MIN {
        return fail(
            "secret_too_short",
            split,
            "the secret must be at least 16 characters",
        );
    }
    if secret.len() > SECRET_MAX {
        return fail(
            "secret_too_long",
            split,
            "the secret must be at most 128 characters",
        );
    }
    Ok(ParsedKey { access_id, secret })
}

/// The access id a header value claims, if its first 35 characters look like a key. Used for
/// fault matching and the request log, before (and independently of) authentication.
pub fn claimed_access_id(value: &str) -> Option<String> {
    let b = value.as_bytes();
    let end = PREFIX.len() + ACCESS_ID_LEN;
    if value.starts_with(PREFIX)
        && b.len() >= end
        && b[PREFIX.len()..end].iter().all(|&c| is_lower_hex(c))
    {
        Some(value[PREFIX.len()..end].to_string())
    } else {
        None
    }
}

/// Digest stored for a secret: SHA-256 of the secret.
pub fn digest(secret: &str) -> [u8; 32] {
    util::sha256(secret.as_bytes())
}

pub struct NewKey {
    pub access_id: String,
    pub secret: String,
}

impl NewKey {
    pub fn generate() -> Self {
        NewKey {
            access_id: uuid::Uuid::new_v4().simple().to_string(),
            secret: util::random_base62(ISSUED_SECRET_LEN),
        }
    }

    pub fn full(&self) -> String {
        format!("{PREFIX}{}{}", self.access_id, self.secret)
    }

    pub fn last_six(&self) -> String {
        last_six(&self.secret)
    }
}

pub fn last_six(secret: &str) -> String {
    secret[secret.len().saturating_sub(6)..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_doc_example() {
        let k = parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6").unwrap();
        assert_eq!(k.access_id, "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4");
        assert_eq!(k.secret, "s9t0u1v2w3x4y5z6");
    }

    #[test]
    fn rejects_bad_keys() {
        assert!(parse("ak-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6").is_err());
        let e = parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z_").unwrap_err();
        assert_eq!((e.code, e.position), ("secret_invalid_char", 50));
        assert!(e.to_string().contains("position 50"), "{e}");
        assert!(!e.to_string().contains("s9t0"), "{e}");
        assert_eq!(parse("ak-a1b2c3d4é").unwrap_err().code, "access_id_not_hex");
    }

    fn vectors() -> serde_json::Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/api_keys.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The shared vectors every implementation passes: same parts, same error code and position.
    #[test]
    fn shared_vectors() {
        let v = vectors();
        let valid = v["parse_valid"].as_array().unwrap();
        assert!(valid.len() >= 5);
        for c in valid {
            let input = c["input"].as_str().unwrap();
            let k = parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(k.access_id, c["access_id"].as_str().unwrap());
            assert_eq!(k.secret, c["secret"].as_str().unwrap());
        }
        let invalid = v["parse_invalid"].as_array().unwrap();
        assert!(invalid.len() >= 20);
        for c in invalid {
            let input = c["input"].as_str().unwrap();
            let e = parse(input).expect_err(input);
            assert_eq!(e.code, c["error"].as_str().unwrap(), "{input:?}: {e}");
            if let Some(pos) = c["position"].as_u64() {
                assert_eq!(e.position as u64, pos, "{input:?}: {e}");
            }
            for secret in [
                "s9t0u1v2w3x4y5z6",
                "s9t0u1v2w3x4y5z",
                "Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm",
            ] {
                assert!(!e.to_string().contains(secret), "{e}");
            }
        }
        // Loading strips surrounding whitespace (the server trims header values the same way).
        let load = v["load"].as_array().unwrap();
        assert!(!load.is_empty());
        for c in load {
            let raw = c["raw"].as_str().unwrap();
            match (parse(raw.trim()), c["key"].as_str()) {
                (Ok(k), Some(want)) => {
                    assert_eq!(format!("{PREFIX}{}{}", k.access_id, k.secret), want)
                }
                (Err(e), None) => assert_eq!(e.code, c["error"].as_str().unwrap(), "{raw:?}"),
                (got, want) => panic!("{raw:?}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn generated_keys_parse() {
        let k = NewKey::generate();
        let full = k.full();
        let p = parse(&full).unwrap();
        assert_eq!(p.access_id, k.access_id);
        assert_eq!(p.secret.len(), 32);
        assert_eq!(
            claimed_access_id(&full).as_deref(),
            Some(k.access_id.as_str())
        );
    }
}
