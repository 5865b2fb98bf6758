//! One pass of the analysis over the port graph (spec §4.2–§4.4): ports
//! outside cycles in topological order, the ports of each cycle together by
//! fixpoint; with `repair`, ordering is inserted where reconciliation
//! introduced an anomaly (spec §5).

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::attrs_closure::Attrs;
use crate::label::PathKind;
use crate::model::Dataflow;
use crate::portgraph::{Edge, Port, PortGraph};
use crate::resolve::Resolved;
use crate::result::CycleStats;
use crate::rules::{Few, Gates, Lab, Outcome, PathIn, State, derive, merge};

/// A path of the dataflow, as one part of an output's derivation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Source {
    /// Component index.
    pub(crate) c: usize,
    /// Path index within the component.
    pub(crate) p: usize,
    /// The path's input port.
    pub(crate) from: NodeIndex,
    /// The path's output port (another output than the derived one for an
    /// observed write path).
    pub(crate) to: NodeIndex,
}

impl Source {
    /// The input port whose arrivals this part reads.
    pub(crate) fn input_port(&self) -> NodeIndex {
        self.from
    }
}

/// The derivation of one output port.
#[derive(Clone, Debug)]
pub(crate) struct NodeDerivation {
    /// The output port.
    pub(crate) port: NodeIndex,
    /// Its component's index.
    pub(crate) c: usize,
    /// Its component is replicated (by flag or by a `rep` stream into it).
    pub(crate) rep: bool,
    /// The port lies on a cycle (solved by fixpoint).
    pub(crate) in_cycle: bool,
    /// Per part: the path it is.
    pub(crate) sources: Few<Source>,
    /// Per part: its input label and the user's annotation, interned.
    pub(crate) paths: Few<PathIn>,
    pub(crate) outcome: Outcome,
}

/// The labels of one pass.
pub(crate) struct Pass {
    /// Per port-graph node.
    pub(crate) states: Vec<State>,
    /// The derivation of each output port.
    pub(crate) derivations: Derivations,
    /// Per cycle, in topological order: how its fixpoint went.
    pub(crate) cycles: Vec<CycleStats>,
}

/// The derivations of a pass, one per output port, stored densely: an
/// analysis of 10^5 components keeps hundreds of thousands of them, and a
/// slot per port-graph node would reserve room for every input too.
pub(crate) struct Derivations {
    /// Per port-graph node: where its derivation is in `stored`.
    slot: Vec<u32>,
    stored: Vec<NodeDerivation>,
}

impl Derivations {
    const NONE: u32 = u32::MAX;

    fn new(nodes: usize, outputs: usize) -> Derivations {
        Derivations {
            slot: vec![Self::NONE; nodes],
            stored: Vec::with_capacity(outputs),
        }
    }

    /// The derivation of `node`, if it is an evaluated output.
    pub(crate) fn get(&self, node: NodeIndex) -> Option<&NodeDerivation> {
        match self.slot.get(node.index()) {
            Some(&at) if at != Self::NONE => self.stored.get(at as usize),
            _ => None,
        }
    }

    /// Sets (or replaces) the derivation of `node`.
    fn set(&mut self, node: NodeIndex, d: NodeDerivation) {
        let at = self.slot[node.index()];
        if at == Self::NONE {
            self.slot[node.index()] = self.stored.len() as u32;
            self.stored.push(d);
        } else {
            self.stored[at as usize] = d;
        }
    }

    /// Every derivation with its node, in node order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (NodeIndex, &NodeDerivation)> {
        self.slot
            .iter()
            .enumerate()
            .filter(|&(_, &at)| at != Self::NONE)
            .map(|(n, &at)| (NodeIndex::new(n), &self.stored[at as usize]))
    }
}

/// Facts about the dataflow shared by every pass.
pub(crate) struct Context<'a> {
    pub(crate) dataflow: &'a Dataflow,
    pub(crate) graph: PortGraph,
    pub(crate) attrs: Attrs,
    /// Per component: replicated, by flag or by a `rep` stream into it.
    pub(crate) rep: Vec<bool>,
    /// Per component and path: interned gates.
    gates: Vec<Vec<Gates>>,
    /// Per stream: interned seal and seq keys.
    stream_keys: Vec<(Option<u32>, Option<u32>)>,
    /// Per node: its position in its cycle's sweep order.
    position: Vec<usize>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(dataflow: &'a Dataflow, resolved: &Resolved<'_>) -> Context<'a> {
        let graph = PortGraph::build(dataflow, resolved);
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
        let mut position = vec![0; graph.graph.node_count()];
        for scc in 0..graph.sccs.len() {
            for (i, n) in graph.sccs.get(scc).iter().enumerate() {
                position[n.index()] = i;
            }
        }
        Context {
            dataflow,
            graph,
            attrs,
            rep,
            gates,
            stream_keys,
            position,
        }
    }

    /// Whether an edge from `a` to `b` lies inside a cycle.
    fn inside_cycle(&self, a: NodeIndex, b: NodeIndex) -> bool {
        let scc = self.graph.scc_of[a.index()];
        scc == self.graph.scc_of[b.index()] && self.graph.is_cycle(scc)
    }

    /// The state of stream `s` from `producer` to `consumer` (spec §1): a
    /// seal or `seq` applies when the producer's contents are deterministic
    /// and the stream does not lie inside a cycle (spec §4.2: there the loop
    /// can add records to a partition after its punctuation).
    pub(crate) fn stream_state(
        &self,
        s: usize,
        producer: NodeIndex,
        consumer: NodeIndex,
        states: &[State],
    ) -> State {
        let base = match self.graph.graph[producer] {
            Port::Source => State::ASYNC,
            _ => states[producer.index()],
        };
        if self.inside_cycle(producer, consumer) || base.label.severity() > 2 {
            return base;
        }
        let (seal, seq) = self.stream_keys[s];
        let mut state = base;
        if let Some(k) = seal {
            state.label = Lab::Seal(k);
            state.independent = self.dataflow.streams[s].annotation.independent;
        }
        if let Some(q) = seq {
            state.seq = Some(q);
        }
        state
    }

    /// Runs one pass; with `repair`, ordering is inserted where reconciliation
    /// introduced an anomaly, and labels are re-propagated downstream.
    pub(crate) fn pass(&mut self, repair: bool) -> Pass {
        let n = self.graph.graph.node_count();
        let mut pass = Pass {
            states: vec![State::ASYNC; n],
            derivations: Derivations::new(n, self.graph.outputs()),
            cycles: Vec::new(),
        };
        for scc in 0..self.graph.sccs.len() {
            if self.graph.is_cycle(scc) {
                let solve = self.solve_cycle(scc, &mut pass, repair);
                pass.cycles.push(solve);
            } else {
                let node = self.graph.sccs.get(scc)[0];
                let (state, derivation) = self.evaluate(node, None, &pass.states, repair);
                pass.states[node.index()] = state;
                if let Some(d) = derivation {
                    pass.derivations.set(node, d);
                }
            }
        }
        pass
    }

    /// A cycle (spec §4.2): every port starts at `Async`; ports are evaluated
    /// in sweeps, in reverse postorder, until no label changes. Labels only
    /// rise, so this ends; no port inside a cycle is `Seal` or carries `seq`.
    fn solve_cycle(&mut self, scc: usize, pass: &mut Pass, repair: bool) -> CycleStats {
        let members = self.graph.sccs.get(scc).to_vec();
        for &m in &members {
            pass.states[m.index()] = State::ASYNC;
        }
        let inherited = self.entering_severity(scc, &members, &pass.states);
        let mut pending = vec![true; members.len()];
        let mut sweep: BinaryHeap<Reverse<usize>> = (0..members.len()).map(Reverse).collect();
        let mut next: Vec<Reverse<usize>> = Vec::new();
        let mut solve = CycleStats {
            ports: members.len(),
            sweeps: 1,
            evaluations: 0,
        };
        loop {
            let Some(Reverse(i)) = sweep.pop() else {
                if next.is_empty() {
                    break;
                }
                sweep.extend(next.drain(..));
                solve.sweeps += 1;
                continue;
            };
            pending[i] = false;
            solve.evaluations += 1;
            let node = members[i];
            let (derived, derivation) = self.evaluate(node, Some(inherited), &pass.states, repair);
            let old = pass.states[node.index()];
            let label = if derived.label.severity() > old.label.severity() {
                derived.label
            } else {
                old.label
            };
            let state = State::plain(match label {
                Lab::Seal(_) => Lab::Async,
                other => other,
            });
            // An output keeps the derivation that raised it to its label: once
            // a loop feeds a label back to itself, later evaluations show it
            // preserved, not why it arose.
            if let Some(mut d) = derivation
                && (state != old || pass.derivations.get(node).is_none())
            {
                d.outcome.state = state;
                pass.derivations.set(node, d);
            }
            if state == old {
                continue;
            }
            pass.states[node.index()] = state;
            for succ in self.graph.graph.neighbors(node) {
                if self.graph.scc_of[succ.index()] != scc {
                    continue;
                }
                let j = self.position[succ.index()];
                if !pending[j] {
                    pending[j] = true;
                    if j > i {
                        sweep.push(Reverse(j));
                    } else {
                        next.push(Reverse(j));
                    }
                }
            }
        }
        solve
    }

    /// The highest severity that streams and paths from outside carry into
    /// cycle `scc`, or `Async` when nothing enters (spec §5).
    fn entering_severity(&self, scc: usize, members: &[NodeIndex], states: &[State]) -> u8 {
        let g = &self.graph.graph;
        let mut severity = None;
        for &m in members {
            for e in g.edges_directed(m, Direction::Incoming) {
                if self.graph.scc_of[e.source().index()] == scc {
                    continue;
                }
                let carried = match *e.weight() {
                    Edge::Stream(s) => self.stream_state(s, e.source(), m, states).label,
                    Edge::Path(c, p) => {
                        let input = states[e.source().index()].label;
                        match (self.dataflow.components[c].paths[p].annotation.kind, input) {
                            (k, Lab::Seal(_)) if k.is_order_sensitive() => Lab::Async,
                            (_, l) => l,
                        }
                    }
                    Edge::State(..) => continue,
                };
                severity = severity.max(Some(carried.severity()));
            }
        }
        severity.unwrap_or(Lab::Async.severity())
    }

    /// The state of one port from its predecessors' states, and the
    /// derivation of an output port. `inherited` is set for cycle ports.
    fn evaluate(
        &mut self,
        node: NodeIndex,
        inherited: Option<u8>,
        states: &[State],
        repair: bool,
    ) -> (State, Option<NodeDerivation>) {
        match self.graph.graph[node] {
            Port::Out(c) => {
                let d = self.derive_output(node, c, states, repair, inherited);
                (d.outcome.state, Some(d))
            }
            _ => (self.merge_streams(node, states), None),
        }
    }

    /// Inputs, sinks and sources: the merge of incoming streams.
    fn merge_streams(&self, node: NodeIndex, states: &[State]) -> State {
        let g = &self.graph.graph;
        merge(
            g.edges_directed(node, Direction::Incoming)
                .filter_map(|e| match *e.weight() {
                    Edge::Stream(s) => Some(self.stream_state(s, e.source(), node, states)),
                    Edge::Path(..) | Edge::State(..) => None,
                }),
        )
    }

    /// The rules at output `node` of component `c` (spec §4.4): its paths,
    /// and, when one of them reads (`OR`), every write path of the component
    /// into its other outputs, whose state the read observes (spec §4.1).
    fn derive_output(
        &mut self,
        node: NodeIndex,
        c: usize,
        states: &[State],
        repair: bool,
        inherited: Option<u8>,
    ) -> NodeDerivation {
        let component = &self.dataflow.components[c];
        let ends = self.graph.path_ports(c);
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
        let reads = sources
            .iter()
            .any(|s| component.paths[s.p].annotation.kind == PathKind::OR);
        if reads {
            sources.extend(
                (0..ends.len())
                    .filter(|&p| {
                        ends[p].1 != node && component.paths[p].annotation.kind.writes_state()
                    })
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
                kind: component.paths[s.p].annotation.kind,
                gates: self.gates[c][s.p].clone(),
                observed: i >= contributing,
            })
            .collect();
        let rep = self.rep[c];
        let outcome = derive(&paths, rep, &mut self.attrs, repair, inherited);
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

impl Context<'_> {
    /// Gives up the port graph and the interned attributes, once the passes
    /// are done, so an [`Analysis`](crate::Analysis) can keep them.
    pub(crate) fn into_parts(self) -> (PortGraph, Attrs) {
        (self.graph, self.attrs)
    }
}
