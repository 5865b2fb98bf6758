//! Renderings of `blazes check` (spec §7): the readable report with located
//! diagnostics, the machine-readable JSON, SARIF 2.1.0 for code scanners,
//! GitHub workflow commands for CI, and a Graphviz picture; over one file or
//! several.
//!
//! The path from a file to its report: [`input`] reads it, a front end (the
//! grey-box reader, say) turns it into a dataflow with its
//! [`Locations`](crate::locations::Locations), [`outcome::check`] analyses it,
//! [`findings`] lists what is wrong where, and one module per format renders.

pub mod check_result;
pub mod color;
pub mod diagnostics;
pub mod dot;
pub mod findings;
pub mod github;
pub mod input;
pub mod json;
pub mod outcome;
pub mod sarif;
pub mod sarif_log;
pub mod text;

use std::fmt::Write as _;

pub use color::ColorChoice;
pub use input::LoadError;
pub use outcome::{Checked, FrontEnd, Outcome, Read, Status, check, check_text, front_end};

/// The output formats of `blazes check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// The readable report.
    #[default]
    Text,
    /// JSON, as spec §7: one object per file per line.
    Json,
    /// SARIF 2.1.0: one run, results from every file.
    Sarif,
    /// GitHub Actions workflow commands, one per finding.
    Github,
    /// Graphviz DOT, one graph per file.
    Dot,
}

/// How to print.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The format.
    pub format: Format,
    /// Colour the readable report's diagnostics.
    pub colour: bool,
    /// Print the derivation of this stream instead of the report.
    pub explain: Option<String>,
}

/// What to print and the exit status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Printed {
    /// For standard output.
    pub stdout: String,
    /// For standard error: the reports of refused files and other errors.
    pub stderr: String,
    /// The worst status over the files.
    pub status: Status,
}

/// Renders every file's outcome as `options` ask. Refused files are
/// reported on standard error in every format (and also in the output of the
/// machine formats); the status is the worst over the files.
pub fn print(outcomes: &[Outcome], options: &Options) -> Printed {
    let mut printed = Printed {
        status: Status::worst(outcomes),
        ..Printed::default()
    };
    for outcome in outcomes {
        if let Outcome::Rejected(error) = outcome {
            printed.stderr.push_str(&error.render());
        }
    }
    if let Some(node) = &options.explain {
        explain(outcomes, node, &mut printed);
        return printed;
    }
    let checked = || {
        outcomes.iter().filter_map(|o| match o {
            Outcome::Checked(c) => Some(c.as_ref()),
            Outcome::Rejected(_) => None,
        })
    };
    let encoded = match options.format {
        Format::Text => Ok(checked()
            .map(|c| text::render(c, options.colour))
            .collect::<Vec<_>>()
            .join("\n")),
        Format::Dot => Ok(checked()
            .map(|c| dot::render(&c.dataflow, &c.analysis))
            .collect()),
        Format::Json => json::render(outcomes),
        Format::Sarif => sarif::render(outcomes),
        Format::Github => Ok(github::render(outcomes)),
    };
    match encoded {
        Ok(text) => printed.stdout = text,
        Err(e) => {
            let _ = writeln!(printed.stderr, "error: cannot encode JSON: {e}");
            printed.status = Status::Invalid;
        }
    }
    printed
}

/// `--explain NODE`: the derivation of `node` in every analysed file, each
/// under a `== FILE` line when there are several files.
/// A file the SQL white box reads (by its `.sql` extension).
pub fn is_sql(file: &str) -> bool {
    std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
}

fn explain(outcomes: &[Outcome], node: &str, printed: &mut Printed) {
    let several = outcomes.len() > 1;
    for outcome in outcomes {
        let Outcome::Checked(c) = outcome else {
            continue;
        };
        match blazes_core::explain::derivation_tree(&c.analysis, node) {
            Some(tree) => {
                if several {
                    let _ = writeln!(printed.stdout, "== {}", c.file());
                }
                printed.stdout.push_str(&tree);
                #[cfg(feature = "sql")]
                if is_sql(c.file()) {
                    printed
                        .stdout
                        .push_str(&crate::sql::explain(node, &c.dataflow, &c.locations));
                }
            }
            None => {
                let _ = writeln!(
                    printed.stderr,
                    "error: no stream, output, sink or source named `{node}` in {}",
                    c.file()
                );
                printed.status = Status::Invalid;
            }
        }
    }
}
