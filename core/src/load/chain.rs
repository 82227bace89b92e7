//! The loading chain of contract section 3: which source is asked first, and what is found.

use std::path::{Path, PathBuf};

use super::files::{read_key_file, read_profile};
use super::{
    Env, KeySource, LoadOptions, LoadedKey, SourceKind, ENV_API_KEY, ENV_API_KEY_FILE,
    ENV_CREDENTIALS_DIRECTORY, ENV_PROFILE, SECRET_FILE_NAME,
};
use crate::error::{CredentialsNotFound, Error, Result};
use crate::key::ApiKey;

/// Runs the loading chain; the first source that is set wins.
pub fn load_api_key(opts: &LoadOptions) -> Result<LoadedKey> {
    let (source, mut searched) = locate(opts)?;
    let mut warnings = Vec::new();
    let key = match source.kind {
        SourceKind::Explicit => opts.api_key.clone(),
        SourceKind::Env => {
            let raw = zeroize::Zeroizing::new(opts.env.var(ENV_API_KEY).unwrap_or_default());
            Some(
                ApiKey::parse_loaded(&raw).map_err(|error| Error::InvalidApiKey {
                    error,
                    origin: Some(format!("environment variable {ENV_API_KEY}")),
                })?,
            )
        }
        SourceKind::Profile => {
            let (path, profile) = (
                source.path.clone().unwrap_or_default(),
                source.profile.clone().unwrap_or_default(),
            );
            match read_profile(&path, &profile, &mut warnings)? {
                Some((key, base_url)) => {
                    let mut l = loaded(key, source, warnings);
                    l.base_url = base_url;
                    return Ok(l);
                }
                None => {
                    searched.push(format!(
                        "{} [profile {profile}] (no api_key in that profile)",
                        path.display()
                    ));
                    return Err(Error::CredentialsNotFound(CredentialsNotFound { searched }));
                }
            }
        }
        _ => match &source.path {
            Some(path) => Some(read_key_file(path, &mut warnings)?),
            None => None,
        },
    };
    let key = key.ok_or_else(|| Error::config(format!("no key at the located source {source}")))?;
    Ok(loaded(key, source, warnings))
}

/// Which source the chain would use, without reading or validating the key (for diagnostics
/// such as `noorle doctor`). Fails like [`load_api_key`] when no source is set.
pub fn locate_api_key(opts: &LoadOptions) -> Result<KeySource> {
    locate(opts).map(|(s, _)| s)
}

// The chain's order lives here once; returns the source and every place looked at before it.
fn locate(opts: &LoadOptions) -> Result<(KeySource, Vec<String>)> {
    let mut searched = Vec::new();
    let with = |kind, variable: Option<&str>, path: Option<PathBuf>| {
        let mut s = KeySource::new(kind);
        s.variable = variable.map(str::to_owned);
        s.path = path;
        s
    };

    if opts.api_key.is_some() {
        return Ok((KeySource::new(SourceKind::Explicit), searched));
    }
    searched.push("the api_key option".to_owned());
    if let Some(path) = &opts.api_key_file {
        return Ok((with(SourceKind::File, None, Some(path.clone())), searched));
    }
    searched.push("the api_key_file option".to_owned());

    // A profile chosen explicitly is an explicit choice too: it wins over the environment.
    if opts.profile.is_none() {
        let env_key = opts.env.var_checked(ENV_API_KEY)?;
        let env_file = opts.env.var_checked(ENV_API_KEY_FILE)?;
        if env_key.is_some() && env_file.is_some() {
            return Err(Error::config(format!(
                "both {ENV_API_KEY} and {ENV_API_KEY_FILE} are set; set only one of them"
            )));
        }
        if env_key.is_some() {
            return Ok((with(SourceKind::Env, Some(ENV_API_KEY), None), searched));
        }
        searched.push(format!("environment variable {ENV_API_KEY}"));
        if let Some(path) = env_file {
            return Ok((
                with(
                    SourceKind::EnvFile,
                    Some(ENV_API_KEY_FILE),
                    Some(path.into()),
                ),
                searched,
            ));
        }
        searched.push(format!("environment variable {ENV_API_KEY_FILE}"));

        match opts.env.var_checked(ENV_CREDENTIALS_DIRECTORY)? {
            Some(dir) => {
                let path = Path::new(&dir).join(SECRET_FILE_NAME);
                if path.exists() {
                    let s = with(SourceKind::CredentialsDir, Some(ENV_CREDENTIALS_DIRECTORY), Some(path));
                    return Ok((s, searched));
                }
                searched.push(format!("{} (from ${ENV_CREDENTIALS_DIRECTORY})", path.display()));
            }
            None => searched.push(format!(
                "${ENV_CREDENTIALS_DIRECTORY}/{SECRET_FILE_NAME} (${ENV_CREDENTIALS_DIRECTORY} is not set)"
            )),
        }

        if let Some(path) = &opts.docker_secret {
            if path.exists() {
                return Ok((
                    with(SourceKind::DockerSecret, None, Some(path.clone())),
                    searched,
                ));
            }
            searched.push(path.display().to_string());
        }
    }

    let profile = match &opts.profile {
        Some(p) => p.clone(),
        None => opts
            .env
            .var_checked(ENV_PROFILE)?
            .unwrap_or_else(|| "default".to_owned()),
    };
    match credentials_path(opts) {
        Some(path) if path.exists() => {
            let mut s = with(SourceKind::Profile, None, Some(path));
            s.profile = Some(profile);
            Ok((s, searched))
        }
        Some(path) => {
            searched.push(format!("{} [profile {profile}]", path.display()));
            Err(Error::CredentialsNotFound(CredentialsNotFound { searched }))
        }
        None => {
            searched.push(format!(
                "~/.noorle/credentials [profile {profile}] (no home directory: $HOME is not set)"
            ));
            Err(Error::CredentialsNotFound(CredentialsNotFound { searched }))
        }
    }
}

/// The credentials file: the option, else `<home>/.noorle/credentials`.
pub fn credentials_path(opts: &LoadOptions) -> Option<PathBuf> {
    opts.credentials_file
        .clone()
        .or_else(|| home_dir(&opts.env).map(|h| h.join(".noorle").join("credentials")))
}

/// `$HOME` when set; for the process environment, else the platform's home directory (the
/// user's profile folder, `USERPROFILE`, on Windows; the password database on Unix).
fn home_dir(env: &Env) -> Option<PathBuf> {
    if let Some(h) = env.var("HOME") {
        return Some(PathBuf::from(h));
    }
    match env {
        Env::Process => home::home_dir().filter(|p| !p.as_os_str().is_empty()),
        Env::Map(_) | Env::Empty => None,
    }
}

fn loaded(key: ApiKey, source: KeySource, warnings: Vec<String>) -> LoadedKey {
    LoadedKey {
        key,
        source,
        base_url: None,
        warnings,
    }
}
