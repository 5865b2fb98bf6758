//! Labels by name, as an [`Analysis`](crate::Analysis) gives them: built
//! from the analysis's passes the first time they are read. A dataflow of
//! 10^5 components has hundreds of thousands of named ports and streams; a
//! build that only needs the violations never pays for naming them all.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use petgraph::graph::NodeIndex;

use crate::label::Label;
use crate::portgraph::Port;
use crate::rules::Lab;
use crate::trace::Trace;

/// Labels by name: a map from `Comp.iface` (ports), a sink or source name,
/// or `from->to` (streams) to its [`Label`]. It reads as a
/// `BTreeMap<String, Label>` (it dereferences to one), built on first read.
pub struct Labels {
    map: OnceLock<BTreeMap<String, Label>>,
    /// Where the labels come from, until they are built.
    of: Arc<Trace>,
    read: Read,
}

/// Which labels of the analysis a [`Labels`] names.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Read {
    /// Output ports, in the analysis pass or after coordination.
    Outputs { residual: bool },
    /// Input ports, in the analysis pass.
    Inputs,
    /// Sinks, in the analysis pass or after coordination.
    Sinks { residual: bool },
    /// Sources: the highest label of the streams each produces.
    Sources,
    /// Streams, after their own seal (spec §1).
    Streams,
}

impl Labels {
    /// The labels `read` names, from `trace`, built when first read.
    pub(crate) fn new(trace: &Arc<Trace>, read: Read) -> Labels {
        Labels {
            map: OnceLock::new(),
            of: Arc::clone(trace),
            read,
        }
    }

    fn build(&self) -> BTreeMap<String, Label> {
        let trace = &*self.of;
        let pass = |residual: bool| {
            if residual {
                trace.residual()
            } else {
                &trace.base
            }
        };
        match self.read {
            Read::Outputs { residual } => {
                ports(trace, &pass(residual).states, |p| matches!(p, Port::Out(_)))
            }
            Read::Inputs => ports(trace, &trace.base.states, |p| matches!(p, Port::In(_))),
            Read::Sinks { residual } => {
                ports(trace, &pass(residual).states, |p| matches!(p, Port::Sink))
            }
            Read::Sources => sources(trace),
            Read::Streams => streams(trace),
        }
    }
}

/// The ports `keep` selects, with their labels in `states`, by name. The
/// nodes come sorted by name, so the map is built from sorted entries.
fn ports(
    trace: &Trace,
    states: &[crate::rules::State],
    keep: fn(Port) -> bool,
) -> BTreeMap<String, Label> {
    let g = &trace.graph.graph;
    trace
        .nodes_by_name()
        .iter()
        .filter(|&&n| keep(g[n]))
        .map(|&n| {
            (
                trace.name(n).to_string(),
                trace.label(states[n.index()].label),
            )
        })
        .collect()
}

/// Every stream by `from->to`: its ends' names ranked once, so the streams
/// come (nearly) in the order of their names.
fn streams(trace: &Trace) -> BTreeMap<String, Label> {
    let rank = ranks(trace);
    let mut ends: Vec<&(NodeIndex, NodeIndex, Lab)> = trace.stream_labels.iter().collect();
    ends.sort_unstable_by_key(|&&(from, to, _)| (rank[from.index()], rank[to.index()]));
    ends.into_iter()
        .map(|&(from, to, lab)| {
            let (from, to) = (trace.name(from), trace.name(to));
            let mut name = String::with_capacity(from.len() + to.len() + 2);
            name.push_str(from);
            name.push_str("->");
            name.push_str(to);
            (name, trace.label(lab))
        })
        .collect()
}

/// Every source with the highest label of the streams it produces.
fn sources(trace: &Trace) -> BTreeMap<String, Label> {
    let g = &trace.graph.graph;
    let mut out: BTreeMap<String, Label> = BTreeMap::new();
    for &(from, _, lab) in &trace.stream_labels {
        if !matches!(g[from], Port::Source) {
            continue;
        }
        let label = trace.label(lab);
        let entry = out
            .entry(trace.name(from).to_string())
            .or_insert_with(|| label.clone());
        if entry.severity() < label.severity() {
            *entry = label;
        }
    }
    out
}

/// Per node: its rank among the names of all nodes.
fn ranks(trace: &Trace) -> Vec<u32> {
    let by_name = trace.nodes_by_name();
    let mut rank = vec![0u32; by_name.len()];
    for (i, n) in by_name.iter().enumerate() {
        rank[n.index()] = i as u32;
    }
    rank
}

impl Deref for Labels {
    type Target = BTreeMap<String, Label>;

    fn deref(&self) -> &BTreeMap<String, Label> {
        self.map.get_or_init(|| self.build())
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a String, &'a Label);
    type IntoIter = std::collections::btree_map::Iter<'a, String, Label>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl Clone for Labels {
    fn clone(&self) -> Labels {
        Labels {
            map: self.map.clone(),
            of: Arc::clone(&self.of),
            read: self.read,
        }
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Labels) -> bool {
        **self == **other
    }
}

impl Eq for Labels {}

impl PartialEq<BTreeMap<String, Label>> for Labels {
    fn eq(&self, other: &BTreeMap<String, Label>) -> bool {
        **self == *other
    }
}

#[cfg(test)]
mod tests {
    use crate::{Annotation, Component, Dataflow, Label, Stream, analyze, attrs};

    fn analysis() -> crate::Analysis {
        let d = Dataflow::new()
            .component(Component::new("A").path("i", "o", Annotation::cr()))
            .component(Component::new("B").path("i", "o", Annotation::ow(attrs(["k"]))))
            .stream(Stream::between("src", "A.i").sealed(attrs(["k"])))
            .stream(Stream::between("A.o", "B.i"))
            .stream(Stream::between("B.o", "sink"));
        analyze(&d).expect("valid")
    }

    #[test]
    fn labels_are_built_on_first_read_and_kept() {
        let a = analysis();
        assert!(a.outputs.map.get().is_none(), "built before being read");
        assert_eq!(a.outputs["A.o"], Label::Seal(attrs(["k"])));
        assert!(a.outputs.map.get().is_some());
        let copy = a.outputs.clone();
        assert!(copy.map.get().is_some(), "a clone rebuilds what was built");
        assert_eq!(copy, a.outputs);
    }

    #[test]
    fn every_kind_of_label_is_named() {
        let a = analysis();
        let names = |l: &super::Labels| l.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(&a.outputs), ["A.o", "B.o"]);
        assert_eq!(names(&a.inputs), ["A.i", "B.i"]);
        assert_eq!(names(&a.sinks), ["sink"]);
        assert_eq!(names(&a.sources), ["src"]);
        assert_eq!(names(&a.streams), ["A.o->B.i", "B.o->sink", "src->A.i"]);
        assert_eq!(a.sources["src"], Label::Seal(attrs(["k"])));
        assert_eq!(a.sinks["sink"], Label::Async);
        assert_eq!(a.residual, *a.sinks);
    }
}
