//! Attaching a key to a request (contract section 2).

use std::fmt;
use std::str::FromStr;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::Error;
use crate::key::ApiKey;

/// Which header carries the key. `X-API-Key` is Noorle's first preference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderScheme {
    /// `X-API-Key: <key>`
    #[default]
    XApiKey,
    /// `API-Key: <key>`
    ApiKey,
    /// `Authorization: ApiKey <key>`
    Authorization,
}

impl HeaderScheme {
    /// `x-api-key`, `api-key` or `authorization`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::XApiKey => "x-api-key",
            Self::ApiKey => "api-key",
            Self::Authorization => "authorization",
        }
    }

    /// The header's name.
    pub fn header_name(self) -> HeaderName {
        match self {
            Self::XApiKey => HeaderName::from_static("x-api-key"),
            Self::ApiKey => HeaderName::from_static("api-key"),
            Self::Authorization => reqwest::header::AUTHORIZATION,
        }
    }
}

impl fmt::Display for HeaderScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HeaderScheme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "x-api-key" => Ok(Self::XApiKey),
            "api-key" => Ok(Self::ApiKey),
            "authorization" => Ok(Self::Authorization),
            // The value is not echoed: a key pasted into the wrong option must not be printed.
            _ => Err(Error::config(
                "unknown header scheme; use 'x-api-key', 'api-key' or 'authorization' \
                 ('Authorization: Bearer' is for JWT tokens, never API keys)",
            )),
        }
    }
}

/// The header name and value for `key` under `scheme`, as plain strings (for bindings and users of
/// other HTTP clients). The value contains the secret: do not log it.
pub fn auth_header(key: &ApiKey, scheme: HeaderScheme) -> (&'static str, String) {
    match scheme {
        HeaderScheme::XApiKey => ("X-API-Key", key.expose_secret().to_owned()),
        HeaderScheme::ApiKey => ("API-Key", key.expose_secret().to_owned()),
        HeaderScheme::Authorization => ("Authorization", format!("ApiKey {}", key.expose_secret())),
    }
}

/// The one header to attach for `key` under `scheme`, marked sensitive so HTTP-level logging never
/// prints it.
pub fn auth_headers(key: &ApiKey, scheme: HeaderScheme) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(1);
    let (name, value) = auth_header_value(key, scheme);
    map.insert(name, value);
    map
}

pub(crate) fn auth_header_value(key: &ApiKey, scheme: HeaderScheme) -> (HeaderName, HeaderValue) {
    // The temporary copy of the secret is zeroed when dropped.
    let value = zeroize::Zeroizing::new(auth_header(key, scheme).1);
    // A validated key is ASCII letters, digits and '-': always a valid header value.
    let mut value = HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    (scheme.header_name(), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sensitive_header_per_scheme() {
        let k = ApiKey::parse("ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6").unwrap();
        for (scheme, name, prefix) in [
            (HeaderScheme::XApiKey, "x-api-key", ""),
            (HeaderScheme::ApiKey, "api-key", ""),
            (HeaderScheme::Authorization, "authorization", "ApiKey "),
        ] {
            let h = auth_headers(&k, scheme);
            assert_eq!(h.len(), 1);
            let v = &h[name];
            assert!(v.is_sensitive());
            assert_eq!(
                v.to_str().unwrap(),
                format!("{prefix}{}", k.expose_secret())
            );
            assert!(!format!("{h:?}").contains("s9t0"));
        }
        assert!("bearer".parse::<HeaderScheme>().is_err());
        // A key given as the scheme by mistake is not echoed.
        let e = k.expose_secret().parse::<HeaderScheme>().unwrap_err();
        assert!(!e.to_string().contains("s9t0"), "{e}");
        assert_eq!(
            "X-API-Key".parse::<HeaderScheme>().unwrap(),
            HeaderScheme::XApiKey
        );
    }
}
