//! Every case of `testdata/api_keys.json`, the vectors all implementations share.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use noorle::{load_api_key, ApiKey, Env, ErrorKind, LoadOptions};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/api_keys.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn valid_keys_parse() {
    let v = vectors();
    let cases = v["parse_valid"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for c in cases {
        let input = c["input"].as_str().unwrap();
        let k = ApiKey::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(k.access_id(), c["access_id"].as_str().unwrap());
        assert_eq!(k.expose_secret_part(), c["secret"].as_str().unwrap());
        assert_eq!(k.redacted(), c["redacted"].as_str().unwrap());
        assert_eq!(format!("{k}"), c["redacted"].as_str().unwrap());
        assert_eq!(
            format!("{k:?}"),
            format!("ApiKey({:?})", c["redacted"].as_str().unwrap())
        );
        assert_eq!(k.expose_secret(), input);
        assert_eq!(input.parse::<ApiKey>().unwrap(), k);
    }
}

#[test]
fn invalid_keys_fail_with_code_and_position() {
    let v = vectors();
    let cases = v["parse_invalid"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let input = c["input"].as_str().unwrap();
        let e = ApiKey::parse(input).expect_err(input);
        assert_eq!(
            e.code().as_str(),
            c["error"].as_str().unwrap(),
            "{input:?}: {e}"
        );
        // Every invalid vector names its position: a missing one is a broken vector, not a skip.
        let pos = c["position"]
            .as_u64()
            .unwrap_or_else(|| panic!("{input:?}: the vector has no position"));
        assert_eq!(e.position() as u64, pos, "{input:?}: {e}");
        // The message never repeats the secret part of an otherwise well-formed key.
        let shown = e.to_string();
        for secret in [
            "s9t0u1v2w3x4y5z6",
            "Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0Lm",
            "s9t0u1v2w3x4y5z",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

#[test]
fn load_cases_strip_whitespace_only() {
    let v = vectors();
    for c in v["load"].as_array().unwrap() {
        let raw = c["raw"].as_str().unwrap();
        // From the environment...
        let mut vars = std::collections::HashMap::new();
        vars.insert("NOORLE_API_KEY".to_owned(), raw.to_owned());
        let opts = LoadOptions::default()
            .env(Env::Map(vars))
            .docker_secret(None);
        let from_env = load_api_key(&opts);
        // ...and from a file.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, raw).unwrap();
        let opts = LoadOptions::explicit_only().api_key_file(file);
        let from_file = load_api_key(&opts);
        for got in [from_env, from_file] {
            match (c.get("key").and_then(Value::as_str), got) {
                (Some(want), Ok(l)) => assert_eq!(l.key.expose_secret(), want),
                (None, Err(e)) => {
                    let want = c["error"].as_str().unwrap();
                    // "empty" from a variable is "unset": a whitespace-only variable is a
                    // present-but-empty value and must still be reported.
                    assert!(
                        e.kind() == ErrorKind::InvalidApiKey && e.code() == Some(want),
                        "{raw:?}: {e}"
                    );
                }
                (want, got) => panic!("{raw:?}: wanted {want:?}, got {got:?}"),
            }
        }
    }
}
