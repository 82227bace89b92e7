//! The format rules of contract section 1, checked in the order of the vectors' `rules.order`,
//! and the error that names the rule broken.

use std::fmt;

use super::{KEY_MIN_LEN, PREFIX, SECRET_MAX_LEN, SECRET_MIN_LEN};

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
pub(super) fn validate(input: &str) -> Result<(), InvalidApiKey> {
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
