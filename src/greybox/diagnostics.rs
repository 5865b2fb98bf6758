//! Errors found in a grey-box file, each located in the source, and their
//! rendering as plain-text reports.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{Files, SimpleFile};

use super::source::Span;

/// An error as found, before it is given a line and column.
#[derive(Clone, Debug)]
pub(crate) struct Problem {
    /// Where it is.
    pub span: Span,
    /// What is wrong: what was found and what was expected.
    pub message: String,
    /// A short text under the offending node.
    pub label: String,
    /// Other places worth showing, with their texts.
    pub related: Vec<(Span, String)>,
    /// Hints: the allowed values, the known keys.
    pub notes: Vec<String>,
}

impl Problem {
    /// A problem at `span` with a message and the text under the node.
    pub fn new(span: Span, message: impl Into<String>, label: impl Into<String>) -> Problem {
        Problem {
            span,
            message: message.into(),
            label: label.into(),
            related: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Adds a note (builder style).
    pub fn note(mut self, note: impl Into<String>) -> Problem {
        self.notes.push(note.into());
        self
    }

    /// Points at another place (builder style).
    pub fn related(mut self, span: Span, text: impl Into<String>) -> Problem {
        self.related.push((span, text.into()));
        self
    }
}

/// The problems found so far while reading one file.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    found: Vec<Problem>,
}

impl Problems {
    /// Records a problem.
    pub fn push(&mut self, problem: Problem) {
        self.found.push(problem);
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// How many problems were found.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// The problems, in the order found.
    pub fn into_vec(self) -> Vec<Problem> {
        self.found
    }
}

/// One error in a grey-box file: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
    label: String,
    span: Range<usize>,
    line: usize,
    column: usize,
    related: Vec<(Range<usize>, String)>,
    notes: Vec<String>,
}

impl Error {
    /// What is wrong: what was found and what was expected.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line of the offending node.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column (in characters) of the offending node.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The byte range of the offending node in the source text.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Hints: allowed values, known keys, how to fix.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The short text shown under the offending node.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Other places worth showing (the first declaration of a duplicate,
    /// say): byte ranges with their texts.
    pub fn related(&self) -> &[(Range<usize>, String)] {
        &self.related
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Every error found in one grey-box file, with the text they point into.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    file_name: String,
    source: String,
    errors: Vec<Error>,
}

impl Diagnostics {
    /// Locates `problems` in `source`, sorted by position.
    pub(crate) fn new(file_name: &str, source: &str, problems: Vec<Problem>) -> Diagnostics {
        let file = SimpleFile::new(file_name, source);
        let mut errors: Vec<Error> = problems
            .into_iter()
            .map(|p| {
                let (line, column) = file
                    .location((), p.span.start)
                    .map_or((1, 1), |l| (l.line_number, l.column_number));
                Error {
                    message: p.message,
                    label: p.label,
                    span: p.span.start..p.span.end,
                    line,
                    column,
                    related: p
                        .related
                        .into_iter()
                        .map(|(s, t)| (s.start..s.end, t))
                        .collect(),
                    notes: p.notes,
                }
            })
            .collect();
        errors.sort_by_key(|e| e.span.start);
        // One `streams` key may annotate several streams: say its error once.
        errors.dedup_by(|a, b| a.span == b.span && a.message == b.message);
        Diagnostics {
            file_name: file_name.to_string(),
            source: source.to_string(),
            errors,
        }
    }

    /// The errors, in source order.
    pub fn errors(&self) -> &[Error] {
        &self.errors
    }

    /// The name of the file the errors are in.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The text the errors point into.
    pub fn text(&self) -> &str {
        &self.source
    }

    /// Every error as a plain-text report (no colours) with a source snippet.
    pub fn render(&self) -> String {
        let diagnostics: Vec<Diagnostic<()>> = self.errors.iter().map(to_diagnostic).collect();
        crate::report::diagnostics::render_plain(
            &self.file_name,
            &self.source,
            &diagnostics,
            "error",
        )
    }
}

/// The codespan form of one error.
fn to_diagnostic(error: &Error) -> Diagnostic<()> {
    let mut labels = vec![Label::primary((), error.span.clone()).with_message(&error.label)];
    labels.extend(
        error
            .related
            .iter()
            .map(|(span, text)| Label::secondary((), span.clone()).with_message(text)),
    );
    Diagnostic::error()
        .with_message(&error.message)
        .with_labels(labels)
        .with_notes(error.notes.clone())
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl std::error::Error for Diagnostics {}
