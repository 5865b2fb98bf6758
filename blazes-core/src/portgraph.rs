//! The port graph (spec §4.1) and its condensation into strongly connected
//! components (spec §4.2), on petgraph.

use std::collections::HashMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::{Dataflow, Endpoint};

/// A node of the port graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Port {
    /// An external source.
    Source,
    /// An external sink.
    Sink,
    /// An input interface of component `c`.
    In(usize),
    /// An output interface of component `c`.
    Out(usize),
}

/// An edge of the port graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Edge {
    /// `dataflow.streams[i]`.
    Stream(usize),
    /// `dataflow.components[c].paths[p]`.
    Path(usize, usize),
}

/// The port graph of a validated dataflow, with its condensation.
pub(crate) struct PortGraph {
    pub(crate) graph: DiGraph<Port, Edge>,
    /// Display name of each node: `Comp.iface`, or the external's name.
    pub(crate) names: Vec<String>,
    /// Strongly connected components, in topological order.
    pub(crate) sccs: Vec<Vec<NodeIndex>>,
    /// For each node, the index of its SCC in `sccs`.
    pub(crate) scc_of: Vec<usize>,
}

impl PortGraph {
    /// Builds the port graph. The dataflow must have passed validation.
    pub(crate) fn build(dataflow: &Dataflow) -> PortGraph {
        let mut graph = DiGraph::new();
        let mut names = Vec::new();
        let mut inputs: HashMap<(&str, &str), NodeIndex> = HashMap::new();
        let mut outputs: HashMap<(&str, &str), NodeIndex> = HashMap::new();
        let mut sources: HashMap<&str, NodeIndex> = HashMap::new();
        let mut sinks: HashMap<&str, NodeIndex> = HashMap::new();

        for (ci, c) in dataflow.components.iter().enumerate() {
            for iface in c.inputs() {
                let n = graph.add_node(Port::In(ci));
                names.push(format!("{}.{iface}", c.name));
                inputs.insert((c.name.as_str(), iface), n);
            }
            for iface in c.outputs() {
                let n = graph.add_node(Port::Out(ci));
                names.push(format!("{}.{iface}", c.name));
                outputs.insert((c.name.as_str(), iface), n);
            }
            for (pi, p) in c.paths.iter().enumerate() {
                let from = inputs[&(c.name.as_str(), p.from.as_str())];
                let to = outputs[&(c.name.as_str(), p.to.as_str())];
                graph.add_edge(from, to, Edge::Path(ci, pi));
            }
        }
        for (si, s) in dataflow.streams.iter().enumerate() {
            let from = match &s.from {
                Endpoint::Port {
                    component,
                    interface,
                } => outputs[&(component.as_str(), interface.as_str())],
                Endpoint::External(name) => *sources.entry(name.as_str()).or_insert_with(|| {
                    names.push(name.clone());
                    graph.add_node(Port::Source)
                }),
            };
            let to = match &s.to {
                Endpoint::Port {
                    component,
                    interface,
                } => inputs[&(component.as_str(), interface.as_str())],
                Endpoint::External(name) => *sinks.entry(name.as_str()).or_insert_with(|| {
                    names.push(name.clone());
                    graph.add_node(Port::Sink)
                }),
            };
            graph.add_edge(from, to, Edge::Stream(si));
        }

        let mut sccs = tarjan_scc(&graph);
        // tarjan_scc yields reverse topological order.
        sccs.reverse();
        let mut scc_of = vec![0; graph.node_count()];
        for (i, scc) in sccs.iter().enumerate() {
            for n in scc {
                scc_of[n.index()] = i;
            }
        }
        PortGraph {
            graph,
            names,
            sccs,
            scc_of,
        }
    }

    /// The SCC has a cycle. In a port graph every cycle has at least two
    /// nodes: streams go out→in and paths in→out, so no node loops to itself.
    pub(crate) fn is_cycle(&self, scc: usize) -> bool {
        self.sccs[scc].len() > 1
    }
}
