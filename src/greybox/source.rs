//! Positions in the grey-box text: byte spans, and the conversion from the
//! YAML scanner's markers (line and character column) to byte offsets.

use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A byte range of the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span from `start` to `end` (swapped if given backwards).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start.min(end),
            end: start.max(end),
        }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// The source text with what is needed to turn scanner markers into spans.
pub(crate) struct SourceText<'a> {
    text: &'a str,
    /// Byte offset of every character, when the text is not pure ASCII.
    char_starts: Option<Vec<usize>>,
    /// Number of characters in the text.
    char_count: usize,
    /// Character index of the start of every line, as the YAML scanner
    /// counts lines (`\n`, `\r\n` and a lone `\r` end a line).
    scanner_lines: Vec<usize>,
    /// Byte offset of the start of every `\n`-separated line.
    line_starts: Vec<usize>,
}

impl<'a> SourceText<'a> {
    /// Indexes `text`.
    pub fn new(text: &'a str) -> SourceText<'a> {
        let char_starts = (!text.is_ascii()).then(|| text.char_indices().map(|(i, _)| i).collect());
        let mut scanner_lines = vec![0];
        let mut char_count = 0;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            char_count += 1;
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
                char_count += 1;
                scanner_lines.push(char_count);
            } else if c == '\n' || c == '\r' {
                scanner_lines.push(char_count);
            }
        }
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceText {
            text,
            char_starts,
            char_count,
            scanner_lines,
            line_starts,
        }
    }

    /// The text itself.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte offset of a scanner marker.
    ///
    /// The marker's line and column are used, not its index: yaml-rust2 0.13
    /// advances the index by bytes, not characters, over the lines of block
    /// scalars, so the index drifts after non-ASCII block text.
    pub fn byte_of(&self, marker: &Marker) -> usize {
        let line = marker.line().saturating_sub(1);
        let char_index = match self.scanner_lines.get(line) {
            Some(&start) => {
                let next = self
                    .scanner_lines
                    .get(line + 1)
                    .copied()
                    .unwrap_or(self.char_count);
                start.saturating_add(marker.col()).min(next)
            }
            None => self.char_count,
        };
        match &self.char_starts {
            None => char_index.min(self.text.len()),
            Some(starts) => starts.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }

    /// The byte offset of the end of the line holding `offset` (before `\n`).
    pub fn line_end(&self, offset: usize) -> usize {
        let rest = self.text.get(offset..).unwrap_or("");
        offset + rest.find(['\n', '\r']).unwrap_or(rest.len())
    }

    /// The character at byte `offset`, if any.
    pub fn char_at(&self, offset: usize) -> Option<char> {
        self.text.get(offset..)?.chars().next()
    }

    /// `offset` moved back to the nearest character boundary.
    pub fn floor(&self, offset: usize) -> usize {
        let mut at = offset.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// The span of the one character at byte `at` (empty at the end).
    pub fn point(&self, at: usize) -> Span {
        let len = self.char_at(at).map_or(0, char::len_utf8);
        Span::new(at, at + len)
    }

    /// The span of a scalar starting at byte `start`.
    pub fn scalar_span(&self, start: usize, value: &str, style: TScalarStyle) -> Span {
        let line_end = self.line_end(start);
        let end = match style {
            TScalarStyle::Plain => (start + value.len()).min(line_end),
            TScalarStyle::SingleQuoted => self.closing_quote(start, '\'').unwrap_or(line_end),
            TScalarStyle::DoubleQuoted => self.closing_quote(start, '"').unwrap_or(line_end),
            _ => line_end,
        };
        Span::new(start, self.floor(end))
    }

    /// The span of an alias `*name` starting at byte `start`.
    pub fn alias_span(&self, start: usize) -> Span {
        let rest = self.text.get(start..).unwrap_or("");
        let len = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c.is_whitespace() || ",[]{}".contains(c))
            .map_or(rest.len(), |(i, _)| i);
        Span::new(start, start + len)
    }

    /// One past the quote closing a quoted scalar that opens at `start`.
    fn closing_quote(&self, start: usize, quote: char) -> Option<usize> {
        let body = self.text.get(start..)?;
        let mut chars = body.char_indices();
        if chars.next()?.1 != quote {
            return None;
        }
        while let Some((i, c)) = chars.next() {
            if quote == '"' && c == '\\' {
                chars.next();
            } else if c == quote {
                if quote == '\'' && body.get(i + 1..).is_some_and(|r| r.starts_with('\'')) {
                    chars.next();
                } else {
                    return Some(start + i + 1);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        let s = SourceText::new("a\nbc\n");
        assert_eq!(s.line_of(0), 1);
        assert_eq!(s.line_of(2), 2);
        assert_eq!(s.line_of(4), 2);
        assert_eq!(s.line_of(5), 3);
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        let s = SourceText::new(r#"a: 'it''s' "q\"x" tail"#);
        assert_eq!(s.closing_quote(3, '\''), Some(10));
        assert_eq!(s.closing_quote(11, '"'), Some(17));
    }

    #[test]
    fn alias_spans_stop_at_flow_indicators() {
        let s = SourceText::new("[*a, *bb]");
        assert_eq!(s.alias_span(1), Span::new(1, 3));
        assert_eq!(s.alias_span(5), Span::new(5, 8));
    }
}
