//! The credentials-file (profile) reader: any bytes as the file, loaded for two profiles.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noorle::{load_api_key, LoadOptions};
use noorle_fuzz::{private_file, Secrets};

fuzz_target!(|data: &[u8]| {
    let secrets = Secrets::of(data);
    let path = private_file("credentials", data);
    for profile in ["default", "prod"] {
        let mut opts = LoadOptions::explicit_only();
        opts.credentials_file = Some(path.clone());
        opts.profile = Some(profile.to_owned());
        match load_api_key(&opts) {
            Ok(l) => {
                assert!(
                    std::str::from_utf8(data).is_ok(),
                    "a key read from non-UTF-8 bytes"
                );
                secrets.assert_absent(
                    profile,
                    &format!("{:?} {} {:?} {:?}", l.key, l.source, l.source, l.warnings),
                );
            }
            Err(e) => secrets.assert_error_clean(profile, &e),
        }
    }
});
