//! The dataflow as typed constant data: what `#[blazes::dataflow]` and
//! `#[component]` generate, and what the runtime turns into a
//! `blazes_core::Dataflow` with no text to decode. Generated code names
//! these through `use ::blazes::__private::spec::*;` inside a block, so each
//! type or variant costs the compiler one token.
//!
//! Components, paths, streams, handlers and methods are tuples (type
//! aliases below), not structs: the compiler reads and type-checks a
//! tuple expression for less than a struct literal (a dataflow of 50
//! components and 101 streams written as struct literals cost some 14 M
//! more instructions at every incremental `cargo check`, and more tokens
//! through the proc-macro bridge).

use blazes_core::{Annotation, AttrSet, Component, Dataflow, Endpoint, Fd, Stream};

pub use StreamAnn::{Options, Plain, Sealed};
pub use blazes_core::PathKind::{self, CR, CW, OR, OW};
pub use blazes_core::{Permission, Requirement};
pub use core::option::Option::{None, Some};

/// An annotated path of a component: `(from, to, kind, gate)`: the input
/// interface, the output interface, `CR`, `CW`, `OR` or `OW`, and the gate
/// of an order-sensitive path (empty: none).
pub type PathSpec = (
    &'static str,
    &'static str,
    PathKind,
    &'static [&'static str],
);

/// A component: `(name, rep, paths)`: its name, whether it runs as several
/// replicas, and its annotated paths in declaration order.
pub type ComponentSpec = (&'static str, bool, &'static [PathSpec]);

/// A stream: `(from component, from interface, to component, to interface,
/// annotations)`. An end whose component is `""` is the external source or
/// sink named by its interface (a component's name is never empty).
pub type StreamSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    StreamAnn,
);

/// A stream's annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamAnn {
    /// None.
    Plain,
    /// `seal: [..]` alone (the common case: one short variant).
    Sealed(&'static [&'static str]),
    /// Any other combination.
    Options(StreamOptions),
}

/// The annotations of a stream that has more than a seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamOptions {
    /// `seal: [..]`, if sealed.
    pub seal: Option<&'static [&'static str]>,
    /// `seq: [..]`, if sequenced.
    pub seq: Option<&'static [&'static str]>,
    /// `independent`.
    pub independent: bool,
    /// `rep`.
    pub rep: bool,
}

/// A functional dependency `from -> to` (`injective`: `from <-> to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdSpec {
    /// The determining fields.
    pub from: &'static [&'static str],
    /// The determined field.
    pub to: &'static str,
    /// One-to-one.
    pub injective: bool,
}

/// A dataflow as constant data: what `#[blazes::dataflow]` checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataflowSpec {
    /// The dataflow's name.
    pub name: &'static str,
    /// The components.
    pub components: &'static [ComponentSpec],
    /// The streams.
    pub streams: &'static [StreamSpec],
    /// The functional dependencies.
    pub fds: &'static [FdSpec],
    /// What the sinks must guarantee.
    pub requires: Requirement,
    /// What coordination may be synthesised.
    pub coordinate: Permission,
}

/// The handler method of one input interface: `(input, method)`.
pub type HandlerSpec = (&'static str, &'static str);

/// The methods of a component: `(component, handlers, on_seal)`: the
/// component's name; the handler of each input; its `#[on_seal]` method, if
/// any. (The module that declares a component named by path comes from
/// [`DataflowRecord::modules`](super::DataflowRecord::modules), once for the
/// whole list.)
pub type MethodsSpec = (&'static str, &'static [HandlerSpec], Option<&'static str>);

fn attrs(names: &[&str]) -> AttrSet {
    names.iter().map(|name| (*name).to_string()).collect()
}

/// The annotation of a path.
pub fn path_annotation(&(_, _, kind, gate): &PathSpec) -> Annotation {
    Annotation::new(kind, attrs(gate))
}

/// The component in the analysis model.
pub fn component(&(name, rep, paths): &ComponentSpec) -> Component {
    paths
        .iter()
        .fold(Component::new(name).replicated(rep), |component, path| {
            component.path(path.0, path.1, path_annotation(path))
        })
}

/// One end of a stream (`""`: external, named by `interface`).
fn endpoint(component: &str, interface: &str) -> Endpoint {
    if component.is_empty() {
        Endpoint::External(interface.to_string())
    } else {
        Endpoint::Port {
            component: component.to_string(),
            interface: interface.to_string(),
        }
    }
}

/// The stream in the analysis model.
pub fn stream(&(from_c, from_i, to_c, to_i, ann): &StreamSpec) -> Stream {
    let stream = Stream::new(endpoint(from_c, from_i), endpoint(to_c, to_i));
    let options = match ann {
        StreamAnn::Plain => return stream,
        StreamAnn::Sealed(key) => return stream.sealed(attrs(key)),
        StreamAnn::Options(options) => options,
    };
    let mut stream = stream;
    if let Some(key) = options.seal {
        stream = stream.sealed(attrs(key));
    }
    if let Some(key) = options.seq {
        stream = stream.sequenced(attrs(key));
    }
    if options.independent {
        stream = stream.independent();
    }
    if options.rep {
        stream = stream.replicated();
    }
    stream
}

impl FdSpec {
    /// The functional dependency in the analysis model.
    pub fn fd(&self) -> Fd {
        Fd {
            from: attrs(self.from),
            to: self.to.to_string(),
            injective: self.injective,
        }
    }
}

impl DataflowSpec {
    /// The dataflow in the analysis model, built with the builder API.
    pub fn build(&self) -> Dataflow {
        let mut dataflow = Dataflow::new()
            .requires(self.requires)
            .coordinate(self.coordinate);
        dataflow.name = Some(self.name.to_string());
        for spec in self.components {
            dataflow = dataflow.component(component(spec));
        }
        for spec in self.streams {
            dataflow = dataflow.stream(stream(spec));
        }
        dataflow.fds.extend(self.fds.iter().map(FdSpec::fd));
        dataflow
    }
}

/// The method handling `input` among `methods`' handlers.
pub fn handler(methods: &MethodsSpec, input: &str) -> Option<&'static str> {
    methods
        .1
        .iter()
        .find(|(name, _)| *name == input)
        .map(|(_, method)| *method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs as set;

    const FLOW: DataflowSpec = DataflowSpec {
        name: "flow",
        components: &[(
            "Count",
            true,
            &[("words", "counts", OW, &["word", "batch"])],
        )],
        streams: &[
            (
                "",
                "tweets",
                "Count",
                "words",
                Options(StreamOptions {
                    seal: Some(&["batch"]),
                    seq: Some(&["batch"]),
                    independent: true,
                    rep: true,
                }),
            ),
            ("Count", "counts", "", "totals", Sealed(&["word"])),
            ("", "more", "Count", "words", Plain),
        ],
        fds: &[FdSpec {
            from: &["a", "b"],
            to: "c",
            injective: true,
        }],
        requires: Requirement::Deterministic,
        coordinate: Permission::Seal,
    };

    #[test]
    fn builds_the_model_from_typed_constants() {
        let dataflow = FLOW.build();
        assert_eq!(dataflow.name.as_deref(), Some("flow"));
        assert_eq!(
            dataflow.components,
            vec![Component::new("Count").replicated(true).path(
                "words",
                "counts",
                Annotation::ow(set(["word", "batch"]))
            )]
        );
        assert_eq!(
            dataflow.streams,
            vec![
                Stream::between("tweets", "Count.words")
                    .sealed(set(["batch"]))
                    .sequenced(set(["batch"]))
                    .independent()
                    .replicated(),
                Stream::between("Count.counts", "totals").sealed(set(["word"])),
                Stream::between("more", "Count.words"),
            ]
        );
        assert_eq!(
            dataflow.fds,
            vec![Fd {
                from: set(["a", "b"]),
                to: "c".to_string(),
                injective: true,
            }]
        );
        assert_eq!(dataflow.requires, Requirement::Deterministic);
        assert_eq!(dataflow.coordinate, Permission::Seal);
    }

    #[test]
    fn finds_the_method_of_an_input() {
        let methods: MethodsSpec = ("Count", &[("words", "count")], None);
        assert_eq!(handler(&methods, "words"), Some("count"));
        assert_eq!(handler(&methods, "nope"), None);
    }
}
