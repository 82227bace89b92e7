//! Generates the C header with cbindgen into OUT_DIR; with NOORLE_UPDATE_HEADER=1 also refreshes the
//! committed include/noorle.h. The `header_is_current` test compares the two, so drift fails CI.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=NOORLE_UPDATE_HEADER");
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    let config = match cbindgen::Config::from_file(dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cannot read cbindgen.toml: {e}");
            std::process::exit(1);
        }
    };
    let bindings = match cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => {
            println!("cargo:warning=cbindgen failed: {e}");
            std::process::exit(1);
        }
    };
    bindings.write_to_file(out.join("noorle.h"));
    if std::env::var_os("NOORLE_UPDATE_HEADER").is_some_and(|v| v == "1") {
        bindings.write_to_file(dir.join("include").join("noorle.h"));
    }
}
