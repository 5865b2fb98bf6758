//! Random annotated dataflows for the property tests.
//!
//! A [`DataflowSpec`] names components and interfaces by small indices, so
//! proptest can shrink it; [`DataflowSpec::build`] turns it into a valid
//! [`Dataflow`] through the builder API. Sources are named `s0`..`s2`; with
//! [`gadgets`], each source can instead be a small component that emits a
//! chosen label.

pub mod corrupt;
pub mod gadgets;

use std::collections::BTreeSet;

use blazes_core::{
    Annotation, AttrSet, Component, Dataflow, Endpoint, Fd, PathKind, Permission, Requirement,
    Stream, StreamAnnotation,
};
use proptest::prelude::*;
use proptest::sample::subsequence;

/// The attribute alphabet of gates, seal keys, `seq` keys and FDs.
pub const ATTRIBUTES: [&str; 4] = ["a", "b", "c", "d"];

/// Interface names, shared by inputs and outputs (a component may have an
/// input and an output of the same name).
pub const INTERFACES: [&str; 3] = ["p", "q", "r"];

/// How many distinct sources and sinks a dataflow may name.
pub const EXTERNALS: usize = 3;

/// One path: input and output interface indices, kind and gate.
#[derive(Clone, Debug)]
pub struct PathSpec {
    /// Index into [`INTERFACES`] of the input.
    pub from: usize,
    /// Index into [`INTERFACES`] of the output.
    pub to: usize,
    /// The path's kind.
    pub kind: PathKind,
    /// The gate (ignored for confluent kinds; empty means ungated).
    pub gate: AttrSet,
}

/// One component.
#[derive(Clone, Debug)]
pub struct ComponentSpec {
    /// Replicated.
    pub rep: bool,
    /// 1–4 paths; a repeated (from, to) pair is dropped when building.
    pub paths: Vec<PathSpec>,
    /// Adds an input `x` and an output `y` that no path touches.
    pub extra: bool,
}

/// The producing end of a stream.
#[derive(Clone, Debug)]
pub enum FromSpec {
    /// Source `s{i}`.
    Source(usize),
    /// An output of a component; both indices are taken modulo what exists.
    Output {
        /// Component index.
        component: usize,
        /// Output index among the component's outputs.
        iface: usize,
    },
}

/// The consuming end of a stream.
#[derive(Clone, Debug)]
pub enum ToSpec {
    /// Sink `k{i}`.
    Sink(usize),
    /// An input of a component; both indices are taken modulo what exists.
    Input {
        /// Component index.
        component: usize,
        /// Input index among the component's inputs.
        iface: usize,
    },
}

/// One stream and its annotations.
#[derive(Clone, Debug)]
pub struct StreamSpec {
    /// Producer.
    pub from: FromSpec,
    /// Consumer.
    pub to: ToSpec,
    /// `seal`, `independent` (kept only with a seal), `seq`, `rep`.
    pub annotation: StreamAnnotation,
}

/// A whole random dataflow.
#[derive(Clone, Debug)]
pub struct DataflowSpec {
    /// 1–12 components, named `C0`, `C1`, …
    pub components: Vec<ComponentSpec>,
    /// Streams; a stream between a source and a sink, or repeating an
    /// earlier one, is dropped when building.
    pub streams: Vec<StreamSpec>,
    /// Self-feeding streams: component index and output/input indices.
    pub self_loops: Vec<(usize, usize, usize)>,
    /// Functional dependencies.
    pub fds: Vec<Fd>,
    /// Connect every input nobody feeds to a source, every output nobody
    /// reads to a sink.
    pub fill: bool,
    /// Per source, the seal of the streams that `fill` adds from it.
    pub fill_seals: Vec<Option<AttrSet>>,
    /// The requirement.
    pub requires: Requirement,
    /// The permission.
    pub coordinate: Permission,
}

fn attr_set(min: usize, max: usize) -> impl Strategy<Value = AttrSet> {
    subsequence(ATTRIBUTES.to_vec(), min..=max)
        .prop_map(|names| names.into_iter().map(String::from).collect())
}

fn path_kind() -> impl Strategy<Value = PathKind> {
    prop_oneof![
        3 => Just(PathKind::CR),
        2 => Just(PathKind::CW),
        2 => Just(PathKind::OR),
        2 => Just(PathKind::OW),
    ]
}

fn path_spec() -> impl Strategy<Value = PathSpec> {
    (
        0..INTERFACES.len(),
        0..INTERFACES.len(),
        path_kind(),
        prop_oneof![1 => Just(AttrSet::new()), 4 => attr_set(1, 3)],
    )
        .prop_map(|(from, to, kind, gate)| PathSpec {
            from,
            to,
            kind,
            gate,
        })
}

fn component_spec() -> impl Strategy<Value = ComponentSpec> {
    (
        prop::bool::weighted(0.3),
        prop::collection::vec(path_spec(), 1..=4),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(rep, paths, extra)| ComponentSpec { rep, paths, extra })
}

fn stream_annotation() -> impl Strategy<Value = StreamAnnotation> {
    (
        prop::option::weighted(0.4, attr_set(1, 3)),
        any::<bool>(),
        prop::option::weighted(0.15, attr_set(1, 2)),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(seal, independent, seq, rep)| StreamAnnotation {
            independent: independent && seal.is_some(),
            seal,
            seq,
            rep,
        })
}

fn from_spec() -> impl Strategy<Value = FromSpec> {
    prop_oneof![
        1 => (0..EXTERNALS).prop_map(FromSpec::Source),
        4 => (0..12usize, 0..4usize)
            .prop_map(|(component, iface)| FromSpec::Output { component, iface }),
    ]
}

fn to_spec() -> impl Strategy<Value = ToSpec> {
    prop_oneof![
        1 => (0..EXTERNALS).prop_map(ToSpec::Sink),
        4 => (0..12usize, 0..4usize)
            .prop_map(|(component, iface)| ToSpec::Input { component, iface }),
    ]
}

fn stream_spec() -> impl Strategy<Value = StreamSpec> {
    (from_spec(), to_spec(), stream_annotation()).prop_map(|(from, to, annotation)| StreamSpec {
        from,
        to,
        annotation,
    })
}

fn fd() -> impl Strategy<Value = Fd> {
    (
        attr_set(1, 2),
        prop::sample::select(ATTRIBUTES.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(from, to, injective)| Fd {
            from,
            to: to.to_string(),
            injective,
        })
}

/// Random valid dataflow specifications: 1–12 components, cycles, self
/// loops, fan-in, every annotation, FDs.
pub fn dataflow_spec() -> impl Strategy<Value = DataflowSpec> {
    (
        prop::collection::vec(component_spec(), 1..=12),
        prop::collection::vec(stream_spec(), 0..=24),
        prop::collection::vec((0..12usize, 0..4usize, 0..4usize), 0..=3),
        prop::collection::vec(fd(), 0..=3),
        prop::bool::weighted(0.8),
        prop::collection::vec(prop::option::weighted(0.5, attr_set(1, 2)), EXTERNALS),
        prop_oneof![
            Just(Requirement::Deterministic),
            Just(Requirement::Convergent)
        ],
        prop_oneof![
            Just(Permission::None),
            Just(Permission::Seal),
            Just(Permission::Auto)
        ],
    )
        .prop_map(
            |(components, streams, self_loops, fds, fill, fill_seals, requires, coordinate)| {
                DataflowSpec {
                    components,
                    streams,
                    self_loops,
                    fds,
                    fill,
                    fill_seals,
                    requires,
                    coordinate,
                }
            },
        )
}

/// The name of component `i`.
pub fn component_name(i: usize) -> String {
    format!("C{i}")
}

/// The name of source `i`.
pub fn source_name(i: usize) -> String {
    format!("s{i}")
}

/// The name of sink `i`.
pub fn sink_name(i: usize) -> String {
    format!("k{i}")
}

fn pick<'a>(names: &[&'a str], i: usize) -> &'a str {
    names[i % names.len()]
}

impl DataflowSpec {
    /// The components, with repeated paths dropped.
    fn build_components(&self) -> Vec<Component> {
        self.components
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut component = Component::new(component_name(i)).replicated(spec.rep);
                let mut seen = BTreeSet::new();
                for p in &spec.paths {
                    if seen.insert((p.from, p.to)) {
                        let annotation = Annotation::new(p.kind, p.gate.clone());
                        component =
                            component.path(INTERFACES[p.from], INTERFACES[p.to], annotation);
                    }
                }
                if spec.extra {
                    component.extra_inputs.push("x".to_string());
                    component.extra_outputs.push("y".to_string());
                }
                component
            })
            .collect()
    }

    /// Builds the dataflow. Every source `s{i}` is an external source.
    pub fn build(&self) -> Dataflow {
        let components = self.build_components();
        let mut streams: Vec<Stream> = Vec::new();
        let mut add = |stream: Stream| {
            let external_pair = matches!(
                (&stream.from, &stream.to),
                (Endpoint::External(_), Endpoint::External(_))
            );
            if !external_pair
                && !streams
                    .iter()
                    .any(|s| s.from == stream.from && s.to == stream.to)
            {
                streams.push(stream);
            }
        };
        let output = |component: usize, iface: usize| {
            let c = &components[component % components.len()];
            Endpoint::port(&c.name, pick(&c.outputs(), iface))
        };
        let input = |component: usize, iface: usize| {
            let c = &components[component % components.len()];
            Endpoint::port(&c.name, pick(&c.inputs(), iface))
        };
        for s in &self.streams {
            let from = match s.from {
                FromSpec::Source(i) => Endpoint::External(source_name(i)),
                FromSpec::Output { component, iface } => output(component, iface),
            };
            let to = match s.to {
                ToSpec::Sink(i) => Endpoint::External(sink_name(i)),
                ToSpec::Input { component, iface } => input(component, iface),
            };
            add(Stream {
                from,
                to,
                annotation: s.annotation.clone(),
            });
        }
        for &(component, out, inp) in &self.self_loops {
            add(Stream::new(output(component, out), input(component, inp)));
        }
        if self.fill {
            for (ci, c) in components.iter().enumerate() {
                for iface in c.inputs() {
                    let mut stream = Stream::new(
                        Endpoint::External(source_name(ci % EXTERNALS)),
                        Endpoint::port(&c.name, iface),
                    );
                    stream.annotation.seal = self.fill_seals[ci % EXTERNALS].clone();
                    add(stream);
                }
                for iface in c.outputs() {
                    add(Stream::new(
                        Endpoint::port(&c.name, iface),
                        Endpoint::External(sink_name(ci % EXTERNALS)),
                    ));
                }
            }
        }
        let mut dataflow = Dataflow::new()
            .requires(self.requires)
            .coordinate(self.coordinate);
        for c in components {
            dataflow = dataflow.component(c);
        }
        for s in streams {
            dataflow = dataflow.stream(s);
        }
        dataflow.fds = self.fds.clone();
        dataflow
    }
}

/// Streams that feed an order-sensitive path with a non-empty gate, and are
/// not sealed yet: (stream index, that path's gate).
pub fn streams_into_gated_paths(dataflow: &Dataflow) -> Vec<(usize, AttrSet)> {
    let mut out = Vec::new();
    for (si, s) in dataflow.streams.iter().enumerate() {
        let Endpoint::Port {
            component,
            interface,
        } = &s.to
        else {
            continue;
        };
        if s.annotation.seal.is_some() {
            continue;
        }
        let Some(c) = dataflow.find_component(component) else {
            continue;
        };
        for p in &c.paths {
            let gate = p.annotation.gates.first();
            if &p.from == interface
                && p.annotation.kind.is_order_sensitive()
                && let Some(gate) = gate.filter(|g| !g.is_empty())
            {
                out.push((si, gate.clone()));
            }
        }
    }
    out
}

/// A non-empty subset of `set`, chosen by the bits of `mask`.
pub fn nonempty_subset(set: &AttrSet, mask: u8) -> AttrSet {
    let chosen: AttrSet = set
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, a)| a.clone())
        .collect();
    if chosen.is_empty() {
        set.iter().take(1).cloned().collect()
    } else {
        chosen
    }
}
