//! Points each structural error found by [`blazes_core::validate`] at the
//! YAML node its item came from.

use blazes_core::validate::{End, ErrorKind, Site};
use blazes_core::{Dataflow, Endpoint, Stream, ValidationError};

use super::diagnostics::Problem;
use super::source::Span;
use super::sourcemap::{SourceMap, StreamSpans};

/// The located report for a validation error, or `None` when it only follows
/// from an error already reported.
pub(crate) fn locate(
    error: &ValidationError,
    dataflow: &Dataflow,
    map: &SourceMap,
) -> Option<Problem> {
    let message = error.to_string();
    match error.site {
        Site::Dataflow => Some(Problem::new(map.root, message, "in this file")),
        Site::Component(ci) => {
            let spans = map.components.get(ci)?;
            let mut problem = Problem::new(spans.name, message, "this component");
            if let ErrorKind::DuplicateComponent(name) = &error.kind {
                let first = dataflow.components.iter().position(|c| &c.name == name)?;
                if first != ci {
                    let first_span = map.components.get(first)?.name;
                    problem = problem.related(first_span, "first declared here");
                }
            }
            Some(problem)
        }
        Site::Path(ci, pi) => locate_path(error, dataflow, map, ci, pi, message),
        Site::Stream(si) => locate_stream(error, dataflow, map, si, message),
        Site::Fd(fi) => {
            let spans = map.fds.get(fi)?;
            let (span, label) = match &error.kind {
                ErrorKind::EmptyFd => (spans.from, "no attributes"),
                ErrorKind::BadName(name)
                    if dataflow.fds.get(fi).is_some_and(|fd| &fd.to == name) =>
                {
                    (spans.to, "bad name")
                }
                ErrorKind::BadName(_) => (spans.from, "bad name"),
                _ => (spans.whole, "this dependency"),
            };
            Some(Problem::new(span, message, label))
        }
    }
}

/// A path's error, at its gate, interface or whole map.
fn locate_path(
    error: &ValidationError,
    dataflow: &Dataflow,
    map: &SourceMap,
    ci: usize,
    pi: usize,
    message: String,
) -> Option<Problem> {
    let component = dataflow.components.get(ci)?;
    let path = component.paths.get(pi)?;
    let spans = map.components.get(ci)?.paths.get(pi)?;
    let problem = match &error.kind {
        ErrorKind::GateOnConfluentPath(_) => Problem::new(
            spans.gate.unwrap_or(spans.whole),
            message,
            "gate on a confluent path",
        ),
        ErrorKind::DuplicatePath { from, to } | ErrorKind::ConflictingPath { from, to, .. } => {
            let first = component
                .paths
                .iter()
                .position(|p| &p.from == from && &p.to == to)
                .and_then(|i| map.components.get(ci)?.paths.get(i));
            let label = match error.kind {
                ErrorKind::DuplicatePath { .. } => "declared again here",
                _ => "annotated differently here",
            };
            let mut problem = Problem::new(spans.whole, message, label);
            if let Some(first) = first {
                problem = problem.related(first.whole, "first declared here");
            }
            problem
        }
        ErrorKind::BadName(name) => {
            let span = if &path.from == name {
                spans.from
            } else if &path.to == name {
                spans.to
            } else {
                spans.gate.unwrap_or(spans.whole)
            };
            Problem::new(span, message, "bad name")
        }
        _ => Problem::new(spans.whole, message, "this path"),
    };
    Some(problem)
}

/// A stream's error, at the end or annotation it concerns.
fn locate_stream(
    error: &ValidationError,
    dataflow: &Dataflow,
    map: &SourceMap,
    si: usize,
    message: String,
) -> Option<Problem> {
    let stream = dataflow.streams.get(si)?;
    let spans = map.streams.get(si)?;
    let annotation_error = matches!(
        error.kind,
        ErrorKind::EmptyKey(_) | ErrorKind::IndependentWithoutSeal
    );
    if spans.wired_by_name && !annotation_error {
        // Streams wired by name join interfaces that exist; any other error
        // is a bad name, already reported at its component or path.
        return None;
    }
    if unknown_component_named(&error.kind).is_some_and(|c| map.tainted.contains(c)) {
        return None;
    }
    let end_span = |end: End| match end {
        End::From => spans.from,
        End::To => spans.to,
    };
    let (span, label) = match &error.kind {
        ErrorKind::UnknownComponent(end, _) => (end_span(*end), "unknown component"),
        ErrorKind::UnknownInterface { end, .. } => (end_span(*end), "unknown interface"),
        ErrorKind::EmptyKey("seq") => (spans.annotation.seq, "empty key"),
        ErrorKind::EmptyKey(_) => (spans.annotation.seal, "empty key"),
        ErrorKind::IndependentWithoutSeal => {
            (spans.annotation.independent, "no seal on this stream")
        }
        ErrorKind::BadName(name) => (name_span(stream, spans, name), "bad name"),
        ErrorKind::DuplicateStream(_) => (None, "declared again here"),
        _ => (None, "this stream"),
    };
    let mut problem = match &error.kind {
        ErrorKind::UnknownComponent(end, name) => {
            let names = dataflow.components.iter().map(|c| c.name.as_str());
            let label = match blazes_core::lint::closest(name, names.clone()) {
                Some(near) => format!("unknown component; did you mean `{near}`?"),
                None => label.to_string(),
            };
            let known: Vec<&str> = names.collect();
            Problem::new(end_span(*end).unwrap_or(spans.whole), message, label).note(format!(
                "the file's components: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))
        }
        _ => Problem::new(span.unwrap_or(spans.whole), message, label),
    };
    if matches!(error.kind, ErrorKind::DuplicateStream(_)) {
        let first = dataflow
            .streams
            .iter()
            .position(|s| s.from == stream.from && s.to == stream.to)
            .and_then(|i| map.streams.get(i));
        if let Some(first) = first {
            problem = problem.related(first.whole, "first declared here");
        }
    }
    Some(problem)
}

/// The component an unknown-component or unknown-interface error names.
fn unknown_component_named(kind: &ErrorKind) -> Option<&str> {
    match kind {
        ErrorKind::UnknownComponent(_, name) => Some(name),
        ErrorKind::UnknownInterface { component, .. } => Some(component),
        _ => None,
    }
}

/// Where a bad name in a stream is written.
fn name_span(stream: &Stream, spans: &StreamSpans, name: &str) -> Option<Span> {
    let names = |end: &Endpoint| match end {
        Endpoint::External(n) => n == name,
        Endpoint::Port {
            component,
            interface,
        } => component == name || interface == name,
    };
    if names(&stream.from) {
        spans.from
    } else if names(&stream.to) {
        spans.to
    } else {
        spans.annotation.seal.or(spans.annotation.seq)
    }
}
