//! Turning the global flags into loader options and a client.

use std::path::PathBuf;

use noorle::{Client, LoadOptions};

use crate::args::Global;
use crate::fail::Failure;

/// The loader options the global flags describe. (`--profile` is an explicit choice, so the
/// core lets it win over the environment.)
pub fn load_options(g: &Global) -> LoadOptions {
    let mut opts = LoadOptions::default();
    opts.api_key_file = g.api_key_file.clone();
    opts.profile = g.profile.clone();
    opts
}

/// A client for the global flags, loading the key through the chain.
pub fn client(g: &Global) -> Result<Client, Failure> {
    let mut b = Client::builder()
        .load_options(load_options(g))
        .max_retries(g.max_retries)
        .sdk_language("cli");
    if let Some(url) = &g.base_url {
        b = b.base_url(url);
    }
    let c = b.build().map_err(Failure::from)?;
    for w in c.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(c)
}

/// `~/.noorle/credentials`.
pub fn credentials_path() -> Option<PathBuf> {
    noorle::credentials_path(&LoadOptions::default())
}

/// The profile named by `--profile`, `NOORLE_PROFILE`, or `default`.
pub fn profile_name(g: &Global) -> String {
    g.profile
        .clone()
        .or_else(|| {
            std::env::var(noorle::ENV_PROFILE)
                .ok()
                .filter(|p| !p.is_empty())
        })
        .unwrap_or_else(|| "default".to_owned())
}
