//! Every package ships copies of the root LICENSE and NOTICE (cargo, maturin and npm package
//! nothing outside the package folder); in the workspace they must equal the root files. One test
//! for every package, so a new copy is added here rather than written again beside it.

use std::path::Path;

const PACKAGES: [&str; 5] = [
    "core",
    "cli",
    "devserver",
    "bindings-python",
    "bindings-node",
];

#[test]
fn license_and_notice_copies_match_the_root() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // A packaged crate has no workspace around it: nothing to compare with.
    if !root.join("Cargo.toml").is_file() || !root.join("spec").is_dir() {
        return;
    }
    for package in PACKAGES {
        for f in ["LICENSE", "NOTICE"] {
            let ours = std::fs::read(root.join(package).join(f));
            let theirs = std::fs::read(root.join(f));
            assert!(
                matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b),
                "{package}/{f} is missing or differs from the root {f}; run: cp {f} {package}/"
            );
        }
    }
}
