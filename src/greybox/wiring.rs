//! Wiring by interface name (spec §6): an output `x` feeds every other
//! component's input `x`; an input nobody produces is fed by a source `x`; an
//! output nobody consumes feeds a sink `x`.

use blazes_core::{Component, Endpoint, Stream};

use super::source::Span;
use super::sourcemap::{ComponentSpans, StreamSpans};

/// The streams implied by the interface names, each with the span of the
/// interface it was wired from.
pub(crate) fn by_name(
    components: &[Component],
    spans: &[ComponentSpans],
) -> Vec<(Stream, StreamSpans)> {
    let mut streams = Vec::new();
    for (ci, c) in components.iter().enumerate() {
        let others = || components.iter().enumerate().filter(move |&(i, _)| i != ci);
        for input in c.inputs() {
            if !others().any(|(_, o)| o.outputs().contains(&input)) {
                let stream = Stream::new(
                    Endpoint::External(input.to_string()),
                    Endpoint::port(&c.name, input),
                );
                streams.push((
                    stream,
                    spans_of(interface_span(c, spans.get(ci), input, false)),
                ));
            }
        }
        for output in c.outputs() {
            let span = spans_of(interface_span(c, spans.get(ci), output, true));
            let mut consumers = others()
                .filter(|(_, o)| o.inputs().contains(&output))
                .peekable();
            if consumers.peek().is_none() {
                let stream = Stream::new(
                    Endpoint::port(&c.name, output),
                    Endpoint::External(output.to_string()),
                );
                streams.push((stream, span));
            }
            for (_, consumer) in consumers {
                let stream = Stream::new(
                    Endpoint::port(&c.name, output),
                    Endpoint::port(&consumer.name, output),
                );
                streams.push((stream, span));
            }
        }
    }
    streams
}

/// Spans for a stream wired by name from the interface at `span`.
fn spans_of(span: Span) -> StreamSpans {
    StreamSpans {
        whole: span,
        wired_by_name: true,
        ..StreamSpans::default()
    }
}

/// Where an interface of `c` is first named: a path's `from`/`to`, or else
/// the component's name.
fn interface_span(
    c: &Component,
    spans: Option<&ComponentSpans>,
    iface: &str,
    output: bool,
) -> Span {
    let Some(spans) = spans else {
        return Span::default();
    };
    c.paths
        .iter()
        .zip(&spans.paths)
        .find_map(|(p, s)| match output {
            true if p.to == iface => Some(s.to),
            false if p.from == iface => Some(s.from),
            _ => None,
        })
        .unwrap_or(spans.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::Annotation;

    fn names(streams: &[(Stream, StreamSpans)]) -> Vec<String> {
        streams.iter().map(|(s, _)| s.name()).collect()
    }

    #[test]
    fn a_chain_gets_a_source_internal_streams_and_a_sink() {
        let components = [
            Component::new("A").path("x", "y", Annotation::cr()),
            Component::new("B").path("y", "z", Annotation::cw()),
        ];
        let streams = by_name(&components, &[]);
        assert_eq!(names(&streams), ["x->A.x", "A.y->B.y", "B.z->z"]);
    }

    #[test]
    fn an_output_feeds_every_other_consumer_but_not_itself_whose_input_is_a_source() {
        let components = [
            Component::new("A").path("y", "y", Annotation::cr()),
            Component::new("B").path("y", "b", Annotation::cr()),
            Component::new("C").path("y", "c", Annotation::cr()),
        ];
        let streams = by_name(&components, &[]);
        assert_eq!(
            names(&streams),
            ["y->A.y", "A.y->B.y", "A.y->C.y", "B.b->b", "C.c->c"]
        );
    }
}
