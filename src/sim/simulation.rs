//! The seeded scheduler.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use blazes_core::{Analysis, Dataflow};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::pace::Pace;

use super::choice::{Choice, Chooser};
use super::config::SimConfig;
use super::network::{From, Link, Message, To};
use crate::runtime::coordination::sequencer::{
    NextStep, OrderRetry, SequencerCore, SequencerError, Unordered,
};
use crate::runtime::deployment::Deployment;
use crate::runtime::error::{BuildError, NameError};
use crate::runtime::factories::Factories;
use crate::runtime::metrics::UnsealedPartition;
use crate::runtime::node::clock::Time;
use crate::runtime::node::envelope::{Delivery, Envelope, InputId, Numbering, ProducerId};
use crate::runtime::node::instance::InstanceCore;
use crate::runtime::node::router::{Destination, Routed};
use crate::runtime::node::topology::Topology;
use crate::runtime::node::{Node, SourceCore};
use crate::runtime::report::RunReport;
use crate::runtime::sink::SinkCollector;
use crate::runtime::workload::{SourceEvent, Workload};
use crate::tuple::Tuple;

/// A dataflow ready to be simulated under many schedules.
pub struct Simulation {
    topology: Topology,
    factories: Factories,
    probes: Vec<StateProbe>,
}

/// Reads the final state of a component's instances through their own
/// handlers: after a run, each instance is fed `probes` on input `input`,
/// and what it emits is its state snapshot (the same reading as
/// [`PathCheck::probe`](crate::check::PathCheck::probe)).
#[derive(Clone, Debug)]
struct StateProbe {
    component: usize,
    input: InputId,
    probes: Vec<Tuple>,
}

/// The producer the probes of a state snapshot come from: no real
/// producer has it.
const PROBE_PRODUCER: ProducerId = ProducerId(u32::MAX);

/// What one simulated run did.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct SimOutcome {
    /// Sinks, counters and dead letters, as a tokio run reports them.
    pub report: RunReport,
    /// Scheduler steps taken.
    pub steps: u64,
    /// Instances crashed and restarted.
    pub crashes: u64,
    /// Links replayed from a checkpoint.
    pub replays: u64,
    /// Messages duplicated by the network.
    pub duplicated: u64,
    /// Times every remaining message was held back by backpressure and one
    /// was admitted beyond the bound to make progress.
    pub stalls: u64,
    /// The run hit `max_steps`.
    pub truncated: bool,
    /// Sequencer calls that failed and were retried.
    pub sequencer_retries: u64,
    /// Messages the sequencer could not order after every retry: a run with
    /// any has failed, whatever its books say (issue 15, fix 5).
    pub unordered: Vec<Unordered>,
    /// A hash of every scheduling decision: equal seeds give equal hashes.
    pub schedule_hash: u64,
    /// The final state snapshot of each instance of a probed component
    /// ([`Simulation::probe_state`]): what it emitted for the probes, after
    /// the run. A probe held by a coordination wrapper (a read waiting for
    /// a seal) answers nothing.
    pub states: BTreeMap<ProducerId, BTreeSet<Tuple>>,
    /// Messages carrying a run of two or more records
    /// ([`Envelope::Records`]) handed to instances: the instances send runs
    /// as the tokio runner's do, and the faults (duplicates, replays,
    /// crashes) apply to them as to any message.
    pub runs_delivered: u64,
    /// Of [`SimOutcome::runs_delivered`], the runs that overlapped what
    /// their instance had delivered: some of their records, not all, were
    /// duplicates (a run the buffer bound had stopped inside, whose rest a
    /// crash lost, brought again whole by its producer's replay).
    pub runs_partly_duplicate: u64,
    /// Partitions reported for waiting past
    /// [`SimConfig::overdue_after_steps`], each once, by instance name
    /// (`Component[i]`), with the producers whose seals were missing then.
    pub overdue: Vec<(String, UnsealedPartition)>,
}

struct SimInstance {
    component: usize,
    node: Node,
    /// What the instance delivered, in order (of a run its bound stopped
    /// inside, the part delivered): replayed into its restart.
    log: Vec<Delivery>,
}

struct SimSource {
    id: ProducerId,
    events: Vec<SourceEvent>,
    next: usize,
    core: SourceCore,
    ended: bool,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Emit(usize),
    Deliver(usize),
}

struct Run<'a> {
    topology: &'a Topology,
    factories: &'a Factories,
    probes: &'a [StateProbe],
    rng: ChaCha8Rng,
    /// How fast each source and link goes in this run.
    pace: Pace,
    /// The paces of the enabled actions, reused step after step.
    weights: Vec<f64>,
    links: Vec<Link>,
    link_index: HashMap<(From, To), usize>,
    instances: Vec<SimInstance>,
    instance_index: HashMap<ProducerId, usize>,
    sources: Vec<SimSource>,
    sequencer: SequencerCore,
    sinks: Vec<SinkCollector>,
    dead: Vec<crate::runtime::DeadLetter>,
    sequencer_duplicates: u64,
    /// Failed sequencer calls for the message at the head of each link.
    sequencer_attempts: HashMap<usize, u32>,
    sequencer_retries: u64,
    unordered: Vec<Unordered>,
    recovering: bool,
    /// The cycle-closing streams ended so far (a prefix of the topology's).
    cycles_ended: usize,
    step: u64,
    hash: u64,
    runs_delivered: u64,
    runs_partly_duplicate: u64,
    routed: Vec<Routed>,
    /// Scratch: routed messages leaving an instance, with their output.
    remote: Vec<(usize, Routed)>,
    /// Scratch: what an instance's bound left of a run it was handed.
    rest: VecDeque<Delivery>,
}

impl Simulation {
    /// Deploys `dataflow` with the plan of `analysis` for simulation.
    ///
    /// Unlike the tokio runner, the simulator runs cycles between
    /// components: end-of-stream cannot flow around a cycle, but the
    /// simulator sees every message, so when nothing is in flight and no
    /// source has anything left, it ends the streams that close the cycles
    /// ([`Topology::cycle_cuts`]) one at a time, in the order of the
    /// cycles' walk from their entry, and lets the ends propagate out.
    pub fn new(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
        factories: Factories,
    ) -> Result<Simulation, BuildError> {
        let topology = factories.deploy(
            Topology::build_allowing_cycles,
            dataflow,
            analysis,
            deployment,
        )?;
        Ok(Simulation {
            topology,
            factories,
            probes: Vec::new(),
        })
    }

    /// After every run, reads the state of each instance of `component` by
    /// feeding it `probes` on its input `input` (a read path, such as a
    /// register's `get`); the answers are [`SimOutcome::states`]. The
    /// witness search compares them for a `Diverge` sink. A component or
    /// input the dataflow lacks is refused.
    pub fn probe_state(
        mut self,
        component: &str,
        input: &str,
        probes: Vec<Tuple>,
    ) -> Result<Simulation, BuildError> {
        let Some(ci) = self.topology.component(component) else {
            return Err(NameError::UnknownComponent {
                name: component.to_string(),
                valid: self.topology.component_names(),
            }
            .into());
        };
        let Some(input) = self.topology.components[ci]
            .inputs
            .iter()
            .position(|i| i == input)
        else {
            return Err(BuildError::UnknownEndpoint(format!("{component}.{input}")));
        };
        self.probes.push(StateProbe {
            component: ci,
            input,
            probes,
        });
        Ok(self)
    }

    /// True when runs end with state snapshots of some component.
    pub fn probes_state(&self) -> bool {
        !self.probes.is_empty()
    }

    /// The deployed topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Runs `workload` under the schedule `config` describes. A workload
    /// feeding a source or producer the deployment lacks is refused
    /// ([`BuildError::Name`]).
    pub fn run(&self, workload: &Workload, config: &SimConfig) -> Result<SimOutcome, BuildError> {
        workload.check(&self.topology)?;
        let mut run = Run::new(self, workload, config)?;
        Ok(run.execute(config, None))
    }

    /// Runs `workload` with `chooser` picking every step's action among the
    /// enabled ones (the seeded random choice is not used for that; faults
    /// still follow `config`). The same chooser answers give the same run.
    pub fn run_chosen(
        &self,
        workload: &Workload,
        config: &SimConfig,
        chooser: &mut dyn Chooser,
    ) -> Result<SimOutcome, BuildError> {
        workload.check(&self.topology)?;
        let mut run = Run::new(self, workload, config)?;
        Ok(run.execute(config, Some(chooser)))
    }
}

/// An instance's node as the simulator runs it: sending runs of records
/// ([`Envelope::Records`]) as the tokio runner's do.
fn sim_node(core: InstanceCore, seed: u64) -> Node {
    let mut node = Node::new(core, seed);
    node.send_runs();
    node
}

/// What was delivered of `whole` when the buffer bound left `rest` of it:
/// the run's records before the rest's first.
fn delivered_part(whole: Delivery, rest: &Delivery) -> Delivery {
    let Delivery::Direct {
        input,
        envelope:
            Envelope::Records {
                producer,
                seq,
                records,
            },
    } = whole
    else {
        return whole;
    };
    let taken = rest.envelope().seq().saturating_sub(seq) as usize;
    Delivery::Direct {
        input,
        envelope: Envelope::Records {
            producer,
            seq,
            records: records.prefix(taken),
        },
    }
}

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl<'a> Run<'a> {
    fn new(
        sim: &'a Simulation,
        workload: &Workload,
        config: &SimConfig,
    ) -> Result<Run<'a>, BuildError> {
        let topology = &sim.topology;
        let mut instances = Vec::new();
        let mut instance_index = HashMap::new();
        for (ci, id) in topology.instances() {
            let info = &topology.components[ci];
            let core = InstanceCore::new(topology, info, id, sim.factories.make(&info.name)?);
            instance_index.insert(id, instances.len());
            instances.push(SimInstance {
                component: ci,
                node: sim_node(core, topology.seed),
                log: Vec::new(),
            });
        }
        let mut sources = Vec::new();
        for s in &topology.sources {
            for (index, id) in s.producers.iter().enumerate() {
                sources.push(SimSource {
                    id: *id,
                    events: workload.script(&s.name, index).to_vec(),
                    next: 0,
                    core: SourceCore::new(*id, topology.seed),
                    ended: false,
                });
            }
        }
        let sinks = (0..topology.sinks.len())
            .map(|s| topology.sink_collector(s))
            .collect();
        let mut run = Run {
            topology,
            factories: &sim.factories,
            probes: &sim.probes,
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            pace: Pace::new(config.seed, config.uniform_pace),
            weights: Vec::new(),
            links: Vec::new(),
            link_index: HashMap::new(),
            instances,
            instance_index,
            sources,
            sequencer: SequencerCore::new(),
            sinks,
            dead: Vec::new(),
            sequencer_duplicates: 0,
            sequencer_attempts: HashMap::new(),
            sequencer_retries: 0,
            unordered: Vec::new(),
            recovering: false,
            cycles_ended: 0,
            step: 0,
            hash: 0xcbf2_9ce4_8422_2325,
            runs_delivered: 0,
            runs_partly_duplicate: 0,
            routed: Vec::new(),
            remote: Vec::new(),
            rest: VecDeque::new(),
        };
        for i in 0..run.instances.len() {
            run.instances[i]
                .node
                .start(run.topology, Time::from_ticks(run.step));
            run.ship(i);
        }
        Ok(run)
    }

    fn note(&mut self, value: u64) {
        for b in value.to_le_bytes() {
            self.hash ^= u64::from(b);
            self.hash = self.hash.wrapping_mul(FNV_PRIME);
        }
    }

    fn link(&mut self, from: From, to: To) -> usize {
        if let Some(i) = self.link_index.get(&(from, to)) {
            return *i;
        }
        self.links.push(Link::new(from, to));
        self.link_index.insert((from, to), self.links.len() - 1);
        self.links.len() - 1
    }

    fn send(&mut self, from: From, to: To, message: Message) {
        let l = self.link(from, to);
        if self.recovering {
            self.links[l].queue.push_back(super::network::Queued {
                message,
                original: None,
            });
        } else {
            self.links[l].send(message);
        }
    }

    fn send_routed(&mut self, from: ProducerId, routed: Routed) {
        let (to, message) = match routed.to {
            Destination::Instance(p) => (
                To::Instance(p),
                Message::Instance(Delivery::Direct {
                    input: routed.input,
                    envelope: routed.envelope,
                }),
            ),
            Destination::Group(g) => (
                To::Sequencer(g),
                Message::Sequencer(routed.input, routed.envelope),
            ),
            Destination::Sink(s) => (To::Sink(s), Message::Sink(routed.envelope)),
        };
        self.send(From::Producer(from), to, message);
    }

    /// Sends what instance `i` routed elsewhere and keeps its dead letters
    /// (dropped while it recovers: they were kept the first time).
    fn ship(&mut self, i: usize) {
        let me = self.instances[i].node.id();
        let dead = self.instances[i].node.take_dead_letters();
        if !self.recovering {
            self.dead.extend(dead);
        }
        let mut remote = std::mem::take(&mut self.remote);
        remote.extend(self.instances[i].node.remote());
        for (_, r) in remote.drain(..) {
            self.send_routed(me, r);
        }
        self.remote = remote;
    }

    /// Hands instance `i` one message as the tokio runner hands it a
    /// received batch ([`Node::deliver_run`]: the same delivery loop, runs
    /// emitted as runs); returns what the buffer bound left of a run of
    /// records.
    fn deliver_to(&mut self, i: usize, delivery: Delivery) -> Option<Delivery> {
        let mut rest = std::mem::take(&mut self.rest);
        self.instances[i].node.deliver_run(
            self.topology,
            delivery,
            &mut rest,
            Time::from_ticks(self.step),
        );
        let left = rest.pop_front();
        self.rest = rest;
        left
    }

    fn enabled(&mut self, actions: &mut Vec<Action>) {
        actions.clear();
        for (s, source) in self.sources.iter().enumerate() {
            if !source.ended {
                actions.push(Action::Emit(s));
            }
        }
        for l in 0..self.links.len() {
            let Some(head) = self.links[l].queue.front() else {
                self.links[l].blocked = false;
                continue;
            };
            let blocked = match (&self.links[l].to, &head.message) {
                (To::Instance(p), Message::Instance(m)) => self
                    .instance_index
                    .get(p)
                    .is_some_and(|i| self.instances[*i].node.core().would_block(m)),
                _ => false,
            };
            if blocked
                && !self.links[l].blocked
                && let To::Instance(p) = self.links[l].to
                && let Some(i) = self.instance_index.get(&p)
            {
                self.instances[*i].node.core_mut().note_backpressure();
            }
            self.links[l].blocked = blocked;
            if !blocked {
                actions.push(Action::Deliver(l));
            }
        }
    }

    /// The action as a chooser sees it.
    fn choice(&self, action: Action) -> Choice {
        match action {
            Action::Emit(s) => Choice::Emit {
                producer: self.sources[s].id,
            },
            Action::Deliver(l) => {
                let link = &self.links[l];
                let (producer, seq) = link.queue.front().map_or((ProducerId(0), 0), |q| {
                    let e = q.message.envelope();
                    (e.producer(), e.seq())
                });
                Choice::Deliver {
                    from: link.from,
                    to: link.to,
                    producer,
                    seq,
                }
            }
        }
    }

    fn execute(&mut self, config: &SimConfig, mut chooser: Option<&mut dyn Chooser>) -> SimOutcome {
        let mut outcome = SimOutcome::default();
        let mut actions = Vec::new();
        let mut choices = Vec::new();
        loop {
            if self.step >= config.max_steps {
                outcome.truncated = true;
                break;
            }
            self.enabled(&mut actions);
            let action = if actions.is_empty() {
                match self.links.iter().position(|l| !l.queue.is_empty()) {
                    Some(l) => {
                        outcome.stalls += 1;
                        if let To::Instance(p) = self.links[l].to
                            && let Some(&i) = self.instance_index.get(&p)
                        {
                            self.instances[i].node.core_mut().note_stall();
                        }
                        Action::Deliver(l)
                    }
                    None if self.end_next_cycle() => continue,
                    None => break,
                }
            } else if let Some(chooser) = chooser.as_deref_mut() {
                choices.clear();
                choices.extend(actions.iter().map(|a| self.choice(*a)));
                let Some(index) = chooser.choose(&choices) else {
                    outcome.truncated = true;
                    break;
                };
                actions.get(index).copied().unwrap_or(actions[0])
            } else {
                let mut weights = std::mem::take(&mut self.weights);
                weights.clear();
                weights.extend(actions.iter().map(|a| match a {
                    Action::Emit(s) => self.pace.source(*s),
                    Action::Deliver(l) => self.pace.link(*l),
                }));
                let action = actions[Pace::pick(&weights, &mut self.rng)];
                self.weights = weights;
                action
            };
            self.step += 1;
            if let Some(after) = config.overdue_after_steps
                && self.step.is_multiple_of((after / 4).max(1))
            {
                self.report_overdue(after, &mut outcome.overdue);
            }
            if outcome.crashes < config.max_crashes && self.rng.random_bool(config.crash) {
                self.crash();
                outcome.crashes += 1;
                continue;
            }
            if self.rng.random_bool(config.replay) && self.replay_some_link() {
                outcome.replays += 1;
            }
            match action {
                Action::Emit(s) => self.emit(s),
                Action::Deliver(l) => {
                    if self.deliver(l, config) {
                        outcome.duplicated += 1;
                    }
                }
            }
        }
        outcome.steps = self.step;
        outcome.sequencer_retries = self.sequencer_retries;
        outcome.unordered = std::mem::take(&mut self.unordered);
        outcome.schedule_hash = self.hash;
        outcome.runs_delivered = self.runs_delivered;
        outcome.runs_partly_duplicate = self.runs_partly_duplicate;
        outcome.report = self.finish();
        if outcome.truncated {
            outcome.report.truncated = Some(crate::runtime::report::Truncated {
                steps: self.step,
                in_flight: self.links.iter().map(|l| l.queue.len()).sum(),
            });
        }
        outcome.states = self.probe_states();
        outcome
    }

    /// Feeds each probed instance its probes (after the run's report is
    /// taken) and keeps what it emits, unrouted.
    fn probe_states(&mut self) -> BTreeMap<ProducerId, BTreeSet<Tuple>> {
        let mut states = BTreeMap::new();
        for probe in self.probes {
            for id in &self.topology.components[probe.component].instances {
                let Some(&i) = self.instance_index.get(id) else {
                    continue;
                };
                let core = self.instances[i].node.core_mut();
                core.open_outputs_for_probes();
                let mut numbering = Numbering::new(PROBE_PRODUCER);
                let mut state = BTreeSet::new();
                for tuple in &probe.probes {
                    let envelope = numbering.record(tuple.clone());
                    core.deliver(
                        Delivery::Direct {
                            input: probe.input,
                            envelope,
                        },
                        Time::from_ticks(self.step),
                    );
                    for (_, sent) in core.take_sends() {
                        for single in sent.into_singles() {
                            if let Envelope::Record { payload, .. } = single {
                                state.insert(payload.into_tuple());
                            }
                        }
                    }
                }
                core.take_dead_letters();
                states.insert(*id, state);
            }
        }
        states
    }

    /// At quiescence, ends the next stream closing a cycle: every instance
    /// of its producer sends its end on it, numbered after everything it
    /// sent (a later real end is then a duplicate). False when every such
    /// stream has been ended.
    fn end_next_cycle(&mut self) -> bool {
        let Some(cut) = self.topology.cycle_cuts().get(self.cycles_ended).copied() else {
            return false;
        };
        self.cycles_ended += 1;
        self.note(5);
        self.note(self.cycles_ended as u64);
        let targets: Vec<To> = self
            .topology
            .cut_destinations(cut)
            .into_iter()
            .map(|d| match d {
                Destination::Instance(i) => To::Instance(i),
                Destination::Group(g) => To::Sequencer(g),
                Destination::Sink(s) => To::Sink(s),
            })
            .collect();
        for &producer in &self.topology.components[cut.component].instances {
            let envelope = Envelope::End {
                producer,
                seq: self.next_seq(producer),
            };
            for &to in &targets {
                let message = match to {
                    To::Sequencer(_) => Message::Sequencer(cut.input, envelope.clone()),
                    _ => Message::Instance(Delivery::Direct {
                        input: cut.input,
                        envelope: envelope.clone(),
                    }),
                };
                self.send(From::Producer(producer), to, message);
            }
        }
        true
    }

    /// The `seq` after the last one `producer` sent on any link.
    fn next_seq(&self, producer: ProducerId) -> u64 {
        self.links
            .iter()
            .filter(|l| l.from == From::Producer(producer))
            .flat_map(|l| &l.history)
            .map(|m| {
                let envelope = m.envelope();
                // A run takes a seq per record.
                let taken = envelope.record_count().max(1) as u64;
                envelope.seq().saturating_add(taken)
            })
            .max()
            .unwrap_or(0)
    }

    fn emit(&mut self, s: usize) {
        self.note(1);
        self.note(s as u64);
        let source = &mut self.sources[s];
        match source.events.get(source.next) {
            Some(SourceEvent::Record(t)) => source.core.record(self.topology, t.clone()),
            Some(SourceEvent::Seal(k)) => source.core.seal(self.topology, k.clone()),
            None => {
                source.ended = true;
                source.core.end(self.topology);
            }
        }
        source.next += 1;
        let id = source.id;
        let mut routed = std::mem::take(&mut self.routed);
        routed.extend(self.sources[s].core.routed());
        for r in routed.drain(..) {
            self.send_routed(id, r);
        }
        self.routed = routed;
    }

    /// Reports, once each, the partitions that have waited more than
    /// `after` steps (checked every quarter of it, so at most a quarter late).
    fn report_overdue(&mut self, after: u64, out: &mut Vec<(String, UnsealedPartition)>) {
        for instance in &mut self.instances {
            let name = self.topology.describe(instance.node.id());
            for partition in instance
                .node
                .core_mut()
                .report_overdue(Time::from_ticks(self.step), after)
            {
                out.push((name.clone(), partition));
            }
        }
    }

    /// Delivers the head of link `l`; true when the network duplicated it.
    fn deliver(&mut self, l: usize, config: &SimConfig) -> bool {
        let len = self.links[l].queue.len();
        let index = if matches!(self.links[l].from, From::Sequencer(_))
            && len > 1
            && self.rng.random_bool(config.reorder)
        {
            self.rng.random_range(0..len)
        } else {
            0
        };
        let Some(queued) = self.links[l].take_at(index) else {
            return false;
        };
        let original = queued.original;
        self.note(2);
        self.note(l as u64);
        self.note(queued.message.envelope().seq());
        let duplicated = self.rng.random_bool(config.duplicate);
        if duplicated {
            self.links[l].queue.push_back(queued.clone());
        }
        if !matches!(queued.message, Message::Instance(_)) {
            self.links[l].note_delivered(original);
        }
        match (self.links[l].to, queued.message) {
            (To::Instance(p), Message::Instance(delivery)) => {
                let Some(&i) = self.instance_index.get(&p) else {
                    self.links[l].note_delivered(original);
                    return duplicated;
                };
                let logged = delivery.clone();
                let in_run = delivery.envelope().record_count();
                let duplicates_before = self.instances[i].node.core().metrics().duplicate_records;
                let rest = self.deliver_to(i, delivery);
                if in_run > 1 {
                    self.runs_delivered += 1;
                    let metrics = self.instances[i].node.core().metrics();
                    let duplicates = metrics.duplicate_records - duplicates_before;
                    if duplicates > 0 && duplicates < in_run as u64 {
                        self.runs_partly_duplicate += 1;
                    }
                }
                match rest {
                    Some(rest) => {
                        // The bound stopped inside a run: the rest waits
                        // at the front of the link, as under tokio.
                        self.instances[i].log.push(delivered_part(logged, &rest));
                        self.links[l].put_back(Message::Instance(rest), original);
                    }
                    None => {
                        self.instances[i].log.push(logged);
                        self.links[l].note_delivered(original);
                    }
                }
                self.ship(i);
                return duplicated;
            }
            (To::Sequencer(g), Message::Sequencer(input, envelope)) => {
                let group = &self.topology.groups[g];
                let (producer, seq) = (envelope.producer(), envelope.seq());
                let result = if config.sequencer_failure > 0.0
                    && self.rng.random_bool(config.sequencer_failure)
                {
                    Err(SequencerError::Injected)
                } else {
                    Ok(self.sequencer.assign(&group.name, producer, seq))
                };
                let attempt = self.sequencer_attempts.remove(&l).unwrap_or(0) + 1;
                let step = OrderRetry::default().next(
                    &group.name,
                    producer,
                    seq,
                    attempt,
                    result,
                    &mut self.rng,
                );
                match step {
                    NextStep::Retry(_) => {
                        // Called again when the scheduler next picks this link.
                        self.sequencer_retries += 1;
                        self.sequencer_attempts.insert(l, attempt);
                        self.links[l].queue.push_front(super::network::Queued {
                            message: Message::Sequencer(input, envelope),
                            original: None,
                        });
                    }
                    NextStep::GiveUp(unordered) => self.unordered.push(unordered),
                    NextStep::Forward(position) => {
                        for m in group.members.clone() {
                            self.send(
                                From::Sequencer(g),
                                To::Instance(m),
                                Message::Instance(Delivery::Ordered {
                                    position,
                                    input,
                                    envelope: envelope.clone(),
                                }),
                            );
                        }
                    }
                    NextStep::Replay => self.sequencer_duplicates += 1,
                }
            }
            (To::Sink(s), Message::Sink(envelope)) => self.sinks[s].deliver(envelope),
            _ => {}
        }
        duplicated
    }

    /// Replays a random link from a random checkpoint; false if no link has
    /// delivered anything yet.
    fn replay_some_link(&mut self) -> bool {
        let candidates: Vec<usize> = (0..self.links.len())
            .filter(|l| self.links[*l].delivered > 0)
            .collect();
        if candidates.is_empty() {
            return false;
        }
        let l = candidates[self.rng.random_range(0..candidates.len())];
        let delivered = self.links[l].delivered;
        let checkpoint = self.rng.random_range(0..delivered);
        self.note(3);
        self.note(l as u64);
        self.note(checkpoint as u64);
        self.links[l].replay(checkpoint, delivered);
        true
    }

    /// Crashes a random instance: the messages in flight to it are lost; it
    /// restarts from a fresh handler and its input log, and every producer
    /// feeding it replays from a checkpoint at or before what it delivered.
    fn crash(&mut self) {
        if self.instances.is_empty() {
            return;
        }
        let i = self.rng.random_range(0..self.instances.len());
        let id = self.instances[i].node.id();
        self.note(4);
        self.note(u64::from(id.0));
        tracing::debug!(instance = %id, step = self.step, "simulated crash");
        let delivery: Vec<usize> = (0..self.links.len())
            .filter(|l| self.links[*l].to == To::Instance(id))
            .collect();
        for &l in &delivery {
            self.links[l].queue.clear();
        }
        let info = &self.topology.components[self.instances[i].component];
        let Ok(handler) = self.factories.make(&info.name) else {
            return;
        };
        let core = InstanceCore::new(self.topology, info, id, handler);
        let log = std::mem::take(&mut self.instances[i].log);
        self.recovering = true;
        let mut node = sim_node(core, self.topology.seed);
        node.start(self.topology, Time::from_ticks(self.step));
        self.instances[i].node = node;
        self.ship(i);
        for message in &log {
            // All of it: the log holds what the instance delivered.
            let mut next = Some(message.clone());
            while let Some(message) = next {
                next = self.deliver_to(i, message);
                self.ship(i);
            }
        }
        self.recovering = false;
        self.instances[i].log = log;
        for l in delivery {
            let delivered = self.links[l].delivered;
            let checkpoint = self.rng.random_range(0..=delivered);
            let end = self.links[l].history.len();
            self.links[l].replay(checkpoint, end);
        }
    }

    fn finish(&mut self) -> RunReport {
        let mut report = RunReport::default();
        for i in 0..self.instances.len() {
            self.instances[i]
                .node
                .core_mut()
                .shutdown(Time::from_ticks(self.step));
            self.dead
                .extend(self.instances[i].node.core_mut().take_dead_letters());
            report.instances.push(
                self.instances[i]
                    .node
                    .core_mut()
                    .snapshot(Time::from_ticks(self.step)),
            );
        }
        report.dead_letters = std::mem::take(&mut self.dead);
        report.sequencer_duplicates = self.sequencer_duplicates;
        let sinks: BTreeMap<String, SinkCollector> = self
            .topology
            .sinks
            .iter()
            .cloned()
            .zip(std::mem::take(&mut self.sinks))
            .collect();
        report.sinks = sinks;
        report
    }
}
