//! What a sink shows in one simulated run, and when two runs (or two
//! replicas of one run) differ the way a label says they may (issue 13,
//! point 1). Outputs are compared as sets: an `Async` sink may see its
//! records in any order, so order alone is never a witness.

use std::collections::{BTreeMap, BTreeSet};

use crate::runtime::RunReport;
use crate::runtime::node::envelope::ProducerId;
use crate::runtime::node::topology::{NodeRef, Topology};
use crate::sim::Choice;
use crate::sim::network::{From, To};
use crate::tuple::Tuple;

/// The distinct records a sink received, by the instance that sent them.
pub(crate) type SinkView = BTreeMap<ProducerId, BTreeSet<Tuple>>;

/// The view of sink `sink` in `report`.
pub(crate) fn view(report: &RunReport, sink: &str) -> SinkView {
    let mut out = SinkView::new();
    for r in report.records(sink) {
        out.entry(r.producer).or_default().insert(r.payload.clone());
    }
    out
}

/// Every record the sink received, whoever sent it.
pub(crate) fn union(view: &SinkView) -> BTreeSet<Tuple> {
    view.values().flatten().cloned().collect()
}

/// Two replicas (instances of one replicated component) that sent the sink
/// different records in the run, with what each sent.
pub(crate) fn replicas_differ(
    topology: &Topology,
    view: &SinkView,
    sink: usize,
) -> Option<[(ProducerId, BTreeSet<Tuple>); 2]> {
    let empty = BTreeSet::new();
    let producers: Vec<ProducerId> = topology.sink_producers(sink).iter().copied().collect();
    for (i, a) in producers.iter().enumerate() {
        for b in &producers[i + 1..] {
            let same_replicated = match (topology.node(*a), topology.node(*b)) {
                (
                    Some(NodeRef::Instance { component: x, .. }),
                    Some(NodeRef::Instance { component: y, .. }),
                ) => x == y && topology.components[x].rep,
                _ => false,
            };
            let (left, right) = (view.get(a).unwrap_or(&empty), view.get(b).unwrap_or(&empty));
            if same_replicated && left != right {
                return Some([(*a, left.clone()), (*b, right.clone())]);
            }
        }
    }
    None
}

/// Two replicas (instances of one replicated component) whose final state
/// snapshots differ, with each snapshot.
pub(crate) fn states_differ(
    topology: &Topology,
    states: &BTreeMap<ProducerId, BTreeSet<Tuple>>,
) -> Option<[(ProducerId, BTreeSet<Tuple>); 2]> {
    let ids: Vec<&ProducerId> = states.keys().collect();
    for (i, a) in ids.iter().enumerate() {
        for b in &ids[i + 1..] {
            let same_replicated = match (topology.node(**a), topology.node(**b)) {
                (
                    Some(NodeRef::Instance { component: x, .. }),
                    Some(NodeRef::Instance { component: y, .. }),
                ) => x == y && topology.components[x].rep,
                _ => false,
            };
            if same_replicated && states[*a] != states[*b] {
                return Some([(**a, states[*a].clone()), (**b, states[*b].clone())]);
            }
        }
    }
    None
}

/// A step as a user reads it: `deliver Splitter[0] -> Count[1]: Splitter[0]#2`.
pub(crate) fn describe(topology: &Topology, choice: &Choice) -> String {
    let from = |f: &From| match f {
        From::Producer(p) => topology.describe(*p),
        From::Sequencer(g) => format!("sequencer {}", topology.groups[*g].name),
    };
    let to = |t: &To| match t {
        To::Instance(p) => topology.describe(*p),
        To::Sequencer(g) => format!("sequencer {}", topology.groups[*g].name),
        To::Sink(s) => format!("sink {}", topology.sinks[*s]),
    };
    match choice {
        Choice::Emit { producer } => format!("emit {}", topology.describe(*producer)),
        Choice::Deliver {
            from: f,
            to: t,
            producer,
            seq,
        } => format!(
            "{} -> {} ({}#{seq})",
            from(f),
            to(t),
            topology.describe(*producer)
        ),
    }
}
