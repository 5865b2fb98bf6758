//! Violations of the requirement (spec §5): which sinks exceed it, where the
//! anomaly is introduced, why, and what would fix it.

use std::rc::Rc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;

use crate::engine::{NodeDerivation, Pass, Source};
use crate::label::AttrSet;
use crate::portgraph::{Edge, Port};
use crate::result::{Cause, Fix, OrderKind, Origin, Rule, Violation};
use crate::rules::{Lab, Step};
use crate::trace::Trace;

/// The sinks above the requirement, with the nodes where it is introduced.
pub(crate) fn violations(trace: &Trace) -> Vec<Violation> {
    Causes { trace }.violations()
}

/// Why output `node` (as named in a violation) introduces its anomaly, and
/// what would fix it; built on request.
pub(crate) fn cause(trace: &Trace, node: &str) -> Option<Cause> {
    let port = trace.output_port(node)?;
    let residual = trace.residual();
    let d = trace.node_derivation(residual, port)?;
    let planned = trace.node_derivation(&trace.planned, port);
    Some(Causes { trace }.cause(&d, planned.as_deref(), residual))
}

struct Causes<'t> {
    trace: &'t Trace,
}

impl Causes<'_> {
    /// Sinks above the requirement, with the nodes that introduce the anomaly.
    fn violations(&self) -> Vec<Violation> {
        let residual = self.trace.residual();
        let g = &self.trace.graph.graph;
        let max = self.trace.requires.max_severity();
        let mut out = Vec::new();
        let mut visits = Visits::default();
        // Introducing nodes upstream of each producer's strongly connected
        // part, walked once per part: the sinks fed by one large cycle
        // share one walk.
        let mut upstream: HashMap<usize, Rc<[NodeIndex]>> = HashMap::default();
        let scc_of = &self.trace.graph.scc_of;
        // A producer a fix names can be missing from the causes only if it
        // introduces an anomaly above `Async` that the requirement allows
        // (`Run` under `convergent`); otherwise it is a cause already, and
        // no cause is computed here.
        let async_severity = Lab::Async.severity();
        let may_miss_producers = residual
            .introduced
            .iter()
            .any(|&s| s > async_severity && s <= max);
        // Each cause's prerequisites, found once for every sink it causes.
        let mut named: HashMap<NodeIndex, Rc<[NodeIndex]>> = HashMap::default();
        for sink in g.node_indices() {
            if !matches!(g[sink], Port::Sink) {
                continue;
            }
            let label = residual.states[sink.index()].label;
            if label.severity() <= max {
                continue;
            }
            let mut causes: Vec<NodeIndex> = Vec::new();
            for producer in g.neighbors_directed(sink, Direction::Incoming) {
                let found = upstream.entry(scc_of[producer.index()]).or_insert_with(|| {
                    let mut found: Vec<NodeIndex> = self
                        .ancestors(producer, &mut visits)
                        .into_iter()
                        .filter(|n| residual.introduced[n.index()] > max)
                        .collect();
                    found.sort_unstable_by_key(|n| (scc_of[n.index()], n.index()));
                    found.into()
                });
                causes.extend(found.iter().copied());
            }
            let prerequisites = may_miss_producers
                && self.prerequisites(&mut causes, residual, &mut named, &mut visits);
            if prerequisites
                || g.neighbors_directed(sink, Direction::Incoming)
                    .nth(1)
                    .is_some()
            {
                // Upstream first: topological order of the port graph (each
                // producer's list is already in that order).
                causes.sort_unstable_by_key(|n| (scc_of[n.index()], n.index()));
                causes.dedup();
            }
            let causes = causes
                .into_iter()
                .map(|n| self.trace.name(n).to_string())
                .collect();
            out.push(Violation {
                sink: self.trace.name(sink).to_string(),
                label: self.trace.label(label),
                causes,
            });
        }
        out.sort_by(|a, b| a.sink.cmp(&b.sink));
        out
    }

    /// Adds to `causes` what their fixes name as prerequisites: a cause
    /// whose fix begins upstream ("inherited from `W.out`: fix it there
    /// first") depends on a producer whose own anomaly may be within the
    /// requirement (a `Run` producer under `requires: convergent` feeding a
    /// replicated component that then diverges), so that producer's
    /// anomaly is not a cause by itself; without it the violation would
    /// send the reader to a node it never explains. The nodes upstream of
    /// each named producer that introduce an anomaly above `Async` are
    /// added, and their own prerequisites in turn (each node's found once,
    /// in `named`). True when some were.
    fn prerequisites(
        &self,
        causes: &mut Vec<NodeIndex>,
        pass: &Pass,
        named: &mut HashMap<NodeIndex, Rc<[NodeIndex]>>,
        visits: &mut Visits,
    ) -> bool {
        let mut added = false;
        let mut next = 0;
        while next < causes.len() {
            let node = causes[next];
            next += 1;
            let found = match named.get(&node) {
                Some(found) => found.clone(),
                None => {
                    let found = self.named_upstream(node, pass, visits);
                    named.insert(node, found.clone());
                    found
                }
            };
            for &n in found.iter() {
                if !causes.contains(&n) {
                    causes.push(n);
                    added = true;
                }
            }
        }
        added
    }

    /// The nodes that introduce an anomaly above `Async` upstream of each
    /// producer that `node`'s fixes name first.
    fn named_upstream(&self, node: NodeIndex, pass: &Pass, visits: &mut Visits) -> Rc<[NodeIndex]> {
        let Some(d) = self.trace.node_derivation(pass, node) else {
            return Rc::from([]);
        };
        let planned = self.trace.node_derivation(&self.trace.planned, node);
        let cause = self.cause(&d, planned.as_deref(), pass);
        let mut found = Vec::new();
        for fix in &cause.fixes {
            let Fix::Upstream { node: name } = fix else {
                continue;
            };
            let Some(producer) = self.trace.output_port(name) else {
                continue;
            };
            found.extend(
                self.ancestors(producer, visits)
                    .into_iter()
                    .filter(|n| pass.introduced[n.index()] > Lab::Async.severity()),
            );
        }
        found.into()
    }

    /// `node` and every node upstream of it.
    fn ancestors(&self, node: NodeIndex, visits: &mut Visits) -> Vec<NodeIndex> {
        let g = &self.trace.graph.graph;
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
        let mut targets = Targets::default();
        let o = &d.outcome;
        let comps = &self.trace.components[d.c];
        let rep_note = if d.rep {
            format!("{comps} is replicated")
        } else {
            format!("{comps} is not replicated")
        };
        let via = |i: usize| {
            let source = &d.sources[i];
            format!(
                "path {} -> {}",
                self.trace.name(source.from),
                self.trace.interface_of(source.to)
            )
        };
        for (i, fired) in o.fired.iter().enumerate() {
            let annotation = self.trace.annotation(&d.paths[i]);
            let input = self.trace.label(d.paths[i].input.label);
            let gate = self.common_gate(&annotation.gates);
            match fired {
                Some((Rule::R2, _)) => {
                    why.push(format!(
                        "{} is {annotation} and its input is {input}: its state depends on \
                         arrival order (R2: Taint)",
                        via(i)
                    ));
                    self.seal_targets(d.sources[i].input_port(), pass, &mut targets);
                    fixes.push(Fix::Seal {
                        streams: targets.take_reachable(d.in_cycle, &mut why),
                        gate: gate.clone(),
                    });
                }
                Some((Rule::R4, _)) => {
                    why.push(format!(
                        "{} is {annotation} but its input is {input}, a key not compatible \
                         with the gate (R4: Taint)",
                        via(i)
                    ));
                    self.seal_targets(d.sources[i].input_port(), pass, &mut targets);
                    fixes.push(Fix::Seal {
                        streams: targets.take_reachable(d.in_cycle, &mut why),
                        gate: gate.clone(),
                    });
                }
                Some((Rule::R3, _)) => {
                    why.push(format!(
                        "{} writes state ({annotation}) from an input whose contents differ \
                         across replicas ({input}; R3: Taint)",
                        via(i)
                    ));
                    let me = self.trace.node_name(d);
                    for up in self.upstream_with(d.sources[i].input_port(), Lab::Inst, pass) {
                        if up != me {
                            fixes.push(Fix::Upstream { node: up });
                        }
                    }
                }
                Some((Rule::R1, _)) => {
                    let unsealed = o.steps.iter().find_map(|s| match s {
                        Step::Unprotected { path, unsealed, .. } if *path == i => Some(unsealed),
                        _ => None,
                    });
                    if let Some(writes) = unsealed {
                        let names: Vec<String> = writes.iter().map(|&w| via(w)).collect();
                        why.push(format!(
                            "{} is {annotation}: it reads state written by {} whose input is \
                             not sealed on a key compatible with the gate, so reads race \
                             with writes (R1: NDRead, unprotected)",
                            via(i),
                            names.join(" and ")
                        ));
                        for &w in writes {
                            self.seal_targets(d.sources[w].input_port(), pass, &mut targets);
                        }
                        fixes.push(Fix::Seal {
                            streams: targets.take_reachable(d.in_cycle, &mut why),
                            gate: gate.clone(),
                        });
                    }
                }
                None => {}
            }
        }
        if d.in_cycle {
            why.push(format!(
                "{} lies on a cycle: a seal inside it counts for nothing (the loop can add \
                 records to a partition after its punctuation), so its paths see the loop's \
                 records unsealed",
                self.trace.node_name(d)
            ));
        }
        why.push(format!(
            "{rep_note}, so reconciliation gives {}",
            self.trace.label(d.outcome.state.label)
        ));
        fixes.retain(
            |f| !matches!(f, Fix::Seal { gate, streams } if gate.is_empty() || streams.is_empty()),
        );
        if let Some(p) = planned.filter(|p| p.outcome.ordered.is_some()) {
            let kind = p
                .outcome
                .ordered
                .map_or(OrderKind::Dynamic, |o| self.trace.order_kind(o));
            let components: Vec<String> = {
                let mut v: Vec<String> = p
                    .outcome
                    .offending
                    .iter()
                    .filter_map(|&i| self.trace.component_of(p.sources[i].input_port()))
                    .map(String::from)
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            fixes.push(Fix::Order {
                component: components.join(", "),
                kind: kind.clone(),
                yields: self.trace.label(p.outcome.state.label),
            });
            if kind == OrderKind::Dynamic {
                let blocked = targets.blocked.len();
                for &i in &p.outcome.offending {
                    self.seal_targets(p.sources[i].input_port(), pass, &mut targets);
                }
                let mut streams = targets.take_streams();
                let looped = !targets.looped.is_empty() || !targets.unfed.is_empty();
                targets.looped.clear();
                targets.unfed.clear();
                if targets.blocked.len() > blocked || looped {
                    // An input fed by a nondeterministic producer takes no
                    // `seq`: a static order needs every offending input.
                    streams.clear();
                }
                // No stream to stamp (the inputs are fed inside a cycle, where a
                // `seq` counts for nothing): no static order to propose.
                if !streams.is_empty() {
                    fixes.push(Fix::Sequence { streams });
                }
            }
        }
        // Inputs whose producers are nondeterministic take no seal or `seq`:
        // those producers come first.
        let me = self.trace.node_name(d);
        targets.blocked.sort();
        targets.blocked.dedup();
        // They come first: the other fixes are alternatives after them.
        let mut first = Vec::new();
        for node in targets.blocked {
            let upstream = Fix::Upstream { node };
            if !matches!(&upstream, Fix::Upstream { node } if *node == me)
                && !fixes.contains(&upstream)
            {
                first.push(upstream);
            }
        }
        fixes.splice(0..0, first);
        // Two rules may propose the same fix (a write that taints and also
        // leaves a read unprotected): say it once.
        let mut said: Vec<Fix> = Vec::new();
        fixes.retain(|fix| {
            let new = !said.contains(fix);
            if new {
                said.push(fix.clone());
            }
            new
        });
        // Where the anomaly starts: the paths that taint, and each
        // unprotected read with the writes that leave it unprotected (not
        // the component's sealed writes, which ordering would also take).
        let mut starts: Vec<usize> = o
            .fired
            .iter()
            .enumerate()
            .filter(|(_, fired)| matches!(fired, Some((Rule::R2 | Rule::R3 | Rule::R4, _))))
            .map(|(i, _)| i)
            .collect();
        for step in &o.steps {
            if let Step::Unprotected { path, unsealed, .. } = step {
                starts.push(*path);
                starts.extend(unsealed.iter().copied());
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut origins: Vec<Origin> = Vec::new();
        for &i in &starts {
            let source = d.sources[i];
            let origin = Origin::Path {
                component: self.trace.components[source.c].clone(),
                from: self.trace.interface_of(source.from).to_string(),
                to: self.trace.interface_of(source.to).to_string(),
            };
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Cause {
            node: self.trace.node_name(d),
            label: self.trace.label(d.outcome.state.label),
            why: why.join("; "),
            fixes,
            origins,
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
    ///
    /// A stream whose producer's contents are not deterministic (above
    /// `Async`) is no target: a seal or `seq` on it counts for nothing
    /// (spec §1); its producer is listed in `blocked` instead, to be fixed
    /// first. An input on a cycle gives no target at all: the loop's records
    /// reach it unsealed whatever enters the loop (spec §4.2).
    fn seal_targets(&self, port: NodeIndex, pass: &Pass, targets: &mut Targets) {
        let g = &self.trace.graph.graph;
        let mut seen = HashSet::default();
        let mut stack = vec![port];
        while let Some(input) = stack.pop() {
            if !seen.insert(input) || targets.streams.len() > 16 {
                continue;
            }
            if self
                .trace
                .graph
                .is_cycle(self.trace.graph.scc_of[input.index()])
            {
                // The loop's own records merge into this input unsealed and
                // unstamped: no seal or `seq` upstream of it counts (spec
                // §4.2), not even on a stream entering the loop.
                targets.looped.push(self.trace.name(input).to_string());
                continue;
            }
            let mut fed = false;
            for e in g.edges_directed(input, Direction::Incoming) {
                let Edge::Stream(_) = *e.weight() else {
                    continue;
                };
                fed = true;
                let producer = e.source();
                let upstream = self.trace.node_derivation(pass, producer);
                let upstream = upstream.filter(|d| {
                    !d.in_cycle
                        && d.paths.iter().all(|p| !p.kind.is_order_sensitive())
                        && !d.paths.is_empty()
                        && pass.states[producer.index()].label.severity() <= 2
                });
                match upstream {
                    Some(d) => stack.extend(d.sources.iter().map(Source::input_port)),
                    None if pass.states[producer.index()].label.severity() > 2 => {
                        targets.blocked.push(self.trace.name(producer).to_string());
                    }
                    None => targets.streams.push(format!(
                        "{}->{}",
                        self.trace.name(producer),
                        self.trace.name(input)
                    )),
                }
            }
            if !fed {
                targets.unfed.push(self.trace.name(input).to_string());
            }
        }
    }

    /// The nearest upstream producers of `port` whose label is at least `at`.
    fn upstream_with(&self, port: NodeIndex, at: Lab, pass: &Pass) -> Vec<String> {
        let g = &self.trace.graph.graph;
        let mut out: Vec<String> = g
            .edges_directed(port, Direction::Incoming)
            .filter(|e| pass.states[e.source().index()].label.severity() >= at.severity())
            .map(|e| self.trace.name(e.source()).to_string())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Where a seal or `seq` would go, gathered over several inputs.
#[derive(Default)]
struct Targets {
    /// Streams to seal or stamp, as `from->to`.
    streams: Vec<String>,
    /// Producers whose contents are nondeterministic: their streams take no
    /// seal or `seq` until they are fixed.
    blocked: Vec<String>,
    /// Inputs on the way up that lie on a cycle: the loop's own records
    /// merge there unsealed, so no seal or `seq` upstream reaches the gate.
    looped: Vec<String>,
    /// Inputs on the way up that no stream feeds (taken as `Async`): no
    /// seal upstream covers what they contribute.
    unfed: Vec<String>,
}

impl Targets {
    /// The streams gathered since the last call where a seal reaches the
    /// gate: none when records also come from a loop or from an input no
    /// stream feeds, which no seal upstream covers; `why` then says so
    /// (the gate's own cycle, `gate_in_cycle`, is explained apart).
    fn take_reachable(&mut self, gate_in_cycle: bool, why: &mut Vec<String>) -> Vec<String> {
        let streams = self.take_streams();
        let mut looped = std::mem::take(&mut self.looped);
        let mut unfed = std::mem::take(&mut self.unfed);
        if looped.is_empty() && unfed.is_empty() {
            return streams;
        }
        looped.sort();
        looped.dedup();
        unfed.sort();
        unfed.dedup();
        if !looped.is_empty() && !gate_in_cycle {
            why.push(format!(
                "its records also come through {}, which lies on a cycle: the loop adds \
                 records after any punctuation upstream, so no seal or `seq` there covers \
                 them (spec §4.2)",
                looped.join(", ")
            ));
        }
        if !unfed.is_empty() {
            why.push(format!(
                "its records also come through {}, which no stream feeds (taken as Async): \
                 connect a stream to it or remove its paths",
                unfed.join(", ")
            ));
        }
        Vec::new()
    }

    /// The streams gathered since the last call, sorted, each once.
    fn take_streams(&mut self) -> Vec<String> {
        let mut streams = std::mem::take(&mut self.streams);
        streams.sort();
        streams.dedup();
        streams
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

#[cfg(test)]
mod tests {
    use crate::{Annotation, Component, Dataflow, Fix, Origin, Stream, analyze, attrs};

    /// readings (sealed on `k`) -> T (CR into `good`, also from `again`) ->
    /// M (OW[k]) -> board; `again` is fed by `feed_again` when given.
    fn triage(feed_again: Option<Stream>) -> Dataflow {
        let mut dataflow = Dataflow::new()
            .component(
                Component::new("T")
                    .path("readings", "good", Annotation::cr())
                    .path("readings", "retry", Annotation::cr())
                    .path("again", "good", Annotation::cr())
                    .path("again", "retry", Annotation::cr()),
            )
            .component(Component::new("M").path("good", "out", Annotation::ow(attrs(["k"]))))
            .stream(Stream::between("readings", "T.readings").sealed(attrs(["k"])))
            .stream(Stream::between("T.good", "M.good"))
            .stream(Stream::between("M.out", "board"));
        if let Some(stream) = feed_again {
            dataflow = dataflow.stream(stream);
        } else {
            dataflow = dataflow.stream(Stream::between("T.retry", "retries"));
        }
        dataflow
    }

    /// src -> W (OW[k]) -> L (replicated, OW[k]) -> sink under `requires:
    /// convergent`: W's `Run` is within the requirement, L's `Diverge` is
    /// not, and L's fix is W first.
    #[test]
    fn a_producer_named_as_the_fix_is_a_cause_even_within_the_requirement() {
        let dataflow = crate::explain::tests::nondeterministic_producer()
            .requires(crate::Requirement::Convergent);
        let analysis = analyze(&dataflow).expect("valid");
        let violation = analysis.violations.first().expect("sink is Diverge");
        // Upstream first, so that "fix it there first" names a cause above it.
        assert_eq!(violation.causes, ["W.out", "L.out"]);
        let causes = analysis.causes(violation);
        assert_eq!(
            causes[1].fixes.first(),
            Some(&Fix::Upstream {
                node: "W.out".to_string()
            })
        );
        assert!(causes[0].why.contains("R2: Taint"), "{}", causes[0].why);
        // Under `requires: deterministic` W was a cause by itself already.
        let strict = analyze(&dataflow.requires(crate::Requirement::Deterministic)).expect("valid");
        assert_eq!(strict.violations[0].causes, ["W.out", "L.out"]);
    }

    /// A write that taints (R2) and also leaves a read unprotected (R1)
    /// gets the same seal proposed by both rules: the cause says it once.
    #[test]
    fn a_fix_two_rules_propose_is_said_once() {
        let dataflow = Dataflow::new()
            .component(
                Component::new("Filter")
                    .path("orders", "kept", Annotation::or(attrs(["id"])))
                    .path("refunds", "kept", Annotation::ow(attrs(["id"]))),
            )
            .stream(Stream::between("orders", "Filter.orders"))
            .stream(Stream::between("refunds", "Filter.refunds"))
            .stream(Stream::between("Filter.kept", "kept"));
        let analysis = analyze(&dataflow).expect("valid");
        let violation = analysis.violations.first().expect("kept is Run");
        let causes = analysis.causes(violation);
        let fixes = &causes.first().expect("a cause").fixes;
        let refunds_seal = Fix::Seal {
            streams: vec!["refunds->Filter.refunds".to_string()],
            gate: attrs(["id"]),
        };
        assert!(fixes.contains(&refunds_seal), "{fixes:?}");
        for (i, fix) in fixes.iter().enumerate() {
            assert!(
                !fixes[i + 1..].contains(fix),
                "said twice: {fix:?} in {fixes:?}"
            );
        }
    }

    fn seal_fixes_and_why(dataflow: &Dataflow) -> (Vec<Fix>, String) {
        let analysis = analyze(dataflow).expect("valid");
        let violation = analysis.violations.first().expect("board is Run");
        let causes = analysis.causes(violation);
        let cause = causes.first().expect("a cause");
        let seals = cause
            .fixes
            .iter()
            .filter(|f| matches!(f, Fix::Seal { .. }))
            .cloned()
            .collect();
        (seals, cause.why.clone())
    }

    #[test]
    fn a_seal_already_upstream_of_a_loop_is_not_proposed_again_and_the_loop_is_named() {
        let (seals, why) = seal_fixes_and_why(&triage(Some(Stream::between("T.retry", "T.again"))));
        assert!(
            seals.is_empty(),
            "sealing `readings` again cannot cover the loop's records: {seals:?}"
        );
        assert!(why.contains("T.again, which lies on a cycle"), "{why}");
    }

    #[test]
    fn an_input_no_stream_feeds_is_named_instead_of_a_seal_that_is_already_there() {
        let (seals, why) = seal_fixes_and_why(&triage(None));
        assert!(seals.is_empty(), "{seals:?}");
        assert!(why.contains("T.again, which no stream feeds"), "{why}");
    }

    /// A store whose `puts` are sealed on `key` and whose `deletes` are
    /// sealed on `region`: its reads (`OR[key]`) are unprotected because of
    /// the deletes alone.
    fn store() -> Dataflow {
        Dataflow::new()
            .component(
                Component::new("Store")
                    .path("puts", "acks", Annotation::cw())
                    .path("deletes", "gone", Annotation::ow(attrs(["key"])))
                    .path("gets", "answers", Annotation::or(attrs(["key"]))),
            )
            .stream(Stream::between("puts", "Store.puts").sealed(attrs(["key"])))
            .stream(Stream::between("deletes", "Store.deletes").sealed(attrs(["region"])))
            .stream(Stream::between("gets", "Store.gets"))
            .stream(Stream::between("Store.acks", "acks"))
            .stream(Stream::between("Store.gone", "gone"))
            .stream(Stream::between("Store.answers", "answers"))
    }

    #[test]
    fn an_unprotected_read_names_only_the_writes_whose_seal_does_not_cover_it() {
        let analysis = analyze(&store()).expect("valid");
        let violation = analysis
            .violations
            .iter()
            .find(|v| v.sink == "answers")
            .expect("answers is Run");
        let causes = analysis.causes(violation);
        let cause = causes.first().expect("a cause");
        assert!(
            cause
                .why
                .contains("reads state written by path Store.deletes -> gone whose"),
            "{}",
            cause.why
        );
        assert!(!cause.why.contains("Store.puts"), "{}", cause.why);
        // The anomaly starts at the read and the deletes, not at the puts
        // (sealed on a key that covers the read), which ordering would
        // also take.
        let origin = |from: &str, to: &str| Origin::Path {
            component: "Store".to_string(),
            from: from.to_string(),
            to: to.to_string(),
        };
        assert_eq!(
            cause.origins,
            [origin("gets", "answers"), origin("deletes", "gone")]
        );
        let sealed: Vec<&Fix> = cause
            .fixes
            .iter()
            .filter(|f| matches!(f, Fix::Seal { .. }))
            .collect();
        assert_eq!(
            sealed,
            [&Fix::Seal {
                streams: vec!["deletes->Store.deletes".to_string()],
                gate: attrs(["key"]),
            }],
            "`puts` is already sealed on `key`"
        );
    }
}
