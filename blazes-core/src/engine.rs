//! One pass of the analysis over the port graph (spec §4.2–§4.4): ports
//! outside cycles in topological order, the ports of each cycle together by
//! fixpoint; with `repair`, ordering is inserted where reconciliation
//! introduced an anomaly (spec §5).

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::attrs_closure::{Attrs, CompatMemo, SetId};
use crate::model::Dataflow;
use crate::output_rules::PathTable;
use crate::portgraph::{Edge, Port, PortGraph};
use crate::resolve::Resolved;
use crate::result::CycleStats;
use crate::rules::{Few, Lab, Order, Outcome, PathIn, State, merge};

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

/// The labels of one pass, and what the plan and the violations read of
/// its derivations. Derivations themselves are kept only for the ports of
/// cycles; [`Trace::node_derivation`](crate::trace::Trace::node_derivation)
/// rebuilds any other on request.
pub(crate) struct Pass {
    /// Per port-graph node.
    pub(crate) states: Vec<State>,
    /// The derivations of the outputs solved by fixpoint: each is the one
    /// that raised the output to its label, which evaluating it again at
    /// the fixpoint would not show.
    pub(crate) kept: Derivations,
    /// Per port-graph node: for an output whose reconciliation introduced
    /// an anomaly, the highest severity reconciliation added; 0 otherwise.
    pub(crate) introduced: Vec<u8>,
    /// The seal buffers the labels rely on, by output in node order.
    pub(crate) seals: Vec<SealPoint>,
    /// The orderings inserted (with `repair`), by output in node order.
    pub(crate) orders: Vec<OrderPoint>,
    /// Whether ordering repairs were made (spec §5).
    pub(crate) repair: bool,
    /// Per cycle, in topological order: how its fixpoint went.
    pub(crate) cycles: Vec<CycleStats>,
}

/// A seal buffer an output's label relies on (spec §5).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SealPoint {
    /// The output whose label relies on it.
    pub(crate) out: NodeIndex,
    /// The input port the buffer sits on.
    pub(crate) input: NodeIndex,
    /// The seal key.
    pub(crate) key: SetId,
    /// The seal is declared independent (any producer's punctuation).
    pub(crate) independent: bool,
}

/// An ordering inserted at an output whose reconciliation introduced an
/// anomaly (spec §5).
#[derive(Clone, Debug)]
pub(crate) struct OrderPoint {
    /// The output.
    pub(crate) out: NodeIndex,
    /// Static (on a `seq` attribute) or dynamic.
    pub(crate) order: Order,
    /// The input ports whose arrivals are ordered.
    pub(crate) inputs: Few<NodeIndex>,
}

impl Pass {
    fn new(nodes: usize, repair: bool) -> Pass {
        Pass {
            states: vec![State::ASYNC; nodes],
            kept: Derivations::new(nodes),
            introduced: vec![0; nodes],
            seals: Vec::new(),
            orders: Vec::new(),
            repair,
            cycles: Vec::new(),
        }
    }

    /// Notes what the plan and the violations read of an output's
    /// derivation: the anomaly it introduced and the ordering inserted
    /// there, and the seal buffers its label relies on.
    fn note(&mut self, d: &NodeDerivation) {
        self.note_introduced(d);
        self.note_seals(d);
    }

    /// The anomaly `d` introduced, and the ordering inserted for it.
    fn note_introduced(&mut self, d: &NodeDerivation) {
        introduced_by(d, &mut self.introduced, &mut self.orders);
    }

    /// What the derivation kept for cycle port `node` introduced.
    fn note_kept(&mut self, node: NodeIndex) {
        if let Some(d) = self.kept.get(node) {
            introduced_by(d, &mut self.introduced, &mut self.orders);
        }
    }

    /// The seal buffers the label of `d` relies on.
    fn note_seals(&mut self, d: &NodeDerivation) {
        self.seals.extend(
            d.outcome
                .seals
                .iter()
                .map(|&(path, key, independent)| SealPoint {
                    out: d.port,
                    input: d.sources[path].input_port(),
                    key,
                    independent,
                }),
        );
    }
}

/// Notes the anomaly `d` introduced in `introduced`, and the ordering
/// inserted for it in `orders`.
fn introduced_by(d: &NodeDerivation, introduced: &mut [u8], orders: &mut Vec<OrderPoint>) {
    let o = &d.outcome;
    if o.introduced {
        introduced[d.port.index()] = o.added_severity();
    }
    if let Some(order) = o.ordered {
        orders.push(OrderPoint {
            out: d.port,
            order,
            inputs: o
                .offending
                .iter()
                .map(|&i| d.sources[i].input_port())
                .collect(),
        });
    }
}

/// The derivations kept by a pass, stored densely: a slot per port-graph
/// node, and the derivations of the few outputs that have one.
pub(crate) struct Derivations {
    /// Per port-graph node: where its derivation is in `stored`.
    slot: Vec<u32>,
    stored: Vec<NodeDerivation>,
}

impl Derivations {
    const NONE: u32 = u32::MAX;

    fn new(nodes: usize) -> Derivations {
        Derivations {
            slot: vec![Self::NONE; nodes],
            stored: Vec::new(),
        }
    }

    /// The derivation kept for `node`, if any.
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
}

/// Facts about the dataflow shared by every pass.
pub(crate) struct Context<'a> {
    pub(crate) dataflow: &'a Dataflow,
    pub(crate) graph: PortGraph,
    pub(crate) attrs: Attrs,
    /// Answers of `compatible`, shared by both passes.
    memo: CompatMemo,
    /// Every path's kind and gates, every component's replication.
    pub(crate) paths: PathTable,
    /// Per stream: interned seal and seq keys.
    stream_keys: Vec<(Option<u32>, Option<u32>)>,
    /// Per node: its position in its cycle's sweep order.
    position: Vec<usize>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(dataflow: &'a Dataflow, resolved: &Resolved<'_>) -> Context<'a> {
        let graph = PortGraph::build(dataflow, resolved);
        let mut attrs = Attrs::new(&dataflow.fds);
        let paths = PathTable::new(dataflow, &graph, &mut attrs);
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
            memo: CompatMemo::default(),
            paths,
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
        let mut pass = Pass::new(self.graph.graph.node_count(), repair);
        for scc in 0..self.graph.sccs.len() {
            if self.graph.is_cycle(scc) {
                let solve = self.solve_cycle(scc, &mut pass, repair);
                pass.cycles.push(solve);
            } else {
                let node = self.graph.sccs.get(scc)[0];
                let (state, derivation) = self.evaluate(node, None, &pass.states, repair);
                pass.states[node.index()] = state;
                if let Some(d) = derivation {
                    pass.note(&d);
                }
            }
        }
        // Cycles are noted after their fixpoint: put every output back in
        // node order, which the plan's order of inputs follows.
        pass.seals.sort_by_key(|p| p.out);
        pass.orders.sort_by_key(|p| p.out);
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
                && (state != old || pass.kept.get(node).is_none())
            {
                d.outcome.state = state;
                pass.kept.set(node, d);
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
        // An output of a cycle introduced what the derivation that raised
        // its label introduced (once the loop feeds that label back, later
        // evaluations only preserve it). The seal buffers its label relies
        // on come from the rules at the fixpoint, over the final labels of
        // its inputs: they do not depend on the order of the sweeps, nor of
        // the annotation lines.
        for &m in &members {
            if !matches!(self.graph.graph[m], Port::Out(_)) {
                continue;
            }
            pass.note_kept(m);
            if let (_, Some(d)) = self.evaluate(m, Some(inherited), &pass.states, repair) {
                pass.note_seals(&d);
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
                        match (self.paths.kind(c, p), input) {
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
                let d = self.paths.derive_output(
                    &self.graph,
                    (&self.attrs, &mut self.memo),
                    (node, c),
                    states,
                    repair,
                    inherited,
                );
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
}

impl Context<'_> {
    /// Gives up the port graph and the interned attributes, once the passes
    /// are done, so an [`Analysis`](crate::Analysis) can keep them.
    pub(crate) fn into_parts(self) -> (PortGraph, Attrs, PathTable) {
        (self.graph, self.attrs, self.paths)
    }
}
