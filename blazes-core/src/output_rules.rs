//! The rules at one output port (spec §4.1, §4.4), with what they read of
//! the dataflow: each path's kind and interned gates, and whether its
//! component is replicated. The passes apply them to every output; an
//! explanation applies them again to the one output it explains, so that a
//! large dataflow does not keep a derivation per output.

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::attrs_closure::{Attrs, CompatMemo};
use crate::engine::{NodeDerivation, Source};
use crate::label::PathKind;
use crate::model::Dataflow;
use crate::portgraph::{Edge, Port, PortGraph};
use crate::rules::{Few, Gates, PathIn, State, derive};

/// Every path's kind and interned gates, and every component's replication.
pub(crate) struct PathTable {
    /// Per path, flat in component order.
    kinds: Vec<PathKind>,
    /// Per path, flat in component order.
    gates: Vec<Gates>,
    /// Where each component's paths start, and one entry more for the end
    /// of the last.
    starts: Vec<usize>,
    /// Per component: replicated, by flag or by a `rep` stream into it.
    rep: Vec<bool>,
}

impl PathTable {
    /// Reads the paths of `dataflow`, interning their gates in `attrs`.
    pub(crate) fn new(dataflow: &Dataflow, graph: &PortGraph, attrs: &mut Attrs) -> PathTable {
        let mut rep: Vec<bool> = dataflow.components.iter().map(|c| c.rep).collect();
        for e in graph.graph.edge_references() {
            if let (Edge::Stream(s), Port::In(c)) = (*e.weight(), graph.graph[e.target()])
                && dataflow.streams[s].annotation.rep
            {
                rep[c] = true;
            }
        }
        let paths = dataflow.components.iter().flat_map(|c| &c.paths);
        let mut starts = Vec::with_capacity(dataflow.components.len() + 1);
        starts.push(0);
        for c in &dataflow.components {
            starts.push(starts[starts.len() - 1] + c.paths.len());
        }
        PathTable {
            kinds: paths.clone().map(|p| p.annotation.kind).collect(),
            gates: paths
                .map(|p| p.annotation.gates.iter().map(|g| attrs.intern(g)).collect())
                .collect(),
            starts,
            rep,
        }
    }

    /// The kind of path `p` of component `c`.
    pub(crate) fn kind(&self, c: usize, p: usize) -> PathKind {
        self.kinds[self.starts[c] + p]
    }

    /// The rules at output `node` of component `c`: its paths, and, when
    /// one of them reads (`OR`), every write path of the component into
    /// its other outputs, whose state the read observes (spec §4.1).
    /// `inherited` is set for a port inside a cycle (spec §5).
    pub(crate) fn derive_output(
        &self,
        graph: &PortGraph,
        attrs: (&Attrs, &mut CompatMemo),
        (node, c): (NodeIndex, usize),
        states: &[State],
        repair: bool,
        inherited: Option<u8>,
    ) -> NodeDerivation {
        let ends = graph.path_ports(c);
        let mut sources: Few<Source> = (0..ends.len())
            .filter(|&p| ends[p].1 == node)
            .map(|p| Source {
                c,
                p,
                from: ends[p].0,
                to: node,
            })
            .collect();
        let contributing = sources.len();
        let reads = sources.iter().any(|s| self.kind(c, s.p) == PathKind::OR);
        if reads {
            sources.extend(
                (0..ends.len())
                    .filter(|&p| ends[p].1 != node && self.kind(c, p).writes_state())
                    .map(|p| Source {
                        c,
                        p,
                        from: ends[p].0,
                        to: ends[p].1,
                    }),
            );
        }
        let paths: Few<PathIn> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| PathIn {
                input: states[s.from.index()],
                kind: self.kind(c, s.p),
                gates: self.gates[self.starts[c] + s.p].clone(),
                observed: i >= contributing,
            })
            .collect();
        let rep = self.rep[c];
        let outcome = derive(&paths, rep, attrs, repair, inherited);
        NodeDerivation {
            port: node,
            c,
            rep,
            in_cycle: inherited.is_some(),
            sources,
            paths,
            outcome,
        }
    }
}
