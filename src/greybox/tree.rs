//! The YAML document as a tree of nodes that remember where they are.

use super::source::Span;

/// One node of the document.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    /// Where the node is written (for an expanded alias: where the alias is).
    pub span: Span,
    /// What it holds.
    pub kind: NodeKind,
}

/// The three kinds of YAML node.
#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    /// A scalar and its type under the YAML 1.2 core schema.
    Scalar {
        /// The text of the scalar.
        value: String,
        /// Its type.
        kind: ScalarKind,
    },
    /// A list.
    Seq(Vec<Node>),
    /// A map whose keys are names, without duplicates, in written order.
    Map(Vec<Entry>),
}

/// One `key: value` pair of a map.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The key.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// The type of a scalar under the YAML 1.2 core schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScalarKind {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer or a float.
    Number,
    /// Anything else, and every quoted scalar.
    Str,
}

impl ScalarKind {
    /// The type of a plain (unquoted, untagged) scalar.
    pub fn of_plain(text: &str) -> ScalarKind {
        match text {
            "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
            "true" | "True" | "TRUE" => ScalarKind::Bool(true),
            "false" | "False" | "FALSE" => ScalarKind::Bool(false),
            _ if is_number(text) => ScalarKind::Number,
            _ => ScalarKind::Str,
        }
    }
}

/// True for the core schema's integers and floats.
fn is_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if let Some(hex) = text.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return !oct.is_empty() && oct.chars().all(|c| ('0'..='7').contains(&c));
    }
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

impl Node {
    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// True for a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Scalar {
                kind: ScalarKind::Null,
                ..
            }
        )
    }

    /// What the node is, for error messages: "a list", "the number `3`"...
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Seq(_) => "a list".to_string(),
            NodeKind::Map(_) => "a map".to_string(),
            NodeKind::Scalar { value, kind } => {
                let shown = shorten(value);
                match kind {
                    ScalarKind::Null => "nothing (an empty value)".to_string(),
                    ScalarKind::Bool(_) => format!("the boolean `{shown}`"),
                    ScalarKind::Number => format!("the number `{shown}`"),
                    ScalarKind::Str => format!("the string `{shown}`"),
                }
            }
        }
    }

    /// How many nodes the tree holds, this one included.
    pub fn count(&self) -> usize {
        1 + match &self.kind {
            NodeKind::Scalar { .. } => 0,
            NodeKind::Seq(items) => items.iter().map(Node::count).sum(),
            NodeKind::Map(entries) => entries.iter().map(|e| 1 + e.value.count()).sum(),
        }
    }

    /// How many levels of nesting the tree has (a scalar has none).
    pub fn height(&self) -> usize {
        match &self.kind {
            NodeKind::Scalar { .. } => 0,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::height).max().unwrap_or(0),
            NodeKind::Map(entries) => {
                1 + entries.iter().map(|e| e.value.height()).max().unwrap_or(0)
            }
        }
    }
}

/// A value cut to a length that fits in a message.
pub(crate) fn shorten(value: &str) -> String {
    const MAX: usize = 40;
    let first_line = value.lines().next().unwrap_or("");
    if first_line.chars().count() > MAX || first_line.len() < value.trim_end().len() {
        let cut: String = first_line.chars().take(MAX).collect();
        format!("{cut}...")
    } else {
        first_line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_get_core_schema_types() {
        for n in [
            "0", "-3", "+4", "1.5", ".5", "1e3", "2.5E-2", "0x1F", "0o17", ".inf", ".nan",
        ] {
            assert_eq!(ScalarKind::of_plain(n), ScalarKind::Number, "{n}");
        }
        for s in ["CR", "1.2.3", "e3", ".", "-", "0x", "1e", "word"] {
            assert_eq!(ScalarKind::of_plain(s), ScalarKind::Str, "{s}");
        }
        assert_eq!(ScalarKind::of_plain("~"), ScalarKind::Null);
        assert_eq!(ScalarKind::of_plain("True"), ScalarKind::Bool(true));
    }

    #[test]
    fn long_values_are_shortened() {
        assert_eq!(shorten("abc"), "abc");
        assert_eq!(shorten("a\nb"), "a...");
        assert!(shorten(&"x".repeat(100)).ends_with("..."));
    }
}
