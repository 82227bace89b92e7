//! The server's own key parsing and minting (independent of the `noorle` crate on purpose, so
//! that the two implementations check each other).

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

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// Parses `ak-{32 lowercase hex}{16..128 base62}`. The error names the rule and the position
/// (1-based, in the whole key) and never echoes a secret character.
pub fn parse(key: &str) -> Result<ParsedKey<'_>, String> {
    let bytes = key.as_bytes();
    if !key.starts_with(PREFIX) {
        return Err("must start with \"ak-\"".into());
    }
    for i in 0..ACCESS_ID_LEN {
        let pos = PREFIX.len() + i;
        match bytes.get(pos) {
            None => {
                return Err(format!(
                    "access id must be 32 lowercase hex characters, found only {i}"
                ))
            }
            Some(&b) if !is_lower_hex(b) => {
                return Err(format!(
                    "access id must be lowercase hex [0-9a-f]: invalid character at position {}",
                    pos + 1
                ))
            }
            Some(_) => {}
        }
    }
    let split = PREFIX.len() + ACCESS_ID_LEN;
    // Bytes 3..35 are ASCII, so 35 is a char boundary.
    let (access_id, secret) = (&key[PREFIX.len()..split], &key[split..]);
    for (i, b) in secret.bytes().enumerate() {
        if !b.is_ascii_alphanumeric() {
            return Err(format!(
                "secret must be base62 [A-Za-z0-9]: invalid character at position {}",
                split + i + 1
            ));
        }
    }
    if secret.len() < SECRET_MIN || secret.len() > SECRET_MAX {
        return Err(format!(
            "secret must be {SECRET_MIN} to {SECRET_MAX} characters, found {}",
            secret.len()
        ));
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
        assert!(parse("AK-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6").is_err());
        assert!(parse("ak-A1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6").is_err());
        assert!(parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4short").is_err());
        let e = parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z_").unwrap_err();
        assert!(e.contains("position 51"), "{e}");
        assert!(parse("ak-a1b2c3d4é").is_err());
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
