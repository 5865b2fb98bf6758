//! One pass of the analysis over the condensed port graph in topological
//! order (spec §4.2–§4.4), optionally repairing with ordering (spec §5).

use std::borrow::Cow;

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::attrs_closure::Attrs;
use crate::label::Annotation;
use crate::model::Dataflow;
use crate::portgraph::{Edge, Port, PortGraph};
use crate::rules::{Lab, Outcome, PathIn, State, derive, merge};

/// Where one input of a node's derivation comes from.
#[derive(Clone, Debug)]
pub(crate) enum Source {
    /// Path `paths[p]` of component `c`, from input port `from`.
    Path { c: usize, p: usize, from: NodeIndex },
    /// A stream entering a cycle at input port `to`, from port `from`.
    Stream { from: NodeIndex, to: NodeIndex },
}

impl Source {
    /// The input port whose arrivals this part reads.
    pub(crate) fn input_port(&self) -> NodeIndex {
        match self {
            Source::Path { from, .. } => *from,
            Source::Stream { to, .. } => *to,
        }
    }
}

/// The derivation of a node (an output port, or a whole cycle).
#[derive(Clone, Debug)]
pub(crate) struct NodeDerivation<'a> {
    /// Ports sharing this derivation (one output, or every port of a cycle).
    pub(crate) ports: Vec<NodeIndex>,
    pub(crate) rep: bool,
    pub(crate) sources: Vec<Source>,
    pub(crate) paths: Vec<PathIn>,
    /// Per part: the annotation applied, borrowed from the dataflow unless a
    /// cycle joined it.
    pub(crate) annotations: Vec<Cow<'a, Annotation>>,
    pub(crate) outcome: Outcome,
}

/// The labels of one pass.
pub(crate) struct Pass<'a> {
    /// Per port-graph node.
    pub(crate) states: Vec<State>,
    /// Per SCC: its derivation, for output ports and cycles.
    pub(crate) derivations: Vec<Option<NodeDerivation<'a>>>,
}

/// Facts about the dataflow shared by every pass.
pub(crate) struct Context<'a> {
    pub(crate) dataflow: &'a Dataflow,
    pub(crate) graph: PortGraph,
    pub(crate) attrs: Attrs,
    /// Per component: replicated, by flag or by a `rep` stream into it.
    pub(crate) rep: Vec<bool>,
    /// Per component and path: interned gates.
    gates: Vec<Vec<Vec<u32>>>,
    /// Per stream: interned seal and seq keys.
    stream_keys: Vec<(Option<u32>, Option<u32>)>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(dataflow: &'a Dataflow) -> Context<'a> {
        let graph = PortGraph::build(dataflow);
        let mut attrs = Attrs::new(&dataflow.fds);
        let mut rep: Vec<bool> = dataflow.components.iter().map(|c| c.rep).collect();
        for e in graph.graph.edge_references() {
            if let (Edge::Stream(s), Port::In(c)) = (*e.weight(), graph.graph[e.target()])
                && dataflow.streams[s].annotation.rep
            {
                rep[c] = true;
            }
        }
        let gates = dataflow
            .components
            .iter()
            .map(|c| {
                c.paths
                    .iter()
                    .map(|p| p.annotation.gates.iter().map(|g| attrs.intern(g)).collect())
                    .collect()
            })
            .collect();
        let stream_keys = dataflow
            .streams
            .iter()
            .map(|s| {
                (
                    s.annotation.seal.as_ref().map(|k| attrs.intern(k)),
                    s.annotation.seq.as_ref().map(|k| attrs.intern(k)),
                )
            })
            .collect();
        Context {
            dataflow,
            graph,
            attrs,
            rep,
            gates,
            stream_keys,
        }
    }

    /// The state of stream `s` given its producer's state (spec §1): a seal
    /// applies when the producer's contents are deterministic.
    pub(crate) fn stream_state(&self, s: usize, producer: NodeIndex, states: &[State]) -> State {
        let annotation = &self.dataflow.streams[s].annotation;
        let (seal, seq) = self.stream_keys[s];
        let base = match self.graph.graph[producer] {
            Port::Source => State::ASYNC,
            _ => states[producer.index()],
        };
        let deterministic = base.label.severity() <= 2;
        let mut state = base;
        if let Some(k) = seal
            && deterministic
        {
            state.label = Lab::Seal(k);
            state.independent = annotation.independent;
        }
        if let Some(q) = seq
            && deterministic
        {
            state.seq = Some(q);
        }
        state
    }

    fn path_annotation(&self, c: usize, p: usize) -> (&'a Annotation, &[u32]) {
        let dataflow: &'a Dataflow = self.dataflow;
        (
            &dataflow.components[c].paths[p].annotation,
            &self.gates[c][p],
        )
    }

    /// Runs one pass; with `repair`, ordering is inserted where reconciliation
    /// introduced an anomaly, and labels are re-propagated downstream.
    pub(crate) fn pass(&mut self, repair: bool) -> Pass<'a> {
        let n = self.graph.graph.node_count();
        let mut states = vec![State::ASYNC; n];
        let mut derivations = Vec::with_capacity(self.graph.sccs.len());
        for scc in 0..self.graph.sccs.len() {
            let derivation = if self.graph.is_cycle(scc) {
                Some(self.derive_cycle(scc, &states, repair))
            } else {
                let node = self.graph.sccs[scc][0];
                self.derive_single(node, &states, repair)
            };
            match &derivation {
                Some(d) => {
                    for &p in &d.ports {
                        states[p.index()] = d.outcome.state;
                    }
                }
                None => {
                    let node = self.graph.sccs[scc][0];
                    states[node.index()] = self.merge_streams(node, &states);
                }
            }
            derivations.push(derivation);
        }
        Pass {
            states,
            derivations,
        }
    }

    /// Inputs, sinks and sources: the merge of incoming streams.
    fn merge_streams(&self, node: NodeIndex, states: &[State]) -> State {
        let g = &self.graph.graph;
        merge(
            g.edges_directed(node, Direction::Incoming)
                .filter_map(|e| match *e.weight() {
                    Edge::Stream(s) => Some(self.stream_state(s, e.source(), states)),
                    Edge::Path(..) => None,
                }),
        )
    }

    fn derive_single(
        &mut self,
        node: NodeIndex,
        states: &[State],
        repair: bool,
    ) -> Option<NodeDerivation<'a>> {
        let Port::Out(c) = self.graph.graph[node] else {
            return None;
        };
        let mut sources = Vec::new();
        let mut paths = Vec::new();
        let mut annotations = Vec::new();
        let mut edges: Vec<_> = self
            .graph
            .graph
            .edges_directed(node, Direction::Incoming)
            .filter_map(|e| match *e.weight() {
                Edge::Path(c, p) => Some((c, p, e.source())),
                Edge::Stream(_) => None,
            })
            .collect();
        edges.sort_unstable_by_key(|&(c, p, _)| (c, p));
        for (c, p, from) in edges {
            let (annotation, gates) = self.path_annotation(c, p);
            paths.push(PathIn {
                input: states[from.index()],
                kind: annotation.kind,
                gates: gates.to_vec(),
            });
            annotations.push(Cow::Borrowed(annotation));
            sources.push(Source::Path { c, p, from });
        }
        let rep = self.rep[c];
        let outcome = derive(&paths, rep, &mut self.attrs, repair);
        Some(NodeDerivation {
            ports: vec![node],
            rep,
            sources,
            paths,
            annotations,
            outcome,
        })
    }

    /// A cycle (spec §4.2): entering paths join the cycle's annotation,
    /// entering streams take it; seals inside count for nothing.
    fn derive_cycle(&mut self, scc: usize, states: &[State], repair: bool) -> NodeDerivation<'a> {
        let g = &self.graph.graph;
        let members = &self.graph.sccs[scc];
        let inside = |n: NodeIndex| self.graph.scc_of[n.index()] == scc;
        let mut cycle = Annotation::cr();
        let mut rep = false;
        for &m in members {
            if let Port::In(c) | Port::Out(c) = g[m] {
                rep |= self.rep[c];
            }
            for e in g.edges_directed(m, Direction::Incoming) {
                if let Edge::Path(c, p) = *e.weight()
                    && inside(e.source())
                {
                    cycle = cycle.join(&self.dataflow.components[c].paths[p].annotation);
                }
            }
        }
        let mut entering: Vec<(Source, Annotation, State)> = Vec::new();
        let mut ports: Vec<NodeIndex> = members.clone();
        ports.sort_unstable();
        for &m in &ports {
            for e in g.edges_directed(m, Direction::Incoming) {
                if inside(e.source()) {
                    continue;
                }
                match *e.weight() {
                    Edge::Path(c, p) => entering.push((
                        Source::Path {
                            c,
                            p,
                            from: e.source(),
                        },
                        self.dataflow.components[c].paths[p].annotation.join(&cycle),
                        states[e.source().index()],
                    )),
                    Edge::Stream(s) => entering.push((
                        Source::Stream {
                            from: e.source(),
                            to: m,
                        },
                        cycle.clone(),
                        self.stream_state(s, e.source(), states),
                    )),
                }
            }
        }
        let mut sources = Vec::new();
        let mut paths = Vec::new();
        let mut annotations = Vec::new();
        for (source, annotation, input) in entering {
            let gates = annotation
                .gates
                .iter()
                .map(|gate| self.attrs.intern(gate))
                .collect();
            paths.push(PathIn {
                input,
                kind: annotation.kind,
                gates,
            });
            annotations.push(Cow::Owned(annotation));
            sources.push(source);
        }
        let outcome = derive(&paths, rep, &mut self.attrs, repair);
        NodeDerivation {
            ports,
            rep,
            sources,
            paths,
            annotations,
            outcome,
        }
    }
}
