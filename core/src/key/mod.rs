//! The API key type: parsing, validation and redaction (contract section 1).

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

mod validate;

use validate::validate;
pub use validate::{InvalidApiKey, InvalidKeyCode};

/// The literal prefix of every Noorle API key.
pub const PREFIX: &str = "ak-";
/// Length of the access id: a UUID without hyphens, lowercase hex.
pub const ACCESS_ID_LEN: usize = 32;
/// Shortest secret accepted.
pub const SECRET_MIN_LEN: usize = 16;
/// Longest secret accepted.
pub const SECRET_MAX_LEN: usize = 128;

const KEY_MIN_LEN: usize = PREFIX.len() + ACCESS_ID_LEN;

/// A parsed, validated Noorle API key.
///
/// The secret is held in memory that is zeroed on drop, and every way of printing the key
/// (`Debug`, `Display`) shows only the redacted form `ak-{access_id}***`. The one way to read the
/// secret is [`ApiKey::expose_secret`]. Equality is constant-time.
#[derive(Clone)]
pub struct ApiKey {
    // The whole key, `ak-` + access id + secret: the value sent on the wire. One allocation;
    // the access id is a slice of it.
    whole: SecretString,
}

impl ApiKey {
    /// Parses a key strictly: no surrounding whitespace, exactly the format of contract section 1.
    ///
    /// Loaders strip surrounding whitespace before calling this; `parse` itself does not.
    pub fn parse(input: &str) -> Result<Self, InvalidApiKey> {
        validate(input)?;
        Ok(Self {
            whole: SecretString::from(input),
        })
    }

    /// Parses a value read from the environment or a file: surrounding whitespace is stripped
    /// first (a trailing newline is the usual case), nothing else.
    pub fn parse_loaded(raw: &str) -> Result<Self, InvalidApiKey> {
        Self::parse(raw.trim())
    }

    /// The public access id (32 lowercase hex characters). Safe to log.
    pub fn access_id(&self) -> &str {
        &self.whole.expose_secret()[PREFIX.len()..KEY_MIN_LEN]
    }

    /// The key with its secret hidden: `ak-{access_id}***`.
    pub fn redacted(&self) -> String {
        {
            let mut r = String::with_capacity(KEY_MIN_LEN + 3);
            r.push_str(PREFIX);
            r.push_str(self.access_id());
            r.push_str("***");
            r
        }
    }

    /// The whole key, secret included, as it is sent to the server. Keep the result short-lived.
    pub fn expose_secret(&self) -> &str {
        self.whole.expose_secret()
    }

    /// Just the secret part (after the access id).
    pub fn expose_secret_part(&self) -> &str {
        &self.whole.expose_secret()[KEY_MIN_LEN..]
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (
            self.expose_secret().as_bytes(),
            other.expose_secret().as_bytes(),
        );
        // Lengths are not secret-dependent enough to matter; contents are compared in constant time.
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }
}

impl Eq for ApiKey {}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ApiKey").field(&self.redacted()).finish()
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl FromStr for ApiKey {
    type Err = InvalidApiKey;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ApiKey {
    type Error = InvalidApiKey;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ApiKey {
    type Error = InvalidApiKey;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        // Move the input into zeroizing storage so the caller's copy is not left behind.
        let secret = SecretString::from(s);
        Self::parse(secret.expose_secret())
    }
}

/// A key in an answer (`{"key": "ak-..."}`): strict parse, and an error that never quotes it.
impl<'de> serde::Deserialize<'de> for ApiKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let k = ApiKey::parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6").unwrap();
        for shown in [format!("{k:?}"), format!("{k}"), format!("{k:#?}")] {
            assert!(!shown.contains("s9t0u1v2"), "{shown}");
            assert!(
                shown.contains("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***"),
                "{shown}"
            );
        }
        assert_eq!(k.expose_secret_part(), "s9t0u1v2w3x4y5z6");
    }

    #[test]
    fn multibyte_input_never_panics() {
        for bad in [
            "Beaé€xxxxxxx",
            "é",
            "aé-x",
            "Api€ey ak-",
            "ak-\u{1F600}",
            "a€:x",
            "ak-0123456789abcdef0123456789abcdef\u{e9}",
        ] {
            let e = ApiKey::parse(bad).unwrap_err();
            assert!(e.position() <= bad.chars().count(), "{bad:?}: {e}");
        }
    }

    #[test]
    fn equality_compares_whole_key() {
        let a = ApiKey::parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6").unwrap();
        let b = ApiKey::parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z7").unwrap();
        assert_eq!(a, a.clone());
        assert_ne!(a, b);
    }

    #[test]
    fn errors_never_echo_the_secret() {
        for bad in [
            "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2-w3x4y5z6",
            "\"ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6\"",
            "Bearer ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6",
        ] {
            let e = ApiKey::parse(bad).unwrap_err();
            assert!(!e.to_string().contains("s9t0u1v2"), "{e}");
            let e = serde_json::from_value::<ApiKey>(serde_json::json!(bad)).unwrap_err();
            assert!(!e.to_string().contains("s9t0u1v2"), "{e}");
        }
    }
}
