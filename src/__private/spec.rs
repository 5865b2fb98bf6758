//! The dataflow as typed constant data: what `#[blazes::dataflow]` and
//! `#[component]` generate, and what the runtime turns into a
//! `blazes_core::Dataflow` with no text to decode. Generated code names
//! these through `use ::blazes::__private::spec::*;` inside a block, so each
//! type or variant costs the compiler one token.

use blazes_core::{Annotation, AttrSet, Component, Dataflow, Endpoint, Fd, Stream};

pub use EndSpec::{External, Port};
pub use blazes_core::PathKind::{self, CR, CW, OR, OW};
pub use blazes_core::{Permission, Requirement};
pub use core::option::Option::{None, Some};

/// An annotated path of a component: `from` input, `to` output, its label
/// and the gate of an order-sensitive path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathSpec {
    /// The input interface.
    pub from: &'static str,
    /// The output interface.
    pub to: &'static str,
    /// `CR`, `CW`, `OR` or `OW`.
    pub kind: PathKind,
    /// The gate (empty: none).
    pub gate: &'static [&'static str],
}

/// A component: its name, `rep`, and its paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentSpec {
    /// The component's name.
    pub name: &'static str,
    /// Whether it runs as several replicas.
    pub rep: bool,
    /// Its annotated paths, in declaration order.
    pub paths: &'static [PathSpec],
}

/// One end of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSpec {
    /// An external source or sink, by name.
    External(&'static str),
    /// An interface of a component: the component's name, the interface's.
    Port(&'static str, &'static str),
}

/// A stream and its annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpec {
    /// Where it comes from.
    pub from: EndSpec,
    /// Where it goes.
    pub to: EndSpec,
    /// `seal: [..]`, if sealed.
    pub seal: Option<&'static [&'static str]>,
    /// `seq: [..]`, if sequenced.
    pub seq: Option<&'static [&'static str]>,
    /// `independent`.
    pub independent: bool,
    /// `rep`.
    pub rep: bool,
}

/// A stream with no annotations (between two unnamed externals): the base
/// of the generated constants' struct update syntax,
/// `StreamSpec { from: .., to: .., seal: .., ..STREAM }`, which writes only
/// the annotations a stream has (fewer tokens for the compiler to read).
pub const STREAM: StreamSpec = StreamSpec {
    from: EndSpec::External(""),
    to: EndSpec::External(""),
    seal: None,
    seq: None,
    independent: false,
    rep: false,
};

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

/// The handler method of one input interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandlerSpec {
    /// The input interface.
    pub input: &'static str,
    /// The method handling it.
    pub method: &'static str,
}

/// The methods of a component: its handlers and its `#[on_seal]` method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodsSpec {
    /// The component's name.
    pub component: &'static str,
    /// The module that declares the component, when it is not the module
    /// that registers it (a component named by path in a dataflow).
    pub module_path: Option<&'static str>,
    /// One per input interface with a method.
    pub handlers: &'static [HandlerSpec],
    /// The `#[on_seal]` method, if any.
    pub on_seal: Option<&'static str>,
}

fn attrs(names: &[&str]) -> AttrSet {
    names.iter().map(|name| (*name).to_string()).collect()
}

impl PathSpec {
    /// The path's annotation in the analysis model.
    pub fn annotation(&self) -> Annotation {
        Annotation::new(self.kind, attrs(self.gate))
    }
}

impl ComponentSpec {
    /// The component in the analysis model.
    pub fn component(&self) -> Component {
        self.paths.iter().fold(
            Component::new(self.name).replicated(self.rep),
            |component, path| component.path(path.from, path.to, path.annotation()),
        )
    }
}

impl EndSpec {
    /// The endpoint in the analysis model.
    pub fn endpoint(&self) -> Endpoint {
        match *self {
            EndSpec::External(name) => Endpoint::External(name.to_string()),
            EndSpec::Port(component, interface) => Endpoint::Port {
                component: component.to_string(),
                interface: interface.to_string(),
            },
        }
    }
}

impl StreamSpec {
    /// The stream in the analysis model.
    pub fn stream(&self) -> Stream {
        let mut stream = Stream::new(self.from.endpoint(), self.to.endpoint());
        if let Some(key) = self.seal {
            stream = stream.sealed(attrs(key));
        }
        if let Some(key) = self.seq {
            stream = stream.sequenced(attrs(key));
        }
        if self.independent {
            stream = stream.independent();
        }
        if self.rep {
            stream = stream.replicated();
        }
        stream
    }
}

impl FdSpec {
    /// The dependency in the analysis model.
    pub fn fd(&self) -> Fd {
        Fd {
            from: attrs(self.from),
            to: self.to.to_string(),
            injective: self.injective,
        }
    }
}

impl DataflowSpec {
    /// The dataflow, built with the builder API.
    pub fn build(&self) -> Dataflow {
        let mut dataflow = Dataflow::new()
            .requires(self.requires)
            .coordinate(self.coordinate);
        dataflow.name = Some(self.name.to_string());
        for spec in self.components {
            dataflow = dataflow.component(spec.component());
        }
        for spec in self.streams {
            dataflow = dataflow.stream(spec.stream());
        }
        dataflow.fds.extend(self.fds.iter().map(FdSpec::fd));
        dataflow
    }
}

impl MethodsSpec {
    /// The method handling `input`, if any.
    pub fn handler(&self, input: &str) -> Option<&'static str> {
        self.handlers
            .iter()
            .find(|h| h.input == input)
            .map(|h| h.method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs as set;

    const FLOW: DataflowSpec = DataflowSpec {
        name: "flow",
        components: &[ComponentSpec {
            name: "Count",
            rep: true,
            paths: &[PathSpec {
                from: "words",
                to: "counts",
                kind: PathKind::OW,
                gate: &["word", "batch"],
            }],
        }],
        streams: &[StreamSpec {
            from: EndSpec::External("tweets"),
            to: EndSpec::Port("Count", "words"),
            seal: Some(&["batch"]),
            seq: Some(&["batch"]),
            independent: true,
            rep: true,
        }],
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
                    .replicated()
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
        let methods = MethodsSpec {
            component: "Count",
            module_path: None,
            handlers: &[HandlerSpec {
                input: "words",
                method: "count",
            }],
            on_seal: None,
        };
        assert_eq!(methods.handler("words"), Some("count"));
        assert_eq!(methods.handler("nope"), None);
    }
}
