//! Shared by the SQL white-box tests (issue 12): the case files of
//! `cases/sql/` and the expectations each states in `-- expect:` lines.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// One SQL case file.
pub struct Case {
    /// Its path.
    pub path: PathBuf,
    /// Its file name, for messages.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The `.sql` files directly in `dir` (relative to the crate), sorted.
pub fn cases(dir: &str) -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| Case {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            text: std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
            path,
        })
        .collect()
}

/// The text after `-- {key}:` on each line that has it.
pub fn directives<'t>(text: &'t str, key: &str) -> Vec<&'t str> {
    let prefix = format!("-- {key}:");
    text.lines()
        .filter_map(|l| l.trim().strip_prefix(prefix.as_str()))
        .map(str::trim)
        .collect()
}
