//! Components and their annotated paths: the paper's annotation blocks.

use blazes_core::{Annotation, AttrSet, Component, Path, PathKind};

use super::diagnostics::{Problem, Problems};
use super::fields::{self, Spanned};
use super::sourcemap::{ComponentSpans, PathSpans};
use super::tree::{Entry, Node, NodeKind};

/// The keys a component may have.
const COMPONENT_KEYS: [&str; 5] = ["annotation", "rep", "Rep", "inputs", "outputs"];

/// The keys a path may have.
const PATH_KEYS: [&str; 5] = ["from", "to", "label", "subscript", "gate"];

/// The labels a path may have (`OR_gate`/`OW_gate` are also accepted).
const LABELS: [&str; 4] = PathKind::NAMES;

/// A component read from the file.
pub(crate) struct ReadComponent {
    /// The component, with every path that could be read.
    pub component: Component,
    /// Where it and its paths were written.
    pub spans: ComponentSpans,
    /// Some part of it had an error and was left out.
    pub tainted: bool,
}

/// Reads the component declared by `entry` (its name and block); `None` when
/// nothing usable remains.
pub(crate) fn read_component(
    entry: &Entry,
    top_level_keys: Option<&[&str]>,
    problems: &mut Problems,
) -> Option<ReadComponent> {
    let name = &entry.key;
    let Some(entries) = entry.value.as_map() else {
        let mut problem = Problem::new(
            entry.value.span,
            format!(
                "component `{name}` should be a map with an `annotation` (its paths); found {}",
                entry.value.describe()
            ),
            "expected a map",
        );
        if let Some(keys) = top_level_keys {
            problem = problem.note(format!(
                "every top-level key other than {} names a component",
                keys.join(", ")
            ));
        }
        problems.push(problem);
        return None;
    };
    let before = problems.len();
    let what = format!("component `{name}`");
    fields::known_keys(entries, &COMPONENT_KEYS, &what, problems);
    let mut component = Component::new(name.clone());
    let mut spans = ComponentSpans {
        name: entry.key_span,
        paths: Vec::new(),
    };
    if let Ok(Some(rep)) = fields::get_either(entries, "rep", "Rep", problems) {
        component.rep = fields::boolean(&rep.value, &format!("`{}` of {what}", rep.key), problems)
            .unwrap_or(false);
    }
    for (key, list) in [
        ("inputs", &mut component.extra_inputs),
        ("outputs", &mut component.extra_outputs),
    ] {
        if let Some(e) = fields::get(entries, key) {
            *list = fields::names(&e.value, &format!("`{key}` of {what}"), problems)
                .unwrap_or_default();
        }
    }
    match fields::get(entries, "annotation") {
        Some(annotation) => {
            for node in path_nodes(&annotation.value, &what, problems) {
                if let Some((path, path_spans)) = read_path(node, &what, problems) {
                    component.paths.push(path);
                    spans.paths.push(path_spans);
                }
            }
        }
        None if component.extra_inputs.is_empty() && component.extra_outputs.is_empty() => {
            problems.push(
                fields::missing(
                    entry.key_span,
                    "annotation",
                    &what,
                    "the list of its paths",
                )
                .note("e.g. `annotation: [ { from: words, to: counts, label: OW, subscript: [word] } ]`"),
            );
        }
        None => {}
    }
    Some(ReadComponent {
        component,
        spans,
        tainted: problems.len() > before,
    })
}

/// The path maps of an `annotation`: one map, or a list of them.
fn path_nodes<'n>(node: &'n Node, what: &str, problems: &mut Problems) -> Vec<&'n Node> {
    match &node.kind {
        NodeKind::Map(_) => vec![node],
        NodeKind::Seq(items) => items.iter().collect(),
        NodeKind::Scalar { .. } => {
            problems.push(Problem::new(
                node.span,
                format!(
                    "the `annotation` of {what} should be a path `{{from, to, label}}` or a list \
                     of paths; found {}",
                    node.describe()
                ),
                "expected a path or a list of paths",
            ));
            Vec::new()
        }
    }
}

/// Reads one path map; `None` (with reports) when any part is wrong.
fn read_path(node: &Node, component: &str, problems: &mut Problems) -> Option<(Path, PathSpans)> {
    let what = format!("a path of {component}");
    let entries = fields::map(node, &what, "a map `{from, to, label}`", problems)?;
    let before = problems.len();
    fields::known_keys(entries, &PATH_KEYS, &what, problems);
    let from = fields::required_name(
        entries,
        node.span,
        "from",
        &what,
        "its input interface",
        problems,
    );
    let to = fields::required_name(
        entries,
        node.span,
        "to",
        &what,
        "its output interface",
        problems,
    );
    let kind = match fields::get(entries, "label") {
        Some(e) => fields::choice(
            &e.value,
            &format!("the `label` of {what}"),
            &LABELS,
            PathKind::parse,
            problems,
        ),
        None => {
            problems.push(
                fields::missing(node.span, "label", &what, "its annotation")
                    .note(format!("allowed labels: {}", LABELS.join(", "))),
            );
            None
        }
    };
    let gate = match fields::get_either(entries, "subscript", "gate", problems) {
        Ok(Some(e)) => fields::attr_set(&e.value, &format!("the `{}` of {what}", e.key), problems)
            .map(|g| {
                Some(Spanned {
                    value: g,
                    span: e.value.span,
                })
            }),
        Ok(None) => Some(None),
        Err(()) => None,
    };
    if problems.len() > before {
        return None;
    }
    let (from, to, kind, gate) = (from?, to?, kind?, gate?);
    let spans = PathSpans {
        whole: node.span,
        from: from.span,
        to: to.span,
        gate: gate.as_ref().map(|g| g.span),
    };
    let path = Path {
        from: from.value,
        to: to.value,
        annotation: annotation(kind, gate.map(|g| g.value)),
    };
    Some((path, spans))
}

/// The annotation of a path. A gate on a confluent path is kept, so that
/// validation reports it.
fn annotation(kind: PathKind, gate: Option<AttrSet>) -> Annotation {
    match gate {
        Some(gate) if !kind.is_order_sensitive() && !gate.is_empty() => Annotation {
            kind,
            gates: vec![gate],
        },
        gate => Annotation::new(kind, gate.unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn a_gate_on_a_confluent_path_is_kept_for_validation() {
        let a = annotation(PathKind::CR, Some(attrs(["id"])));
        assert_eq!(a.gates, vec![attrs(["id"])]);
        assert_eq!(
            annotation(PathKind::CW, Some(AttrSet::new())),
            Annotation::cw()
        );
    }

    #[test]
    fn an_order_sensitive_path_without_gate_is_ungated() {
        assert_eq!(
            annotation(PathKind::OR, None),
            Annotation::or(AttrSet::new())
        );
    }
}
