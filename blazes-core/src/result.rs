//! What the analysis returns: labels, derivations, the coordination plan,
//! residual labels and the violations of the requirement.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::label::{Annotation, AttrSet, Internal, Label, attrs_to_string};
use crate::labels::Labels;
use crate::model::{Permission, Requirement};
use crate::trace::Trace;

/// An inference rule of paper Fig. 9 (spec §4.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `OR_g` over `Async`, `Run` or `Seal` adds `NDRead_g`.
    R1,
    /// `OW_g` over `Async` or `Run` adds `Taint`.
    R2,
    /// `CW` or `OW_g` over `Inst` adds `Taint`.
    R3,
    /// `OW_g` over an incompatible `Seal_k` adds `Taint`.
    R4,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::R1 => "R1",
            Rule::R2 => "R2",
            Rule::R3 => "R3",
            Rule::R4 => "R4",
        })
    }
}

/// How a contribution reaches the output being derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// A path of the component from this input interface into the output.
    Path {
        /// The component.
        component: String,
        /// The input interface.
        input: String,
    },
    /// A write path of the component from `input` into another `output`:
    /// the derived output's `OR` paths read the state it writes (spec §4.1).
    /// It protects those reads or not, and adds no label of its own.
    State {
        /// The component.
        component: String,
        /// The write path's input interface.
        input: String,
        /// The write path's own output interface.
        output: String,
    },
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Via::Path { component, input } => write!(f, "{component}.{input}"),
            Via::State {
                component,
                input,
                output,
            } => write!(f, "{component}.{input} -> {output}"),
        }
    }
}

/// One path's part in a node's label: its input label, its annotation, the
/// rule that fired (if any) and the label it preserves (rule `(p)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// Where the input comes from.
    pub via: Via,
    /// The input label `L_in`.
    pub input: Label,
    /// The path's annotation, as the user wrote it.
    pub annotation: Annotation,
    /// The inference rule that fired and the internal label it added.
    pub fired: Option<(Rule, Internal)>,
    /// The label the path passes on.
    pub preserved: Label,
    /// The producers feeding this part's input: `Comp.iface` outputs or
    /// source names.
    pub upstream: Vec<String>,
}

/// One step of reconciliation (paper Fig. 10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reconciled {
    /// `Taint` was present: `rep ? Diverge : Run` was added, or, under
    /// ordering, `Run` (dynamic) or nothing (static).
    Taint {
        /// The label added; `None` when static ordering repaired it.
        added: Option<Label>,
    },
    /// An `NDRead` was not protected: `rep ? Inst : Run` was added, or, under
    /// ordering, `Run` (dynamic) or nothing (static).
    Unprotected {
        /// Its gates.
        gates: Vec<AttrSet>,
        /// The label added; `None` when static ordering repaired it.
        added: Option<Label>,
    },
    /// An `NDRead` was protected by compatible seals on every write path
    /// (or because no path writes).
    Protected {
        /// Its gates.
        gates: Vec<AttrSet>,
        /// The seal keys of the write paths (empty when nothing writes).
        seals: Vec<AttrSet>,
    },
}

/// How ordering is realised at a node (spec §5).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OrderKind {
    /// Inputs carry `seq`: applied in that order, no service needed.
    Static {
        /// The sequence attribute(s).
        seq: AttrSet,
    },
    /// A sequencer decides one order per run.
    Dynamic,
}

impl fmt::Display for OrderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderKind::Static { seq } => write!(f, "static on seq {}", attrs_to_string(seq)),
            OrderKind::Dynamic => f.write_str("dynamic (sequencer)"),
        }
    }
}

/// The derivation of one output's label: contributions, reconciliation, merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derivation {
    /// The output, `Comp.iface`.
    pub node: String,
    /// Its component.
    pub component: String,
    /// Whether the component is replicated for the analysis.
    pub rep: bool,
    /// The output lies on a cycle: its label is the fixpoint of spec §4.2,
    /// "introduced" compares with the labels entering the cycle, and the
    /// derivation shown is the evaluation that raised the output to its label
    /// (later sweeps may only feed that label back to it).
    pub in_cycle: bool,
    /// Each path's part: the paths into the output, then (when one of them
    /// reads) the component's write paths into other outputs.
    pub contributions: Vec<Contribution>,
    /// What reconciliation did.
    pub reconciled: Vec<Reconciled>,
    /// Ordering applied at this output in this pass, if any.
    pub ordered: Option<OrderKind>,
    /// The merged label.
    pub label: Label,
    /// True when reconciliation added a label more severe than every label
    /// the output inherits (spec §5).
    pub introduced: bool,
}

/// The vote a seal buffer takes before releasing a partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vote {
    /// Every producer of the partition must seal it.
    Unanimous,
    /// One producer per partition: its seal suffices.
    Independent,
}

impl fmt::Display for Vote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Vote::Unanimous => "unanimous",
            Vote::Independent => "independent",
        })
    }
}

/// The coordination chosen at one component.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// A seal buffer on `key`.
    Seal {
        /// The seal key.
        key: AttrSet,
        /// The vote.
        vote: Vote,
    },
    /// Ordering of the offending inputs.
    Order {
        /// Static or dynamic.
        kind: OrderKind,
    },
}

/// One coordination point of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coordination {
    /// The component where the wrapper goes.
    pub component: String,
    /// Seal or order.
    pub strategy: Strategy,
    /// The input interfaces the wrapper holds or orders.
    pub inputs: Vec<String>,
    /// The output whose label it protects or repairs (`Comp.iface`).
    pub output: String,
    /// Whether the permission lets blazes synthesise it.
    pub applied: bool,
}

/// A way to remove a violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fix {
    /// Seal a stream on a key compatible with the gate.
    Seal {
        /// The streams to seal (as `from->to` or a source name).
        streams: Vec<String>,
        /// The gate the key must be compatible with: any non-empty subset works.
        gate: AttrSet,
    },
    /// Accept ordering at a component.
    Order {
        /// The component.
        component: String,
        /// Static when the inputs carry `seq`, else dynamic.
        kind: OrderKind,
        /// The label the node then has at best.
        yields: Label,
    },
    /// Annotate the offending inputs with `seq` for a static order.
    Sequence {
        /// The streams that need `seq`.
        streams: Vec<String>,
    },
    /// The anomaly comes from upstream: fix that node first.
    Upstream {
        /// The upstream node.
        node: String,
    },
}

/// A node where the anomaly reaching a violating sink is introduced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    /// The node (`Comp.iface`, or a cycle).
    pub node: String,
    /// Its label.
    pub label: Label,
    /// Why, in plain words.
    pub why: String,
    /// What would fix it.
    pub fixes: Vec<Fix>,
    /// The annotations the user wrote where the anomaly starts: the paths
    /// whose inference rule fired (tainting paths, unprotected reads and the
    /// write paths they race with), in derivation order, each once.
    pub origins: Vec<Origin>,
}

/// A user-written annotation, named so that a front end can locate it in its
/// own source (a grey-box file, a Rust `#[path]`, a SQL clause).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// The path `component.from -> component.to`.
    Path {
        /// The component.
        component: String,
        /// Its input interface.
        from: String,
        /// Its output interface.
        to: String,
    },
}

/// How the fixpoint of one cycle of the port graph went (spec §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CycleStats {
    /// Ports in the cycle (its strongly connected part).
    pub ports: usize,
    /// Sweeps over the cycle, in reverse postorder, until no label changed.
    pub sweeps: usize,
    /// Port evaluations in all sweeps.
    pub evaluations: usize,
}

/// A sink whose residual label exceeds the requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The sink's name.
    pub sink: String,
    /// Its residual label.
    pub label: Label,
    /// The nodes where the anomaly is introduced, upstream first (as named
    /// in [`Derivation::node`]); [`Analysis::causes`] explains them.
    pub causes: Vec<String>,
}

/// Everything the analysis found.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The dataflow's name, if any.
    pub name: Option<String>,
    /// The requirement checked.
    pub requires: Requirement,
    /// The coordination permitted.
    pub coordinate: Permission,
    /// Analysis labels of output interfaces, by `Comp.iface` (spec §4).
    pub outputs: Labels,
    /// Analysis labels of input interfaces, by `Comp.iface`.
    pub inputs: Labels,
    /// Analysis labels of sinks.
    pub sinks: Labels,
    /// Labels of sources as declared.
    pub sources: Labels,
    /// Labels of streams, by `from->to`, after the stream's own seal (spec §1).
    pub streams: Labels,
    /// The coordination plan (spec §5).
    pub coordination: Vec<Coordination>,
    /// Output labels after the permitted coordination.
    pub residual_outputs: Labels,
    /// Sink labels after the permitted coordination.
    pub residual: Labels,
    /// Sinks above the requirement.
    pub violations: Vec<Violation>,
    /// For each sink, the producers feeding it.
    pub sink_feeds: BTreeMap<String, Vec<String>>,
    /// The passes, kept to build derivations on request.
    pub(crate) trace: Arc<Trace>,
}

impl Analysis {
    /// True when every sink meets the requirement after coordination.
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// True when the output interface `node` (`Comp.iface`) lies on a cycle
    /// of the port graph (spec §4.2): the loop can make more records of a
    /// partition after any punctuation, so no seal carries through it.
    /// False for a name that is no output interface.
    pub fn in_cycle(&self, node: &str) -> bool {
        let graph = &self.trace.graph;
        self.trace
            .output_port(node)
            .is_some_and(|port| graph.is_cycle(graph.scc_of[port.index()]))
    }

    /// True when the input interface `node` (`Comp.iface`) is sealed with
    /// one producer per partition (spec §4.4: a stream declared
    /// `independent`, the input's only part), so that one producer's seal
    /// completes a partition; false otherwise, and for a name that is no
    /// input interface. What every wrapper counting that input's seals
    /// (seal buffer, forwarder, the instance's own vote) must apply.
    pub fn independent_input(&self, node: &str) -> bool {
        let trace = &self.trace;
        let g = &trace.graph.graph;
        g.node_indices()
            .filter(|&n| matches!(g[n], crate::portgraph::Port::In(_)))
            .find(|&n| trace.name(n) == node)
            .is_some_and(|n| {
                let state = trace.base.states[n.index()];
                state.independent && matches!(state.label, crate::rules::Lab::Seal(_))
            })
    }

    /// How the analysis solved each cycle of the port graph, in topological
    /// order (spec §4.2).
    pub fn cycles(&self) -> &[CycleStats] {
        &self.trace.base.cycles
    }

    /// The derivation of an output (`Comp.iface`, as named in
    /// [`Derivation::node`]) in the analysis (spec §4). Built on request:
    /// large dataflows pay only for what is explained.
    pub fn derivation(&self, node: &str) -> Option<Derivation> {
        self.trace.find(&self.trace.base, node)
    }

    /// The same after the permitted coordination (ordering repairs under
    /// `coordinate: auto`).
    pub fn residual_derivation(&self, node: &str) -> Option<Derivation> {
        self.trace.find(self.trace.residual(), node)
    }

    /// Why `node` (named in [`Violation::causes`]) introduces its anomaly,
    /// and what would fix it. Built on request.
    pub fn cause(&self, node: &str) -> Option<Cause> {
        crate::causes::cause(&self.trace, node)
    }

    /// The causes of a violation, explained.
    pub fn causes(&self, violation: &Violation) -> Vec<Cause> {
        violation
            .causes
            .iter()
            .filter_map(|node| self.cause(node))
            .collect()
    }

    /// Every derivation of the analysis, each node once, upstream first.
    pub fn derivations(&self) -> Vec<Derivation> {
        self.trace.all(&self.trace.base)
    }
}
