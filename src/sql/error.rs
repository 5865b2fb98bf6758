//! Errors of the SQL white box (issue 12, spec §7 "exit status 2 for invalid
//! input, with a located message"): each one names the construct it is about
//! and where it is, and they render like the grey-box reader's reports.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic, Label};

use crate::locations::Located;

/// What is wrong with a SQL file.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// `sqlparser` could not read the text.
    #[error("the SQL does not parse: {message}")]
    Syntax {
        /// The parser's message, without its position.
        message: String,
        /// The parser's error.
        #[source]
        source: sqlparser::parser::ParserError,
    },
    /// A statement other than `CREATE TABLE` and `CREATE [MATERIALIZED] VIEW`.
    #[error(
        "`{0}` statements are not part of a dataflow: only CREATE TABLE (a source) and CREATE [MATERIALIZED] VIEW (a component) are read"
    )]
    UnsupportedStatement(String),
    /// A construct the derivation cannot give an annotation for.
    #[error("{construct} is not supported by the white-box derivation")]
    Unsupported {
        /// The construct, quoted from the source or named.
        construct: String,
    },
    /// A function the derivation does not know.
    #[error(
        "unknown function `{0}`: the derivation cannot tell whether it is a scalar function, an aggregate or non-deterministic"
    )]
    UnknownFunction(String),
    /// A relation that is neither a table nor an earlier view.
    #[error(
        "unknown relation `{0}`: it is neither a CREATE TABLE nor a view created before this one"
    )]
    UnknownRelation(String),
    /// A column that no relation in scope has.
    #[error("unknown column `{0}`")]
    UnknownColumn(String),
    /// A column that several relations in scope have.
    #[error("ambiguous column `{0}`: qualify it with the relation it comes from")]
    AmbiguousColumn(String),
    /// A table or view created twice.
    #[error("`{0}` is created twice")]
    Duplicate(String),
    /// A name the model cannot use.
    #[error("the name `{0}` cannot be used in a dataflow: {1}")]
    BadName(String, &'static str),
    /// A `blazes.*` option that is malformed or unknown.
    #[error("{0}")]
    BadOption(String),
    /// A view column whose name would mislead the analysis.
    #[error("{0}")]
    Lineage(String),
    /// The file defines nothing to analyse.
    #[error("no CREATE VIEW in the file: there is no component to analyse")]
    NoView,
    /// The derived dataflow is not valid (a name the model rejects).
    #[error("the derived dataflow is invalid: {0}")]
    Invalid(String),
}

/// One error in a SQL file: what is wrong and where.
#[derive(Debug, thiserror::Error)]
#[error("{}:{}: {kind}", at.line, at.column)]
pub struct SqlError {
    /// What is wrong.
    #[source]
    pub kind: ErrorKind,
    /// Where: the construct the error is about.
    pub at: Located,
    /// Hints: what to write instead.
    pub notes: Vec<String>,
}

impl SqlError {
    /// An error of `kind` at `bytes` of `text`.
    pub(crate) fn new(kind: ErrorKind, text: &str, bytes: Range<usize>) -> SqlError {
        SqlError {
            kind,
            at: Located::in_text(text, bytes),
            notes: Vec::new(),
        }
    }

    /// Adds a hint (builder style).
    pub(crate) fn note(mut self, note: impl Into<String>) -> SqlError {
        self.notes.push(note.into());
        self
    }

    /// The 1-based line of the construct.
    pub fn line(&self) -> usize {
        self.at.line
    }

    /// The 1-based column (in characters) of the construct.
    pub fn column(&self) -> usize {
        self.at.column
    }
}

/// Every error found in one SQL file, with the text they point into.
#[derive(Debug, thiserror::Error)]
pub struct SqlErrors {
    file_name: String,
    text: String,
    errors: Vec<SqlError>,
}

impl SqlErrors {
    /// The errors of `file_name`, whose text is `text`, in source order.
    pub(crate) fn new(file_name: &str, text: &str, mut errors: Vec<SqlError>) -> SqlErrors {
        errors.sort_by_key(|e| e.at.bytes.start);
        SqlErrors {
            file_name: file_name.to_string(),
            text: text.to_string(),
            errors,
        }
    }

    /// The errors, in source order.
    pub fn errors(&self) -> &[SqlError] {
        &self.errors
    }

    /// The name of the file the errors are in.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Every error as a plain-text report (no colours) with a source snippet.
    pub fn render(&self) -> String {
        let diagnostics: Vec<Diagnostic<()>> = self
            .errors
            .iter()
            .map(|error| {
                Diagnostic::error()
                    .with_message(error.kind.to_string())
                    .with_labels(vec![
                        Label::primary((), error.at.bytes.clone())
                            .with_message(label_of(&error.kind)),
                    ])
                    .with_notes(error.notes.clone())
            })
            .collect();
        crate::report::diagnostics::render_plain(&self.file_name, &self.text, &diagnostics, "error")
    }
}

/// The short text under the offending construct.
fn label_of(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Syntax { .. } => "here",
        ErrorKind::UnsupportedStatement(_) => "this statement",
        ErrorKind::Unsupported { .. } => "not supported",
        ErrorKind::UnknownFunction(_) => "unknown function",
        ErrorKind::UnknownRelation(_) => "no such table or view",
        ErrorKind::UnknownColumn(_) => "no such column in scope",
        ErrorKind::AmbiguousColumn(_) => "ambiguous",
        ErrorKind::Duplicate(_) => "created again here",
        ErrorKind::BadName(..) => "this name",
        ErrorKind::BadOption(_) => "this option",
        ErrorKind::Lineage(_) => "this column",
        ErrorKind::NoView => "in this file",
        ErrorKind::Invalid(_) => "here",
    }
}

impl fmt::Display for SqlErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}
