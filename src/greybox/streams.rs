//! The `streams` key: a list of explicit streams, or a map annotating the
//! streams wired by name (spec §6).

use std::collections::BTreeSet;

use blazes_core::{Component, Endpoint, Stream, StreamAnnotation};

use super::diagnostics::{Problem, Problems};
use super::fields;
use super::source::Span;
use super::sourcemap::{AnnotationSpans, ComponentSpans, StreamSpans};
use super::tree::{Entry, Node, NodeKind};
use super::wiring;

/// The keys of an explicit stream.
const LIST_KEYS: [&str; 6] = ["from", "to", "seal", "independent", "seq", "rep"];

/// The keys of a stream annotation in the map form.
const ANNOTATION_KEYS: [&str; 4] = ["seal", "independent", "seq", "rep"];

/// The streams of the dataflow with where they were written.
pub(crate) fn read_streams(
    node: Option<&Node>,
    components: &[Component],
    spans: &[ComponentSpans],
    any_tainted: bool,
    problems: &mut Problems,
) -> Vec<(Stream, StreamSpans)> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return wiring::by_name(components, spans);
    };
    match &node.kind {
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(|item| explicit(item, problems))
            .collect(),
        NodeKind::Map(entries) => {
            let mut streams = wiring::by_name(components, spans);
            annotate(entries, &mut streams, any_tainted, problems);
            streams
        }
        NodeKind::Scalar { .. } => {
            problems.push(
                Problem::new(
                    node.span,
                    format!(
                        "`streams` should be a list of streams or a map of annotations; found {}",
                        node.describe()
                    ),
                    "expected a list or a map",
                )
                .note("a list wires explicitly: `- { from: Cache.response, to: answers }`")
                .note("a map annotates streams wired by name: `tweets: { seal: [batch] }`"),
            );
            Vec::new()
        }
    }
}

/// One entry of the list form; `None` (with reports) when any part is wrong.
fn explicit(node: &Node, problems: &mut Problems) -> Option<(Stream, StreamSpans)> {
    let what = "a stream";
    let entries = fields::map(node, what, "a map `{from, to}`", problems)?;
    let before = problems.len();
    fields::known_keys(entries, &LIST_KEYS, what, problems);
    let from = fields::required_name(entries, node.span, "from", what, "its producer", problems);
    let to = fields::required_name(entries, node.span, "to", what, "its consumer", problems);
    let annotation = read_annotation(entries, what, problems);
    if problems.len() > before {
        return None;
    }
    let (from, to, (annotation, annotation_spans)) = (from?, to?, annotation?);
    let stream = Stream {
        from: Endpoint::parse(&from.value),
        to: Endpoint::parse(&to.value),
        annotation,
    };
    let spans = StreamSpans {
        whole: node.span,
        from: Some(from.span),
        to: Some(to.span),
        annotation: annotation_spans,
        wired_by_name: false,
    };
    Some((stream, spans))
}

/// The annotation fields of a stream map (other keys are checked by the caller).
fn read_annotation(
    entries: &[Entry],
    what: &str,
    problems: &mut Problems,
) -> Option<(StreamAnnotation, AnnotationSpans)> {
    let before = problems.len();
    let mut annotation = StreamAnnotation::default();
    let mut spans = AnnotationSpans::default();
    if let Some(e) = fields::get(entries, "seal") {
        annotation.seal = fields::attr_set(&e.value, &format!("the `seal` of {what}"), problems);
        spans.seal = Some(e.value.span);
    }
    if let Some(e) = fields::get(entries, "seq") {
        annotation.seq = fields::attr_set(&e.value, &format!("the `seq` of {what}"), problems);
        spans.seq = Some(e.value.span);
    }
    if let Some(e) = fields::get(entries, "independent") {
        annotation.independent =
            fields::boolean(&e.value, &format!("`independent` of {what}"), problems)
                .unwrap_or(false);
        spans.independent = Some(e.value.span);
    }
    if let Some(e) = fields::get(entries, "rep") {
        annotation.rep =
            fields::boolean(&e.value, &format!("`rep` of {what}"), problems).unwrap_or(false);
    }
    (problems.len() == before).then_some((annotation, spans))
}

/// Applies the map form's annotations to the streams wired by name.
fn annotate(
    entries: &[Entry],
    streams: &mut [(Stream, StreamSpans)],
    any_tainted: bool,
    problems: &mut Problems,
) {
    let mut annotated_by: Vec<Option<Span>> = vec![None; streams.len()];
    for entry in entries {
        let what = format!("stream `{}`", entry.key);
        let read = if entry.value.is_null() {
            Some((StreamAnnotation::default(), AnnotationSpans::default()))
        } else {
            fields::map(
                &entry.value,
                &what,
                "a map of annotations like `{ seal: [k] }`",
                problems,
            )
            .and_then(|annotation_entries| {
                let known =
                    fields::known_keys(annotation_entries, &ANNOTATION_KEYS, &what, problems);
                if !known
                    && annotation_entries
                        .iter()
                        .any(|e| e.key == "from" || e.key == "to")
                {
                    problems.push(
                        Problem::new(
                            entry.key_span,
                            "a `streams` map wires by interface name and takes no `from`/`to`",
                            "annotated by name",
                        )
                        .note(
                            "to wire explicitly, make `streams` a list: `- { from: A.x, to: B.x }`",
                        ),
                    );
                }
                read_annotation(annotation_entries, &what, problems)
            })
        };
        let Some((annotation, spans)) = read else {
            continue;
        };
        let matching: Vec<usize> = streams
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| names_stream(&entry.key, s))
            .map(|(i, _)| i)
            .collect();
        if matching.is_empty() {
            if !any_tainted {
                problems.push(unknown_stream(entry, streams));
            }
            continue;
        }
        for i in matching {
            let (Some((stream, stream_spans)), Some(by)) =
                (streams.get_mut(i), annotated_by.get_mut(i))
            else {
                continue;
            };
            if let Some(first) = by {
                problems.push(
                    Problem::new(
                        entry.key_span,
                        format!("stream `{}` is annotated twice", stream.name()),
                        "annotated again here",
                    )
                    .related(*first, "first annotated here"),
                );
                continue;
            }
            *by = Some(entry.key_span);
            stream.annotation = annotation.clone();
            stream_spans.whole = entry.key_span;
            stream_spans.annotation = spans;
        }
    }
}

/// True when `key` (a name, or `Comp.iface`) names the stream.
fn names_stream(key: &str, stream: &Stream) -> bool {
    if key.contains('.') {
        let port = Endpoint::parse(key);
        return stream.from == port || stream.to == port;
    }
    [&stream.from, &stream.to].iter().any(|end| match end {
        Endpoint::External(name) => name == key,
        Endpoint::Port { interface, .. } => interface == key,
    })
}

/// The report for a `streams` key that names no stream.
fn unknown_stream(entry: &Entry, streams: &[(Stream, StreamSpans)]) -> Problem {
    let mut known: BTreeSet<String> = BTreeSet::new();
    for (s, _) in streams {
        for end in [&s.from, &s.to] {
            match end {
                Endpoint::External(name) => known.insert(name.clone()),
                Endpoint::Port { interface, .. } => known.insert(interface.clone()),
            };
        }
    }
    let list: Vec<String> = known.into_iter().collect();
    Problem::new(
        entry.key_span,
        format!(
            "`streams` annotates `{}`, which is neither a source nor an interface name",
            entry.key
        ),
        "unknown stream name",
    )
    .note(format!(
        "the streams wired by name are: {}",
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    ))
}
