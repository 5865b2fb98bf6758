//! Replays the kept fuzz seeds (`fuzz/seeds/<target>/`) against the checks
//! the fuzz targets run (`fuzz/props.rs`), so that every input the fuzzer
//! once found interesting, crashes included, stays a regression test in CI.
//! The fuzzer itself runs by hand: see `docs/fuzzing.md`.

#[path = "../fuzz/props.rs"]
mod props;

use std::path::Path;

/// Every seed of `target`, by file name; the folder must not be empty.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let bytes = std::fs::read(&path).expect("a readable seed");
            (path.display().to_string(), bytes)
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    for (name, bytes) in seeds(target) {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        assert!(outcome.is_ok(), "seed {name} fails the {target} check");
    }
}

#[test]
fn wire_frame_seeds_pass() {
    replay("wire_frame", props::wire_frame);
}

#[test]
fn greybox_yaml_seeds_pass() {
    replay("greybox_yaml", |bytes| {
        props::checked_file("fuzz.yaml", bytes)
    });
}

#[test]
fn sql_text_seeds_pass() {
    replay("sql_text", |bytes| props::checked_file("fuzz.sql", bytes));
}
