//! The API key type: parsing, validation and redaction (contract section 1).

use std::fmt;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

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

/// Which format rule a key broke. The string forms are the codes of `testdata/api_keys.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidKeyCode {
    Empty,
    SurroundingWhitespace,
    Quoted,
    SchemePrefix,
    MissingPrefix,
    TooShort,
    AccessIdNotHex,
    SecretInvalidChar,
    SecretMissing,
    SecretTooShort,
    SecretTooLong,
}

impl InvalidKeyCode {
    /// The stable code, e.g. `access_id_not_hex`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::SurroundingWhitespace => "surrounding_whitespace",
            Self::Quoted => "quoted",
            Self::SchemePrefix => "scheme_prefix",
            Self::MissingPrefix => "missing_prefix",
            Self::TooShort => "too_short",
            Self::AccessIdNotHex => "access_id_not_hex",
            Self::SecretInvalidChar => "secret_invalid_char",
            Self::SecretMissing => "secret_missing",
            Self::SecretTooShort => "secret_too_short",
            Self::SecretTooLong => "secret_too_long",
        }
    }
}

impl fmt::Display for InvalidKeyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key that failed validation: which rule, where (0-based character index), and a message
/// that explains the fix. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid API key ({code} at position {position}): {message}")]
pub struct InvalidApiKey {
    code: InvalidKeyCode,
    position: usize,
    message: String,
}

impl InvalidApiKey {
    fn new(code: InvalidKeyCode, position: usize, message: impl Into<String>) -> Self {
        Self {
            code,
            position,
            message: message.into(),
        }
    }

    /// The rule broken.
    pub fn code(&self) -> InvalidKeyCode {
        self.code
    }

    /// 0-based index, in characters, of the first offending character (for `too_short`, the
    /// input's length).
    pub fn position(&self) -> usize {
        self.position
    }

    /// The explanation, without the `invalid API key (...)` preamble.
    pub fn message(&self) -> &str {
        &self.message
    }
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\t' => "a tab".into(),
        '\n' => "a newline".into(),
        '\r' => "a carriage return".into(),
        c if c.is_ascii_graphic() => format!("'{c}'"),
        c => format!("U+{:04X}", c as u32),
    }
}

// Checks run in the order of the vectors' `rules.order`; the first failure is reported.
fn validate(input: &str) -> Result<(), InvalidApiKey> {
    // The common case, a value that starts with `ak-`, cannot be empty, quoted, prefixed with a
    // scheme or a header name, nor start with whitespace: only the trailing check applies.
    if !input.starts_with(PREFIX) {
        return Err(not_a_key(input));
    }
    if input.ends_with(char::is_whitespace) {
        return Err(trailing_whitespace(input));
    }
    validate_body(input)
}

fn trailing_whitespace(input: &str) -> InvalidApiKey {
    let pos = input.chars().count() - 1;
    let last = input.chars().last().map(describe_char).unwrap_or_default();
    InvalidApiKey::new(
        InvalidKeyCode::SurroundingWhitespace,
        pos,
        format!("the key ends with {last}; remove the trailing whitespace"),
    )
}

// Why a value that does not start with `ak-` is not a key, in the vectors' order of checks.
fn not_a_key(input: &str) -> InvalidApiKey {
    use InvalidKeyCode::*;
    let bytes = input.as_bytes();
    // Byte-wise, so that no slice can split a multi-byte character.
    let starts_ci =
        |p: &str| bytes.len() >= p.len() && bytes[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    if input.is_empty() {
        return InvalidApiKey::new(
            Empty,
            0,
            "the key is empty; set it to a value that starts with 'ak-'",
        );
    }
    if input.starts_with(char::is_whitespace) {
        return InvalidApiKey::new(
            SurroundingWhitespace,
            0,
            "the key starts with whitespace; remove it",
        );
    }
    if input.ends_with(char::is_whitespace) {
        return trailing_whitespace(input);
    }
    if input.starts_with(['"', '\'', '`']) {
        return InvalidApiKey::new(
            Quoted,
            0,
            "the key is wrapped in quotes (as copied from a .env or JSON file); remove the quotes",
        );
    }
    for (scheme, what) in [
        (
            "Bearer ",
            "an Authorization header value with the Bearer scheme",
        ),
        (
            "ApiKey ",
            "an Authorization header value with the ApiKey scheme",
        ),
    ] {
        if starts_ci(scheme) {
            return InvalidApiKey::new(
                SchemePrefix,
                0,
                format!("the value is {what}; pass only the key, which starts with 'ak-'"),
            );
        }
    }
    if let Some(colon) = input.find(':') {
        let name = &input[..colon];
        if !name.is_empty()
            && name.len() <= 32
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return InvalidApiKey::new(
                SchemePrefix,
                0,
                format!("the value is a whole header line ('{name}: ...'); pass only the key, which starts with 'ak-'"),
            );
        }
    }
    let hint = if starts_ci(PREFIX) {
        "the prefix must be lowercase 'ak-' (keys are case-sensitive)"
    } else if input.starts_with("ak_") {
        "the prefix is 'ak-' with a hyphen, not an underscore"
    } else {
        "a Noorle API key starts with 'ak-'; check that you copied the whole key"
    };
    InvalidApiKey::new(MissingPrefix, 0, hint)
}

fn all_lower_hex(b: &[u8]) -> bool {
    b.iter().fold(true, |ok, &c| {
        ok & ((c.wrapping_sub(b'0') < 10) | (c.wrapping_sub(b'a') < 6))
    })
}

fn all_alphanumeric(b: &[u8]) -> bool {
    b.iter().fold(true, |ok, &c| {
        ok & ((c.wrapping_sub(b'0') < 10) | ((c | 0x20).wrapping_sub(b'a') < 26))
    })
}

// The access id and the secret of a value that starts with `ak-`.
fn validate_body(input: &str) -> Result<(), InvalidApiKey> {
    use InvalidKeyCode::*;
    // From here on, every byte before the one examined is ASCII, so byte offsets are character
    // positions: no allocation, no char decoding on the valid path.
    let bytes = input.as_bytes();
    // A well-formed key passes two branch-free scans (they vectorise); the loops below only run
    // to explain a failure.
    if bytes.len() >= KEY_MIN_LEN + SECRET_MIN_LEN
        && bytes.len() <= KEY_MIN_LEN + SECRET_MAX_LEN
        && all_lower_hex(&bytes[PREFIX.len()..KEY_MIN_LEN])
        && all_alphanumeric(&bytes[KEY_MIN_LEN..])
    {
        return Ok(());
    }
    // Access id: positions 3..35, lowercase hex. A bad character wins over a short input.
    for (i, &b) in bytes
        .iter()
        .enumerate()
        .take(KEY_MIN_LEN)
        .skip(PREFIX.len())
    {
        if !matches!(b, b'0'..=b'9' | b'a'..=b'f') {
            let c = input[i..].chars().next().unwrap_or('?');
            let why = if c.is_ascii_hexdigit() {
                "uppercase hex is not accepted (keys are case-sensitive; copy the key exactly as issued)"
            } else {
                "the access id is 32 lowercase hex characters"
            };
            return Err(InvalidApiKey::new(
                AccessIdNotHex,
                i,
                format!("{} in the access id: {why}", describe_char(c)),
            ));
        }
    }
    if bytes.len() < KEY_MIN_LEN {
        return Err(InvalidApiKey::new(
            TooShort,
            bytes.len(),
            format!(
                "the key is cut off after {} characters, inside the access id (ak- + 32 hex characters + secret)",
                bytes.len()
            ),
        ));
    }

    let secret = &bytes[KEY_MIN_LEN..];
    if let Some(i) = secret.iter().position(|b| !b.is_ascii_alphanumeric()) {
        let c = input[KEY_MIN_LEN + i..].chars().next().unwrap_or('?');
        return Err(InvalidApiKey::new(
            SecretInvalidChar,
            KEY_MIN_LEN + i,
            format!(
                "{} in the secret: the secret is letters and digits only (is there a second key or a stray character?)",
                describe_char(c)
            ),
        ));
    }
    match secret.len() {
        0 => Err(InvalidApiKey::new(
            SecretMissing,
            KEY_MIN_LEN,
            "the key has an access id but no secret; copy the whole key, shown once at creation",
        )),
        n if n < SECRET_MIN_LEN => Err(InvalidApiKey::new(
            SecretTooShort,
            KEY_MIN_LEN,
            format!("the secret has {n} characters, at least {SECRET_MIN_LEN} are needed; the key looks cut off"),
        )),
        n if n > SECRET_MAX_LEN => Err(InvalidApiKey::new(
            SecretTooLong,
            KEY_MIN_LEN,
            format!("the secret has {n} characters, at most {SECRET_MAX_LEN} are allowed"),
        )),
        _ => Ok(()),
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
        }
    }
}
