//! Redaction: whole keys in text and JSON shown as their access id only.

use serde_json::Value;

use crate::key::{ACCESS_ID_LEN, PREFIX};

/// A value's `Debug` with anything key-shaped redacted (`{:#?}` kept): for values that may hold a
/// key pasted where none belongs (a name, a path, a language tag).
pub(crate) struct RedactedDebug<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: std::fmt::Debug + ?Sized> std::fmt::Debug for RedactedDebug<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = if f.alternate() {
            format!("{:#?}", self.0)
        } else {
            format!("{:?}", self.0)
        };
        f.write_str(&redact_keys_in(&text))
    }
}

/// Writes a `Debug` with `write`, then redacts the whole text: for a type whose fields are the
/// caller's text, so that a field added later without its own redaction still shows no key.
pub(crate) fn debug_redacted(
    f: &mut std::fmt::Formatter<'_>,
    write: impl Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result,
) -> std::fmt::Result {
    struct With<F>(F);
    impl<F: Fn(&mut std::fmt::Formatter<'_>) -> std::fmt::Result> std::fmt::Debug for With<F> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            (self.0)(f)
        }
    }
    std::fmt::Debug::fmt(&RedactedDebug(&With(write)), f)
}

/// A credential command as `Debug` shows it: the program and the number of arguments (arguments
/// may be secret, a token say).
pub(crate) fn command_debug(argv: &[String]) -> String {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    format!("{program} (+{} arguments)", argv.len().saturating_sub(1))
}

/// Replaces anything shaped like a whole key in `text` with its redacted form. Used on text that
/// comes from outside (server messages), as a second line of defence.
pub fn redact_keys_in(text: &str) -> String {
    let bytes = text.as_bytes();
    // `ak-` followed by a 32-hex access id starts at `start`.
    let key_starts_at = |start: usize| {
        let id_end = start + PREFIX.len() + ACCESS_ID_LEN;
        bytes.len() >= id_end
            && bytes[start..].starts_with(PREFIX.as_bytes())
            && bytes[start + PREFIX.len()..id_end]
                .iter()
                .all(|b| b.is_ascii_hexdigit())
    };
    // Every key-shaped match marks its secret (the run of letters and digits after the access id)
    // hidden and its `ak-<access id>` shown. Matches may overlap: two keys pasted together, where the
    // first secret's run swallows the `ak` of the second, or an `ak-` starting inside an access id.
    // A byte is hidden when some match hides it and none shows it, so every key keeps its access id
    // and loses its secret, whatever comes before it.
    let mut hidden: Option<Vec<bool>> = None;
    let mut shown = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(PREFIX) {
        let start = from + found;
        from = start + 1;
        if !key_starts_at(start) {
            continue;
        }
        let id_end = start + PREFIX.len() + ACCESS_ID_LEN;
        let run = bytes[id_end..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if run == 0 {
            continue;
        }
        hidden.get_or_insert_with(|| vec![false; bytes.len()])[id_end..id_end + run].fill(true);
        shown.push(start..id_end);
    }
    let Some(mut hidden) = hidden else {
        return text.to_owned();
    };
    for r in shown {
        hidden[r].fill(false);
    }
    // Hidden bytes are ASCII, so every boundary below is a char boundary.
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let j = i + hidden[i..].iter().take_while(|&&h| h == hidden[i]).count();
        if hidden[i] {
            out.push_str("***");
        } else {
            out.push_str(&text[i..j]);
        }
        i = j;
    }
    out
}

/// [`redact_keys_in`] over every string of a JSON value, object keys included.
pub fn redact_value(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(redact_keys_in(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(redact_value).collect()),
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (redact_keys_in(&k), redact_value(v)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_keys_in_server_text() {
        let s = "bad key ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6 here; ak- alone";
        assert_eq!(
            redact_keys_in(s),
            "bad key ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4*** here; ak- alone"
        );
    }

    #[test]
    fn redacts_keys_pasted_together() {
        let a = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
        let b = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm";
        let shown = redact_keys_in(&format!("x{a}{b}{a}.y"));
        assert_eq!(
            shown,
            "xak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0***\
             ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4***.y"
        );
    }

    #[test]
    fn redacts_a_key_that_starts_inside_an_access_id() {
        let b = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm";
        // 31 hex digits, then the next key: `ak-<31 hex>a` looks like an access id of its own.
        let text = format!("ak-{}{b}", "f".repeat(31));
        let shown = redact_keys_in(&text);
        assert!(!shown.contains("Zx9Q"), "{shown}");
        assert!(
            shown.ends_with("ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0***"),
            "{shown}"
        );
        assert_eq!(redact_keys_in("no key, ak- ak-12 é"), "no key, ak- ak-12 é");
    }
}
