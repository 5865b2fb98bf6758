//! The analysis entry point: label pass, coordination plan, residual labels
//! and violations (spec §4–§5).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::attrs_closure::Attrs;
use crate::engine::{Context, NodeDerivation, Pass, Source};
use crate::label::{Annotation, AttrSet, Internal, Label};
use crate::model::{Dataflow, Permission};
use crate::portgraph::{Edge, Port};
use crate::result::{
    Analysis, Cause, Contribution, Coordination, Derivation, Fix, OrderKind, Reconciled, Strategy,
    Via, Violation, Vote,
};
use crate::rules::{Fired, Lab, Order, Step};
use crate::validate::{ValidationError, validate};

/// Analyses a dataflow: labels every stream, chooses coordination, and checks
/// the requirement under the permission. Fails only on structural errors.
pub fn analyze(dataflow: &Dataflow) -> Result<Analysis, Vec<ValidationError>> {
    validate(dataflow)?;
    let mut ctx = Context::new(dataflow);
    let base = ctx.pass(false);
    let planned = ctx.pass(true);
    let residual = if dataflow.coordinate == Permission::Auto {
        &planned
    } else {
        &base
    };
    let view = View { ctx: &ctx };

    let mut analysis = Analysis {
        name: dataflow.name.clone(),
        requires: dataflow.requires,
        coordinate: dataflow.coordinate,
        outputs: view.labels(&base, |p| matches!(p, Port::Out(_))),
        inputs: view.labels(&base, |p| matches!(p, Port::In(_))),
        sinks: view.labels(&base, |p| matches!(p, Port::Sink)),
        sources: BTreeMap::new(),
        derivations: view.derivations(&base),
        streams: BTreeMap::new(),
        coordination: Vec::new(),
        residual_outputs: view.labels(residual, |p| matches!(p, Port::Out(_))),
        residual: view.labels(residual, |p| matches!(p, Port::Sink)),
        residual_derivations: view.derivations(residual),
        violations: Vec::new(),
        sink_feeds: BTreeMap::new(),
    };
    let g = &ctx.graph.graph;
    for e in g.edge_references() {
        if let Edge::Stream(s) = *e.weight() {
            let state = ctx.stream_state(s, e.source(), &base.states);
            let label = view.label(state.label);
            analysis
                .streams
                .insert(dataflow.streams[s].name(), label.clone());
            if let Port::Source = g[e.source()] {
                let name = ctx.graph.names[e.source().index()].clone();
                analysis
                    .sources
                    .entry(name)
                    .and_modify(|l: &mut Label| {
                        if l.severity() < label.severity() {
                            *l = label.clone();
                        }
                    })
                    .or_insert(label);
            }
        }
    }
    for n in g.node_indices() {
        if let Port::Sink = g[n] {
            analysis
                .sink_feeds
                .insert(ctx.graph.names[n.index()].clone(), view.producers(n));
        }
    }
    analysis.coordination = view.plan(residual, &planned, dataflow.coordinate);
    analysis.violations = view.violations(residual, &planned);
    Ok(analysis)
}

/// Read-only helpers that turn pass results into the public types.
struct View<'c, 'a> {
    ctx: &'c Context<'a>,
}

impl View<'_, '_> {
    fn attrs(&self) -> &Attrs {
        &self.ctx.attrs
    }

    fn name(&self, n: NodeIndex) -> &str {
        &self.ctx.graph.names[n.index()]
    }

    fn label(&self, lab: Lab) -> Label {
        match lab {
            Lab::Seal(k) => Label::Seal(self.attrs().set(k).clone()),
            Lab::Async => Label::Async,
            Lab::Run => Label::Run,
            Lab::Inst => Label::Inst,
            Lab::Diverge => Label::Diverge,
        }
    }

    fn labels(&self, pass: &Pass, keep: impl Fn(Port) -> bool) -> BTreeMap<String, Label> {
        let g = &self.ctx.graph.graph;
        g.node_indices()
            .filter(|&n| keep(g[n]))
            .map(|n| {
                (
                    self.name(n).to_string(),
                    self.label(pass.states[n.index()].label),
                )
            })
            .collect()
    }

    /// The producers (outputs or sources) of the streams into `port`.
    fn producers(&self, port: NodeIndex) -> Vec<String> {
        let g = &self.ctx.graph.graph;
        let mut out: Vec<String> = g
            .edges_directed(port, Direction::Incoming)
            .filter(|e| matches!(e.weight(), Edge::Stream(_)))
            .map(|e| self.name(e.source()).to_string())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn component_of(&self, port: NodeIndex) -> Option<&str> {
        match self.ctx.graph.graph[port] {
            Port::In(c) | Port::Out(c) => Some(&self.ctx.dataflow.components[c].name),
            _ => None,
        }
    }

    fn interface_of(&self, port: NodeIndex) -> &str {
        let name = self.name(port);
        name.split_once('.').map_or(name, |(_, i)| i)
    }

    fn node_name(&self, d: &NodeDerivation) -> String {
        if d.ports.len() == 1 {
            return self.name(d.ports[0]).to_string();
        }
        let mut names: Vec<&str> = d.ports.iter().map(|&p| self.name(p)).collect();
        names.sort_unstable();
        names.dedup();
        format!("cycle[{}]", names.join(" + "))
    }

    /// The components owning the node's ports, in port order, once each.
    fn components_of(&self, d: &NodeDerivation) -> Vec<&str> {
        let mut components: Vec<&str> = Vec::new();
        for &p in &d.ports {
            if let Some(c) = self.component_of(p)
                && !components.contains(&c)
            {
                components.push(c);
            }
        }
        components
    }

    fn derivation(&self, d: &NodeDerivation) -> Derivation {
        let components = self
            .components_of(d)
            .into_iter()
            .map(String::from)
            .collect();
        let o = &d.outcome;
        let contributions = d
            .sources
            .iter()
            .enumerate()
            .map(|(i, source)| {
                let (via, upstream) = match source {
                    Source::Path { c, p, from } => (
                        Via::Path {
                            component: self.ctx.dataflow.components[*c].name.clone(),
                            input: self.ctx.dataflow.components[*c].paths[*p].from.clone(),
                        },
                        self.producers(*from),
                    ),
                    Source::Stream { from, to, .. } => (
                        Via::Stream {
                            from: self.name(*from).to_string(),
                            to: self.name(*to).to_string(),
                        },
                        vec![self.name(*from).to_string()],
                    ),
                };
                Contribution {
                    via,
                    input: self.label(d.paths[i].input.label),
                    annotation: Annotation::clone(&d.annotations[i]),
                    fired: o.fired[i].as_ref().map(|(rule, f)| {
                        (
                            *rule,
                            match f {
                                Fired::Taint => Internal::Taint,
                                Fired::NdRead => Internal::NdRead(d.annotations[i].gates.clone()),
                            },
                        )
                    }),
                    preserved: self.label(o.preserved[i].label),
                    upstream,
                }
            })
            .collect();
        let reconciled = o
            .steps
            .iter()
            .map(|s| match s {
                Step::Taint { added } => Reconciled::Taint {
                    added: added.map(|l| self.label(l)),
                },
                Step::Unprotected { path, added } => Reconciled::Unprotected {
                    gates: d.annotations[*path].gates.clone(),
                    added: added.map(|l| self.label(l)),
                },
                Step::Protected { path, seals } => Reconciled::Protected {
                    gates: d.annotations[*path].gates.clone(),
                    seals: seals.iter().map(|&k| self.attrs().set(k).clone()).collect(),
                },
            })
            .collect();
        Derivation {
            node: self.node_name(d),
            components,
            rep: d.rep,
            contributions,
            reconciled,
            ordered: o.ordered.map(|ord| self.order_kind(ord)),
            label: self.label(o.state.label),
            introduced: o.introduced,
        }
    }

    fn order_kind(&self, order: Order) -> OrderKind {
        match order {
            Order::Static(k) => OrderKind::Static {
                seq: self.attrs().set(k).clone(),
            },
            Order::Dynamic => OrderKind::Dynamic,
        }
    }

    /// The public derivation of every output port; the output ports of a
    /// cycle share one.
    fn derivations(&self, pass: &Pass) -> BTreeMap<String, Derivation> {
        let g = &self.ctx.graph.graph;
        let mut out = BTreeMap::new();
        for d in pass.derivations.iter().flatten() {
            let mut outputs = d.ports.iter().filter(|&&p| matches!(g[p], Port::Out(_)));
            let Some(&last) = outputs.next_back() else {
                continue;
            };
            let public = self.derivation(d);
            for &p in outputs {
                out.insert(self.name(p).to_string(), public.clone());
            }
            out.insert(self.name(last).to_string(), public);
        }
        out
    }

    /// Seal buffers (from the deployed pass) and ordering (from the planning
    /// pass), grouped by component (spec §5).
    fn plan(&self, deployed: &Pass, planned: &Pass, permission: Permission) -> Vec<Coordination> {
        let mut plan: Vec<Coordination> = Vec::new();
        // Where each (component, strategy, output) point sits in `plan`.
        let mut points: HashMap<(String, Strategy, String), usize> = HashMap::new();
        let mut add =
            |component: &str, strategy: Strategy, input: &str, output: &str, applied| match points
                .entry((component.to_string(), strategy, output.to_string()))
            {
                Entry::Occupied(point) => {
                    let existing = &mut plan[*point.get()];
                    if !existing.inputs.iter().any(|i| i == input) {
                        existing.inputs.push(input.to_string());
                    }
                }
                Entry::Vacant(point) => {
                    let (component, strategy, output) = point.key().clone();
                    point.insert(plan.len());
                    plan.push(Coordination {
                        component,
                        strategy,
                        inputs: vec![input.to_string()],
                        output,
                        applied,
                    });
                }
            };
        for d in deployed.derivations.iter().flatten() {
            if d.outcome.seals.is_empty() {
                continue;
            }
            let output = self.node_name(d);
            for &(path, key, independent) in &d.outcome.seals {
                let port = d.sources[path].input_port();
                let strategy = Strategy::Seal {
                    key: self.attrs().set(key).clone(),
                    vote: if independent {
                        Vote::Independent
                    } else {
                        Vote::Unanimous
                    },
                };
                let component = self.component_of(port).unwrap_or_default();
                add(
                    component,
                    strategy,
                    self.interface_of(port),
                    &output,
                    permission != Permission::None,
                );
            }
        }
        for d in planned.derivations.iter().flatten() {
            let Some(order) = d.outcome.ordered else {
                continue;
            };
            let output = self.node_name(d);
            for &path in &d.outcome.offending {
                let port = d.sources[path].input_port();
                let component = self.component_of(port).unwrap_or_default();
                add(
                    component,
                    Strategy::Order {
                        kind: self.order_kind(order),
                    },
                    self.interface_of(port),
                    &output,
                    permission == Permission::Auto,
                );
            }
        }
        for c in &mut plan {
            c.inputs.sort();
        }
        plan
    }

    /// Sinks above the requirement, with the nodes that introduce the anomaly.
    fn violations(&self, residual: &Pass, planned: &Pass) -> Vec<Violation> {
        let g = &self.ctx.graph.graph;
        let max = self.ctx.dataflow.requires.max_severity();
        let mut out = Vec::new();
        let mut visits = Visits::default();
        // Causes by SCC: sinks sharing ancestors share them.
        let mut causes_by_scc: HashMap<usize, Cause> = HashMap::new();
        for sink in g.node_indices() {
            if !matches!(g[sink], Port::Sink) {
                continue;
            }
            let label = residual.states[sink.index()].label;
            if label.severity() <= max {
                continue;
            }
            let mut sccs: Vec<usize> = self
                .ancestors(sink, &mut visits)
                .into_iter()
                .map(|n| self.ctx.graph.scc_of[n.index()])
                .collect();
            sccs.sort_unstable();
            sccs.dedup();
            let causes = sccs
                .into_iter()
                .filter_map(|scc| residual.derivations[scc].as_ref().map(|d| (scc, d)))
                .filter(|(_, d)| d.outcome.introduced && self.added_severity(d) > max)
                .map(|(scc, d)| {
                    causes_by_scc
                        .entry(scc)
                        .or_insert_with(|| {
                            self.cause(d, planned.derivations[scc].as_ref(), residual)
                        })
                        .clone()
                })
                .collect();
            out.push(Violation {
                sink: self.name(sink).to_string(),
                label: self.label(label),
                causes,
            });
        }
        out
    }

    fn added_severity(&self, d: &NodeDerivation) -> u8 {
        d.outcome
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Taint { added } | Step::Unprotected { added, .. } => *added,
                Step::Protected { .. } => None,
            })
            .map(Lab::severity)
            .max()
            .unwrap_or(0)
    }

    /// `node` and every node upstream of it.
    fn ancestors(&self, node: NodeIndex, visits: &mut Visits) -> Vec<NodeIndex> {
        let g = &self.ctx.graph.graph;
        visits.start(g.node_count());
        let mut seen = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if visits.first(n) {
                seen.push(n);
                stack.extend(g.neighbors_directed(n, Direction::Incoming));
            }
        }
        seen
    }

    /// Why a node introduces its anomaly, and what would fix it.
    fn cause(&self, d: &NodeDerivation, planned: Option<&NodeDerivation>, pass: &Pass) -> Cause {
        let mut why = Vec::new();
        let mut fixes = Vec::new();
        let o = &d.outcome;
        let comps = self.components_of(d).join(", ");
        let rep_note = if d.rep {
            format!("{comps} is replicated")
        } else {
            format!("{comps} is not replicated")
        };
        let via = |i: usize| match &d.sources[i] {
            Source::Path { c, p, .. } => {
                let path = &self.ctx.dataflow.components[*c].paths[*p];
                format!(
                    "path {}.{} -> {}",
                    self.ctx.dataflow.components[*c].name, path.from, path.to
                )
            }
            Source::Stream { from, to, .. } => {
                format!("stream {} -> {}", self.name(*from), self.name(*to))
            }
        };
        for (i, fired) in o.fired.iter().enumerate() {
            let annotation = &d.annotations[i];
            let input = self.label(d.paths[i].input.label);
            let gate = self.common_gate(&annotation.gates);
            match fired {
                Some((crate::result::Rule::R2, _)) => {
                    why.push(format!(
                        "{} is {annotation} and its input is {input}: its state depends on \
                         arrival order (R2: Taint)",
                        via(i)
                    ));
                    fixes.push(Fix::Seal {
                        streams: self.seal_targets(d.sources[i].input_port(), pass),
                        gate: gate.clone(),
                    });
                }
                Some((crate::result::Rule::R4, _)) => {
                    why.push(format!(
                        "{} is {annotation} but its input is {input}, a key not compatible \
                         with the gate (R4: Taint)",
                        via(i)
                    ));
                    fixes.push(Fix::Seal {
                        streams: self.seal_targets(d.sources[i].input_port(), pass),
                        gate: gate.clone(),
                    });
                }
                Some((crate::result::Rule::R3, _)) => {
                    why.push(format!(
                        "{} writes state ({annotation}) from an input whose contents differ \
                         across replicas ({input}; R3: Taint)",
                        via(i)
                    ));
                    let me = self.node_name(d);
                    for up in self.upstream_with(d.sources[i].input_port(), Lab::Inst, pass) {
                        if up != me {
                            fixes.push(Fix::Upstream { node: up });
                        }
                    }
                }
                Some((crate::result::Rule::R1, _)) => {
                    let unprotected = o
                        .steps
                        .iter()
                        .any(|s| matches!(s, Step::Unprotected { path, .. } if *path == i));
                    if unprotected {
                        let writes: Vec<usize> = (0..d.paths.len())
                            .filter(|&w| d.paths[w].kind.writes_state())
                            .collect();
                        let names: Vec<String> = writes.iter().map(|&w| via(w)).collect();
                        why.push(format!(
                            "{} is {annotation}: it reads state written by {} whose input is \
                             not sealed on a key compatible with the gate, so reads race \
                             with writes (R1: NDRead, unprotected)",
                            via(i),
                            names.join(" and ")
                        ));
                        let mut streams = Vec::new();
                        for &w in &writes {
                            streams.extend(self.seal_targets(d.sources[w].input_port(), pass));
                        }
                        fixes.push(Fix::Seal {
                            streams,
                            gate: gate.clone(),
                        });
                    }
                }
                None => {}
            }
        }
        why.push(format!(
            "{rep_note}, so reconciliation gives {}",
            self.label(d.outcome.state.label)
        ));
        fixes.retain(|f| !matches!(f, Fix::Seal { gate, .. } if gate.is_empty()));
        if let Some(p) = planned.filter(|p| p.outcome.ordered.is_some()) {
            let kind = p
                .outcome
                .ordered
                .map_or(OrderKind::Dynamic, |o| self.order_kind(o));
            let components: Vec<String> = {
                let mut v: Vec<String> = p
                    .outcome
                    .offending
                    .iter()
                    .filter_map(|&i| self.component_of(p.sources[i].input_port()))
                    .map(String::from)
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            fixes.push(Fix::Order {
                component: components.join(", "),
                kind: kind.clone(),
                yields: self.label(p.outcome.state.label),
            });
            if kind == OrderKind::Dynamic {
                let mut streams = Vec::new();
                for &i in &p.outcome.offending {
                    streams.extend(self.seal_targets(p.sources[i].input_port(), pass));
                }
                streams.sort();
                streams.dedup();
                fixes.push(Fix::Sequence { streams });
            }
        }
        Cause {
            node: self.node_name(d),
            label: self.label(d.outcome.state.label),
            why: why.join("; "),
            fixes,
        }
    }

    /// The attributes every gate shares: a non-empty subset of them is a seal
    /// key compatible with all the gates.
    fn common_gate(&self, gates: &[AttrSet]) -> AttrSet {
        let mut it = gates.iter();
        let Some(first) = it.next() else {
            return AttrSet::new();
        };
        it.fold(first.clone(), |acc, g| {
            acc.intersection(g).cloned().collect()
        })
    }

    /// Streams where a seal (or `seq`) would reach `port`: walking upstream
    /// through confluent paths (both carry through them) to the first stream
    /// whose producer is a source or is order-sensitive.
    fn seal_targets(&self, port: NodeIndex, pass: &Pass) -> Vec<String> {
        let g = &self.ctx.graph.graph;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![port];
        while let Some(input) = stack.pop() {
            if !seen.insert(input) || out.len() > 16 {
                continue;
            }
            for e in g.edges_directed(input, Direction::Incoming) {
                let Edge::Stream(s) = *e.weight() else {
                    continue;
                };
                let producer = e.source();
                let scc = self.ctx.graph.scc_of[producer.index()];
                let upstream = pass.derivations[scc].as_ref().filter(|d| {
                    d.ports.len() == 1
                        && d.paths.iter().all(|p| !p.kind.is_order_sensitive())
                        && !d.paths.is_empty()
                        && pass.states[producer.index()].label.severity() <= 2
                });
                match upstream {
                    Some(d) => stack.extend(d.sources.iter().map(Source::input_port)),
                    None => out.push(self.ctx.dataflow.streams[s].name()),
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The nearest upstream producers of `port` whose label is at least `at`.
    fn upstream_with(&self, port: NodeIndex, at: Lab, pass: &Pass) -> Vec<String> {
        let g = &self.ctx.graph.graph;
        let mut out: Vec<String> = g
            .edges_directed(port, Direction::Incoming)
            .filter(|e| pass.states[e.source().index()].label.severity() >= at.severity())
            .map(|e| {
                let scc = self.ctx.graph.scc_of[e.source().index()];
                pass.derivations[scc]
                    .as_ref()
                    .map_or_else(|| self.name(e.source()).to_string(), |d| self.node_name(d))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Marks of repeated graph walks, without clearing between walks: a node is
/// visited in the current walk when its mark equals the walk's number.
#[derive(Default)]
struct Visits {
    walk: u32,
    marks: Vec<u32>,
}

impl Visits {
    /// Begins a walk over a graph of `nodes` nodes.
    fn start(&mut self, nodes: usize) {
        if self.marks.len() != nodes || self.walk == u32::MAX {
            self.marks = vec![0; nodes];
            self.walk = 0;
        }
        self.walk += 1;
    }

    /// Marks `n` visited; true when it was not yet visited in this walk.
    fn first(&mut self, n: NodeIndex) -> bool {
        let mark = &mut self.marks[n.index()];
        let first = *mark != self.walk;
        *mark = self.walk;
        first
    }
}
