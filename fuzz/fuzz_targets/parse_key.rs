//! The key parser: `ApiKey::parse` and `parse_loaded` on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noorle::ApiKey;
use noorle_fuzz::Secrets;

fuzz_target!(|data: &[u8]| {
    let secrets = Secrets::of(data);
    let text = String::from_utf8_lossy(data);
    for (what, parsed) in [
        ("parse", ApiKey::parse(&text)),
        ("parse_loaded", ApiKey::parse_loaded(&text)),
    ] {
        match parsed {
            Ok(k) => {
                let wire = if what == "parse" { &*text } else { text.trim() };
                assert_eq!(k.expose_secret(), wire, "{what}: the key is not the input");
                assert_eq!(k.redacted(), format!("ak-{}***", k.access_id()));
                secrets.assert_absent(what, &format!("{k:?} {k} {k:#?}"));
            }
            Err(e) => {
                assert!(
                    e.position() <= text.chars().count(),
                    "{what}: position {} past the end: {e}",
                    e.position()
                );
                secrets.assert_absent(what, &format!("{e} {e:?} {}", e.message()));
                secrets.assert_error_clean(what, &noorle::Error::from(e));
            }
        }
    }
});
