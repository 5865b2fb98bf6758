//! Typed reading of nodes: names, booleans, lists of names, maps with a known
//! set of keys. Each reader reports what it found and what it expected.

use blazes_core::AttrSet;

use super::diagnostics::{Problem, Problems};
use super::source::Span;
use super::tree::{Entry, Node, NodeKind, ScalarKind};

/// A name read from the file, with where it is written.
#[derive(Clone, Debug)]
pub(crate) struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub span: Span,
}

/// The entries of a map, or a report that `what` should be one.
pub(crate) fn map<'n>(
    node: &'n Node,
    what: &str,
    expected: &str,
    problems: &mut Problems,
) -> Option<&'n [Entry]> {
    let found = node.as_map();
    if found.is_none() {
        problems.push(Problem::new(
            node.span,
            format!("{what} should be {expected}; found {}", node.describe()),
            format!("expected {expected}"),
        ));
    }
    found
}

/// A name (a string scalar), or a report.
pub(crate) fn name(node: &Node, what: &str, problems: &mut Problems) -> Option<Spanned<String>> {
    match &node.kind {
        NodeKind::Scalar {
            value,
            kind: ScalarKind::Str,
        } => Some(Spanned {
            value: value.clone(),
            span: node.span,
        }),
        _ => {
            problems.push(Problem::new(
                node.span,
                format!("{what} should be a name; found {}", node.describe()),
                "expected a name",
            ));
            None
        }
    }
}

/// A boolean, or a report.
pub(crate) fn boolean(node: &Node, what: &str, problems: &mut Problems) -> Option<bool> {
    match node.kind {
        NodeKind::Scalar {
            kind: ScalarKind::Bool(b),
            ..
        } => Some(b),
        _ => {
            problems.push(
                Problem::new(
                    node.span,
                    format!(
                        "{what} should be `true` or `false`; found {}",
                        node.describe()
                    ),
                    "expected a boolean",
                )
                .note("write the boolean unquoted"),
            );
            None
        }
    }
}

/// A list of names (a single name counts as a one-element list), or a report.
pub(crate) fn names(node: &Node, what: &str, problems: &mut Problems) -> Option<Vec<String>> {
    match &node.kind {
        NodeKind::Seq(items) => {
            let before = problems.len();
            let read: Vec<String> = items
                .iter()
                .filter_map(|item| name(item, &format!("an item of {what}"), problems))
                .map(|n| n.value)
                .collect();
            (problems.len() == before).then_some(read)
        }
        NodeKind::Scalar {
            value,
            kind: ScalarKind::Str,
        } => Some(vec![value.clone()]),
        _ => {
            problems.push(Problem::new(
                node.span,
                format!(
                    "{what} should be a list of attribute names, like `[a, b]`; found {}",
                    node.describe()
                ),
                "expected a list of names",
            ));
            None
        }
    }
}

/// A list of attribute names as a set.
pub(crate) fn attr_set(node: &Node, what: &str, problems: &mut Problems) -> Option<AttrSet> {
    names(node, what, problems).map(|n| n.into_iter().collect())
}

/// One of the allowed words, or a report listing them.
pub(crate) fn choice<T>(
    node: &Node,
    what: &str,
    allowed: &[&str],
    parse: impl Fn(&str) -> Option<T>,
    problems: &mut Problems,
) -> Option<T> {
    let parsed = match &node.kind {
        NodeKind::Scalar {
            value,
            kind: ScalarKind::Str,
        } => parse(value),
        _ => None,
    };
    if parsed.is_none() {
        let list = allowed.join(", ");
        problems.push(
            Problem::new(
                node.span,
                format!("{what} should be one of {list}; found {}", node.describe()),
                format!("expected one of {list}"),
            )
            .note(format!("allowed values: {list}")),
        );
    }
    parsed
}

/// Reports every key not in `known`; true when all are known.
pub(crate) fn known_keys(
    entries: &[Entry],
    known: &[&str],
    what: &str,
    problems: &mut Problems,
) -> bool {
    let mut ok = true;
    for entry in entries {
        if !known.contains(&entry.key.as_str()) {
            ok = false;
            problems.push(
                Problem::new(
                    entry.key_span,
                    format!("unknown key `{}` in {what}", entry.key),
                    "unknown key",
                )
                .note(format!("known keys: {}", known.join(", "))),
            );
        }
    }
    ok
}

/// The entry with the given key.
pub(crate) fn get<'n>(entries: &'n [Entry], key: &str) -> Option<&'n Entry> {
    entries.iter().find(|e| e.key == key)
}

/// The entry under either spelling; reports when both are given.
pub(crate) fn get_either<'n>(
    entries: &'n [Entry],
    first: &str,
    second: &str,
    problems: &mut Problems,
) -> Result<Option<&'n Entry>, ()> {
    match (get(entries, first), get(entries, second)) {
        (Some(a), Some(b)) => {
            let (earlier, later) = if a.key_span.start <= b.key_span.start {
                (a, b)
            } else {
                (b, a)
            };
            problems.push(
                Problem::new(
                    later.key_span,
                    format!(
                        "`{}` and `{}` are two spellings of the same key; give it once",
                        earlier.key, later.key
                    ),
                    "given again here",
                )
                .related(earlier.key_span, "first given here"),
            );
            Err(())
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// Reports a required key that is missing from the map at `span`.
pub(crate) fn missing(span: Span, key: &str, what: &str, meaning: &str) -> Problem {
    Problem::new(
        span,
        format!("{what} is missing `{key}` ({meaning})"),
        format!("no `{key}` here"),
    )
}

/// A name under a required key of the map at `span`.
pub(crate) fn required_name(
    entries: &[Entry],
    span: Span,
    key: &str,
    what: &str,
    meaning: &str,
    problems: &mut Problems,
) -> Option<Spanned<String>> {
    match get(entries, key) {
        Some(e) => name(&e.value, &format!("the `{key}` of {what}"), problems),
        None => {
            problems.push(missing(span, key, what, meaning));
            None
        }
    }
}
