//! The loading chain of contract section 3: which source is asked first, and what is found.

use std::path::{Path, PathBuf};

use super::command::{parse_env_argv, KeyCommand};
use super::files::{read_key_file, read_profile, ProfileKey};
use super::{
    Env, KeySource, LoadOptions, LoadedKey, SourceKind, DEFAULT_COMMAND_TIMEOUT, ENV_API_KEY,
    ENV_API_KEY_COMMAND, ENV_API_KEY_FILE, ENV_CREDENTIALS_DIRECTORY, ENV_PROFILE,
    SECRET_FILE_NAME,
};
use crate::error::{CredentialsNotFound, Error, Result};
use crate::key::ApiKey;

/// Runs the loading chain; the first source that is set wins.
pub fn load_api_key(opts: &LoadOptions) -> Result<LoadedKey> {
    let (source, mut searched) = locate(opts)?;
    let mut warnings = Vec::new();
    let key = match source.kind {
        SourceKind::Explicit => opts.api_key.clone(),
        SourceKind::Command => {
            let argv = match &source.variable {
                Some(_) => parse_env_argv(&opts.env.var(ENV_API_KEY_COMMAND).unwrap_or_default())?,
                None => opts.api_key_command.clone().unwrap_or_default(),
            };
            return from_command(argv, source, opts, warnings);
        }
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
                Some((ProfileKey::Key(key), base_url)) => {
                    let mut l = loaded(key, source, warnings);
                    l.base_url = base_url;
                    return Ok(l);
                }
                Some((ProfileKey::Command(argv), base_url)) => {
                    let mut l = from_command(argv, source, opts, warnings)?;
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
    if let Some(argv) = &opts.api_key_command {
        let mut s = with(SourceKind::Command, None, None);
        s.program = argv.first().cloned();
        return Ok((s, searched));
    }
    searched.push("the api_key_command option".to_owned());

    // A profile chosen explicitly is an explicit choice too: it wins over the environment.
    if opts.profile.is_none() {
        let env_key = opts.env.var_checked(ENV_API_KEY)?;
        let env_file = opts.env.var_checked(ENV_API_KEY_FILE)?;
        let env_command = opts.env.var_checked(ENV_API_KEY_COMMAND)?;
        let set: Vec<&str> = [
            (ENV_API_KEY, env_key.is_some()),
            (ENV_API_KEY_FILE, env_file.is_some()),
            (ENV_API_KEY_COMMAND, env_command.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, is_set)| is_set.then_some(name))
        .collect();
        if set.len() > 1 {
            return Err(Error::config(format!(
                "{} are {} set; set only one of {ENV_API_KEY}, {ENV_API_KEY_FILE} and \
                 {ENV_API_KEY_COMMAND}",
                set.join(" and "),
                if set.len() == 2 { "both" } else { "all" }
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
        if let Some(text) = env_command {
            let argv = parse_env_argv(&text)?;
            let mut s = with(SourceKind::Command, Some(ENV_API_KEY_COMMAND), None);
            s.program = argv.first().cloned();
            return Ok((s, searched));
        }
        searched.push(format!("environment variable {ENV_API_KEY_COMMAND}"));

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
        expires_at: None,
        command: None,
    }
}

// Runs a credential command once; the client keeps it to run again when the key expires.
fn from_command(
    argv: Vec<String>,
    mut source: KeySource,
    opts: &LoadOptions,
    warnings: Vec<String>,
) -> Result<LoadedKey> {
    source.kind = SourceKind::Command;
    source.program = argv.first().cloned();
    let timeout = opts
        .api_key_command_timeout
        .unwrap_or(DEFAULT_COMMAND_TIMEOUT);
    let command = KeyCommand::new(argv, timeout, source.configured_in())?;
    let out = command.run()?;
    let mut l = loaded(out.key, source, warnings);
    l.expires_at = out.expires_at;
    l.command = Some(command);
    Ok(l)
}
