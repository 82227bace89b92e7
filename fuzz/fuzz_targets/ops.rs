//! The JSON operation dispatcher: any text as a client configuration and as an operation; the
//! operations that need no client are run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noorle::ops::{execute_static, ClientConfig, Op, Operation};
use noorle_fuzz::{sandbox, Secrets};

fuzz_target!(|data: &[u8]| {
    sandbox();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let secrets = Secrets::of(data);

    match ClientConfig::from_json(text) {
        Ok(config) => {
            secrets.assert_absent("ClientConfig (Debug)", &format!("{config:?}"));
            // Checks every setting without any I/O (the key is loaded by `build`).
            if let Err(e) = config.builder() {
                secrets.assert_error_clean("ClientConfig::builder", &e);
            }
        }
        Err(e) => secrets.assert_error_clean("ClientConfig::from_json", &e),
    }

    let op = match Operation::from_json(text) {
        Ok(op) => op,
        Err(e) => return secrets.assert_error_clean("Operation::from_json", &e),
    };
    secrets.assert_absent("Operation (Debug)", &format!("{op:?}"));
    if op.needs_client() {
        return;
    }
    // These two answer with the key itself, by design.
    let answers_with_key = matches!(
        op.op,
        Op::LoadApiKey { .. } | Op::AuthHeaders { .. }
    );
    match execute_static(op) {
        Ok(v) if !answers_with_key => secrets.assert_absent("execute_static", &v.to_string()),
        Ok(_) => {}
        Err(e) => secrets.assert_error_clean("execute_static", &e),
    }
});
