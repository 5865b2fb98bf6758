//! Positions in the SQL text (issue 12: "every derived annotation carries the
//! span of the SQL clause that caused it"): `sqlparser` gives lines and
//! columns; the locations of `crate::locations` and the error reports want
//! byte ranges.

use std::ops::Range;

use sqlparser::tokenizer::{Location, Span};

/// The SQL text with the byte offset of each line, to turn `sqlparser`
/// locations (1-based lines and character columns) into byte offsets.
#[derive(Debug)]
pub(crate) struct SqlText<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SqlText<'a> {
    /// Indexes the lines of `text`.
    pub fn new(text: &'a str) -> SqlText<'a> {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SqlText { text, line_starts }
    }

    /// The whole text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte offset of a location, or `None` for the empty location
    /// `sqlparser` gives nodes it does not track.
    pub fn offset(&self, at: Location) -> Option<usize> {
        if at.line == 0 || at.column == 0 {
            return None;
        }
        let start = *self.line_starts.get(usize::try_from(at.line - 1).ok()?)?;
        let line = &self.text[start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let column = usize::try_from(at.column - 1).ok()?;
        match line.char_indices().nth(column) {
            Some((i, _)) => Some(start + i),
            None => Some(start + line.len()),
        }
    }

    /// The byte range of a span, or `None` when `sqlparser` did not track it.
    pub fn range(&self, span: Span) -> Option<Range<usize>> {
        let start = self.offset(span.start)?;
        let end = self.offset(span.end).unwrap_or(start).max(start);
        Some(start..self.close_parens(start..end))
    }

    /// The byte range of a span, or `fallback` when it was not tracked.
    pub fn range_or(&self, span: Span, fallback: &Range<usize>) -> Range<usize> {
        self.range(span).unwrap_or_else(|| fallback.clone())
    }

    /// Extends `range` backwards over the keywords `words` (in order, each
    /// optional, case-insensitive) that precede it, so that a located clause
    /// reads `HAVING COUNT(*) < 100` rather than `COUNT(*) < 100`.
    pub fn with_keywords(&self, range: Range<usize>, words: &[&str]) -> Range<usize> {
        let mut start = range.start;
        for word in words.iter().rev() {
            let before =
                self.text[..start].trim_end_matches(|c: char| c.is_whitespace() || c == '(');
            if before.len() >= word.len()
                && before.is_char_boundary(before.len() - word.len())
                && before[before.len() - word.len()..].eq_ignore_ascii_case(word)
            {
                start = before.len() - word.len();
            }
        }
        start..range.end
    }

    /// Moves `end` past the closing parentheses that the text between
    /// `range.start` and `end` leaves open (spans stop before them).
    fn close_parens(&self, range: Range<usize>) -> usize {
        let mut open = 0usize;
        let mut quote: Option<char> = None;
        let bytes = &self.text[range.clone()];
        for c in bytes.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(') => open += 1,
                (None, ')') => open = open.saturating_sub(1),
                _ => {}
            }
        }
        let mut end = range.end;
        for (i, c) in self.text[end..].char_indices() {
            if open == 0 {
                break;
            }
            match c {
                ')' => {
                    open -= 1;
                    end = range.end + i + 1;
                }
                c if c.is_whitespace() => {}
                // Anything else: the span already covered what it could.
                _ => break,
            }
        }
        end
    }
}

/// Collapses runs of whitespace, for quoting a clause in one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(l1: u64, c1: u64, l2: u64, c2: u64) -> Span {
        Span::new(Location::new(l1, c1), Location::new(l2, c2))
    }

    #[test]
    fn columns_count_characters_from_one() {
        let text = SqlText::new("é x\nab cd");
        assert_eq!(text.range(span(1, 3, 1, 4)), Some(3..4));
        assert_eq!(text.range(span(2, 4, 2, 6)), Some(8..10));
        assert_eq!(text.range(Span::empty()), None);
    }

    #[test]
    fn keywords_before_a_clause_are_included() {
        let text = SqlText::new("SELECT 1 HAVING  count(x) > 3");
        assert_eq!(text.with_keywords(17..29, &["HAVING"]), 9..29);
        assert_eq!(text.with_keywords(17..29, &["GROUP", "BY"]), 17..29);
    }

    #[test]
    fn unclosed_parentheses_are_closed() {
        let text = SqlText::new("x NOT IN (SELECT id FROM b ) AND");
        assert_eq!(text.range(span(1, 1, 1, 27)), Some(0..28));
    }
}
