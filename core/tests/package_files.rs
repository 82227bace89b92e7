//! The crate ships copies of the root LICENSE and NOTICE (cargo packages nothing outside the
//! crate folder); in the workspace they must equal the root files.

use std::path::Path;

#[test]
fn license_and_notice_match_the_root() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.join("..");
    // A packaged crate has no workspace around it: nothing to compare with.
    if !root.join("Cargo.toml").is_file() || !root.join("spec").is_dir() {
        return;
    }
    for f in ["LICENSE", "NOTICE"] {
        let ours = std::fs::read(crate_dir.join(f));
        let theirs = std::fs::read(root.join(f));
        assert!(
            matches!((&ours, &theirs), (Ok(a), Ok(b)) if a == b),
            "core/{f} is missing or differs from the root {f}; run: cp {f} core/"
        );
    }
}
