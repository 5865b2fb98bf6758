//! The readable report of `blazes check` (spec §7 in words), pinned: one
//! insta snapshot per case file (in `tests/snapshots/`), and `docs/cli.md`'s
//! quoted `blazes check` output, which must equal what the command prints.
//!
//! After a deliberate change of the report: `INSTA_UPDATE=always
//! BLAZES_UPDATE_README=1 cargo test --test text_report` (or `cargo insta
//! accept` for the snapshots), then review the diff of `tests/snapshots/` and
//! docs/cli.md. The README quotes an abridged copy, checked line by line.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What `blazes ARGS` prints on standard output (not a terminal: no colour).
fn blazes_stdout(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_blazes"))
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("the blazes binary runs");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn the_text_report_of_every_case_is_as_snapshotted() {
    let mut cases: Vec<String> = std::fs::read_dir(root().join("cases"))
        .expect("cases/ is readable")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{cases:?}");
    for case in cases {
        let report = blazes_stdout(&["check", "--color", "never", &format!("cases/{case}.yaml")]);
        insta::assert_snapshot!(case, report);
    }
}

/// The lines of the fenced block that quotes `$ blazes check FILE` in the
/// README, without the command line.
fn quoted_output(readme: &str, command: &str) -> Option<String> {
    let mut lines = readme.lines().skip_while(|l| l.trim_end() != command);
    lines.next()?;
    let mut out = String::new();
    for line in lines {
        if line.starts_with("```") {
            return Some(out);
        }
        out.push_str(line);
        out.push('\n');
    }
    None
}

/// The README with the block after `command` replaced by `output`.
fn with_quoted_output(readme: &str, command: &str, output: &str) -> Option<String> {
    let quoted = quoted_output(readme, command)?;
    let at = readme.find(&format!("{command}\n"))? + command.len() + 1;
    Some(format!(
        "{}{output}{}",
        &readme[..at],
        &readme[at + quoted.len()..]
    ))
}

/// `docs/cli.md` quotes the word-count report as the command prints it.
/// After a deliberate change: `BLAZES_UPDATE_README=1 cargo test --test
/// text_report` rewrites that block (and only it).
#[test]
fn the_cli_doc_quotes_what_blazes_check_prints() {
    let path = root().join("docs/cli.md");
    let doc = std::fs::read_to_string(&path).expect("docs/cli.md");
    let command = "$ blazes check cases/wordcount.yaml";
    let quoted = quoted_output(&doc, command).expect("the doc quotes the command");
    let printed = blazes_stdout(&["check", "cases/wordcount.yaml"]);
    if quoted != printed && std::env::var_os("BLAZES_UPDATE_README").is_some() {
        let updated = with_quoted_output(&doc, command, &printed).expect("quoted");
        std::fs::write(&path, updated).expect("docs/cli.md written");
        return;
    }
    assert!(
        quoted == printed,
        "docs/cli.md's block after `{command}` differs from the output \
         (BLAZES_UPDATE_README=1 rewrites it):\n{printed}"
    );
}

/// True when every line of the abridged `quote` is a line of `printed`, in
/// order: `...` alone stands for lines left out, and a line ending in ` ...`
/// for the start of a line.
fn abridges(quote: &str, printed: &str) -> bool {
    let mut lines = printed.lines();
    quote.lines().all(|q| {
        let q = q.trim_end();
        if q.trim() == "..." {
            return true;
        }
        match q.strip_suffix(" ...") {
            Some(start) => lines.any(|l| l.starts_with(start)),
            None => lines.any(|l| l.trim_end() == q),
        }
    })
}

/// The README's abridged word-count report is made of lines the command
/// prints, in order.
#[test]
fn the_readme_abridges_what_blazes_check_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let command = "$ blazes check cases/wordcount.yaml";
    let quoted = quoted_output(&readme, command).expect("the README quotes the command");
    let printed = blazes_stdout(&["check", "cases/wordcount.yaml"]);
    assert!(
        abridges(&quoted, &printed),
        "README.md's block after `{command}` is not an abridged copy of the output:\n{printed}"
    );
    assert!(abridges("a\n...\nc d ...\n", "a\nb\nc d e\n"));
    assert!(!abridges("c d e\na\n", "a\nb\nc d e\n"), "out of order");
    assert!(!abridges("x\n", "a\n"), "a line the command does not print");
}

#[test]
fn the_quoted_block_ends_at_the_fence() {
    let readme = "x\n```text\n$ blazes check f\na\nb\n```\nafter\n";
    assert_eq!(
        quoted_output(readme, "$ blazes check f").as_deref(),
        Some("a\nb\n")
    );
    assert_eq!(quoted_output(readme, "$ blazes check g"), None);
    assert_eq!(
        with_quoted_output(readme, "$ blazes check f", "c\n").as_deref(),
        Some("x\n```text\n$ blazes check f\nc\n```\nafter\n")
    );
}
