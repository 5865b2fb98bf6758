//! The port graph (spec §4.1: streams, paths and state edges) and its
//! strongly connected components (spec §4.2), on petgraph.

use rustc_hash::FxHashMap as HashMap;

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::label::PathKind;
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
    /// A state edge (spec §4.1): from the input of the write path
    /// `dataflow.components[c].paths[p]` to an output of `c` that has an `OR`
    /// path, which reads the state the write changes. It carries no label;
    /// it makes the read depend on the write, for cycles and for ancestry.
    State(usize, usize),
}

/// The port graph of a validated dataflow, with its condensation.
pub(crate) struct PortGraph {
    pub(crate) graph: DiGraph<Port, Edge>,
    /// Display name of each node: `Comp.iface`, or the external's name.
    pub(crate) names: Vec<String>,
    /// Strongly connected components, in topological order; the ports of
    /// each in an order that follows edges where it can (reverse postorder
    /// of a walk inside it), so a fixpoint sweep propagates in one pass.
    pub(crate) sccs: Vec<Vec<NodeIndex>>,
    /// For each node, the index of its SCC in `sccs`.
    pub(crate) scc_of: Vec<usize>,
    /// Per component and path: its input and output ports.
    pub(crate) path_ports: Vec<Vec<(NodeIndex, NodeIndex)>>,
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
        let mut sources: HashMap<&str, NodeIndex> = HashMap::default();
        let mut sinks: HashMap<&str, NodeIndex> = HashMap::default();
        let mut path_ports = Vec::with_capacity(dataflow.components.len());

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
            let mut ends = Vec::with_capacity(c.paths.len());
            for (pi, p) in c.paths.iter().enumerate() {
                let from = inputs.find(ci, &p.from);
                let to = outputs.find(ci, &p.to);
                graph.add_edge(from, to, Edge::Path(ci, pi));
                ends.push((from, to));
            }
            let mut readers: Vec<&str> = c
                .paths
                .iter()
                .filter(|p| p.annotation.kind == PathKind::OR)
                .map(|p| p.to.as_str())
                .collect();
            readers.sort_unstable();
            readers.dedup();
            for (pi, p) in c.paths.iter().enumerate() {
                if !p.annotation.kind.writes_state() {
                    continue;
                }
                for reader in &readers {
                    graph.add_edge(ends[pi].0, outputs.find(ci, reader), Edge::State(ci, pi));
                }
            }
            path_ports.push(ends);
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

        let mut sccs = kosaraju_scc(&graph);
        // kosaraju_scc yields reverse topological order, without recursion
        // (a ring of 10^5 ports would overflow a recursive walk).
        sccs.reverse();
        let mut scc_of = vec![0; graph.node_count()];
        for (i, scc) in sccs.iter().enumerate() {
            for n in scc {
                scc_of[n.index()] = i;
            }
        }
        for (i, scc) in sccs.iter_mut().enumerate() {
            if scc.len() > 1 {
                *scc = reverse_postorder(&graph, scc, &scc_of, i);
            }
        }
        PortGraph {
            graph,
            names,
            sccs,
            scc_of,
            path_ports,
        }
    }

    /// The SCC has a cycle. In a port graph every cycle has at least two
    /// nodes: streams go out→in and paths in→out, so no node loops to itself.
    pub(crate) fn is_cycle(&self, scc: usize) -> bool {
        self.sccs[scc].len() > 1
    }
}

/// The ports of one strongly connected part in reverse postorder of a
/// depth-first walk that stays inside it, started from its smallest port.
fn reverse_postorder(
    graph: &DiGraph<Port, Edge>,
    members: &[NodeIndex],
    scc_of: &[usize],
    scc: usize,
) -> Vec<NodeIndex> {
    let mut start = members.to_vec();
    start.sort_unstable();
    let mut visited: HashMap<NodeIndex, ()> = HashMap::default();
    let mut post = Vec::with_capacity(members.len());
    for &root in &start {
        if visited.insert(root, ()).is_some() {
            continue;
        }
        let mut stack = vec![(root, graph.neighbors(root).detach())];
        while let Some((node, walker)) = stack.last_mut() {
            let node = *node;
            match walker.next_node(graph) {
                Some(next) if scc_of[next.index()] == scc => {
                    if visited.insert(next, ()).is_none() {
                        stack.push((next, graph.neighbors(next).detach()));
                    }
                }
                Some(_) => {}
                None => {
                    post.push(node);
                    stack.pop();
                }
            }
        }
    }
    post.reverse();
    post
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
