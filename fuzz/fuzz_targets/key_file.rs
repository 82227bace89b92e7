//! The key-file reader: any bytes as the file, read directly and through the loading chain.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noorle::{load_api_key, read_key_file, LoadOptions};
use noorle_fuzz::{private_file, Secrets};

fuzz_target!(|data: &[u8]| {
    let secrets = Secrets::of(data);
    let path = private_file("noorle_api_key", data);
    let mut warnings = Vec::new();
    match read_key_file(&path, &mut warnings) {
        Ok(k) => {
            let text = std::str::from_utf8(data).expect("a key read from non-UTF-8 bytes");
            assert_eq!(
                k.expose_secret(),
                text.trim(),
                "the key is not the file's text"
            );
            secrets.assert_absent("read_key_file", &format!("{k:?} {k}"));
        }
        Err(e) => secrets.assert_error_clean("read_key_file", &e),
    }
    secrets.assert_absent("read_key_file warnings", &warnings.join("\n"));

    let mut opts = LoadOptions::explicit_only();
    opts.api_key_file = Some(path);
    match load_api_key(&opts) {
        Ok(l) => secrets.assert_absent(
            "load_api_key",
            &format!("{:?} {} {:?} {:?}", l.key, l.source, l.source, l.warnings),
        ),
        Err(e) => secrets.assert_error_clean("load_api_key", &e),
    }
});
