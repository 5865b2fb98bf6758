//! Reading the files `blazes check` is given (a path, or `-` for standard
//! input) and the typed error for every way a file can be refused before it is
//! analysed (spec §7: exit status 2, with a located message).

use std::io::Read as _;

use blazes_core::ValidationError;

use crate::greybox::Diagnostics;

/// The argument that names standard input.
pub const STDIN_ARG: &str = "-";

/// The name standard input is given in reports.
pub const STDIN_NAME: &str = "<stdin>";

/// Why a file could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {file}: {source}")]
    Unreadable {
        /// The file, as named on the command line.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{file}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The file, as named on the command line.
        file: String,
        /// The offset of the first invalid byte.
        offset: usize,
        /// The decoding error.
        #[source]
        source: std::string::FromUtf8Error,
    },
    /// The grey-box reader found errors (each located).
    #[error("{}: {} error(s) in the grey-box file", .0.file_name(), .0.errors().len())]
    GreyBox(#[from] Diagnostics),
    /// The SQL white box found errors (each located).
    #[error("{}: {} error(s) in the SQL file", .0.file_name(), .0.errors().len())]
    #[cfg(feature = "sql")]
    Sql(#[from] crate::sql::SqlErrors),
    /// A `.sql` file, read by a build of the library without its `sql`
    /// feature.
    #[cfg(not(feature = "sql"))]
    #[error(
        "{file}: reading SQL needs blazes' `sql` feature (`features = [\"sql\"]` in Cargo.toml; the `blazes` command line has it)"
    )]
    SqlNotEnabled {
        /// The file.
        file: String,
    },
    /// The front end built a dataflow the core refuses (a front end that
    /// validates, as the grey-box reader does, never gives this).
    #[error("{file}: invalid dataflow: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Dataflow {
        /// The file.
        file: String,
        /// What the core found.
        errors: Vec<ValidationError>,
    },
}

impl LoadError {
    /// The file it concerns.
    pub fn file(&self) -> &str {
        match self {
            LoadError::Unreadable { file, .. }
            | LoadError::NotUtf8 { file, .. }
            | LoadError::Dataflow { file, .. } => file,
            LoadError::GreyBox(d) => d.file_name(),
            #[cfg(feature = "sql")]
            LoadError::Sql(e) => e.file_name(),
            #[cfg(not(feature = "sql"))]
            LoadError::SqlNotEnabled { file } => file,
        }
    }

    /// The report for people: every error with its snippet for a grey-box
    /// file, else one `error:` line per problem.
    pub fn render(&self) -> String {
        match self {
            LoadError::GreyBox(d) => d.render(),
            #[cfg(feature = "sql")]
            LoadError::Sql(e) => e.render(),
            LoadError::Dataflow { file, errors } => errors
                .iter()
                .map(|e| format!("error: {file}: {e}\n"))
                .collect(),
            other => format!("error: {other}\n"),
        }
    }
}

/// Reads the text of a file argument: a path, or [`STDIN_ARG`] for standard
/// input. Returns the name reports use and the text.
pub fn read(arg: &str) -> Result<(String, String), LoadError> {
    let (name, bytes) = if arg == STDIN_ARG {
        let mut bytes = Vec::new();
        let read = std::io::stdin().lock().read_to_end(&mut bytes);
        (STDIN_NAME.to_string(), read.map(|_| bytes))
    } else {
        (arg.to_string(), std::fs::read(arg))
    };
    let bytes = bytes.map_err(|source| LoadError::Unreadable {
        file: name.clone(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok((name, text)),
        Err(source) => Err(LoadError::NotUtf8 {
            offset: source.utf8_error().valid_up_to(),
            file: name,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_unreadable_and_keeps_its_io_error() {
        let err = read("no/such/file.yaml").unwrap_err();
        assert_eq!(err.file(), "no/such/file.yaml");
        assert!(
            err.render()
                .starts_with("error: cannot read no/such/file.yaml")
        );
        let source = std::error::Error::source(&err).expect("keeps its source");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_with_their_offset() {
        let dir = tempfile::tempdir().expect("scratch dir");
        let path = dir.path().join("latin1.yaml");
        std::fs::write(&path, b"ab\xe9").expect("written");
        let err = read(path.to_str().expect("utf-8 path")).unwrap_err();
        assert!(matches!(err, LoadError::NotUtf8 { offset: 2, .. }), "{err}");
    }
}
