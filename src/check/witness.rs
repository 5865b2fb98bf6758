//! Witnesses of the analysis labels (issue 13, points 1 and 2): for each
//! sink labelled above `Async`, a search over the simulator's schedules for
//! two executions whose outputs differ as the label says. `Run`: two runs
//! give the sink different records. `Inst` and `Diverge`: in one run, two
//! replicas of one component end having sent the sink different records
//! (for `Inst` that is the strongest form: the replicas still disagree at
//! the end).
//!
//! The search first draws random schedules with faults (duplicates,
//! replays, crashes, reordering at sequencers), then enumerates fault-free
//! schedules depth first ([`super::explore`]) until its budget. A witness is
//! minimised: source records are dropped one at a time while a witness
//! remains, then the shortest pair among the schedules of the smallest
//! workload is kept.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use blazes_core::{Analysis, Label};

use super::explore::{Explorer, RandomChooser};
use super::observe::{self, SinkView};
use crate::runtime::BuildError;
use crate::runtime::node::envelope::ProducerId;
use crate::sim::{Choice, SimConfig, SimOutcome, Simulation, SourceEvent, Workload};
use crate::tuple::Tuple;

/// Schedules tried by default, per search.
pub const DEFAULT_SCHEDULES: u64 = 10_000;
/// Random schedules drawn first, by default.
pub const DEFAULT_RANDOM: u64 = 200;

/// One execution of a witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Who produced the outputs: `run A`, or a replica (`Report[1]`).
    pub name: String,
    /// The scheduler's steps, as a user reads them.
    pub steps: Vec<String>,
    /// Faults the run injected (random phase only), e.g. `1 crash`.
    pub faults: String,
    /// The outputs that tell it apart from the other execution.
    pub outputs: BTreeSet<Tuple>,
    /// For a `Diverge` witness of a simulation that probes state
    /// ([`Simulation::probe_state`]): the replica's final state snapshot,
    /// which differs from the other's (then `outputs` is empty).
    pub state: Option<BTreeSet<Tuple>>,
}

/// Two executions whose outputs at a sink differ as its label says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The sink.
    pub sink: String,
    /// Its analysis label.
    pub label: Label,
    /// Source records in the (minimised) workload.
    pub records: usize,
    /// For `Inst`/`Diverge`, both executions are replicas of one run: they
    /// share `left.steps`.
    pub one_run: bool,
    /// The first execution.
    pub left: Execution,
    /// The second.
    pub right: Execution,
}

/// The search at one sink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SinkSearch {
    /// The sink.
    pub sink: String,
    /// Its analysis label (before coordination).
    pub label: Label,
    /// Schedules tried on the full workload.
    pub schedules: u64,
    /// Runs cut short because they only reordered independent deliveries
    /// of a schedule already explored (partial-order reduction).
    pub pruned: u64,
    /// Every schedule of the full workload was explored.
    pub exhausted: bool,
    /// What was found.
    pub witness: Option<Witness>,
}

impl fmt::Display for SinkSearch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.witness {
            Some(w) => write!(f, "{w}"),
            None => writeln!(
                f,
                "sink `{}` ({}): no witness in {} schedule(s) ({} more pruned as equivalent){}",
                self.sink,
                self.label,
                self.schedules,
                self.pruned,
                if self.exhausted {
                    " (every schedule)"
                } else {
                    ""
                }
            ),
        }
    }
}

/// How the search walks the schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchPlan {
    /// Random schedules (with faults) tried first.
    pub random: u64,
    /// At most this many runs in all: schedules explored plus runs pruned
    /// by the reduction (each replays a prefix before it is cut).
    pub budget: u64,
    /// Prune interleavings of independent deliveries.
    pub reduction: bool,
    /// Stop at the first witness (otherwise explore the whole budget).
    pub stop_at_witness: bool,
    /// Minimise witnesses.
    pub minimise: bool,
}

impl Default for SearchPlan {
    fn default() -> SearchPlan {
        SearchPlan {
            random: DEFAULT_RANDOM,
            budget: DEFAULT_SCHEDULES,
            reduction: true,
            stop_at_witness: true,
            minimise: true,
        }
    }
}

/// A search for witnesses of a simulated dataflow's labels.
pub struct WitnessSearch<'a> {
    simulation: &'a Simulation,
    labels: BTreeMap<String, Label>,
    plan: SearchPlan,
}

/// Two replicas and the records each sent the sink.
type ReplicaPair = [(ProducerId, BTreeSet<Tuple>); 2];

/// A run found so far for one observation of a sink.
struct Seen {
    steps: Vec<Choice>,
    faults: String,
    view: SinkView,
}

/// What one search of one workload found at one sink.
#[derive(Default)]
struct Found {
    schedules: u64,
    pruned: u64,
    exhausted: bool,
    /// Runs with distinct outputs, the shortest of each kept.
    runs: BTreeMap<BTreeSet<Tuple>, Seen>,
    /// A run whose replicas disagreed, and whether on their final states
    /// (otherwise on what they sent the sink).
    replicas: Option<(Seen, ReplicaPair, bool)>,
}

impl Found {
    fn witnessed(&self, label: &Label) -> bool {
        match label {
            Label::Run => self.runs.len() > 1,
            _ => self.replicas.is_some(),
        }
    }
}

impl<'a> WitnessSearch<'a> {
    /// A search of `simulation` for witnesses of the sink labels `analysis`
    /// found before coordination (whether the simulation runs the
    /// synthesised coordination is the deployment's choice).
    pub fn new(simulation: &'a Simulation, analysis: &Analysis) -> WitnessSearch<'a> {
        WitnessSearch {
            simulation,
            labels: analysis
                .sinks
                .iter()
                .map(|(sink, label)| (sink.clone(), label.clone()))
                .collect(),
            plan: SearchPlan::default(),
        }
    }

    /// Walks the schedules as `plan` says (builder style).
    pub fn plan(mut self, plan: SearchPlan) -> WitnessSearch<'a> {
        self.plan = plan;
        self
    }

    /// The sinks labelled above `Async`, with their labels.
    pub fn targets(&self) -> Vec<(String, Label)> {
        self.labels
            .iter()
            .filter(|(_, l)| l.severity() > Label::Async.severity())
            .map(|(s, l)| (s.clone(), l.clone()))
            .collect()
    }

    /// Searches every target sink on `workload`.
    pub fn search(&self, workload: &Workload) -> Result<Vec<SinkSearch>, BuildError> {
        self.targets()
            .into_iter()
            .map(|(sink, label)| self.search_sink(workload, &sink, &label))
            .collect()
    }

    /// Searches sink `sink` (labelled `label`) on `workload`.
    pub fn search_sink(
        &self,
        workload: &Workload,
        sink: &str,
        label: &Label,
    ) -> Result<SinkSearch, BuildError> {
        let found = self.explore(workload, sink, label, self.plan.budget)?;
        let mut result = SinkSearch {
            sink: sink.to_string(),
            label: label.clone(),
            schedules: found.schedules,
            pruned: found.pruned,
            exhausted: found.exhausted,
            witness: None,
        };
        if !found.witnessed(label) {
            return Ok(result);
        }
        let (smallest, found) = if self.plan.minimise {
            self.minimise(workload, sink, label, found)?
        } else {
            (workload.clone(), found)
        };
        result.witness = self.witness(&smallest, sink, label, &found);
        Ok(result)
    }

    /// Drops source records one at a time while a witness remains; then
    /// explores the smallest workload (without stopping at the first
    /// witness) to keep the shortest schedules.
    fn minimise(
        &self,
        workload: &Workload,
        sink: &str,
        label: &Label,
        found: Found,
    ) -> Result<(Workload, Found), BuildError> {
        let budget = self.plan.budget.min(2_000);
        let mut current = workload.clone();
        let mut index = 0;
        while index < self.records(&current).len() {
            let fewer = self.without_record(&current, index);
            if self.explore(&fewer, sink, label, budget)?.witnessed(label) {
                current = fewer;
            } else {
                index += 1;
            }
        }
        let mut search = WitnessSearch {
            simulation: self.simulation,
            labels: self.labels.clone(),
            plan: self.plan,
        };
        search.plan.stop_at_witness = false;
        let shortest = search.explore(&current, sink, label, budget)?;
        if shortest.witnessed(label) {
            Ok((current, shortest))
        } else {
            Ok((workload.clone(), found))
        }
    }

    /// The (source, producer, position) of every record of `workload`.
    fn records(&self, workload: &Workload) -> Vec<(String, usize, usize)> {
        let mut out = Vec::new();
        for source in &self.simulation.topology().sources {
            for producer in 0..source.producers.len() {
                for (position, event) in workload.script(&source.name, producer).iter().enumerate()
                {
                    if matches!(event, SourceEvent::Record(_)) {
                        out.push((source.name.clone(), producer, position));
                    }
                }
            }
        }
        out
    }

    /// `workload` without its `index`-th record.
    fn without_record(&self, workload: &Workload, index: usize) -> Workload {
        let drop = self.records(workload).get(index).cloned();
        let mut out = Workload::new();
        for source in &self.simulation.topology().sources {
            for producer in 0..source.producers.len() {
                for (position, event) in workload.script(&source.name, producer).iter().enumerate()
                {
                    if drop.as_ref() != Some(&(source.name.clone(), producer, position)) {
                        out.push(&source.name, producer, event.clone());
                    }
                }
            }
        }
        out
    }

    /// Runs random then enumerated schedules of `workload`, up to `budget`.
    fn explore(
        &self,
        workload: &Workload,
        sink: &str,
        label: &Label,
        budget: u64,
    ) -> Result<Found, BuildError> {
        let mut found = Found::default();
        let stop = |found: &Found| self.plan.stop_at_witness && found.witnessed(label);
        for seed in 0..self.plan.random.min(budget) {
            let config = SimConfig::new(seed)
                .with_faults(0.05, 0.02, 0.01, 1)
                .with_reordering(0.3);
            let mut chooser = RandomChooser::new(seed);
            let outcome = self
                .simulation
                .run_chosen(workload, &config, &mut chooser)?;
            found.schedules += 1;
            self.note(&mut found, sink, label, &outcome, chooser.taken);
            if stop(&found) {
                return Ok(found);
            }
        }
        let mut explorer = Explorer::new(self.plan.reduction);
        loop {
            // Pruned runs are cut short, but each replays its prefix: the
            // budget bounds both.
            if found.schedules + found.pruned >= budget {
                return Ok(found);
            }
            let outcome =
                self.simulation
                    .run_chosen(workload, &SimConfig::new(0), &mut explorer)?;
            if explorer.redundant() {
                found.pruned += 1;
            } else {
                found.schedules += 1;
                self.note(&mut found, sink, label, &outcome, explorer.taken().to_vec());
                if stop(&found) {
                    return Ok(found);
                }
            }
            if !explorer.advance() {
                found.exhausted = true;
                return Ok(found);
            }
        }
    }

    /// Records what one run showed at the sink.
    fn note(
        &self,
        found: &mut Found,
        sink: &str,
        label: &Label,
        outcome: &SimOutcome,
        steps: Vec<Choice>,
    ) {
        let view = observe::view(&outcome.report, sink);
        let faults = faults(outcome);
        let topology = self.simulation.topology();
        // `Diverge` is about replica states at the end: compared when the
        // simulation reads them, else through what the replicas sent.
        let by_state = *label == Label::Diverge && self.simulation.probes_state();
        let pair = if by_state {
            observe::states_differ(topology, &outcome.states)
        } else {
            topology
                .sink(sink)
                .and_then(|s| observe::replicas_differ(topology, &view, s))
        };
        if found.replicas.is_none()
            && let Some(pair) = pair
        {
            found.replicas = Some((
                Seen {
                    steps: steps.clone(),
                    faults: faults.clone(),
                    view: view.clone(),
                },
                pair,
                by_state,
            ));
        }
        let all = observe::union(&view);
        match found.runs.get(&all) {
            Some(seen) if seen.steps.len() <= steps.len() => {}
            _ => {
                found.runs.insert(
                    all,
                    Seen {
                        steps,
                        faults,
                        view,
                    },
                );
            }
        }
    }

    /// The witness `found` holds, as the user reads it.
    fn witness(
        &self,
        workload: &Workload,
        sink: &str,
        label: &Label,
        found: &Found,
    ) -> Option<Witness> {
        let topology = self.simulation.topology();
        let steps = |seen: &Seen| -> Vec<String> {
            seen.steps
                .iter()
                .map(|c| observe::describe(topology, c))
                .collect()
        };
        let records = self.records(workload).len();
        if matches!(label, Label::Run) {
            let mut runs: Vec<&Seen> = found.runs.values().collect();
            runs.sort_by_key(|s| s.steps.len());
            let (a, b) = (runs.first()?, runs.get(1)?);
            let (ua, ub) = (observe::union(&a.view), observe::union(&b.view));
            return Some(Witness {
                sink: sink.to_string(),
                label: label.clone(),
                records,
                one_run: false,
                left: Execution {
                    name: "run A".into(),
                    steps: steps(a),
                    faults: a.faults.clone(),
                    outputs: ua.difference(&ub).cloned().collect(),
                    state: None,
                },
                right: Execution {
                    name: "run B".into(),
                    steps: steps(b),
                    faults: b.faults.clone(),
                    outputs: ub.difference(&ua).cloned().collect(),
                    state: None,
                },
            });
        }
        let (seen, [(pa, sa), (pb, sb)], by_state) = found.replicas.as_ref()?;
        let (outputs_a, outputs_b, state_a, state_b) = if *by_state {
            (
                BTreeSet::new(),
                BTreeSet::new(),
                Some(sa.clone()),
                Some(sb.clone()),
            )
        } else {
            (
                sa.difference(sb).cloned().collect(),
                sb.difference(sa).cloned().collect(),
                None,
                None,
            )
        };
        Some(Witness {
            sink: sink.to_string(),
            label: label.clone(),
            records,
            one_run: true,
            left: Execution {
                name: topology.describe(*pa),
                steps: steps(seen),
                faults: seen.faults.clone(),
                outputs: outputs_a,
                state: state_a,
            },
            right: Execution {
                name: topology.describe(*pb),
                steps: steps(seen),
                faults: seen.faults.clone(),
                outputs: outputs_b,
                state: state_b,
            },
        })
    }
}

/// `1 crash, 2 duplicates`, or empty.
fn faults(outcome: &SimOutcome) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (outcome.crashes, "crash(es)"),
        (outcome.replays, "replay(s)"),
        (outcome.duplicated, "duplicate(s)"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    parts.join(", ")
}

/// Writes a set of tuples as `{a, b}`.
fn set(outputs: &BTreeSet<Tuple>) -> String {
    let items: Vec<String> = outputs.iter().map(Tuple::to_string).collect();
    format!("{{{}}}", items.join(", "))
}

impl fmt::Display for Witness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.one_run {
            writeln!(
                f,
                "sink `{}` is labelled {}: in one run of {} record(s), replicas {} and {} {}",
                self.sink,
                self.label,
                self.records,
                self.left.name,
                self.right.name,
                if self.left.state.is_some() {
                    "end in different states"
                } else {
                    "disagree"
                }
            )?;
            if !self.left.faults.is_empty() {
                writeln!(f, "  faults: {}", self.left.faults)?;
            }
            for (i, step) in self.left.steps.iter().enumerate() {
                writeln!(f, "  {:>3}  {step}", i + 1)?;
            }
        } else {
            writeln!(
                f,
                "sink `{}` is labelled {}: two runs of {} record(s) give it different records",
                self.sink, self.label, self.records
            )?;
            let width = self
                .left
                .steps
                .iter()
                .map(String::len)
                .max()
                .unwrap_or(0)
                .max(5);
            writeln!(f, "       {:<width$}  {}", self.left.name, self.right.name)?;
            for (name, e) in [("A", &self.left), ("B", &self.right)] {
                if !e.faults.is_empty() {
                    writeln!(f, "  faults in {name}: {}", e.faults)?;
                }
            }
            let rows = self.left.steps.len().max(self.right.steps.len());
            let mut same = true;
            for i in 0..rows {
                let a = self.left.steps.get(i).map_or("", String::as_str);
                let b = self.right.steps.get(i).map_or("", String::as_str);
                let mark = if same && a != b {
                    same = false;
                    '*'
                } else {
                    ' '
                };
                writeln!(f, "  {mark}{:>3}  {a:<width$}  {b}", i + 1)?;
            }
        }
        if let (Some(a), Some(b)) = (&self.left.state, &self.right.state) {
            writeln!(f, "  final state of {}: {}", self.left.name, set(a))?;
            return writeln!(f, "  final state of {}: {}", self.right.name, set(b));
        }
        writeln!(f, "  only {}: {}", self.left.name, set(&self.left.outputs))?;
        writeln!(
            f,
            "  only {}: {}",
            self.right.name,
            set(&self.right.outputs)
        )
    }
}
