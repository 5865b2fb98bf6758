//! The grey-box file reader (spec §6): YAML annotation blocks in, a validated
//! [`Dataflow`] out, or every error found, each located in the file.
//!
//! The paper's annotation blocks are accepted verbatim, as the whole file or
//! under `components:`:
//!
//! ```
//! let text = "
//! streams: { tweets: { seal: [batch] } }
//! Splitter:
//!   annotation: [ { from: tweets, to: words, label: CR } ]
//! Count:
//!   annotation: [ { from: words, to: counts, label: OW, subscript: [word, batch] } ]
//! ";
//! let dataflow = blazes::greybox::parse("wordcount.yaml", text).expect("valid file");
//! let analysis = blazes::analyze(&dataflow).expect("validated");
//! assert_eq!(analysis.sinks["counts"], blazes::Label::Async);
//!
//! let broken = "Count: { annotation: { from: words, to: counts, label: XW } }";
//! let errors = blazes::greybox::parse("broken.yaml", broken).unwrap_err();
//! assert_eq!((errors.errors()[0].line(), errors.errors()[0].column()), (1, 56));
//! assert!(errors.render().contains("should be one of CR, CW, OR, OW"));
//! ```
//!
//! The YAML is read from the parser's events into a tree that remembers
//! spans, so that duplicate keys, aliases (expanded within a budget), tags,
//! nesting depth and extra documents are all under control; no input makes
//! the reader panic or run away.

mod components;
mod diagnostics;
mod document;
mod fields;
mod fixes;
mod load;
mod locate;
mod located;
mod source;
mod sourcemap;
mod streams;
mod tree;
mod warnings;
mod wiring;

use blazes_core::{Dataflow, ValidationError, validate};

use crate::locations::Locations;

pub use diagnostics::{Diagnostics, Error};
pub(crate) use fixes::fix_in_greybox;
pub use load::{MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH};
pub use warnings::{Warning, Warnings};

use diagnostics::Problems;
use source::SourceText;

/// Reads a grey-box file into a validated dataflow.
///
/// `file_name` only names the file in error reports. On failure, the
/// [`Diagnostics`] hold every error that could be found without guessing.
pub fn parse(file_name: &str, text: &str) -> Result<Dataflow, Diagnostics> {
    read(file_name, text).map(|(dataflow, _)| dataflow)
}

/// Reads a grey-box file like [`parse`], and also returns the warnings about
/// the valid dataflow (spec §1, §3; [`blazes_core::lint`]): attributes that
/// are probably misspelt ("did you mean"), seal keys that no gate can use,
/// each located in the file. Warnings never make the file invalid.
///
/// ```
/// let text = "
/// streams: { click: { seal: [campain] } }
/// Report:
///   annotation:
///     - { from: click, to: response, label: CW }
///     - { from: request, to: response, label: OR, gate: [id, campaign] }
/// ";
/// let (_, warnings) = blazes::greybox::parse_with_warnings("ads.yaml", text).expect("valid");
/// let warning = &warnings.warnings()[0];
/// assert_eq!((warning.line(), warning.column()), (2, 28));
/// assert!(warning.message().contains("did you mean `campaign`?"));
/// ```
pub fn parse_with_warnings(
    file_name: &str,
    text: &str,
) -> Result<(Dataflow, Warnings), Diagnostics> {
    read(file_name, text).map(|(dataflow, map)| {
        let warnings = Warnings::new(file_name, text, &dataflow, &map);
        (dataflow, warnings)
    })
}

/// Reads a grey-box file once for a report: the validated dataflow, where
/// each annotation was written ([`parse_located`]) and the warnings
/// ([`parse_with_warnings`]).
pub fn parse_reported(
    file_name: &str,
    text: &str,
) -> Result<(Dataflow, Locations, Warnings), Diagnostics> {
    let (dataflow, map) = read(file_name, text)?;
    let locations = located::locations(file_name, text, &dataflow, &map);
    let warnings = Warnings::new(file_name, text, &dataflow, &map);
    Ok((dataflow, locations, warnings))
}

/// Reads a grey-box file into a validated dataflow and where each of its path
/// and stream annotations was written, so that reports can point a violation
/// at the line the user wrote (see [`crate::locations`]).
///
/// ```
/// use blazes::Origin;
/// let text = "Count:\n  annotation: { from: words, to: counts, label: OW, gate: [word] }\n";
/// let (_, locations) = blazes::greybox::parse_located("count.yaml", text).expect("valid file");
/// let origin = Origin::Path { component: "Count".into(), from: "words".into(), to: "counts".into() };
/// let at = locations.path(&origin).expect("located");
/// assert_eq!((at.line, at.column), (2, 15));
/// ```
pub fn parse_located(file_name: &str, text: &str) -> Result<(Dataflow, Locations), Diagnostics> {
    let (dataflow, map) = read(file_name, text)?;
    let locations = located::locations(file_name, text, &dataflow, &map);
    Ok((dataflow, locations))
}

/// Reads and validates, keeping the source map.
fn read(file_name: &str, text: &str) -> Result<(Dataflow, sourcemap::SourceMap), Diagnostics> {
    let source = SourceText::new(text);
    let mut problems = Problems::default();
    let read =
        load::load(&source, &mut problems).and_then(|root| document::read(&root, &mut problems));
    if let Some((dataflow, map)) = &read
        && let Err(errors) = validate(dataflow)
    {
        problems_from_validation(&errors, dataflow, map, &mut problems);
    }
    match read {
        Some(read) if problems.is_empty() => Ok(read),
        _ => Err(Diagnostics::new(file_name, text, problems.into_vec())),
    }
}

/// Adds the located form of each validation error that is not a consequence
/// of an error already reported.
fn problems_from_validation(
    errors: &[ValidationError],
    dataflow: &Dataflow,
    map: &sourcemap::SourceMap,
    problems: &mut Problems,
) {
    for problem in errors
        .iter()
        .filter_map(|e| locate::locate(e, dataflow, map))
    {
        problems.push(problem);
    }
}
