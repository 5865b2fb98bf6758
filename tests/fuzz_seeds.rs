//! Replays the kept fuzz seeds (`fuzz/seeds/<target>/`, and the case files
//! of `cases/`, which the fuzzer also starts from) against the checks
//! the fuzz targets run (`fuzz/props.rs`), so that every input the fuzzer
//! once found interesting, crashes included, stays a regression test in CI.
//! The fuzzer itself runs by hand: see `docs/fuzzing.md`.

#[path = "../fuzz/props.rs"]
mod props;

use std::path::Path;

/// Every file of the folders `dirs` (relative to the repository), by name;
/// there must be some.
fn seeds(dirs: &[&str]) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    for dir in dirs {
        let dir = root.join(dir);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_file() {
                let bytes = std::fs::read(&path).expect("a readable seed");
                seeds.push((path.display().to_string(), bytes));
            }
        }
    }
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {dirs:?}");
    seeds
}

/// Runs `check` on every seed of `dirs`, naming the first that fails.
fn replay(dirs: &[&str], check: impl Fn(&[u8])) {
    for (name, bytes) in seeds(dirs) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        assert!(outcome.is_ok(), "seed {name} fails its check");
    }
}

#[test]
fn wire_frame_seeds_pass() {
    replay(&["fuzz/seeds/wire_frame"], props::wire_frame);
}

#[test]
fn greybox_yaml_seeds_pass() {
    replay(&["fuzz/seeds/greybox_yaml", "cases"], |bytes| {
        props::checked_file("fuzz.yaml", bytes)
    });
}

#[test]
fn sql_text_seeds_pass() {
    replay(
        &["fuzz/seeds/sql_text", "cases/sql", "cases/sql/errors"],
        |bytes| props::checked_file("fuzz.sql", bytes),
    );
}
