//! What an [`Analysis`](crate::Analysis) keeps of its passes, so that
//! derivations are built only when someone asks for one (explanations, error
//! messages), not for every node of a large dataflow.

use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::attrs_closure::{Attrs, CompatMemo};
use crate::engine::{NodeDerivation, Pass};
use crate::label::{Annotation, Internal, Label};
use crate::model::Requirement;
use crate::output_rules::PathTable;
use crate::portgraph::{Edge, Port, PortGraph};
use crate::result::{Contribution, Derivation, OrderKind, Reconciled, Via};
use crate::rules::{Fired, Lab, Order, PathIn, Step};

/// The port graph, the interned attribute sets and the passes of one analysis.
pub(crate) struct Trace {
    pub(crate) graph: PortGraph,
    pub(crate) attrs: Attrs,
    /// Every path's kind and gates: what rebuilding a derivation reads.
    paths: PathTable,
    /// Component names, by component index.
    pub(crate) components: Vec<String>,
    /// The analysis pass (spec §4).
    pub(crate) base: Pass,
    /// The pass with ordering repairs (spec §5).
    pub(crate) planned: Pass,
    /// Whether the residual labels are the planned pass (`coordinate: auto`).
    pub(crate) residual_is_planned: bool,
    /// What the sinks must guarantee.
    pub(crate) requires: Requirement,
    /// Per stream, in port-graph edge order: its producer, its consumer
    /// and its label after its own seal (spec §1).
    pub(crate) stream_labels: Vec<(NodeIndex, NodeIndex, Lab)>,
    /// Output-port names to ports, built on first lookup.
    index: OnceLock<HashMap<String, NodeIndex>>,
    /// Every node sorted by name, built on first use.
    by_name: OnceLock<Vec<NodeIndex>>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("ports", &self.graph.graph.node_count())
            .field("sccs", &self.graph.sccs.len())
            .finish_non_exhaustive()
    }
}

impl Trace {
    pub(crate) fn new(
        (graph, attrs, paths): (PortGraph, Attrs, PathTable),
        components: Vec<String>,
        stream_labels: Vec<(NodeIndex, NodeIndex, Lab)>,
        base: Pass,
        planned: Pass,
        residual_is_planned: bool,
        requires: Requirement,
    ) -> Trace {
        Trace {
            graph,
            attrs,
            paths,
            components,
            base,
            planned,
            residual_is_planned,
            requires,
            stream_labels,
            index: OnceLock::new(),
            by_name: OnceLock::new(),
        }
    }

    /// The pass whose labels are deployed.
    pub(crate) fn residual(&self) -> &Pass {
        if self.residual_is_planned {
            &self.planned
        } else {
            &self.base
        }
    }

    /// The derivation of output `node` in `pass`: the one kept for a port
    /// of a cycle, or the rules applied again to the pass's final labels
    /// (outside cycles each output was evaluated once, from those labels).
    pub(crate) fn node_derivation<'p>(
        &self,
        pass: &'p Pass,
        node: NodeIndex,
    ) -> Option<Cow<'p, NodeDerivation>> {
        if let Some(kept) = pass.kept.get(node) {
            return Some(Cow::Borrowed(kept));
        }
        let Port::Out(c) = *self.graph.graph.node_weight(node)? else {
            return None;
        };
        if self.graph.is_cycle(self.graph.scc_of[node.index()]) {
            // Every output of a cycle keeps its derivation.
            return None;
        }
        Some(Cow::Owned(self.paths.derive_output(
            &self.graph,
            (&self.attrs, &mut CompatMemo::default()),
            (node, c),
            &pass.states,
            pass.repair,
            None,
        )))
    }

    /// Every node, sorted by name. Port names are `Comp.iface` and
    /// component names have no dot, so sorting the components by name with
    /// a dot appended, then each component's few ports, sorts the ports:
    /// far fewer string comparisons than sorting every port of a large
    /// dataflow. Sources and sinks follow, sorted among themselves.
    pub(crate) fn nodes_by_name(&self) -> &[NodeIndex] {
        self.by_name.get_or_init(|| {
            let g = &self.graph;
            let mut order: Vec<usize> = (0..self.components.len()).collect();
            order.sort_unstable_by(|&a, &b| {
                dotted(&self.components[a]).cmp(dotted(&self.components[b]))
            });
            let mut sorted = Vec::with_capacity(g.graph.node_count());
            for c in order {
                let start = sorted.len();
                sorted.extend(g.ports_of(c));
                sorted[start..].sort_unstable_by_key(|&n| self.name(n));
            }
            let start = sorted.len();
            sorted.extend(
                g.graph
                    .node_indices()
                    .filter(|&n| matches!(g.graph[n], Port::Source | Port::Sink)),
            );
            sorted[start..].sort_unstable_by_key(|&n| self.name(n));
            sorted
        })
    }

    pub(crate) fn name(&self, n: NodeIndex) -> &str {
        self.graph.names.get(n.index())
    }

    pub(crate) fn label(&self, lab: Lab) -> Label {
        match lab {
            Lab::Seal(k) => Label::Seal(self.attrs.set(k).clone()),
            Lab::Async => Label::Async,
            Lab::Run => Label::Run,
            Lab::Inst => Label::Inst,
            Lab::Diverge => Label::Diverge,
        }
    }

    pub(crate) fn order_kind(&self, order: Order) -> OrderKind {
        match order {
            Order::Static(k) => OrderKind::Static {
                seq: self.attrs.set(k).clone(),
            },
            Order::Dynamic => OrderKind::Dynamic,
        }
    }

    /// The annotation a part applies, rebuilt from its kind and gates.
    pub(crate) fn annotation(&self, path: &PathIn) -> Annotation {
        Annotation {
            kind: path.kind,
            gates: path
                .gates
                .iter()
                .map(|&g| self.attrs.set(g).clone())
                .collect(),
        }
    }

    pub(crate) fn component_of(&self, port: NodeIndex) -> Option<&str> {
        self.component_index(port)
            .map(|c| self.components[c].as_str())
    }

    pub(crate) fn component_index(&self, port: NodeIndex) -> Option<usize> {
        match self.graph.graph[port] {
            Port::In(c) | Port::Out(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn interface_of(&self, port: NodeIndex) -> &str {
        let name = self.name(port);
        name.split_once('.').map_or(name, |(_, i)| i)
    }

    /// The output's name, `Comp.iface`.
    pub(crate) fn node_name(&self, d: &NodeDerivation) -> String {
        self.name(d.port).to_string()
    }

    /// The producers (outputs or sources) of the streams into `port`.
    pub(crate) fn producers(&self, port: NodeIndex) -> Vec<String> {
        let mut out: Vec<String> = self
            .graph
            .graph
            .edges_directed(port, Direction::Incoming)
            .filter(|e| matches!(e.weight(), Edge::Stream(_)))
            .map(|e| self.name(e.source()).to_string())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The public form of one output's derivation.
    pub(crate) fn derivation(&self, d: &NodeDerivation) -> Derivation {
        let o = &d.outcome;
        let contributions = d
            .sources
            .iter()
            .zip(&d.paths)
            .enumerate()
            .map(|(i, (source, path))| {
                let component = self.components[source.c].clone();
                let input = self.interface_of(source.from).to_string();
                let via = if path.observed {
                    Via::State {
                        component,
                        input,
                        output: self.interface_of(source.to).to_string(),
                    }
                } else {
                    Via::Path { component, input }
                };
                let annotation = self.annotation(path);
                Contribution {
                    via,
                    input: self.label(path.input.label),
                    fired: o.fired[i].as_ref().map(|(rule, f)| {
                        (
                            *rule,
                            match f {
                                Fired::Taint => Internal::Taint,
                                Fired::NdRead => Internal::NdRead(annotation.gates.clone()),
                            },
                        )
                    }),
                    annotation,
                    preserved: self.label(o.preserved[i].label),
                    upstream: self.producers(source.from),
                }
            })
            .collect();
        let gates = |path: usize| self.annotation(&d.paths[path]).gates;
        let reconciled = o
            .steps
            .iter()
            .map(|s| match s {
                Step::Taint { added } => Reconciled::Taint {
                    added: added.map(|l| self.label(l)),
                },
                Step::Unprotected { path, added, .. } => Reconciled::Unprotected {
                    gates: gates(*path),
                    added: added.map(|l| self.label(l)),
                },
                Step::Protected { path, seals } => Reconciled::Protected {
                    gates: gates(*path),
                    seals: seals.iter().map(|&k| self.attrs.set(k).clone()).collect(),
                },
            })
            .collect();
        Derivation {
            node: self.node_name(d),
            component: self.components[d.c].clone(),
            rep: d.rep,
            in_cycle: d.in_cycle,
            contributions,
            reconciled,
            ordered: o.ordered.map(|ord| self.order_kind(ord)),
            label: self.label(o.state.label),
            introduced: o.introduced,
        }
    }

    fn index(&self) -> &HashMap<String, NodeIndex> {
        self.index.get_or_init(|| {
            let g = &self.graph.graph;
            g.node_indices()
                .filter(|&n| matches!(g[n], Port::Out(_)))
                .map(|n| (self.name(n).to_string(), n))
                .collect()
        })
    }

    /// The output port named `Comp.iface`.
    pub(crate) fn output_port(&self, node: &str) -> Option<NodeIndex> {
        self.index().get(node).copied()
    }

    /// The derivation of an output (`Comp.iface`) in one pass.
    pub(crate) fn find(&self, pass: &Pass, node: &str) -> Option<Derivation> {
        let port = self.output_port(node)?;
        self.node_derivation(pass, port)
            .map(|d| self.derivation(&d))
    }

    /// Every derivation of a pass, each output once, in topological order
    /// (the ports of a cycle in the order its sweeps visit them).
    pub(crate) fn all(&self, pass: &Pass) -> Vec<Derivation> {
        self.graph
            .sccs
            .ports()
            .iter()
            .filter_map(|&n| self.node_derivation(pass, n))
            .map(|d| self.derivation(&d))
            .collect()
    }
}

/// A component name's bytes followed by the dot that starts its ports'
/// names.
fn dotted(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.bytes().chain(std::iter::once(b'.'))
}
