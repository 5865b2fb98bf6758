//! Where a front end (the grey-box reader, the SQL white box, the macros) read
//! each annotation of a dataflow, so that reports can point a violation at the
//! line the user wrote. Front ends fill it; renderers only read it.

use std::collections::HashMap;
use std::ops::Range;

use blazes_core::Origin;

/// One located piece of source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The byte range in the source text.
    pub bytes: Range<usize>,
    /// First line, counted from 1.
    pub line: usize,
    /// First column (in characters), counted from 1.
    pub column: usize,
    /// Last line, counted from 1.
    pub end_line: usize,
    /// Column just past the end (in characters), counted from 1.
    pub end_column: usize,
    /// What the front end derived there, in the user's words (the SQL clause
    /// that made a path order-sensitive, say); `None` when the annotation was
    /// written by hand.
    pub note: Option<String>,
}

impl Located {
    /// Locates `bytes` in `text`: lines end at `\n`, columns count characters.
    /// Offsets past the end or inside a character are clamped.
    pub fn in_text(text: &str, bytes: Range<usize>) -> Located {
        crate::line_index::LineIndex::new(text).locate(bytes)
    }

    /// The same location with a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Located {
        self.note = Some(note.into());
        self
    }
}

/// The locations of a dataflow's annotations in one source file.
#[derive(Clone, Debug, Default)]
pub struct Locations {
    file: String,
    text: String,
    paths: HashMap<Origin, Located>,
    streams: HashMap<String, Located>,
    sources: HashMap<String, Vec<String>>,
}

impl Locations {
    /// No locations yet, for the file `file` whose text is `text`.
    pub fn new(file: impl Into<String>, text: impl Into<String>) -> Locations {
        Locations {
            file: file.into(),
            text: text.into(),
            ..Locations::default()
        }
    }

    /// The file's name, as given.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Records where a path annotation was written.
    pub fn insert_path(&mut self, origin: Origin, at: Located) {
        self.paths.insert(origin, at);
    }

    /// Where a path annotation was written.
    pub fn path(&self, origin: &Origin) -> Option<&Located> {
        self.paths.get(origin)
    }

    /// Records where a stream (named as `Stream::name` gives it) was annotated.
    pub fn insert_stream(&mut self, name: impl Into<String>, at: Located) {
        self.streams.insert(name.into(), at);
    }

    /// Where a stream (named as `Stream::name` gives it) was annotated.
    pub fn stream(&self, name: &str) -> Option<&Located> {
        self.streams.get(name)
    }

    /// Records the attributes the records of source `source` carry, where
    /// the file declares them (a SQL table's columns).
    pub fn insert_source_attributes(&mut self, source: impl Into<String>, attributes: Vec<String>) {
        self.sources.insert(source.into(), attributes);
    }

    /// The attributes of source `source`'s records, in declaration order,
    /// when the file declares them.
    pub fn source_attributes(&self, source: &str) -> Option<&[String]> {
        self.sources.get(source).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        let text = "ab\nçd ef\n";
        let at = Located::in_text(text, 7..9);
        assert_eq!(
            (at.line, at.column, at.end_line, at.end_column),
            (2, 4, 2, 6)
        );
        assert_eq!(&text[at.bytes], "ef");
    }

    #[test]
    fn offsets_outside_the_text_are_clamped() {
        let at = Located::in_text("é", 1..99);
        assert_eq!(at.bytes, 0..2);
    }
}
