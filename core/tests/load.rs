//! The loading chain (contract section 3), with temp files and an isolated environment: tests
//! never touch the process environment, so they cannot race.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use noorle::{load_api_key, Env, ErrorKind, LoadOptions, SourceKind};

const K1: &str = "ak-a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4s9t0u1v2w3x4y5z6";
const K2: &str = "ak-0f9e8d7c6b5a49382716f5e4d3c2b1a0Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm";
const K3: &str = "ak-ffffffffffffffffffffffffffffffffzZ9zZ9zZ9zZ9zZ9zZ9";

fn env(pairs: &[(&str, &str)]) -> Env {
    Env::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
    )
}

fn write(path: &Path, text: &str, mode: u32) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    set_mode(path, mode);
    path.to_owned()
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// No mode bits elsewhere: the file keeps its default access.
#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn opts(e: Env, dir: &Path) -> LoadOptions {
    LoadOptions::default()
        .env(e)
        .docker_secret(Some(dir.join("run-secrets/noorle_api_key")))
}

#[test]
fn order_of_sources() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let home = d.join("home");
    write(
        &home.join(".noorle/credentials"),
        &format!("[default]\napi_key = \"{K3}\"\n"),
        0o600,
    );
    let docker = write(
        &d.join("run-secrets/noorle_api_key"),
        &format!("{K2}\n"),
        0o600,
    );
    let creds = write(&d.join("creds/noorle_api_key"), &format!("{K1}\n"), 0o600);
    let home_s = home.to_str().unwrap();
    let creds_dir = d.join("creds");

    // Profile is the last resort.
    let l = load_api_key(&opts(env(&[("HOME", home_s)]), d).docker_secret(None)).unwrap();
    assert_eq!(
        (l.source.kind, l.key.expose_secret()),
        (SourceKind::Profile, K3)
    );
    assert_eq!(l.source.profile.as_deref(), Some("default"));
    // Docker secret beats the profile.
    let l = load_api_key(&opts(env(&[("HOME", home_s)]), d)).unwrap();
    assert_eq!(
        (l.source.kind, l.source.path.as_deref()),
        (SourceKind::DockerSecret, Some(docker.as_path()))
    );
    // $CREDENTIALS_DIRECTORY beats the Docker secret.
    let e = env(&[
        ("HOME", home_s),
        ("CREDENTIALS_DIRECTORY", creds_dir.to_str().unwrap()),
    ]);
    let l = load_api_key(&opts(e, d)).unwrap();
    assert_eq!(
        (l.source.kind, l.source.path.as_deref()),
        (SourceKind::CredentialsDir, Some(creds.as_path()))
    );
    // NOORLE_API_KEY_FILE beats that.
    let f = write(&d.join("f/key"), K2, 0o600);
    let e = env(&[
        ("HOME", home_s),
        ("CREDENTIALS_DIRECTORY", creds_dir.to_str().unwrap()),
        ("NOORLE_API_KEY_FILE", f.to_str().unwrap()),
    ]);
    let l = load_api_key(&opts(e, d)).unwrap();
    assert_eq!(
        (l.source.kind, l.source.variable.as_deref()),
        (SourceKind::EnvFile, Some("NOORLE_API_KEY_FILE"))
    );
    // NOORLE_API_KEY beats that (when the file variable is unset).
    let e = env(&[("HOME", home_s), ("NOORLE_API_KEY", &format!("{K1}\n"))]);
    let l = load_api_key(&opts(e.clone(), d)).unwrap();
    assert_eq!(
        (l.source.kind, l.key.expose_secret()),
        (SourceKind::Env, K1)
    );
    // An explicit file beats the environment, an explicit key beats everything.
    let l = load_api_key(&opts(e.clone(), d).api_key_file(f.clone())).unwrap();
    assert_eq!(l.source.kind, SourceKind::File);
    let l = load_api_key(&opts(e, d).api_key(K3.parse().unwrap()).api_key_file(f)).unwrap();
    assert_eq!(l.source.kind, SourceKind::Explicit);
    // Provenance never shows the key.
    for shown in [format!("{l:?}"), l.source.to_string()] {
        assert!(!shown.contains("zZ9zZ9zZ9"), "{shown}");
    }
}

#[test]
fn both_env_variables_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir.path().join("key"), K1, 0o600);
    let e = env(&[
        ("NOORLE_API_KEY", K2),
        ("NOORLE_API_KEY_FILE", f.to_str().unwrap()),
    ]);
    let err = load_api_key(&opts(e, dir.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let msg = err.to_string();
    assert!(
        msg.contains("NOORLE_API_KEY ") && msg.contains("NOORLE_API_KEY_FILE"),
        "{msg}"
    );
    assert!(!msg.contains("Zx9Qw2"), "{msg}");
}

#[test]
fn nothing_found_lists_every_place_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let err =
        load_api_key(&opts(env(&[("HOME", home.to_str().unwrap())]), dir.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsNotFound);
    let searched = err.searched().unwrap();
    // The platform's separator (`\` on Windows) inside the home folder.
    let profile = format!(
        "{} [profile default]",
        Path::new(".noorle").join("credentials").display()
    );
    let expect = [
        "api_key option",
        "api_key_file option",
        "api_key_command option",
        "NOORLE_API_KEY",
        "NOORLE_API_KEY_FILE",
        "NOORLE_API_KEY_COMMAND",
        "CREDENTIALS_DIRECTORY",
        "run-secrets/noorle_api_key",
        &profile,
    ];
    assert_eq!(searched.len(), expect.len(), "{searched:?}");
    for (place, want) in searched.iter().zip(expect) {
        assert!(place.contains(want), "{place} should mention {want}");
    }
    let msg = err.to_string();
    assert!(msg.contains("1. ") && msg.contains("9. "), "{msg}");
}

#[test]
fn profile_is_chosen_by_option_or_variable_and_can_set_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    write(
        &home.join(".noorle/credentials"),
        &format!("[default]\napi_key = \"{K1}\"\n\n[staging]\napi_key = \"{K2}\"\nbase_url = \"http://127.0.0.1:9\"\n"),
        0o600,
    );
    let h = home.to_str().unwrap();
    let l = load_api_key(&opts(
        env(&[("HOME", h), ("NOORLE_PROFILE", "staging")]),
        dir.path(),
    ))
    .unwrap();
    assert_eq!(l.key.expose_secret(), K2);
    assert_eq!(l.base_url.as_deref(), Some("http://127.0.0.1:9"));
    let o = opts(
        env(&[("HOME", h), ("NOORLE_PROFILE", "staging")]),
        dir.path(),
    )
    .profile("default");
    assert_eq!(load_api_key(&o).unwrap().key.expose_secret(), K1);
    let o = opts(env(&[("HOME", h)]), dir.path()).profile("missing");
    let err = load_api_key(&o).unwrap_err();
    assert!(err.to_string().contains("profile missing"), "{err}");
}

#[test]
fn bad_profile_file_does_not_echo_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    write(
        &home.join(".noorle/credentials"),
        &format!("[default\napi_key = \"{K1}\""),
        0o600,
    );
    let err =
        load_api_key(&opts(env(&[("HOME", home.to_str().unwrap())]), dir.path())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(!err.to_string().contains("s9t0u1"), "{err}");
}

fn load_file(p: PathBuf) -> noorle::Result<noorle::LoadedKey> {
    load_api_key(&LoadOptions::explicit_only().api_key_file(p))
}

// Unix only: Windows has no mode bits, and the loader does not inspect ACLs.
#[cfg(unix)]
#[test]
fn unsafe_modes_are_refused_or_warned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    let err = load_file(write(&d.join("ww"), K1, 0o666)).unwrap_err();
    assert!(
        err.kind() == ErrorKind::Config && err.to_string().contains("world-writable"),
        "{err}"
    );

    let l = load_file(write(&d.join("gr"), K1, 0o644)).unwrap();
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(l.warnings[0].contains("chmod 600"));
}

#[test]
fn strange_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    assert!(load_file(write(&d.join("ok"), K1, 0o600))
        .unwrap()
        .warnings
        .is_empty());

    let big = format!("{K1}\n{}", " ".repeat(5000));
    let err = load_file(write(&d.join("big"), &big, 0o600)).unwrap_err();
    assert!(err.to_string().contains("4096"), "{err}");

    let err = load_file(write(&d.join("nul"), &format!("{K1}\0"), 0o600)).unwrap_err();
    assert!(err.to_string().contains("NUL"), "{err}");

    std::fs::write(d.join("latin1"), b"ak-\xe9\xe9").unwrap();
    set_mode(&d.join("latin1"), 0o600);
    let err = load_file(d.join("latin1")).unwrap_err();
    assert!(err.to_string().contains("UTF-8"), "{err}");

    let err = load_file(d.join("absent")).unwrap_err();
    assert!(
        err.kind() == ErrorKind::Config && err.to_string().contains("absent"),
        "{err}"
    );

    let err = load_file(write(&d.join("quoted"), &format!("\"{K1}\"\n"), 0o600)).unwrap_err();
    assert_eq!(err.code(), Some("quoted"));
    assert!(err.to_string().contains("quoted"), "{err}");
    assert!(!err.to_string().contains("s9t0u1"), "{err}");
}

#[test]
fn invalid_env_value_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        load_api_key(&opts(env(&[("NOORLE_API_KEY", "Bearer xyz")]), dir.path())).unwrap_err();
    assert_eq!(err.code(), Some("scheme_prefix"));
    assert!(err.to_string().contains("NOORLE_API_KEY"), "{err}");
}

#[test]
fn explicit_only_ignores_ambient_sources() {
    let err = load_api_key(&LoadOptions::explicit_only()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CredentialsNotFound);
}

#[test]
fn an_explicit_profile_wins_over_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    write(
        &home.join(".noorle/credentials"),
        &format!("[work]\napi_key = \"{K2}\"\n"),
        0o600,
    );
    let e = env(&[("HOME", home.to_str().unwrap()), ("NOORLE_API_KEY", K1)]);
    let o = opts(e.clone(), dir.path()).profile("work");
    let l = load_api_key(&o).unwrap();
    assert_eq!(
        (l.source.kind, l.key.expose_secret()),
        (SourceKind::Profile, K2)
    );
    assert_eq!(
        noorle::locate_api_key(&o).unwrap().kind,
        SourceKind::Profile
    );
    // NOORLE_PROFILE only picks the profile that the last step reads.
    let e = env(&[
        ("HOME", home.to_str().unwrap()),
        ("NOORLE_API_KEY", K1),
        ("NOORLE_PROFILE", "work"),
    ]);
    assert_eq!(
        load_api_key(&opts(e, dir.path())).unwrap().source.kind,
        SourceKind::Env
    );
}

#[test]
fn locate_names_the_source_even_when_the_key_is_bad() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir.path().join("bad"), "\"quoted\"", 0o600);
    let e = env(&[("NOORLE_API_KEY_FILE", f.to_str().unwrap())]);
    let o = opts(e, dir.path());
    assert!(load_api_key(&o).is_err());
    let s = noorle::locate_api_key(&o).unwrap();
    assert_eq!(
        (s.kind, s.path.as_deref()),
        (SourceKind::EnvFile, Some(f.as_path()))
    );
}

#[test]
fn write_profile_keeps_other_profiles_and_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("home/.noorle/credentials");
    noorle::write_profile(&path, "default", &K1.parse().unwrap(), None).unwrap();
    noorle::write_profile(
        &path,
        "staging",
        &K2.parse().unwrap(),
        Some("http://127.0.0.1:9"),
    )
    .unwrap();
    noorle::write_profile(&path, "default", &K3.parse().unwrap(), None).unwrap();
    #[cfg(unix)]
    {
        assert_eq!(mode_of(&path), 0o600);
        assert_eq!(mode_of(path.parent().unwrap()), 0o700);
    }
    let o = |p: &str| {
        LoadOptions::explicit_only()
            .profile(p)
            .credentials_file(path.clone())
    };
    assert_eq!(load_api_key(&o("default")).unwrap().key.expose_secret(), K3);
    let staging = load_api_key(&o("staging")).unwrap();
    assert_eq!(
        (staging.key.expose_secret(), staging.base_url.as_deref()),
        (K2, Some("http://127.0.0.1:9"))
    );
}

// Unix only: Windows has no mode bits, and the loader does not inspect ACLs.
#[cfg(unix)]
#[test]
fn world_writable_secret_files_and_profiles_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let home = d.join("home");
    let creds_dir = d.join("creds");
    let docker = d.join("run-secrets/noorle_api_key");
    let profile = home.join(".noorle/credentials");
    let h = home.to_str().unwrap();
    let cd = creds_dir.to_str().unwrap();
    let cases = [
        (
            creds_dir.join("noorle_api_key"),
            format!("{K1}\n"),
            env(&[("HOME", h), ("CREDENTIALS_DIRECTORY", cd)]),
            SourceKind::CredentialsDir,
        ),
        (
            docker.clone(),
            format!("{K2}\n"),
            env(&[("HOME", h)]),
            SourceKind::DockerSecret,
        ),
        (
            profile.clone(),
            format!("[default]\napi_key = \"{K3}\"\n"),
            env(&[("HOME", h)]),
            SourceKind::Profile,
        ),
    ];
    for (path, text, e, kind) in cases {
        write(&path, &text, 0o666);
        let o = opts(e, d);
        // The file is the one the chain picks, and it is refused rather than skipped.
        assert_eq!(noorle::locate_api_key(&o).unwrap().kind, kind);
        let err = load_api_key(&o).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.kind(), ErrorKind::Config, "{msg}");
        assert!(
            msg.contains("world-writable") && msg.contains(&path.display().to_string()),
            "{msg}"
        );
        for secret in ["s9t0u1", "Zx9Qw2", "zZ9zZ9"] {
            assert!(!msg.contains(secret), "{msg}");
        }
        // Private, the same file loads.
        set_mode(&path, 0o600);
        assert_eq!(load_api_key(&o).unwrap().source.kind, kind);
        // Out of the way of the next, lower source.
        std::fs::remove_file(&path).unwrap();
    }
}
