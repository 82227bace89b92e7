//! `noorle login --api-key`: read a key (stdin or a hidden prompt), check it with the server,
//! store it in `~/.noorle/credentials`.

use std::io::{IsTerminal, Read};

use noorle::{ApiKey, Client, LoadOptions, DEFAULT_BASE_URL, ENV_BASE_URL};
use serde_json::json;
use zeroize::Zeroizing;

use crate::args::{Global, LoginArgs};
use crate::context;
use crate::fail::{code, Failure};
use crate::output;

// A key file larger than this cannot be one key (the core's limit too).
const MAX_INPUT: u64 = 4096;

pub async fn run(_a: LoginArgs, g: &Global) -> Result<(), Failure> {
    let path = context::credentials_path().ok_or_else(|| {
        Failure::new(
            code::KEY_OR_CONFIG,
            "no home directory (HOME is not set), so there is no ~/.noorle/credentials",
            "set HOME, or use NOORLE_API_KEY / --api-key-file instead of a profile",
        )
    })?;
    let profile = context::profile_name(g);
    let raw = read_key()?;
    let key = ApiKey::parse_loaded(&raw).map_err(|error| {
        Failure::from(noorle::Error::InvalidApiKey {
            error,
            origin: Some("the input".into()),
        })
    })?;
    drop(raw);

    // Keep the base URL the profile already had, unless told another.
    let stored_url = noorle::load_api_key(
        &LoadOptions::explicit_only()
            .profile(profile.clone())
            .credentials_file(path.clone()),
    )
    .ok()
    .and_then(|l| l.base_url);
    let base_url = g
        .base_url
        .clone()
        .or_else(|| std::env::var(ENV_BASE_URL).ok().filter(|u| !u.is_empty()))
        .or(stored_url);

    let client = Client::builder()
        .no_ambient_config()
        .api_key(key.clone())
        .base_url(base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))
        .max_retries(g.max_retries)
        .sdk_language("cli")
        .build()?;
    let me = client.whoami().await?;

    noorle::write_profile(&path, &profile, &key, base_url.as_deref())?;

    if g.json {
        output::json(&json!({
            "api_key": me,
            "profile": profile,
            "credentials_file": path,
            "base_url": client.base_url(),
        }));
    } else {
        println!(
            "logged in as '{}' ({}, {}); saved to {} [profile {profile}]",
            me.name,
            key.redacted(),
            output::owner(&me),
            path.display()
        );
    }
    Ok(())
}

/// The key from stdin when it is piped, else from a prompt that does not echo.
fn read_key() -> Result<Zeroizing<String>, Failure> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password("Noorle API key (input hidden): ")
            .map(Zeroizing::new)
            .map_err(|e| {
                Failure::new(
                    code::GENERIC,
                    format!("cannot read the key from the terminal: {e}"),
                    "pipe it instead: noorle login --api-key < keyfile",
                )
            });
    }
    let mut buf = Zeroizing::new(String::new());
    stdin
        .lock()
        .take(MAX_INPUT + 1)
        .read_to_string(&mut buf)
        .map_err(|e| {
            Failure::new(
                code::KEY_OR_CONFIG,
                format!("cannot read the key from stdin: {e}"),
                "pipe exactly one key, as text",
            )
        })?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Failure::new(
            code::KEY_OR_CONFIG,
            "the input is too long to be one key",
            "pipe exactly one key: noorle login --api-key < keyfile",
        ));
    }
    Ok(buf)
}
