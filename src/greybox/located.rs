//! Turns the reader's source map into the front-end-neutral
//! [`Locations`](crate::locations::Locations) that reports read: each path
//! annotation keyed by its [`Origin`], each stream by `Stream::name` (spec §6,
//! where a violation starts in the user's file).

use blazes_core::{Dataflow, Origin};

use super::sourcemap::SourceMap;
use crate::line_index::LineIndex;
use crate::locations::Locations;

/// The locations of every path and stream of a validated dataflow.
///
/// A path is located at its whole annotation map; a stream at its list entry,
/// at the `streams` key that annotates it, or (wired by name, unannotated) at
/// the interface it was wired from.
pub(crate) fn locations(
    file_name: &str,
    text: &str,
    dataflow: &Dataflow,
    map: &SourceMap,
) -> Locations {
    let lines = LineIndex::new(text);
    let mut locations = Locations::new(file_name, text);
    for (component, spans) in dataflow.components.iter().zip(&map.components) {
        for (path, at) in component.paths.iter().zip(&spans.paths) {
            let origin = Origin::Path {
                component: component.name.clone(),
                from: path.from.clone(),
                to: path.to.clone(),
            };
            let span = at.whole;
            locations.insert_path(origin, lines.locate(span.start..span.end));
        }
    }
    for (stream, at) in dataflow.streams.iter().zip(&map.streams) {
        let span = at.whole;
        locations.insert_stream(stream.name(), lines.locate(span.start..span.end));
    }
    locations
}

#[cfg(test)]
mod tests {
    use crate::greybox::parse_located;
    use blazes_core::Origin;

    fn path(component: &str, from: &str, to: &str) -> Origin {
        Origin::Path {
            component: component.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn paths_and_listed_streams_are_located_at_their_maps() {
        let text = "components:\n  A:\n    annotation:\n      - { from: i, to: o, label: CR }\nstreams:\n  - { from: s, to: A.i, seal: [k] }\n  - { from: A.o, to: out }\n";
        let (_, at) = parse_located("f.yaml", text).expect("valid");
        let p = at.path(&path("A", "i", "o")).expect("path located");
        assert_eq!((p.line, p.column, p.end_line, p.end_column), (4, 9, 4, 38));
        assert_eq!(&text[p.bytes.clone()], "{ from: i, to: o, label: CR }");
        let s = at.stream("s->A.i").expect("stream located");
        assert_eq!(&text[s.bytes.clone()], "{ from: s, to: A.i, seal: [k] }");
        assert_eq!((s.line, s.column), (6, 5));
        assert!(at.stream("A.o->out").is_some());
        assert_eq!(at.file(), "f.yaml");
        assert!(at.path(&path("A", "o", "i")).is_none());
    }

    #[test]
    fn streams_annotated_by_name_are_located_at_their_key() {
        let text = "streams: { tweets: { seal: [batch] } }\nSplitter:\n  annotation: { from: tweets, to: words, label: CR }\n";
        let (_, at) = parse_located("w.yaml", text).expect("valid");
        let s = at.stream("tweets->Splitter.tweets").expect("located");
        assert_eq!(&text[s.bytes.clone()], "tweets");
        assert_eq!((s.line, s.column), (1, 12));
    }
}
