//! Lines and columns of many byte ranges of one text, each found by a binary
//! search over the line starts instead of a scan from the start, so that
//! locating every annotation of a large grey-box file (spec §6) or every
//! error in it stays linear. [`Located::in_text`] locates one range with it.

use std::ops::Range;

use crate::locations::Located;

/// The byte offset of every line start of a text.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text` (lines end at `\n`).
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// Locates `bytes`, clamped to the text and to character boundaries:
    /// lines end at `\n`, columns count characters, both from 1.
    pub fn locate(&self, bytes: Range<usize>) -> Located {
        let clamp = |mut at: usize| {
            at = at.min(self.text.len());
            while !self.text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let (start, end) = (clamp(bytes.start), clamp(bytes.end.max(bytes.start)));
        let (line, column) = self.position(start);
        let (end_line, end_column) = self.position(end);
        Located {
            bytes: start..end,
            line,
            column,
            end_line,
            end_column,
            note: None,
        }
    }

    /// Line and column (characters) of a byte offset on a character boundary.
    fn position(&self, at: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= at);
        let line_start = self.starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let column = self
            .text
            .get(line_start..at)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_located_in_text_everywhere() {
        for text in ["", "ab\nçd ef\n", "é", "\n\nx", "a\r\nbé\nc"] {
            let index = LineIndex::new(text);
            for start in 0..=text.len() + 1 {
                for end in 0..=text.len() + 1 {
                    assert_eq!(
                        index.locate(start..end),
                        Located::in_text(text, start..end),
                        "{text:?} {start}..{end}"
                    );
                }
            }
        }
    }
}
