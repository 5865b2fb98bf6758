//! The top level of a grey-box file: the components (as the whole file or
//! under `components:`), and `name`, `requires`, `coordinate`, `fds`,
//! `streams`.

use blazes_core::{Dataflow, Fd, Permission, Requirement};

use super::components::read_component;
use super::diagnostics::{Problem, Problems};
use super::fields;
use super::sourcemap::{FdSpans, SourceMap};
use super::streams::read_streams;
use super::tree::{Entry, Node, NodeKind};

/// The top-level keys other than components.
const SETTINGS: [&str; 5] = ["name", "requires", "coordinate", "fds", "streams"];

/// Every top-level key when components are under `components:`.
const TOP_KEYS: [&str; 6] = [
    "components",
    "name",
    "requires",
    "coordinate",
    "fds",
    "streams",
];

/// The keys of a functional dependency.
const FD_KEYS: [&str; 3] = ["from", "to", "injective"];

/// Reads the document into a dataflow and where its items were written.
/// Every problem found is in `problems`; the dataflow holds what could be read.
pub(crate) fn read(root: &Node, problems: &mut Problems) -> Option<(Dataflow, SourceMap)> {
    let entries = fields::map(
        root,
        "the top level of a grey-box file",
        "a map of components (optionally under `components:`)",
        problems,
    )?;
    let mut dataflow = Dataflow::new();
    let mut map = SourceMap {
        root: root.span,
        ..SourceMap::default()
    };
    let component_entries = component_entries(root, entries, problems)?;
    let top_level_keys = (fields::get(entries, "components").is_none()).then_some(&SETTINGS[..]);
    for entry in component_entries {
        match read_component(entry, top_level_keys, problems) {
            Some(read) => {
                if read.tainted {
                    map.tainted.insert(read.component.name.clone());
                }
                dataflow.components.push(read.component);
                map.components.push(read.spans);
            }
            None => {
                map.tainted.insert(entry.key.clone());
            }
        }
    }
    read_settings(entries, &mut dataflow, &mut map, problems);
    let streams = read_streams(
        fields::get(entries, "streams").map(|e| &e.value),
        &dataflow.components,
        &map.components,
        !map.tainted.is_empty(),
        problems,
    );
    for (stream, spans) in streams {
        dataflow.streams.push(stream);
        map.streams.push(spans);
    }
    Some((dataflow, map))
}

/// The entries that declare components.
fn component_entries<'n>(
    root: &'n Node,
    entries: &'n [Entry],
    problems: &mut Problems,
) -> Option<Vec<&'n Entry>> {
    let found: Vec<&Entry> = match fields::get(entries, "components") {
        Some(components) => {
            fields::known_keys(entries, &TOP_KEYS, "the top level", problems);
            fields::map(
                &components.value,
                "`components`",
                "a map from component names to their annotation blocks",
                problems,
            )?
            .iter()
            .collect()
        }
        None => entries
            .iter()
            .filter(|e| !SETTINGS.contains(&e.key.as_str()))
            .collect(),
    };
    if found.is_empty() {
        if !problems.is_empty() {
            // The components were there but unreadable: already reported.
            return None;
        }
        let span = fields::get(entries, "components").map_or(root.span, |e| e.key_span);
        problems.push(
            Problem::new(span, "the file declares no components", "no components")
                .note("declare each component with its paths, e.g. `Count: { annotation: [ { from: words, to: counts, label: CW } ] }`"),
        );
        return None;
    }
    Some(found)
}

/// `name`, `requires`, `coordinate` and `fds`.
fn read_settings(
    entries: &[Entry],
    dataflow: &mut Dataflow,
    map: &mut SourceMap,
    problems: &mut Problems,
) {
    if let Some(e) = fields::get(entries, "name") {
        dataflow.name = fields::name(&e.value, "`name`", problems).map(|n| n.value);
    }
    if let Some(e) = fields::get(entries, "requires") {
        dataflow.requires = fields::choice(
            &e.value,
            "`requires`",
            &["deterministic", "convergent"],
            Requirement::parse,
            problems,
        )
        .unwrap_or_default();
    }
    if let Some(e) = fields::get(entries, "coordinate") {
        dataflow.coordinate = fields::choice(
            &e.value,
            "`coordinate`",
            &["none", "seal", "auto"],
            Permission::parse,
            problems,
        )
        .unwrap_or_default();
    }
    if let Some(e) = fields::get(entries, "fds") {
        let items: &[Node] = match &e.value.kind {
            NodeKind::Seq(items) => items,
            _ => {
                problems.push(Problem::new(
                    e.value.span,
                    format!(
                        "`fds` should be a list like `[ {{ from: [company], to: symbol }} ]`; found {}",
                        e.value.describe()
                    ),
                    "expected a list",
                ));
                &[]
            }
        };
        for item in items {
            if let Some((fd, spans)) = read_fd(item, problems) {
                dataflow.fds.push(fd);
                map.fds.push(spans);
            }
        }
    }
}

/// One functional dependency; `None` (with reports) when any part is wrong.
fn read_fd(node: &Node, problems: &mut Problems) -> Option<(Fd, FdSpans)> {
    let what = "a functional dependency";
    let entries = fields::map(node, what, "a map `{from: [a], to: b}`", problems)?;
    let before = problems.len();
    fields::known_keys(entries, &FD_KEYS, what, problems);
    let from = match fields::get(entries, "from") {
        Some(e) => fields::attr_set(&e.value, "the `from` of a functional dependency", problems)
            .map(|set| (set, e.value.span)),
        None => {
            problems.push(fields::missing(
                node.span,
                "from",
                what,
                "the determining attributes",
            ));
            None
        }
    };
    let to = fields::required_name(
        entries,
        node.span,
        "to",
        what,
        "the determined attribute",
        problems,
    );
    let injective = match fields::get(entries, "injective") {
        Some(e) => fields::boolean(&e.value, "`injective`", problems),
        None => Some(true),
    };
    if problems.len() > before {
        return None;
    }
    let ((from, from_span), to, injective) = (from?, to?, injective?);
    let spans = FdSpans {
        whole: node.span,
        from: from_span,
        to: to.span,
    };
    Some((
        Fd {
            from,
            to: to.value,
            injective,
        },
        spans,
    ))
}
