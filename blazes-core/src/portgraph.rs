//! The port graph (spec §4.1: streams, paths and state edges) and its
//! strongly connected components (spec §4.2), on petgraph.

use rustc_hash::FxHashMap as HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::label::PathKind;
use crate::model::Dataflow;
use crate::resolve::{End, Resolved};

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
    pub(crate) names: Names,
    /// Strongly connected components, in topological order; the ports of
    /// each in an order that follows edges where it can (reverse postorder
    /// of a walk inside it), so a fixpoint sweep propagates in one pass.
    pub(crate) sccs: Sccs,
    /// For each node, the index of its SCC in `sccs`.
    pub(crate) scc_of: Vec<usize>,
    /// Per component and path (flat, in order): its input and output ports.
    path_ports: Vec<(NodeIndex, NodeIndex)>,
    /// Where each component's paths start in `path_ports`, and one entry
    /// more for the end of the last (as in [`Resolved`]).
    path_starts: Vec<usize>,
    /// Where each component's ports (inputs, then outputs) start among the
    /// nodes, and one entry more for the end of the last.
    port_starts: Vec<usize>,
}

/// The display names of the nodes, in one string: a port graph of 10^5
/// components has half a million of them.
#[derive(Default)]
pub(crate) struct Names {
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<usize>,
}

impl Names {
    /// Adds the next node's name, the concatenation of `parts`.
    fn push(&mut self, parts: &[&str]) {
        for part in parts {
            self.text.push_str(part);
        }
        self.ends.push(self.text.len());
    }

    /// The name of node `i`.
    pub(crate) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

impl PortGraph {
    /// Builds the port graph from a dataflow's resolved names (it passed
    /// validation).
    pub(crate) fn build(dataflow: &Dataflow, resolved: &Resolved<'_>) -> PortGraph {
        let paths = resolved.path_ends.len();
        let ports = resolved.inputs.len() + resolved.outputs.len();
        let mut graph = DiGraph::with_capacity(ports, 2 * paths + dataflow.streams.len());
        let mut names = Names::default();
        names.ends.reserve(ports);
        let mut in_node = Vec::with_capacity(resolved.inputs.len());
        let mut out_node = Vec::with_capacity(resolved.outputs.len());
        let mut path_ports = Vec::with_capacity(paths);
        let mut readers: Vec<usize> = Vec::new();
        let mut port_starts = Vec::with_capacity(dataflow.components.len() + 1);

        for (ci, c) in dataflow.components.iter().enumerate() {
            port_starts.push(graph.node_count());
            for iface in resolved.inputs.of(ci) {
                names.push(&[&c.name, ".", iface]);
                in_node.push(graph.add_node(Port::In(ci)));
            }
            for iface in resolved.outputs.of(ci) {
                names.push(&[&c.name, ".", iface]);
                out_node.push(graph.add_node(Port::Out(ci)));
            }
            let input = |i: usize| in_node[resolved.inputs.global(ci, i)];
            let output = |o: usize| out_node[resolved.outputs.global(ci, o)];
            let ends = resolved.paths_of(ci);
            for (pi, &(from, to)) in ends.iter().enumerate() {
                graph.add_edge(input(from), output(to), Edge::Path(ci, pi));
                path_ports.push((input(from), output(to)));
            }
            readers.clear();
            readers.extend(
                c.paths
                    .iter()
                    .zip(ends)
                    .filter(|(p, _)| p.annotation.kind == PathKind::OR)
                    .map(|(_, &(_, to))| to),
            );
            readers.sort_unstable();
            readers.dedup();
            for (pi, p) in c.paths.iter().enumerate() {
                if !p.annotation.kind.writes_state() {
                    continue;
                }
                for &reader in &readers {
                    graph.add_edge(input(ends[pi].0), output(reader), Edge::State(ci, pi));
                }
            }
        }
        port_starts.push(graph.node_count());
        let mut sources: HashMap<&str, NodeIndex> = HashMap::default();
        let mut sinks: HashMap<&str, NodeIndex> = HashMap::default();
        for (si, &(from, to)) in resolved.streams.iter().enumerate() {
            let from = match from {
                End::Port(g) => out_node[g],
                End::External(name) => *sources.entry(name).or_insert_with(|| {
                    names.push(&[name]);
                    graph.add_node(Port::Source)
                }),
            };
            let to = match to {
                End::Port(g) => in_node[g],
                End::External(name) => *sinks.entry(name).or_insert_with(|| {
                    names.push(&[name]);
                    graph.add_node(Port::Sink)
                }),
            };
            graph.add_edge(from, to, Edge::Stream(si));
        }

        let mut sccs = Sccs::of(&graph);
        let mut scc_of = vec![0; graph.node_count()];
        for i in 0..sccs.len() {
            for n in sccs.get(i) {
                scc_of[n.index()] = i;
            }
        }
        for i in 0..sccs.len() {
            if sccs.get(i).len() > 1 {
                let order = reverse_postorder(&graph, sccs.get(i), &scc_of, i);
                sccs.get_mut(i).copy_from_slice(&order);
            }
        }
        PortGraph {
            graph,
            names,
            sccs,
            scc_of,
            path_ports,
            path_starts: resolved.path_starts.clone(),
            port_starts,
        }
    }

    /// Component `c`'s ports, inputs then outputs.
    pub(crate) fn ports_of(&self, c: usize) -> impl Iterator<Item = NodeIndex> {
        (self.port_starts[c]..self.port_starts[c + 1]).map(NodeIndex::new)
    }

    /// Component `c`'s paths' (input, output) ports, in declaration order.
    pub(crate) fn path_ports(&self, c: usize) -> &[(NodeIndex, NodeIndex)] {
        &self.path_ports[self.path_starts[c]..self.path_starts[c + 1]]
    }

    /// The SCC has a cycle. In a port graph every cycle has at least two
    /// nodes: streams go out→in and paths in→out, so no node loops to itself.
    pub(crate) fn is_cycle(&self, scc: usize) -> bool {
        self.sccs.get(scc).len() > 1
    }
}

/// The strongly connected components of a graph, in topological order,
/// stored flat: most are single ports, and a large dataflow has hundreds of
/// thousands of them.
pub(crate) struct Sccs {
    members: Vec<NodeIndex>,
    /// Where each component starts in `members`, and one entry more.
    starts: Vec<usize>,
}

impl Sccs {
    /// Tarjan's algorithm with an explicit stack (a ring of 10^5 ports
    /// would overflow a recursive walk). Tarjan yields components sinks
    /// first; they are stored reversed, in topological order.
    fn of(graph: &DiGraph<Port, Edge>) -> Sccs {
        const UNSEEN: u32 = u32::MAX;
        let n = graph.node_count();
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<NodeIndex> = Vec::new();
        let mut walk = Vec::new();
        let mut next = 0u32;
        // Components as found (sinks first), flat, with their ends.
        let mut found: Vec<NodeIndex> = Vec::with_capacity(n);
        let mut ends: Vec<usize> = Vec::new();
        for root in graph.node_indices() {
            if index[root.index()] != UNSEEN {
                continue;
            }
            index[root.index()] = next;
            low[root.index()] = next;
            next += 1;
            stack.push(root);
            on_stack[root.index()] = true;
            walk.push((root, graph.neighbors(root).detach()));
            while let Some((v, neighbors)) = walk.last_mut() {
                let v = *v;
                if let Some(w) = neighbors.next_node(graph) {
                    if index[w.index()] == UNSEEN {
                        index[w.index()] = next;
                        low[w.index()] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w.index()] = true;
                        walk.push((w, graph.neighbors(w).detach()));
                    } else if on_stack[w.index()] {
                        low[v.index()] = low[v.index()].min(index[w.index()]);
                    }
                    continue;
                }
                walk.pop();
                if let Some(&(parent, _)) = walk.last() {
                    low[parent.index()] = low[parent.index()].min(low[v.index()]);
                }
                if low[v.index()] == index[v.index()] {
                    while let Some(w) = stack.pop() {
                        on_stack[w.index()] = false;
                        found.push(w);
                        if w == v {
                            break;
                        }
                    }
                    ends.push(found.len());
                }
            }
        }
        let mut members = Vec::with_capacity(n);
        let mut starts = Vec::with_capacity(ends.len() + 1);
        for k in (0..ends.len()).rev() {
            let start = if k == 0 { 0 } else { ends[k - 1] };
            starts.push(members.len());
            members.extend_from_slice(&found[start..ends[k]]);
        }
        starts.push(members.len());
        Sccs { members, starts }
    }

    /// How many components.
    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// The ports of component `i`.
    pub(crate) fn get(&self, i: usize) -> &[NodeIndex] {
        &self.members[self.starts[i]..self.starts[i + 1]]
    }

    fn get_mut(&mut self, i: usize) -> &mut [NodeIndex] {
        &mut self.members[self.starts[i]..self.starts[i + 1]]
    }

    /// Every port, component after component.
    pub(crate) fn ports(&self) -> &[NodeIndex] {
        &self.members
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

#[cfg(test)]
mod tests {
    use super::*;

    /// a → b ⇄ c → d, and e alone: components in topological order.
    #[test]
    fn components_come_in_topological_order() {
        let mut g = DiGraph::new();
        let [a, b, c, d, e] = [0; 5].map(|_| g.add_node(Port::Source));
        for (x, y) in [(a, b), (b, c), (c, b), (c, d)] {
            g.add_edge(x, y, Edge::Stream(0));
        }
        let sccs = Sccs::of(&g);
        assert_eq!(sccs.len(), 4);
        let at = |n: NodeIndex| (0..sccs.len()).find(|&i| sccs.get(i).contains(&n));
        let (pa, pb, pc, pd) = (at(a), at(b), at(c), at(d));
        assert_eq!(pb, pc);
        assert!(pa < pb && pc < pd);
        assert!(at(e).is_some());
        assert_eq!(sccs.ports().len(), 5);
    }

    /// A ring far deeper than any call stack is one component.
    #[test]
    fn a_ring_of_a_million_ports_is_one_component() {
        let mut g = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..1_000_000).map(|_| g.add_node(Port::Source)).collect();
        for w in nodes.windows(2) {
            g.add_edge(w[0], w[1], Edge::Stream(0));
        }
        g.add_edge(nodes[nodes.len() - 1], nodes[0], Edge::Stream(0));
        let sccs = Sccs::of(&g);
        assert_eq!(sccs.len(), 1);
        assert_eq!(sccs.get(0).len(), 1_000_000);
    }
}
