//! A `NOORLE_API_KEY` that is not UTF-8 is an error, not "unset". Alone in its binary: it sets
//! the process environment.

#![allow(clippy::unwrap_used)]

#[cfg(unix)]
#[test]
fn a_non_utf8_key_variable_is_an_error_not_unset() {
    use std::os::unix::ffi::OsStrExt;
    std::env::remove_var(noorle::ENV_API_KEY_FILE);
    std::env::set_var(
        noorle::ENV_API_KEY,
        std::ffi::OsStr::from_bytes(b"ak-\xff\xfe"),
    );
    let dir = std::env::temp_dir().join(format!("noorle-none-{}", std::process::id()));
    let opts = noorle::LoadOptions::default()
        .credentials_file(dir.join("credentials"))
        .docker_secret(None);
    let err = noorle::load_api_key(&opts).unwrap_err();
    assert_eq!(err.kind(), noorle::ErrorKind::Config, "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("NOORLE_API_KEY") && msg.contains("UTF-8"),
        "{msg}"
    );
}
