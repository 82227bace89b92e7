//! Failures: exit codes by error kind, and a one-line message with a hint.

use noorle::{Error, ErrorInfo, ErrorKind};
use serde_json::json;

/// Exit codes (documented in README.md). 2 is clap's own code for usage errors.
pub mod code {
    pub const GENERIC: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const KEY_OR_CONFIG: u8 = 3;
    pub const AUTHENTICATION: u8 = 4;
    pub const PERMISSION_DENIED: u8 = 5;
    pub const NOT_FOUND: u8 = 6;
    pub const CONFLICT: u8 = 7;
    pub const VALIDATION: u8 = 8;
    pub const RATE_LIMITED: u8 = 9;
    pub const SERVER: u8 = 10;
    pub const CONNECTION: u8 = 11;
}

/// The exit code of an error kind.
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidApiKey | ErrorKind::CredentialsNotFound | ErrorKind::Config => {
            code::KEY_OR_CONFIG
        }
        ErrorKind::Authentication => code::AUTHENTICATION,
        ErrorKind::PermissionDenied => code::PERMISSION_DENIED,
        ErrorKind::NotFound => code::NOT_FOUND,
        ErrorKind::Conflict => code::CONFLICT,
        ErrorKind::Validation => code::VALIDATION,
        ErrorKind::RateLimited => code::RATE_LIMITED,
        ErrorKind::Server => code::SERVER,
        ErrorKind::Connection | ErrorKind::Timeout => code::CONNECTION,
        _ => code::GENERIC,
    }
}

/// A command that did not succeed.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    /// One line, no secret.
    pub message: String,
    pub hint: Option<String>,
    /// Further lines (the places searched for a key).
    pub extra: Vec<String>,
    /// The SDK's view of the error, for `--json`.
    pub info: Option<Box<ErrorInfo>>,
    /// The command's own output already explained it (doctor): one stderr line is enough.
    pub reported: bool,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: Some(hint.into()),
            extra: Vec::new(),
            info: None,
            reported: false,
        }
    }

    /// Prints the failure to stderr (and, with `--json`, as JSON on stdout).
    pub fn report(&self, json: bool) {
        if self.reported {
            eprintln!("error: {}", self.message);
            return;
        }
        if json {
            let v = match &self.info {
                Some(info) => json!({ "error": info, "hint": self.hint }),
                None => json!({ "error": { "message": self.message }, "hint": self.hint }),
            };
            println!("{v}");
        }
        eprintln!("error: {}", self.message);
        for line in &self.extra {
            eprintln!("  {line}");
        }
        if let Some(h) = &self.hint {
            eprintln!("hint: {h}");
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let info = e.to_info();
        let mut extra = Vec::new();
        let message = match &e {
            // The core lists the places on several lines; keep the error to one line.
            Error::CredentialsNotFound(c) => {
                extra.push("looked in, in order:".to_owned());
                extra.extend(
                    c.searched
                        .iter()
                        .enumerate()
                        .map(|(i, p)| format!("  {}. {p}", i + 1)),
                );
                "no Noorle API key found".to_owned()
            }
            _ => one_line(&e.to_string()),
        };
        Self {
            code: exit_code(e.kind()),
            message,
            hint: Some(hint_for(&e)),
            extra,
            info: Some(Box::new(info)),
            reported: false,
        }
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// What to do about an error.
pub fn hint_for(e: &Error) -> String {
    let reason = e
        .details()
        .and_then(|d| d.get("reason"))
        .and_then(|r| r.as_str())
        .unwrap_or("");
    match e.kind() {
        ErrorKind::InvalidApiKey => "a key is `ak-` + 32 lowercase hex characters + a 16 to 128 \
            character secret of letters and digits, with no quotes or `Bearer ` prefix; run \
            `noorle doctor` to see where it came from"
            .into(),
        ErrorKind::CredentialsNotFound => "run `noorle login --api-key`, set NOORLE_API_KEY, or \
            pass --api-key-file FILE"
            .into(),
        ErrorKind::Config => {
            "run `noorle doctor` to see where the key and settings come from".into()
        }
        ErrorKind::Authentication => match reason {
            "inactive" => "the key is deactivated: activate it with `noorle api-key activate ID` \
                using another key with the manage permission"
                .into(),
            "revoked" => "the key is revoked for good: create a new one with `noorle api-key \
                generate` (using another key) and `noorle login --api-key`"
                .into(),
            "expired" => "the key has expired: create or rotate to a new one".into(),
            "service_account_disabled" => "the key's service account is disabled: enable it with \
                `noorle service-account update ID --enable`"
                .into(),
            "bearer_scheme" => "send the key in X-API-Key, not Authorization: Bearer".into(),
            _ => "the server does not know this key: check that it is complete and belongs to \
                this server (--base-url); run `noorle doctor`"
                .into(),
        },
        ErrorKind::PermissionDenied => "this needs a key with the `manage` permission and \
            account-wide scope, and a role high enough for it; check yours with `noorle whoami`"
            .into(),
        ErrorKind::NotFound => "check the id with `noorle api-key list` or `noorle \
            service-account list`"
            .into(),
        ErrorKind::Conflict => "a revoked key cannot be activated or rotated, and only a revoked \
            key can be deleted (revoke it first)"
            .into(),
        ErrorKind::Validation => match e.details() {
            Some(d) => match (d.get("field"), d.get("reason")) {
                (Some(f), Some(r)) => format!(
                    "fix the field {}: {}",
                    f.as_str().unwrap_or_default(),
                    r.as_str().unwrap_or_default()
                ),
                _ => "check the values given; see `noorle help`".into(),
            },
            None => "check the values given; see `noorle help`".into(),
        },
        ErrorKind::RateLimited => match e.retry_after() {
            Some(d) => format!("wait {} s and try again", d.as_secs().max(1)),
            None => "wait a minute and try again".into(),
        },
        ErrorKind::Server => {
            "the server failed; try again later, and quote the request id if it persists".into()
        }
        ErrorKind::Connection | ErrorKind::Timeout => "is the server up at that address? start \
            a local one with `noorle dev-server`, or set --base-url / NOORLE_BASE_URL"
            .into(),
        _ => "run `noorle doctor` to check the setup".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_clap_code() {
        assert_eq!(code::USAGE, 2);
        assert_eq!(exit_code(ErrorKind::Timeout), code::CONNECTION);
        assert_eq!(exit_code(ErrorKind::Config), code::KEY_OR_CONFIG);
    }
}
