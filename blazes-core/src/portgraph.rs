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
        let paths: usize = dataflow.components.iter().map(|c| c.paths.len()).sum();
        let mut graph = DiGraph::with_capacity(
            2 * paths + dataflow.streams.len(),
            paths + dataflow.streams.len(),
        );
        let mut names = Vec::with_capacity(graph.capacity().0);
        let by_name: HashMap<&str, usize> = dataflow
            .components
            .iter()
            .enumerate()
            .map(|(ci, c)| (c.name.as_str(), ci))
            .collect();
        let mut inputs = Interfaces::default();
        let mut outputs = Interfaces::default();
        let mut sources: HashMap<&str, NodeIndex> = HashMap::new();
        let mut sinks: HashMap<&str, NodeIndex> = HashMap::new();

        for (ci, c) in dataflow.components.iter().enumerate() {
            for (ifaces, port, table) in [
                (c.inputs(), Port::In(ci), &mut inputs),
                (c.outputs(), Port::Out(ci), &mut outputs),
            ] {
                let ports = ifaces
                    .into_iter()
                    .map(|iface| {
                        names.push(port_name(&c.name, iface));
                        (iface, graph.add_node(port))
                    })
                    .collect();
                table.push_component(ports);
            }
            for (pi, p) in c.paths.iter().enumerate() {
                let from = inputs.find(ci, &p.from);
                let to = outputs.find(ci, &p.to);
                graph.add_edge(from, to, Edge::Path(ci, pi));
            }
        }
        for (si, s) in dataflow.streams.iter().enumerate() {
            let from = match &s.from {
                Endpoint::Port {
                    component,
                    interface,
                } => outputs.find(by_name[component.as_str()], interface),
                Endpoint::External(name) => *sources.entry(name.as_str()).or_insert_with(|| {
                    names.push(name.clone());
                    graph.add_node(Port::Source)
                }),
            };
            let to = match &s.to {
                Endpoint::Port {
                    component,
                    interface,
                } => inputs.find(by_name[component.as_str()], interface),
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

/// `Comp.iface`.
fn port_name(component: &str, iface: &str) -> String {
    let mut name = String::with_capacity(component.len() + 1 + iface.len());
    name.push_str(component);
    name.push('.');
    name.push_str(iface);
    name
}

/// The input (or output) ports of every component, by interface name: one
/// flat list, sorted by name within each component's range.
#[derive(Default)]
struct Interfaces<'a> {
    ports: Vec<(&'a str, NodeIndex)>,
    /// Per component: where its range starts in `ports`.
    starts: Vec<usize>,
}

impl<'a> Interfaces<'a> {
    fn push_component(&mut self, mut ports: Vec<(&'a str, NodeIndex)>) {
        ports.sort_unstable_by_key(|&(name, _)| name);
        self.starts.push(self.ports.len());
        self.ports.extend(ports);
    }

    /// The port of `component` named `iface`; it exists after validation.
    fn find(&self, component: usize, iface: &str) -> NodeIndex {
        let start = self.starts[component];
        let end = self
            .starts
            .get(component + 1)
            .copied()
            .unwrap_or(self.ports.len());
        let range = &self.ports[start..end];
        match range.binary_search_by(|&(name, _)| name.cmp(iface)) {
            Ok(i) => range[i].1,
            Err(_) => unreachable!("validation checks every interface"),
        }
    }
}
