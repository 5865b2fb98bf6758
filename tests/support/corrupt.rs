//! Ways to make a valid dataflow invalid, one per structural error.

use blazes_core::{
    Annotation, AttrSet, Component, Dataflow, Endpoint, Fd, Path, PathKind, Stream, attrs,
};

/// One structural mistake that validation must reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// A path declared twice with the same annotation.
    DuplicatePath,
    /// A path declared twice with different annotations.
    ConflictingPath,
    /// A gate on a `CR` path.
    GateOnConfluentPath,
    /// A component name with a dot.
    DottedComponentName,
    /// An empty interface name.
    EmptyInterfaceName,
    /// Two components with one name.
    DuplicateComponent,
    /// A stream into a component that does not exist.
    UnknownComponent,
    /// A stream into an interface the component lacks.
    UnknownInterface,
    /// A stream from a source straight to a sink.
    ExternalToExternal,
    /// `seal: []`.
    EmptySeal,
    /// `seq: []`.
    EmptySeq,
    /// `independent` without `seal`.
    IndependentWithoutSeal,
    /// A stream declared twice.
    DuplicateStream,
    /// An FD with no determining attributes.
    EmptyFd,
    /// An attribute name with a space.
    BadAttribute,
}

impl Corruption {
    /// Every corruption.
    pub const ALL: [Corruption; 15] = [
        Corruption::DuplicatePath,
        Corruption::ConflictingPath,
        Corruption::GateOnConfluentPath,
        Corruption::DottedComponentName,
        Corruption::EmptyInterfaceName,
        Corruption::DuplicateComponent,
        Corruption::UnknownComponent,
        Corruption::UnknownInterface,
        Corruption::ExternalToExternal,
        Corruption::EmptySeal,
        Corruption::EmptySeq,
        Corruption::IndependentWithoutSeal,
        Corruption::DuplicateStream,
        Corruption::EmptyFd,
        Corruption::BadAttribute,
    ];

    /// Applies the mistake to component `target` (modulo the count) of a
    /// dataflow whose components each have at least one path.
    pub fn apply(self, mut dataflow: Dataflow, target: usize) -> Dataflow {
        let ci = target % dataflow.components.len();
        let name = dataflow.components[ci].name.clone();
        let first = dataflow.components[ci].paths[0].clone();
        let input = first.from.clone();
        let into = |annotate: fn(Stream) -> Stream| {
            annotate(Stream::new(
                Endpoint::External("bad_source".to_string()),
                Endpoint::port(&name, &input),
            ))
        };
        match self {
            Corruption::DuplicatePath => dataflow.components[ci].paths.push(first),
            Corruption::ConflictingPath => {
                let kind = if first.annotation.kind == PathKind::CR {
                    Annotation::cw()
                } else {
                    Annotation::cr()
                };
                dataflow.components[ci].paths.push(Path {
                    annotation: kind,
                    ..first
                });
            }
            Corruption::GateOnConfluentPath => dataflow.components[ci].paths.push(Path {
                from: "gin".to_string(),
                to: "gout".to_string(),
                annotation: Annotation {
                    kind: PathKind::CR,
                    gates: vec![attrs(["a"])],
                },
            }),
            Corruption::DottedComponentName => dataflow.components[ci].name = format!("{name}.x"),
            Corruption::EmptyInterfaceName => {
                dataflow.components[ci].paths[0].to = String::new();
            }
            Corruption::DuplicateComponent => {
                dataflow
                    .components
                    .push(Component::new(&name).path("p", "q", Annotation::cr()))
            }
            Corruption::UnknownComponent => dataflow.streams.push(Stream::new(
                Endpoint::External("bad_source".to_string()),
                Endpoint::port("Nowhere", "p"),
            )),
            Corruption::UnknownInterface => dataflow.streams.push(Stream::new(
                Endpoint::External("bad_source".to_string()),
                Endpoint::port(&name, "nothing"),
            )),
            Corruption::ExternalToExternal => dataflow
                .streams
                .push(Stream::between("bad_source", "bad_sink")),
            Corruption::EmptySeal => dataflow.streams.push(into(|s| s.sealed(AttrSet::new()))),
            Corruption::EmptySeq => dataflow.streams.push(into(|s| s.sequenced(AttrSet::new()))),
            Corruption::IndependentWithoutSeal => {
                dataflow.streams.push(into(Stream::independent));
            }
            Corruption::DuplicateStream => {
                dataflow.streams.push(into(|s| s));
                dataflow.streams.push(into(|s| s));
            }
            Corruption::EmptyFd => dataflow.fds.push(Fd {
                from: AttrSet::new(),
                to: "a".to_string(),
                injective: false,
            }),
            Corruption::BadAttribute => dataflow.streams.push(into(|s| s.sealed(attrs(["a b"])))),
        }
        dataflow
    }
}
