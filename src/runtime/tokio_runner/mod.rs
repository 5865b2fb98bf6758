//! Runs a deployed dataflow on tokio: one task per component instance, one
//! per ordered group (calling the [`Sequencer`]) and one per sink. Every
//! producer-to-instance link is its own bounded channel of message batches
//! ([`Batch`], sized by [`LinkSizing`]), so an instance at its buffer bound
//! stops reading only the links whose next record it cannot hold, and their
//! producers wait for capacity (backpressure), while seals on other links
//! still get through. An instance delivers a received batch message by
//! message and sends what it routed in batches once it has delivered it.

mod group;
mod quiescence;
mod receive_links;
mod send_queues;
mod stall_watch;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use blazes_core::{Analysis, Dataflow};
use tokio::sync::mpsc::{Receiver, UnboundedReceiver, UnboundedSender, channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::dead_letter::DeadLetter;
use super::deployment::Deployment;
use super::error::{BuildError, NameError, RunError};
use super::factories::Factories;
use super::metrics::InstanceSnapshot;
use super::node::{Node, SourceCore};
use super::report::RunReport;
use super::sink::SinkCollector;
use super::telemetry::InstanceSeries;
use super::workload::{SourceEvent, Workload};
use crate::record::Record;
use crate::runtime::coordination::sequencer::{EmbeddedSequencer, Sequencer, Unordered};
use crate::runtime::node::clock::Time;
use crate::runtime::node::envelope::{Delivery, InputId, OutputId, ProducerId};
use crate::runtime::node::instance::InstanceCore;
use crate::runtime::node::payload::Payload;
use crate::runtime::node::router::{Destination, Routed};
use crate::runtime::node::topology::{CycleCut, NodeRef, Topology};
use group::{GroupOutcome, run_group};
use quiescence::{Cycles, Quiescence, end_cycles};
use receive_links::{Event, InLink, ReceiveLinks};
use send_queues::{Batch, DestinationSenders, LinkSizing, SendQueues};
use stall_watch::{OpenSource, StallWatch};

/// Builds a dataflow's tasks from its analysis, deployment and handlers.
pub struct DataflowRunner {
    topology: Arc<Topology>,
    factories: Factories,
    sequencer: Arc<dyn Sequencer>,
}

impl DataflowRunner {
    /// Deploys `dataflow` with the coordination `analysis` planned (only the
    /// entries marked `applied`), handlers from `factories`.
    ///
    /// A cycle between components runs: once the whole run is quiet (no
    /// message on its way, no source open), the runner ends the next stream
    /// closing a cycle ([`Topology::cycle_cuts`]), as the simulator does,
    /// until every cycle has ended.
    pub fn new(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
        factories: Factories,
    ) -> Result<DataflowRunner, BuildError> {
        if !analysis.ok() {
            tracing::warn!(
                violations = analysis.violations.len(),
                "running a dataflow whose analysis reports violations"
            );
        }
        let topology = factories.deploy(
            Topology::build_allowing_cycles,
            dataflow,
            analysis,
            deployment,
        )?;
        Ok(DataflowRunner {
            topology: Arc::new(topology),
            factories,
            sequencer: Arc::new(EmbeddedSequencer::new()),
        })
    }

    /// Uses `sequencer` for dynamic ordering instead of the embedded one.
    pub fn with_sequencer(mut self, sequencer: Arc<dyn Sequencer>) -> DataflowRunner {
        self.sequencer = sequencer;
        self
    }

    /// The deployed topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Spawns every task on the current tokio runtime.
    pub fn start(self) -> Result<RunningDataflow, BuildError> {
        let topology = self.topology;
        let sizing = LinkSizing::new(topology.channel_capacity);
        let capacity = sizing.slots;
        let started = Instant::now();
        // Told when `finish_within` gives up on the run.
        let stop = CancellationToken::new();
        // Termination detection, only where a cycle needs it.
        let quiet = (!topology.cycle_cuts().is_empty()).then(|| Arc::new(Quiescence::default()));
        let mut outboxes: HashMap<ProducerId, DestinationSenders> = HashMap::new();
        let mut inboxes: HashMap<ProducerId, Vec<InLinkEnd>> = HashMap::new();
        // Direct links.
        for (ci, consumer) in topology.instances() {
            let info = &topology.components[ci];
            let mut producers: BTreeMap<ProducerId, Vec<InputId>> = BTreeMap::new();
            for (i, ordered) in info.plan.ordered.iter().enumerate() {
                if !ordered {
                    for p in topology.expected(consumer, i) {
                        producers.entry(p).or_default().push(i);
                    }
                }
            }
            for (p, inputs) in producers {
                let (tx, rx) = channel(capacity);
                outboxes
                    .entry(p)
                    .or_default()
                    .connect(Destination::Instance(consumer), tx);
                inboxes.entry(consumer).or_default().push((rx, inputs));
            }
        }
        // Ordered groups.
        let mut group_tasks = Vec::new();
        for (g, group) in topology.groups.iter().enumerate() {
            let (tx, rx) = channel(capacity);
            for p in &group.producers {
                outboxes
                    .entry(*p)
                    .or_default()
                    .connect(Destination::Group(g), tx.clone());
            }
            let mut members = Vec::new();
            for m in &group.members {
                let (mtx, mrx) = channel(capacity);
                members.push(mtx);
                let ordered = topology
                    .instances()
                    .find(|(_, id)| id == m)
                    .map(|(ci, _)| {
                        topology.components[ci]
                            .plan
                            .ordered
                            .iter()
                            .enumerate()
                            .filter(|(_, ordered)| **ordered)
                            .map(|(i, _)| i)
                            .collect()
                    })
                    .unwrap_or_default();
                inboxes.entry(*m).or_default().push((mrx, ordered));
            }
            group_tasks.push(tokio::spawn(run_group(
                group.name.clone(),
                rx,
                members,
                self.sequencer.clone(),
                quiet.clone(),
                stop.clone(),
            )));
        }
        // Sinks.
        let mut sink_tasks = Vec::new();
        for (s, name) in topology.sinks.iter().enumerate() {
            let (tx, rx) = channel(capacity);
            let producers = topology.sink_producers(s).clone();
            let collector = topology.sink_collector(s);
            for p in &producers {
                outboxes
                    .entry(*p)
                    .or_default()
                    .connect(Destination::Sink(s), tx.clone());
            }
            sink_tasks.push((
                name.clone(),
                tokio::spawn(run_sink(rx, collector, stop.clone())),
            ));
        }
        // The producers of cycle-closing streams, told when to end them.
        let mut enders: HashMap<ProducerId, UnboundedSender<CycleCut>> = HashMap::new();
        let mut end_orders: HashMap<ProducerId, UnboundedReceiver<CycleCut>> = HashMap::new();
        for cut in topology.cycle_cuts() {
            for p in &topology.components[cut.component].instances {
                if !enders.contains_key(p) {
                    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                    enders.insert(*p, tx);
                    end_orders.insert(*p, rx);
                }
            }
        }
        // Instances.
        let mut instance_tasks = Vec::new();
        let mut live = Vec::new();
        for (ci, id) in topology.instances() {
            let info = &topology.components[ci];
            let handler = self.factories.make(&info.name)?;
            let core = InstanceCore::new(&topology, info, id, handler);
            let slot = Arc::new(Mutex::new(core.snapshot(Time::default())));
            live.push(slot.clone());
            let links = inboxes
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|(rx, inputs)| {
                    let outputs: Vec<OutputId> = info
                        .feeds
                        .iter()
                        .enumerate()
                        .filter(|(_, feeds)| feeds.iter().any(|i| inputs.contains(i)))
                        .map(|(o, _)| o)
                        .collect();
                    InLink::new(rx, outputs)
                })
                .collect();
            // Its own child of the run's token: looking at it (a lock) and
            // waiting on it are then this task's alone, not contended by
            // every other task at each message.
            let instance_stop = stop.child_token();
            let mut outgoing = outboxes
                .remove(&id)
                .unwrap_or_default()
                .count_in(quiet.clone())
                .into_send_queues(info.outputs.len(), sizing.batch)
                .stopped_by(instance_stop.clone());
            outgoing.never_wait_on(
                topology
                    .cycle_cuts()
                    .iter()
                    .filter(|cut| cut.component == ci)
                    .map(|cut| cut.output),
            );
            let span = tracing::info_span!("instance", component = %info.name, instance = %id);
            instance_tasks.push(tokio::spawn(
                run_instance(
                    core,
                    topology.clone(),
                    ReceiveLinks::new(links),
                    outgoing,
                    Cycles {
                        quiet: quiet.clone(),
                        end_orders: end_orders.remove(&id),
                    },
                    Publishing {
                        started,
                        live: slot,
                    },
                    instance_stop,
                )
                .instrument(span),
            ));
        }
        // Sources.
        let mut open_sources: Vec<OpenSource> = Vec::new();
        let sources = topology
            .sources
            .iter()
            .map(|s| {
                s.producers
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        // An open source is work in flight until it ends.
                        if let Some(q) = &quiet {
                            q.add(1);
                        }
                        let open = Arc::new(AtomicBool::new(true));
                        open_sources.push((format!("{}[{i}]", s.name), open.clone()));
                        Some(SourceHandle {
                            open,
                            // A child, as an instance's (above).
                            stop: stop.child_token(),
                            topology: topology.clone(),
                            source: SourceCore::new(*p, topology.seed),
                            outbox: Some(
                                outboxes
                                    .remove(p)
                                    .unwrap_or_default()
                                    .count_in(quiet.clone()),
                            ),
                            batch: sizing.batch,
                            quiet: quiet.clone(),
                        })
                    })
                    .collect()
            })
            .collect();
        let cycle_ender = quiet.map(|q| tokio::spawn(end_cycles(topology.clone(), q, enders)));
        Ok(RunningDataflow {
            topology,
            sources,
            instance_tasks,
            group_tasks,
            sink_tasks,
            live,
            cycle_ender,
            open_sources,
            stop,
        })
    }
}

/// A dataflow whose tasks are running.
pub struct RunningDataflow {
    topology: Arc<Topology>,
    sources: Vec<Vec<Option<SourceHandle>>>,
    instance_tasks: Vec<JoinHandle<(InstanceSnapshot, Vec<DeadLetter>)>>,
    group_tasks: Vec<JoinHandle<GroupOutcome>>,
    sink_tasks: Vec<(String, JoinHandle<SinkCollector>)>,
    live: Vec<Arc<Mutex<InstanceSnapshot>>>,
    /// Ends the cycles between components, in a dataflow that has some.
    cycle_ender: Option<JoinHandle<()>>,
    /// Every source producer, and whether it is still open.
    open_sources: Vec<OpenSource>,
    /// Stops every task of the run (`finish_within`).
    stop: CancellationToken,
}

impl RunningDataflow {
    /// The handle of producer `producer` of source `source`, once.
    pub fn take_source(&mut self, source: &str, producer: usize) -> Option<SourceHandle> {
        let s = self.topology.source(source)?;
        self.sources.get_mut(s)?.get_mut(producer)?.take()
    }

    /// The latest counters and unsealed partitions of every instance: as of
    /// every message it delivered once it has nothing more to deliver, and
    /// at most 256 deliveries plus one received batch behind while it is
    /// busy.
    pub fn snapshot(&self) -> Vec<InstanceSnapshot> {
        self.live
            .iter()
            .filter_map(|slot| slot.lock().ok().map(|s| s.clone()))
            .collect()
    }

    /// Feeds every source producer its script from `workload` (each producer
    /// in its own task, concurrently), closes them, and reports.
    /// A workload feeding a source or producer the deployment lacks is
    /// refused before anything is sent ([`RunError::Name`]).
    pub async fn run_workload(mut self, workload: &Workload) -> Result<RunReport, RunError> {
        workload.check(&self.topology)?;
        let mut feeders = Vec::new();
        for (s, source) in self.topology.sources.iter().enumerate() {
            for (index, slot) in self.sources[s].iter_mut().enumerate() {
                let Some(mut handle) = slot.take() else {
                    continue;
                };
                let script = workload.script(&source.name, index).to_vec();
                feeders.push(tokio::spawn(async move {
                    // Consecutive records go as one batch.
                    let mut records = Vec::new();
                    for event in script {
                        match event {
                            SourceEvent::Record(t) => records.push(t),
                            SourceEvent::Seal(k) => {
                                handle.send_batch(records.drain(..)).await;
                                // Checked with the workload above: a key
                                // lacking a seal-key field is refused there.
                                handle.seal(k).await?;
                            }
                        }
                    }
                    handle.send_batch(records).await;
                    handle.close().await;
                    Ok::<(), NameError>(())
                }));
            }
        }
        for f in feeders {
            f.await??;
        }
        self.finish().await
    }

    /// Closes the sources not taken, waits for every task, and reports.
    /// A run that never ends (a `SourceHandle` held open, say) makes this
    /// wait for ever, with a warning each time it stops moving; see
    /// [`RunningDataflow::finish_within`] for a bound.
    pub async fn finish(self) -> Result<RunReport, RunError> {
        self.finish_by(None).await
    }

    /// As [`RunningDataflow::finish`], but a run that has not ended
    /// `limit` after this call is stopped: every instance stops where it
    /// is, what the wrappers hold is dead-lettered (never sealed), the
    /// messages in flight are counted and their records dead-lettered
    /// (abandoned: received and not handled, or not yet sent; a source's
    /// send cut short is logged as an error), and the report says so
    /// ([`RunFailure::Stopped`](super::report::RunFailure::Stopped)) besides
    /// naming each instance that had not ended. A handler that never
    /// returns cannot be stopped: its instance is awaited still.
    pub async fn finish_within(self, limit: Duration) -> Result<RunReport, RunError> {
        self.finish_by(Some(limit)).await
    }

    async fn finish_by(mut self, limit: Option<Duration>) -> Result<RunReport, RunError> {
        let timer = limit.map(|limit| {
            let stop = self.stop.clone();
            tokio::spawn(async move {
                tokio::time::sleep(limit).await;
                tracing::warn!(?limit, "the run has not ended within its limit: stopped");
                stop.cancel();
            })
        });
        for handle in self.sources.iter_mut().flatten() {
            if let Some(h) = handle.take() {
                h.close().await;
            }
        }
        // A run that stops moving says so while this waits.
        let watch = tokio::spawn(
            StallWatch {
                live: self.live.clone(),
                sources: self.open_sources.clone(),
                after: self.topology.overdue_after,
            }
            .run(),
        );
        let mut report = RunReport::default();
        for task in self.instance_tasks {
            let (snapshot, dead) = task.await?;
            report.instances.push(snapshot);
            report.dead_letters.extend(dead);
        }
        let mut unordered: Option<(Unordered, u64)> = None;
        for task in self.group_tasks {
            let outcome = task.await?;
            report.sequencer_duplicates += outcome.duplicates;
            report.abandoned_by_sequencers += outcome.abandoned;
            report.sequencer_errors.extend(outcome.errors);
            if let Some((first, n)) = outcome.unordered {
                let total = unordered.as_ref().map_or(0, |(_, m)| *m) + n;
                let first = unordered.map_or(first, |(f, _)| f);
                unordered = Some((first, total));
            }
        }
        for (name, task) in self.sink_tasks {
            let collector = task.await?;
            report.sinks.insert(name, collector);
        }
        if let Some(ender) = self.cycle_ender {
            // Every instance has ended: nothing is left for it to end.
            ender.abort();
        }
        watch.abort();
        if let Some(timer) = timer {
            timer.abort();
        }
        // A limit reached just as the last instance ended stopped nothing.
        let stopped_some =
            report.instances.is_empty() || report.instances.iter().any(|i| !i.finished);
        if self.stop.is_cancelled() && stopped_some {
            report.stopped_after = limit;
        }
        if let Some((first, unordered)) = unordered {
            return Err(RunError::Unordered { unordered, first });
        }
        Ok(report)
    }
}

/// Feeds one producer of a source: records, seals, then its end.
pub struct SourceHandle {
    topology: Arc<Topology>,
    source: SourceCore,
    outbox: Option<DestinationSenders>,
    /// Most messages per batch on a link.
    batch: usize,
    /// Where this open source counts as work in flight, in a run with cycles.
    quiet: Option<Arc<Quiescence>>,
    /// True until the producer is closed, retired or dropped (read by the
    /// run's stall warning).
    open: Arc<AtomicBool>,
    /// Cancelled when the run is stopped: nothing is sent after that.
    stop: CancellationToken,
}

impl SourceHandle {
    /// The producer's id.
    pub fn id(&self) -> ProducerId {
        self.source.id()
    }

    /// True (with an error logged) when the run was stopped: what the
    /// source routed is dropped, not sent.
    fn stopped(&mut self) -> bool {
        if !self.stop.is_cancelled() {
            return false;
        }
        let dropped = self.source.routed().count();
        tracing::error!(producer = %self.id(), dropped,
            "the run was stopped (`finish_within`): not sent");
        true
    }

    /// Sends what the source routed, one message at a time.
    async fn ship(&mut self) {
        if self.stopped() {
            return;
        }
        match self.outbox.as_ref() {
            Some(outbox) => {
                for r in self.source.routed() {
                    outbox.send(r).await;
                }
            }
            None => self.source.routed().for_each(drop),
        }
    }

    /// Sends a record (a typed record of yours or a [`Tuple`](crate::Tuple)), waiting
    /// while consumers are full.
    pub async fn send(&mut self, record: impl Record) {
        self.source.record(&self.topology, Payload::typed(record));
        self.ship().await;
    }

    /// Sends records in order, as [`SourceHandle::send`] one after the
    /// other would, but in batches: one channel operation per batch of a
    /// link instead of one per record.
    pub async fn send_batch<R: Record>(&mut self, records: impl IntoIterator<Item = R>) {
        self.source.run(&self.topology, records);
        if self.stopped() {
            return;
        }
        match self.outbox.as_ref() {
            Some(outbox) => outbox.send_all(self.source.routed(), self.batch).await,
            None => self.source.routed().for_each(drop),
        }
    }

    /// Seals the partition `key` names: any record holding the stream's
    /// seal-key fields (a key struct of yours, a record of the partition, or
    /// a [`Tuple`](crate::Tuple)); fields outside the seal key are dropped from the seal.
    /// A key lacking a field of the seal key names no partition: it is
    /// refused ([`NameError::SealKeyLacks`]) and nothing is sent.
    pub async fn seal(&mut self, key: impl Record) -> Result<(), NameError> {
        let key = key.into_tuple();
        self.topology.check_producer_seal(self.id(), &key)?;
        self.source.seal(&self.topology, key);
        self.ship().await;
        Ok(())
    }

    /// Ends this producer's stream.
    pub async fn close(mut self) {
        self.source.end(&self.topology);
        self.ship().await;
        self.outbox = None;
        self.ended();
    }

    /// This source is no longer work in flight.
    fn ended(&mut self) {
        self.open.store(false, Ordering::SeqCst);
        if let Some(q) = self.quiet.take() {
            q.done(1);
        }
    }

    /// Retires this producer (runtime spec, "Liveness and membership"): its
    /// end, and its seal of every partition it has not sealed, so the
    /// partitions it blocked are released once the others have sealed.
    pub async fn retire(mut self) {
        self.source.retire(&self.topology);
        self.ship().await;
        self.outbox = None;
        self.ended();
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        // A handle dropped without `close` still ends its stream, so the run can finish.
        if let (Some(outbox), Ok(rt)) = (self.outbox.take(), tokio::runtime::Handle::try_current())
        {
            self.source.end(&self.topology);
            self.open.store(false, Ordering::SeqCst);
            let routed: Vec<Routed> = self.source.routed().collect();
            let quiet = self.quiet.take();
            rt.spawn(async move {
                for r in routed {
                    outbox.send(r).await;
                }
                if let Some(q) = quiet {
                    q.done(1);
                }
            });
        } else {
            self.ended();
        }
    }
}

/// The receiving end of a link, with the inputs it carries.
type InLinkEnd = (Receiver<Batch>, Vec<InputId>);

async fn flush_all(outgoing: &mut SendQueues) {
    outgoing.close_batches();
    while !outgoing.is_empty() {
        std::future::poll_fn(|cx| {
            if outgoing.poll_flush(cx) || outgoing.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// How long an instance waits at its buffer bound for a release before it
/// admits a record beyond the bound: producers blocked on each other's full
/// channels (a window larger than the bound) would otherwise never resume.
const STALL_AFTER: Duration = Duration::from_millis(50);

/// Fires after [`STALL_AFTER`] when a link is parked at the buffer bound;
/// never otherwise.
async fn stall_timer(parked: bool) {
    if parked {
        tokio::time::sleep(STALL_AFTER).await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// How often an instance looks for overdue partitions: a quarter of the
/// configured wait, between 1 ms and 1 s, so a partition is reported at
/// most a quarter late (and at most a second).
fn overdue_check_period(after: Duration) -> Duration {
    (after / 4).clamp(Duration::from_millis(1), Duration::from_secs(1))
}

/// Deliveries between two refreshes of a busy instance's live snapshot.
const REFRESH_EVERY: u64 = 256;

/// The least time between two refreshes of an instance's live snapshot
/// when it falls idle: one that falls idle again sooner publishes once
/// this has passed (a busy instance going idle between every two batches
/// would otherwise describe its open partitions each time).
const IDLE_REFRESH_GAP: Duration = Duration::from_millis(5);

/// Where an instance task publishes its snapshots, and the run's start its
/// times count from.
struct Publishing {
    started: Instant,
    live: Arc<Mutex<InstanceSnapshot>>,
}

/// An instance's live snapshot as its task keeps it up to date: every
/// [`REFRESH_EVERY`] deliveries, and when it falls idle, at most once per
/// [`IDLE_REFRESH_GAP`] (a timer publishes what waited).
struct LiveSnapshot {
    publishing: Publishing,
    /// The instance's telemetry series, registered at its first refresh.
    series: Option<InstanceSeries>,
    /// Deliveries made, and whether some are not in the snapshot yet.
    deliveries: u64,
    unpublished: bool,
    /// When the snapshot was last refreshed, and when an idle instance
    /// publishes next.
    refreshed: tokio::time::Instant,
    publish_at: Option<tokio::time::Instant>,
}

impl LiveSnapshot {
    fn new(publishing: Publishing) -> LiveSnapshot {
        LiveSnapshot {
            publishing,
            series: None,
            deliveries: 0,
            unpublished: false,
            refreshed: tokio::time::Instant::now(),
            publish_at: None,
        }
    }

    /// The time since the run started.
    fn now(&self) -> Time {
        Time::micros_since(self.publishing.started)
    }

    /// Refreshes the snapshot from `core` now.
    fn publish(&mut self, core: &InstanceCore) {
        let now = self.now();
        refresh(core, &self.publishing.live, &mut self.series, now);
        self.refreshed = tokio::time::Instant::now();
        self.unpublished = false;
        self.publish_at = None;
    }

    /// The instance has nothing left to deliver for now: what it delivered
    /// is published, so a reader sees every delivery made (issue 15), at
    /// once or when the gap since the last refresh has passed.
    fn idle(&mut self, core: &InstanceCore) {
        let due = self.refreshed + IDLE_REFRESH_GAP;
        if tokio::time::Instant::now() >= due {
            self.publish(core);
        } else {
            self.publish_at = Some(due);
        }
    }

    /// The timer of [`LiveSnapshot::idle`] went off.
    fn timer_went_off(&mut self, core: &InstanceCore) {
        if self.unpublished {
            self.publish(core);
        }
        self.publish_at = None;
    }

    /// `count` more messages were delivered.
    fn delivered(&mut self, core: &InstanceCore, count: u64) {
        let before = self.deliveries;
        self.deliveries += count;
        self.unpublished = true;
        if self.deliveries / REFRESH_EVERY != before / REFRESH_EVERY {
            self.publish(core);
        }
    }
}

async fn run_instance(
    core: InstanceCore,
    topology: Arc<Topology>,
    mut inbox: ReceiveLinks,
    mut outgoing: SendQueues,
    mut cycles: Cycles,
    publishing: Publishing,
    stop: CancellationToken,
) -> (InstanceSnapshot, Vec<DeadLetter>) {
    let mut live = LiveSnapshot::new(publishing);
    let mut node = Node::new(core, topology.seed);
    // This driver's links carry runs of records.
    node.send_runs();
    let mut dead = Vec::new();
    node.start(&topology, live.now());
    ship(&mut node, &mut outgoing, &mut dead);
    let overdue_after = Time::micros(topology.overdue_after);
    let mut overdue_checks = tokio::time::interval(overdue_check_period(topology.overdue_after));
    overdue_checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // The waits that outlive one turn of the loop are made once, not at
    // every message: a timer made anew is registered with tokio's timer
    // and deregistered at each turn, a cancellation wait likewise with
    // the token.
    let cancelled = stop.cancelled();
    tokio::pin!(cancelled);
    let publish = tokio::time::sleep_until(tokio::time::Instant::now());
    tokio::pin!(publish);
    let mut publish_set: Option<tokio::time::Instant> = None;
    while !node.core().finished() {
        // What the last deliveries routed goes out before waiting for more.
        outgoing.close_batches();
        if live.unpublished && inbox.idle() {
            live.idle(node.core());
        }
        if live.publish_at != publish_set {
            publish_set = live.publish_at;
            if let Some(at) = publish_set {
                publish.as_mut().reset(at);
            }
        }
        let parked = inbox.has_parked();
        let event = tokio::select! {
            event = inbox.next(node.core_mut(), &mut outgoing) => event,
            () = stall_timer(parked) => Event::Stalled,
            () = &mut publish, if publish_set.is_some() => Event::Publish,
            _ = overdue_checks.tick() => Event::OverdueCheck,
            cut = cycles.next_order() => Event::EndCycle(cut),
            () = &mut cancelled => Event::Stopped,
        };
        let (message, link) = match event {
            Event::Message(m, link) => (m, Some(link)),
            Event::Flushed => continue,
            Event::Stalled => match inbox.force_parked() {
                Some((m, link)) => {
                    node.core_mut().note_stall();
                    (m, Some(link))
                }
                None => continue,
            },
            Event::Closed | Event::Stopped => break,
            Event::EndCycle(cut) => {
                node.end_cycle_cut(&topology, cut);
                ship(&mut node, &mut outgoing, &mut dead);
                outgoing.close_batches();
                cycles.done(1);
                continue;
            }
            Event::Publish => {
                live.timer_went_off(node.core());
                continue;
            }
            Event::OverdueCheck => {
                let now = live.now();
                if !node
                    .core_mut()
                    .report_overdue(now, overdue_after)
                    .is_empty()
                {
                    live.publish(node.core());
                }
                continue;
            }
        };
        // The message, then the rest of its link's batch as long as each
        // fits within the buffer bound, in one call; what they routed goes
        // to the send queues once they are delivered, and a link whose
        // outputs wait for room is not read again until they have it.
        let now = live.now();
        let delivered = match link.and_then(|l| inbox.buffered(l)) {
            Some(queue) => node.deliver_run(&topology, message, queue, now),
            None => {
                node.deliver(&topology, message, now);
                1
            }
        };
        ship(&mut node, &mut outgoing, &mut dead);
        cycles.done(delivered as u64);
        live.delivered(node.core(), delivered as u64);
    }
    if !stop.is_cancelled() {
        tokio::select! {
            () = flush_all(&mut outgoing) => {}
            () = stop.cancelled() => {}
        }
    }
    if stop.is_cancelled() {
        // Stopped: what is left in flight either way is counted, and its
        // records dead-lettered, received here or not yet sent from here.
        for delivery in inbox.abandon() {
            node.core_mut().abandon_received(delivery);
        }
        for (to, delivery) in outgoing.abandon() {
            abandon_unsent(&topology, node.core_mut(), to, delivery);
        }
    } else if let Some(q) = cycles.quiet.clone() {
        // In a run with cycles, what still reaches this finished instance
        // (a producer's real end after the one that closed its cycle) is
        // work done once dropped, or the run would never be quiet again.
        drop(outgoing);
        inbox.drain(|n| q.done(n)).await;
    }
    let now = live.now();
    let core = node.core_mut();
    core.shutdown(now);
    dead.extend(core.take_dead_letters());
    live.publish(core);
    (core.snapshot(live.now()), dead)
}

/// A message `core` had not sent to `to` when the run was stopped,
/// dead-lettered as refused where it was going: the destination instance
/// (a group's first member) on its input, or, for a sink, this instance
/// naming the sink.
fn abandon_unsent(
    topology: &Topology,
    core: &mut InstanceCore,
    to: Destination,
    delivery: Delivery,
) {
    let at = |instance: ProducerId| match topology.node(instance) {
        Some(NodeRef::Instance { component, .. }) => topology.components[component]
            .inputs
            .get(delivery.input())
            .cloned(),
        _ => None,
    };
    let (instance, input) = match to {
        Destination::Instance(p) => (p, at(p)),
        Destination::Group(g) => match topology.groups.get(g).and_then(|g| g.members.first()) {
            Some(&p) => (p, at(p)),
            None => (core.id(), None),
        },
        Destination::Sink(s) => (
            core.id(),
            topology.sinks.get(s).map(|name| format!("sink `{name}`")),
        ),
    };
    let input = input.unwrap_or_else(|| delivery.input().to_string());
    core.abandon_unsent(instance, input, delivery);
}

/// Queues what `node` routed elsewhere on its outgoing links and keeps its
/// dead letters.
fn ship(node: &mut Node, outgoing: &mut SendQueues, dead: &mut Vec<DeadLetter>) {
    for (output, routed) in node.remote() {
        outgoing.push(output, routed);
    }
    if node.has_dead_letters() {
        dead.extend(node.take_dead_letters());
    }
}

fn refresh(
    core: &InstanceCore,
    live: &Mutex<InstanceSnapshot>,
    series: &mut Option<InstanceSeries>,
    now: Time,
) {
    // Updated in place: a partition whose votes did not change keeps its
    // description.
    let Ok(mut snapshot) = live.lock() else {
        return;
    };
    core.refresh_snapshot(&mut snapshot, now);
    if let Some(oldest) = snapshot.unsealed.first() {
        tracing::debug!(instance = %snapshot.instance, component = %snapshot.component,
            unsealed = snapshot.unsealed.len(), oldest_age_us = oldest.age, oldest = %oldest.key,
            "unsealed partitions");
    }
    series
        .get_or_insert_with(|| InstanceSeries::new(&snapshot))
        .publish(&snapshot);
}

async fn run_sink(
    mut rx: Receiver<Batch>,
    mut collector: SinkCollector,
    stop: CancellationToken,
) -> SinkCollector {
    let deliver = |batch: Batch, collector: &mut SinkCollector| {
        for message in batch {
            if let Delivery::Direct { envelope, .. } = message {
                collector.deliver(envelope);
            }
        }
    };
    loop {
        tokio::select! {
            batch = rx.recv() => match batch {
                Some(batch) => deliver(batch, &mut collector),
                None => break,
            },
            () = stop.cancelled() => {
                // What already arrived is the sink's: kept.
                while let Ok(batch) = rx.try_recv() {
                    deliver(batch, &mut collector);
                }
                break;
            }
        }
    }
    collector
}
