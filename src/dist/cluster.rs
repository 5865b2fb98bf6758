//! A dataflow run by several processes (and machines): each process hosts
//! some component instances, source producers and sinks of one deployment,
//! and they exchange their streams, punctuations included, over NATS
//! JetStream ([`RunStream`](super::RunStream)). Ordering goes through the
//! configured sequencing service, and the producers that must vote on a
//! seal are learned from ZooKeeper when membership is configured: all
//! registered producers of a unanimously sealed input, and for an
//! `independent` one the master of each partition (claimed by the producer
//! that seals it first, looked up once per partition by the consumers; a
//! seal from another producer is refused at the producer and rejected, not
//! counted as a vote, at the consumer).
//!
//! Every process of a run builds the same [`Topology`] from the same
//! dataflow, analysis and deployment, so producer ids, routing (seeded) and
//! plans agree without talking. Guarantees:
//!
//! - at-least-once: a frame is published until JetStream acknowledges it;
//! - once, in order: each link (producer to destination) numbers its
//!   frames, and the receiver's [`LinkReceiver`](super::LinkReceiver) delivers them in that order
//!   and drops what it has delivered; the instance's own `(producer, seq)`
//!   dedupe then applies as in one process;
//! - crash and replay: a producer (or instance) that restarts sends the same
//!   frames again with the same link numbers (sources replay their script;
//!   an instance rereads its inputs from the start of the run), and a
//!   restarted producer of an ordered group asks the sequencer for the
//!   positions its earlier incarnation was given
//!   ([`Sequencer::recover`]);
//! - fencing: each incarnation of a producer has an epoch from JetStream,
//!   registered on every destination before it sends, and a frame of an
//!   older incarnation stored after a newer one registered is refused and
//!   counted ([`LinkStats::fenced_frames`]), so a paused producer that
//!   resumes after its replacement started cannot collide with it
//!   ([`fence`](super::fence));
//! - reconnection: the NATS client reconnects by itself, publishes are
//!   retried, readers resume after the last message they saw.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazes_core::{Analysis, Dataflow};
use tracing::Instrument;

use super::checkpoint::{CheckpointPolicy, Checkpoints};
use super::config::SequencerConfig;
use super::held_back::HeldBack;
use super::masters::{Masters, independent_endpoint};
use super::membership::{MembershipError, ZooKeeperMembership};
use super::receiving_end::{PeerWait, ReceivingEnd, Settled};
use super::retry::RetryPolicy;
use super::run_identity::RunIdentity;
use super::security::Security;
use super::sending_end::{BatchLimits, SendingEnd};
use super::transport::{RunStream, TransportError};
use crate::record::Record;
use crate::runtime::coordination::plan::InputMode;
use crate::runtime::coordination::sequencer::{Sequencer, SequencerError};
use crate::runtime::dead_letter::DeadLetter;
use crate::runtime::metrics::InstanceSnapshot;
use crate::runtime::node::clock::Time;
use crate::runtime::node::envelope::{Delivery, Envelope, InputId, ProducerId};
use crate::runtime::node::instance::InstanceCore;
use crate::runtime::node::router::{route, routing_rng};
use crate::runtime::node::topology::{StreamTarget, Topology};
use crate::runtime::node::{Node, SourceCore};
use crate::runtime::sink::SinkCollector;
use crate::runtime::telemetry;
use crate::runtime::{BuildError, Deployment, Factories, NameError};
use crate::tuple::Tuple;

/// How often a running instance publishes its counters (see
/// `runtime::telemetry`) while it has messages to handle; it also publishes
/// when it ends.
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// How often a running instance checks that no newer incarnation of it has
/// registered (it also checks at every checkpoint and at its end).
const REPLACED_CHECK_EVERY: Duration = Duration::from_secs(2);

/// How the processes of a run find each other.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClusterConfig {
    /// The NATS server carrying the streams, `nats://host:port`.
    pub nats_url: String,
    /// The run's id (ASCII letters, digits, `-`, `_`): every process of a
    /// run uses the same one; a new run needs a new one.
    pub run: String,
    /// The service ordering dynamically ordered inputs.
    pub sequencer: SequencerConfig,
    /// A ZooKeeper ensemble (`host:port[,..]`) keeping who produces each
    /// sealed input; `None`: the deployment's producers.
    pub membership: Option<String>,
    /// Retries through connection losses and server restarts.
    pub policy: RetryPolicy,
    /// Frames awaiting their acknowledgement at once, per producer.
    pub publish_window: usize,
    /// Records one frame carries at most: what a producer sends to one
    /// destination in one step goes out in frames of up to this many
    /// (1: a frame per message). A run of records (one message) weighs its
    /// records and is never cut across frames: a source cuts its runs at
    /// this size, and a longer run an instance emits goes in a frame of
    /// its own. A punctuation weighs one. See [`wire`](super::wire),
    /// "Batches" and "Runs".
    pub batch_messages: usize,
    /// Encoded bytes of messages one frame carries at most (a single
    /// larger message goes alone; keep well under the NATS server's
    /// `max_payload`, 1 MiB by default).
    pub batch_bytes: usize,
    /// How long JetStream remembers message ids (drops a republished frame).
    pub duplicate_window: Duration,
    /// How long an instance waits for its sealed inputs' producers to register.
    pub membership_wait: Duration,
    /// Messages an instance holds back at most: read from JetStream but not
    /// yet taken, because its wrappers are at the deployment's bound. While
    /// that many are held it reads no further frames (they wait in
    /// JetStream); when nothing held can be taken then, one is admitted
    /// beyond the bound, a stall that fails the run.
    pub held_back: usize,
    /// How long an instance or sink waits for a producer it expects and
    /// never heard from (no registration, no frame) before it fails naming
    /// the missing ones ([`ClusterError::PeersMissing`]).
    pub peer_wait: Duration,
    /// How often a process waiting for producers (to register in
    /// ZooKeeper, or to send anything) logs which it still waits for.
    pub peer_report_every: Duration,
    /// Credentials, TLS and authentication for NATS and ZooKeeper.
    pub security: Security,
    /// The workload as the user names it (its inputs, their sizes): part of
    /// the run's identity, so that a run id reused for another workload is
    /// refused ([`RunIdentity`]); empty when not named.
    pub workload: String,
    /// When a hosted instance whose component opts in
    /// ([`Checkpointed`](crate::checkpointed::Checkpointed)) saves a
    /// checkpoint, so that a restart reads its inputs from there and not
    /// from the start of the run; `None` (the default): never (a checkpoint
    /// saved earlier is still restored). See docs/runtime.md, "Checkpoints".
    pub checkpoints: Option<CheckpointPolicy>,
}

impl ClusterConfig {
    /// A run on `nats_url`, ordering in process, producers from the deployment.
    pub fn new(nats_url: &str, run: &str) -> ClusterConfig {
        ClusterConfig {
            nats_url: nats_url.to_string(),
            run: run.to_string(),
            sequencer: SequencerConfig::Embedded,
            membership: None,
            policy: RetryPolicy::default(),
            publish_window: 256,
            batch_messages: 64,
            batch_bytes: 64 * 1024,
            duplicate_window: Duration::from_secs(600),
            membership_wait: Duration::from_secs(60),
            held_back: 4096,
            peer_wait: Duration::from_secs(60),
            peer_report_every: Duration::from_secs(10),
            security: Security::default(),
            workload: String::new(),
            checkpoints: None,
        }
    }
}

/// A process could not take part in the run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The dataflow, plan or deployment cannot be run (names included:
    /// [`BuildError::Name`]).
    #[error("cluster: {0}")]
    Build(#[from] BuildError),
    /// A name this process was given (a component, instance, source,
    /// producer or sink to host) that the deployed dataflow lacks.
    #[error("cluster: {0}")]
    Name(#[from] NameError),
    /// The transport (NATS JetStream) failed.
    #[error("cluster: {0}")]
    Transport(#[from] TransportError),
    /// A message could not be encoded for the wire (never in practice: see
    /// [`wire::encode`](super::wire::encode)).
    #[error("cluster: encoding a message: {0}")]
    Wire(#[from] super::wire::WireError),
    /// An instance's checkpoint could not be encoded (never in practice).
    #[error("cluster: encoding a checkpoint: {0}")]
    CheckpointEncode(#[source] postcard::Error),
    /// The sequencing service failed.
    #[error("cluster: {0}")]
    Sequencer(#[from] SequencerError),
    /// The membership service (ZooKeeper) failed.
    #[error("cluster: {0}")]
    Membership(#[from] MembershipError),
    /// A dynamically ordered group with the embedded sequencer, which
    /// orders one process only.
    #[error(
        "cluster: `{group}` is ordered dynamically, and across processes its order must come \
         from one service: configure the sequencer as zookeeper://HOST:PORT or \
         jetstream://HOST:PORT (the embedded sequencer orders one process only)"
    )]
    EmbeddedSequencer {
        /// The first ordered group.
        group: String,
    },
    /// A producer sealed a partition of an independent stream that another
    /// producer masters (an independent stream has one producer per
    /// partition).
    #[error(
        "cluster: partition {partition} of `{endpoint}` is mastered by {master}: {producer} \
         cannot seal it (an independent stream has one producer per partition)"
    )]
    NotMaster {
        /// The partition's key.
        partition: String,
        /// The stream's endpoint.
        endpoint: String,
        /// The partition's master.
        master: String,
        /// The producer that tried to seal it.
        producer: String,
    },
    /// This incarnation of a producer was replaced: a newer one registered
    /// after it (it was paused, say, and its replacement started). Every
    /// receiver refuses what it sent since, so it stops instead of
    /// reporting success; its checkpoint, if it was about to save one, is
    /// not saved.
    #[error(
        "cluster: {producer} was replaced by a newer incarnation (epoch {newer}; this one is \
         {epoch}): what it sent since is refused by every receiver, so it stops; the newer \
         incarnation does its work"
    )]
    Fenced {
        /// The producer, `Component[i]` or `source[i]`.
        producer: String,
        /// This incarnation's epoch.
        epoch: u64,
        /// The newest incarnation's epoch.
        newer: u64,
    },
    /// Producers this instance or sink expects sent nothing (not even the
    /// registration every producer sends first) within
    /// [`ClusterConfig::peer_wait`].
    #[error(
        "cluster: {at} waited {waited:?} for {} that never came (nothing received from them): \
         start them with the same run id, or raise the peer wait",
        missing.join(", ")
    )]
    PeersMissing {
        /// The waiting instance or sink.
        at: String,
        /// The producers never heard from, by name (`clicks[2]`).
        missing: Vec<String>,
        /// How long it waited.
        waited: Duration,
    },
    /// Fewer producers of a sealed input registered in ZooKeeper than the
    /// deployment declares, within [`ClusterConfig::membership_wait`].
    #[error(
        "cluster: {at}: stream {endpoint}: {} of {expected} producers registered in ZooKeeper \
         after {waited:?}; missing: {}",
        expected.saturating_sub(missing.len()),
        missing.join(", ")
    )]
    MembersMissing {
        /// The waiting instance.
        at: String,
        /// The sealed input (`Component.input`).
        endpoint: String,
        /// How many producers the deployment declares.
        expected: usize,
        /// The declared producers not registered, by name.
        missing: Vec<String>,
        /// How long it waited.
        waited: Duration,
    },
    /// An operator's retirement into an ordered group reads each member's
    /// subject back up to its own registration (to learn which of the
    /// retired producer's messages each member holds), and did not find it.
    #[error(
        "cluster: retiring a producer: its registration on {subject} was not read back \
         within {waited:?}"
    )]
    RetirementUnread {
        /// The member's subject.
        subject: String,
        /// How long nothing more was read.
        waited: Duration,
    },
    /// A link missed a frame for good: a later frame arrived past the bound
    /// of frames held ahead of the gap.
    #[error(
        "cluster: {at}: link from {from} still misses frame {missing} and frame {arrived} is \
         past the bound of frames held ahead of it: the gap is taken as permanent"
    )]
    LinkGap {
        /// The receiving instance or sink.
        at: String,
        /// The link's producer.
        from: ProducerId,
        /// The first frame missing.
        missing: u64,
        /// The frame that arrived past the bound.
        arrived: u64,
    },
}

/// What crossed one process boundary, for audits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkStats {
    /// Frames and registrations read (duplicates included).
    pub frames_in: u64,
    /// Messages dropped because their link had already delivered them (a
    /// frame carries a batch; each message is deduplicated on its own).
    pub duplicate_frames: u64,
    /// Frames that did not decode (logged, counted, skipped).
    pub malformed_frames: u64,
    /// Frames and registrations acknowledged by JetStream.
    pub frames_out: u64,
    /// Publishes repeated after a failure or a lost acknowledgement.
    pub publish_retries: u64,
    /// Frames JetStream already held (a retry or a replay, same message id).
    pub already_stored: u64,
    /// Times a reader's consumer was recreated.
    pub reader_restarts: u64,
    /// Ordered messages whose original position a restarted producer got back.
    pub recovered_positions: u64,
    /// Frames refused for being too far ahead of a gap in their link (see
    /// [`link`](super::link), "Bound"); the destination then fails.
    pub beyond_bound_frames: u64,
    /// Registrations of producers' incarnations read (each announces the
    /// epoch that fences the incarnations before it).
    pub registrations: u64,
    /// Frames refused because a newer incarnation of their producer had
    /// registered (a paused producer resumed after its replacement started).
    pub fenced_frames: u64,
    /// The most messages an instance held back at once, read but not taken
    /// at its buffer bound (at most [`ClusterConfig::held_back`]).
    pub held_back_max: u64,
    /// Positions of an ordered group's order skipped at a retirement: the
    /// retired producer took them from the sequencer and never published
    /// them to any member (docs/runtime.md, "Retirement").
    pub skipped_positions: u64,
    /// A retired producer's ordered messages this member never received
    /// and another member did, delivered with the retirement.
    pub filled_messages: u64,
    /// Messages of a retired producer held behind a gap in its link that
    /// can no longer fill: an instance dead-letters the records among them
    /// ([`DeadLetterReason::StrandedBehindGap`](crate::runtime::DeadLetterReason::StrandedBehindGap)).
    pub stranded_messages: u64,
}

/// How an instance's run ended.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct InstanceOutcome {
    /// Its counters at the end.
    pub snapshot: InstanceSnapshot,
    /// What it refused.
    pub dead_letters: Vec<DeadLetter>,
    /// What crossed the network.
    pub links: LinkStats,
    /// The records it sent, by output name, in order (when recorded;
    /// after a restore, those of its checkpoint and the ones sent since).
    pub sent: BTreeMap<String, Vec<Tuple>>,
    /// The stream sequence this incarnation read its inputs from, when it
    /// restored a checkpoint (`links.frames_in` counts what it read since).
    pub restored_from: Option<u64>,
    /// Checkpoints this incarnation saved.
    pub checkpoints_saved: u64,
}

impl InstanceOutcome {
    /// What went wrong at this instance: partitions never sealed (with the
    /// producers whose seals were missing), dead letters by reason, refused
    /// seals, unknown outputs, handler panics, unbalanced books, not finished
    /// (see [`RunReport::failures`](crate::runtime::RunReport::failures)).
    pub fn failures(&self) -> Vec<crate::runtime::RunFailure> {
        let mut out = self.snapshot.failures();
        let names = BTreeMap::from([(self.snapshot.instance, self.snapshot.name.clone())]);
        out.extend(crate::runtime::dead_letter_failures(
            &self.dead_letters,
            &names,
        ));
        out
    }

    /// True when [`InstanceOutcome::failures`] is empty.
    pub fn is_success(&self) -> bool {
        self.failures().is_empty()
    }
}

/// Where a run's znodes live in ZooKeeper (besides the sequencer's).
pub(crate) fn run_root(run: &str) -> String {
    format!("/blazes/runs/{run}")
}

/// Where a run's membership znodes live in ZooKeeper.
fn membership_root(run: &str) -> String {
    format!("{}/membership", run_root(run))
}

/// One process's part of a distributed run.
pub struct Cluster {
    topology: Arc<Topology>,
    factories: Factories,
    stream: RunStream,
    sequencer: Arc<dyn Sequencer>,
    membership: Option<Arc<ZooKeeperMembership>>,
    config: ClusterConfig,
    record_outputs: bool,
    /// The run's identity, as recorded (a checkpoint saved under another
    /// one is not restored).
    identity: Vec<u8>,
}

impl Cluster {
    /// Deploys the dataflow like [`DataflowRunner`](crate::runtime::DataflowRunner)
    /// and connects to the run's services.
    pub async fn connect(
        dataflow: &Dataflow,
        analysis: &Analysis,
        deployment: &Deployment,
        factories: Factories,
        config: ClusterConfig,
    ) -> Result<Cluster, ClusterError> {
        let topology = factories.deploy(Topology::build, dataflow, analysis, deployment)?;
        if let (Some(group), SequencerConfig::Embedded) =
            (topology.groups.first(), &config.sequencer)
        {
            return Err(ClusterError::EmbeddedSequencer {
                group: group.name.clone(),
            });
        }
        let stream = RunStream::connect_with(
            &config.nats_url,
            &config.run,
            config.duplicate_window,
            config.policy,
            &config.security.nats,
        )
        .await?;
        let identity = RunIdentity::of(dataflow, deployment, &config.workload);
        stream.claim_identity(&identity).await?;
        let sequencer = config
            .sequencer
            .connect_with(config.policy, &config.security)
            .await?;
        let membership = match &config.membership {
            Some(connect) => Some(Arc::new(
                ZooKeeperMembership::connect_with(
                    connect,
                    &membership_root(&config.run),
                    config.policy,
                    config.security.zookeeper.as_ref(),
                )
                .await?,
            )),
            None => None,
        };
        Ok(Cluster {
            topology: Arc::new(topology),
            factories,
            stream,
            sequencer,
            membership,
            config,
            record_outputs: false,
            identity: identity.to_json(),
        })
    }

    /// Keeps the records each hosted instance sends, for its outcome.
    pub fn record_outputs(mut self, record: bool) -> Cluster {
        self.record_outputs = record;
        self
    }

    /// Replaces the connected sequencer by `wrap(sequencer)`, for the
    /// producers and instances this process starts afterwards: a wrapper
    /// that counts, delays or injects faults around the configured service
    /// (`examples/ad_cluster.rs --abort-after-positions` aborts the process
    /// right after a position is assigned, before the message is published).
    pub fn wrap_sequencer(
        mut self,
        wrap: impl FnOnce(Arc<dyn Sequencer>) -> Arc<dyn Sequencer>,
    ) -> Cluster {
        self.sequencer = wrap(self.sequencer);
        self
    }

    /// The deployed topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The run's stream on the NATS server.
    pub fn run_stream(&self) -> &RunStream {
        &self.stream
    }

    /// Producers with their names.
    fn named(&self, ids: BTreeSet<ProducerId>) -> BTreeMap<ProducerId, String> {
        ids.into_iter()
            .map(|id| (id, self.topology.describe(id)))
            .collect()
    }

    fn peer_wait(&self) -> PeerWait {
        PeerWait {
            wait: self.config.peer_wait,
            report_every: self.config.peer_report_every,
        }
    }

    /// The endpoints (`Component.input`) a producer's streams feed.
    fn endpoints_fed_by(&self, id: ProducerId, outputs: &[Option<usize>]) -> BTreeSet<String> {
        let mut endpoints = BTreeSet::new();
        for output in outputs {
            for s in self.topology.streams_of(id, *output) {
                if let StreamTarget::Input { component, input } = s.target {
                    let c = &self.topology.components[component];
                    endpoints.extend(c.endpoint(input));
                }
            }
        }
        endpoints
    }

    /// Registers `id` as a producer of every input it feeds.
    async fn register(
        &self,
        id: ProducerId,
        outputs: &[Option<usize>],
    ) -> Result<(), ClusterError> {
        let Some(membership) = &self.membership else {
            return Ok(());
        };
        for endpoint in self.endpoints_fed_by(id, outputs) {
            membership.register(&endpoint, id).await?;
        }
        Ok(())
    }

    /// The sending side of a new incarnation of `me`: its epoch from
    /// JetStream, registered on every destination before anything is sent.
    async fn sending_end(&self, me: ProducerId) -> Result<SendingEnd, ClusterError> {
        let epoch = self.stream.register_incarnation(me).await?;
        let mut out = SendingEnd::new(
            me,
            self.topology.clone(),
            &self.stream,
            self.config.publish_window,
            self.sequencer.clone(),
            &self.config.run,
            Masters::new(self.membership.clone(), self.config.membership_wait),
        )
        .with_batches(BatchLimits {
            messages: self.config.batch_messages,
            bytes: self.config.batch_bytes,
        });
        out.register(epoch).await?;
        Ok(out)
    }

    /// Producer `index` of source `source`, registered with the membership
    /// service. Sending the same script again after a crash is a replay.
    pub async fn source(&self, source: &str, index: usize) -> Result<SourceProducer, ClusterError> {
        let s = self
            .topology
            .source(source)
            .ok_or_else(|| NameError::NoSuchSource {
                name: source.to_string(),
                valid: self.topology.source_names(),
            })?;
        let id = *self.topology.sources[s]
            .producers
            .get(index)
            .ok_or_else(|| NameError::NoSuchSourceProducer {
                source_name: source.to_string(),
                index,
                producers: self.topology.sources[s].producers.len(),
            })?;
        self.register(id, &[None]).await?;
        Ok(SourceProducer {
            source: SourceCore::new(id, self.topology.seed),
            out: self.sending_end(id).await?,
        })
    }

    /// Retires producer `index` of source or component `name` for an
    /// operator (runtime spec, "Liveness and membership"): the producer
    /// will send nothing more, and every partition it has not sealed counts
    /// as sealed by it, so the partitions it blocked are released once the
    /// others have sealed them. Use it for a producer that stopped for good
    /// (decommissioned, or its input ended without its seals); a running
    /// producer retires itself ([`SourceProducer::retire`]).
    ///
    /// The retirement is sent by a new incarnation of the producer, which
    /// fences the stopped one's frames stored afterwards, and is stored in
    /// JetStream on every destination the producer feeds, so a consumer
    /// started later reads it too. Waits until JetStream holds it.
    pub async fn retire(&self, name: &str, index: usize) -> Result<LinkStats, ClusterError> {
        let (id, outputs) = self.producer_named(name, index)?;
        tracing::warn!(producer = %self.topology.describe(id), "retiring a producer");
        let mut out = self.sending_end(id).await?;
        let mut rng = routing_rng(self.topology.seed, id);
        let mut routed = Vec::new();
        for output in outputs {
            let retirement = Envelope::Retire {
                producer: id,
                seq: 0,
            };
            route(
                &self.topology,
                id,
                output,
                retirement,
                &mut rng,
                &mut routed,
            );
        }
        for r in routed {
            out.retire(r).await?;
        }
        out.flush().await
    }

    /// Producer `index` of source or component `name`, with its outputs.
    fn producer_named(
        &self,
        name: &str,
        index: usize,
    ) -> Result<(ProducerId, Vec<Option<usize>>), NameError> {
        if let Some(s) = self.topology.source(name) {
            let producers = &self.topology.sources[s].producers;
            let id = *producers
                .get(index)
                .ok_or_else(|| NameError::NoSuchSourceProducer {
                    source_name: name.to_string(),
                    index,
                    producers: producers.len(),
                })?;
            return Ok((id, vec![None]));
        }
        let Some(ci) = self.topology.component(name) else {
            let mut valid = self.topology.source_names();
            valid.extend(self.topology.component_names());
            return Err(NameError::NoSuchSource {
                name: name.to_string(),
                valid,
            });
        };
        let info = &self.topology.components[ci];
        let id = *info
            .instances
            .get(index)
            .ok_or_else(|| NameError::NoSuchInstance {
                component: name.to_string(),
                index,
                instances: info.instances.len(),
            })?;
        Ok((id, (0..info.outputs.len()).map(Some).collect()))
    }

    /// Runs instance `index` of `component` until every input and output
    /// has ended: restores its last checkpoint if it has one, reads its
    /// inputs from there (or from the start of the run), applies the plan's
    /// wrappers, publishes what it emits, saves checkpoints as
    /// [`ClusterConfig::checkpoints`] says.
    pub async fn run_instance(
        &self,
        component: &str,
        index: usize,
    ) -> Result<InstanceOutcome, ClusterError> {
        let ci = self
            .topology
            .component(component)
            .ok_or_else(|| NameError::NoSuchComponent {
                name: component.to_string(),
                valid: self.topology.component_names(),
            })?;
        let info = &self.topology.components[ci];
        let id = *info
            .instances
            .get(index)
            .ok_or_else(|| NameError::NoSuchInstance {
                component: component.to_string(),
                index,
                instances: info.instances.len(),
            })?;
        let outputs: Vec<Option<usize>> = (0..info.outputs.len()).map(Some).collect();
        self.register(id, &outputs).await?;
        let producers = self.learn_producers(ci, id).await?;
        let handler = self.factories.make(component)?;
        let core = InstanceCore::with_producers(&self.topology, info, id, handler, &producers);
        let mut node = Node::new(core, self.topology.seed);
        // Runs of records cross the wire as runs (one message each).
        node.send_runs();
        if self.record_outputs {
            node.record_sends();
        }
        let expected = (0..info.plan.inputs.len())
            .flat_map(|i| self.topology.expected(id, i))
            .collect();
        let mut receiving = ReceivingEnd::new(
            self.stream.reader(self.stream.instance_subject(id)),
            self.topology.describe(id),
            self.named(expected),
            self.peer_wait(),
        );
        let mut run = InstanceRun {
            out: self.sending_end(id).await?,
            started: Instant::now(),
            step_at: Time::default(),
            held: None,
            dead_letters: Vec::new(),
            sent: BTreeMap::new(),
            outputs: info.outputs.clone(),
            masters: Masters::new(self.membership.clone(), self.config.membership_wait),
        };
        let mut checkpoints = Checkpoints::new(
            self.config.checkpoints,
            &self.stream,
            id,
            self.identity.clone(),
        );
        let restored_from = checkpoints
            .restore(&mut node, &mut receiving, &mut run.out, &mut run.sent)
            .await?;
        let span = tracing::info_span!("instance", component = %info.name, instance = %id);
        let mut published = Instant::now();
        // Partitions waiting past the deployment's time are reported (and
        // counted) as on tokio; `now` is in milliseconds here.
        let overdue_after = Time::micros(self.topology.overdue_after);
        let overdue_every = (self.topology.overdue_after / 4)
            .clamp(Duration::from_millis(1), Duration::from_secs(1));
        let mut overdue_checked = Instant::now();
        let mut replaced_checked = Instant::now();
        let mut held_back = HeldBack::new(self.config.held_back);
        async {
            node.start(&self.topology, run.now());
            run.queue(&mut node)?;
            run.finish(&mut node).await?;
            while !(node.core().finished() && receiving.waiting() == 0 && held_back.is_empty()) {
                run.step_at = run.now();
                while let Some(m) = held_back.take_ready(node.core()) {
                    if run.forward(&mut node, m, &mut held_back)? {
                        run.finish(&mut node).await?;
                    }
                }
                // What the step routed leaves before waiting for more.
                run.out.flush_batches().await?;
                // Full: read nothing more (JetStream keeps it). Full, or
                // idle while holding: nothing else can free room.
                let ready = if held_back.is_full() {
                    None
                } else {
                    receiving.next().await?
                };
                run.step_at = run.now();
                match ready {
                    Some(ready) => {
                        for m in ready {
                            if let Some(m) = held_back.admit(node.core_mut(), m)
                                && run.forward(&mut node, m, &mut held_back)?
                            {
                                run.finish(&mut node).await?;
                            }
                        }
                    }
                    None => {
                        if let Some(m) = held_back.force() {
                            node.core_mut().note_stall();
                            if run.forward(&mut node, m, &mut held_back)? {
                                run.finish(&mut node).await?;
                            }
                        }
                    }
                }
                let settled = receiving.take_settled();
                if !settled.is_empty() && run.settle(&mut node, settled)? {
                    run.finish(&mut node).await?;
                }
                checkpoints
                    .maybe_save(&node, &receiving, &mut run.out, &run.sent)
                    .await?;
                if overdue_checked.elapsed() >= overdue_every {
                    node.core_mut().report_overdue(run.now(), overdue_after);
                    overdue_checked = Instant::now();
                }
                // A zombie stops within a few seconds even if it never
                // flushes again (idle, or with no checkpoints).
                if replaced_checked.elapsed() >= REPLACED_CHECK_EVERY {
                    run.out.check_not_replaced().await?;
                    replaced_checked = Instant::now();
                }
                if published.elapsed() >= PUBLISH_EVERY {
                    telemetry::publish(&node.core().snapshot(run.now()));
                    published = Instant::now();
                }
            }
            Ok::<(), ClusterError>(())
        }
        .instrument(span)
        .await?;
        let sent = run.out.flush().await?;
        let core = node.core_mut();
        core.shutdown(run.now());
        run.dead_letters.extend(core.take_dead_letters());
        let links = LinkStats {
            frames_out: sent.frames_out,
            publish_retries: sent.publish_retries,
            already_stored: sent.already_stored,
            recovered_positions: sent.recovered_positions,
            held_back_max: held_back.max() as u64,
            ..receiving.stats()
        };
        let snapshot = core.snapshot(run.now());
        telemetry::publish(&snapshot);
        Ok(InstanceOutcome {
            snapshot,
            dead_letters: run.dead_letters,
            links,
            sent: run.sent,
            restored_from,
            checkpoints_saved: checkpoints.saved,
        })
    }

    /// The producers of each sealed input of instance `id`, from the
    /// membership service (waiting for as many as the deployment declares).
    async fn learn_producers(
        &self,
        ci: usize,
        id: ProducerId,
    ) -> Result<BTreeMap<InputId, BTreeSet<ProducerId>>, ClusterError> {
        let mut learned = BTreeMap::new();
        let Some(membership) = &self.membership else {
            return Ok(learned);
        };
        let info = &self.topology.components[ci];
        for (i, mode) in info.plan.inputs.iter().enumerate() {
            if !matches!(mode, InputMode::Sealed { .. }) {
                continue;
            }
            let Some(endpoint) = info.endpoint(i) else {
                continue;
            };
            let declared = self.topology.expected(id, i);
            let members = self
                .wait_for_members(membership, id, &endpoint, &declared)
                .await?;
            if members != declared {
                tracing::warn!(%endpoint, ?members, ?declared,
                    "the registered producers differ from the deployment's: votes follow the registry");
            }
            tracing::info!(%endpoint, ?members, "producers learned from ZooKeeper");
            learned.insert(i, members);
        }
        Ok(learned)
    }

    /// Waits until as many producers of `endpoint` as `declared` have
    /// registered, saying every [`ClusterConfig::peer_report_every`] which
    /// are missing, and failing with their names after
    /// [`ClusterConfig::membership_wait`].
    async fn wait_for_members(
        &self,
        membership: &ZooKeeperMembership,
        id: ProducerId,
        endpoint: &str,
        declared: &BTreeSet<ProducerId>,
    ) -> Result<BTreeSet<ProducerId>, ClusterError> {
        let start = Instant::now();
        loop {
            let left = self.config.membership_wait.saturating_sub(start.elapsed());
            let chunk = left.min(self.config.peer_report_every);
            match membership
                .wait_for_members(endpoint, declared.len(), chunk)
                .await
            {
                Ok(members) => return Ok(members),
                Err(MembershipError::MembersMissing { registered, .. }) => {
                    let missing: Vec<String> = declared
                        .difference(&registered)
                        .map(|p| self.topology.describe(*p))
                        .collect();
                    if start.elapsed() >= self.config.membership_wait || left <= chunk {
                        return Err(ClusterError::MembersMissing {
                            at: self.topology.describe(id),
                            endpoint: endpoint.to_string(),
                            expected: declared.len(),
                            missing,
                            waited: start.elapsed(),
                        });
                    }
                    tracing::warn!(at = %self.topology.describe(id), %endpoint, ?missing,
                        waited_ms = start.elapsed().as_millis(),
                        "waiting for producers to register in ZooKeeper");
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Collects sink `sink` until every producer has ended it.
    pub async fn collect_sink(
        &self,
        sink: &str,
    ) -> Result<(SinkCollector, LinkStats), ClusterError> {
        let s = self
            .topology
            .sink(sink)
            .ok_or_else(|| NameError::NoSuchSink {
                name: sink.to_string(),
                valid: self.topology.sinks.clone(),
            })?;
        let mut collector = self.topology.sink_collector(s);
        let mut receiving = ReceivingEnd::new(
            self.stream.reader(self.stream.sink_subject(s)),
            format!("sink {sink}"),
            self.named(self.topology.sink_producers(s).clone()),
            self.peer_wait(),
        );
        while !(collector.finished() && receiving.waiting() == 0) {
            for delivery in receiving.next().await?.unwrap_or_default() {
                match delivery {
                    Delivery::Direct { envelope, .. } => collector.deliver(envelope),
                    Delivery::Ordered { .. } => receiving.stats.malformed_frames += 1,
                }
            }
            // Stranded messages of a retired producer were logged and are
            // counted in the sink's stats (`stranded_messages`).
            receiving.take_settled();
        }
        Ok((collector, receiving.stats()))
    }
}

/// The state of one hosted instance's loop.
struct InstanceRun {
    out: SendingEnd,
    started: Instant,
    /// [`InstanceRun::now`] when the step began: the time of every message
    /// the step delivers (one clock reading per frame, not per message).
    step_at: Time,
    /// A seal waiting for its partition's master ([`InstanceRun::finish`]).
    held: Option<Delivery>,
    dead_letters: Vec<DeadLetter>,
    sent: BTreeMap<String, Vec<Tuple>>,
    outputs: Vec<String>,
    masters: Masters,
}

impl InstanceRun {
    fn now(&self) -> Time {
        Time::micros_since(self.started)
    }

    /// Delivers `message` and queues what the instance routed elsewhere (it
    /// leaves in one frame per destination when a batch fills, or at the
    /// end of the step: [`SendingEnd::flush_batches`]), without waiting; true
    /// when [`InstanceRun::finish`] has work: `message` itself, held when
    /// it is a seal whose partition's master must be asked first, or frames
    /// and messages queued for publishing.
    ///
    /// A run of records goes through [`Node::deliver_run`], as under tokio:
    /// what the buffer bound leaves of it waits at the front of its
    /// producer's backlog in `held_back`.
    fn forward(
        &mut self,
        node: &mut Node,
        message: Delivery,
        held_back: &mut HeldBack,
    ) -> Result<bool, ClusterError> {
        if self.asks_master(node, &message) {
            self.held = Some(message);
            return Ok(true);
        }
        let mut rest = VecDeque::new();
        node.deliver_run(self.out.topology(), message, &mut rest, self.step_at);
        if let Some(rest) = rest.pop_front() {
            held_back.hold_first(rest);
        }
        self.queue(node)?;
        Ok(self.out.has_queued())
    }

    /// Applies what a retirement settled besides its deliveries: the
    /// group's positions it skips, and the messages stranded behind a gap
    /// of the retired producer's link (records dead-lettered). True as
    /// [`InstanceRun::forward`].
    fn settle(&mut self, node: &mut Node, settled: Settled) -> Result<bool, ClusterError> {
        if !settled.skipped.is_empty() {
            node.skip_ordered(self.out.topology(), &settled.skipped, self.step_at);
        }
        for (missing, delivery) in settled.stranded {
            let (input, envelope) = match delivery {
                Delivery::Direct { input, envelope }
                | Delivery::Ordered {
                    input, envelope, ..
                } => (input, envelope),
            };
            node.core_mut().refuse_stranded(input, envelope, missing);
        }
        self.queue(node)?;
        Ok(self.out.has_queued())
    }

    /// Does what [`InstanceRun::forward`] left: the seal held for its
    /// master, then the publishing.
    async fn finish(&mut self, node: &mut Node) -> Result<(), ClusterError> {
        if let Some(message) = self.held.take() {
            if !self.refused_by_master(node, &message).await? {
                node.deliver(self.out.topology(), message, self.step_at);
            }
            self.queue(node)?;
        }
        self.out.send_queued().await
    }

    /// Whether `message` is a seal of an `independent` stream, whose
    /// partition's master is asked before it is delivered.
    fn asks_master(&self, node: &Node, message: &Delivery) -> bool {
        let Delivery::Direct {
            input,
            envelope: Envelope::Seal { .. },
        } = message
        else {
            return false;
        };
        self.masters.enabled()
            && independent_endpoint(self.out.topology(), node.id(), *input).is_some()
    }

    /// Refuses (as a dead letter) a seal of an `independent` stream that
    /// does not come from its partition's master.
    async fn refused_by_master(
        &mut self,
        node: &mut Node,
        message: &Delivery,
    ) -> Result<bool, ClusterError> {
        let Delivery::Direct {
            input,
            envelope: Envelope::Seal { producer, key, .. },
        } = message
        else {
            return Ok(false);
        };
        if !self.masters.enabled() {
            return Ok(false);
        }
        let Some(endpoint) = independent_endpoint(self.out.topology(), node.id(), *input) else {
            return Ok(false);
        };
        let master = self.masters.master(&endpoint, key).await?;
        if master == Some(*producer) {
            return Ok(false);
        }
        let why = match master {
            Some(m) => format!("the partition's master is {m}"),
            None => "no producer claimed the partition".to_string(),
        };
        node.core_mut().reject_seal(*input, *producer, key, &why);
        Ok(true)
    }

    /// Queues what `node` routed elsewhere for publishing, keeps its dead
    /// letters and, when recording, what each output sent.
    fn queue(&mut self, node: &mut Node) -> Result<(), ClusterError> {
        for (output, records) in node.take_recorded() {
            if let Some(name) = self.outputs.get(output) {
                self.sent.entry(name.clone()).or_default().extend(records);
            }
        }
        for (_, routed) in node.remote() {
            self.out.queue(routed)?;
        }
        self.dead_letters.extend(node.take_dead_letters());
        Ok(())
    }
}

/// One producer of a source, in its own process.
pub struct SourceProducer {
    source: SourceCore,
    out: SendingEnd,
}

impl SourceProducer {
    /// The producer's id.
    pub fn id(&self) -> ProducerId {
        self.source.id()
    }

    /// Queues what the source routed, publishing when a batch filled (or
    /// a message asks a service first).
    async fn ship(&mut self) -> Result<(), ClusterError> {
        for r in self.source.routed() {
            self.out.queue(r)?;
        }
        if self.out.has_queued() {
            self.out.send_queued().await?;
        }
        Ok(())
    }

    /// Numbers and routes `records` as runs of at most a frame's records
    /// ([`ClusterConfig::batch_messages`]; one message per run and
    /// destination), tuples too: the wire carries a run as its tuples
    /// either way.
    fn runs<R: Record>(&mut self, records: impl IntoIterator<Item = R>) {
        let topology = self.out.topology();
        let most = self.out.records_per_frame().max(1);
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let chunk = records.by_ref().take(most);
            if R::DYNAMIC {
                self.source
                    .tuple_runs(topology, chunk.map(Record::into_tuple));
            } else {
                self.source.run(topology, chunk);
            }
        }
    }

    /// Sends a record: one of the user's [`Record`] types, or a [`Tuple`](crate::Tuple).
    /// It is published before this returns (a frame of its own per
    /// destination): use [`SourceProducer::send_batch`] to send many.
    pub async fn send(&mut self, record: impl Record) -> Result<(), ClusterError> {
        self.source.record(self.out.topology(), record.into_tuple());
        self.ship().await?;
        self.out.flush_batches().await
    }

    /// Sends records in order, as [`SourceProducer::send`] one after the
    /// other would, but in frames of up to
    /// [`ClusterConfig::batch_messages`] per destination; all are published
    /// before this returns.
    pub async fn send_batch<R: Record>(
        &mut self,
        records: impl IntoIterator<Item = R>,
    ) -> Result<(), ClusterError> {
        self.runs(records);
        self.ship().await?;
        self.out.flush_batches().await
    }

    /// Sends `records`, then seals the partition `key` names, as
    /// [`SourceProducer::send_batch`] then [`SourceProducer::seal`] would,
    /// but in one step: the seal leaves in the frame of the batch's last
    /// records (when it has room, see [`ClusterConfig::batch_messages`]),
    /// not in a frame of its own.
    pub async fn send_sealed_batch<R: Record>(
        &mut self,
        records: impl IntoIterator<Item = R>,
        key: impl Record,
    ) -> Result<(), ClusterError> {
        let key = key.into_tuple();
        self.out
            .topology()
            .check_producer_seal(self.source.id(), &key)?;
        self.runs(records);
        self.source.seal(self.out.topology(), key);
        self.ship().await?;
        self.out.flush_batches().await
    }

    /// Seals the partition `key` names: any record holding the stream's
    /// seal-key fields (a key struct of yours, a record of the partition, or
    /// a [`Tuple`](crate::Tuple)); fields outside the seal key are dropped from the seal.
    /// A key lacking a seal-key field is refused ([`NameError::SealKeyLacks`]).
    pub async fn seal(&mut self, key: impl Record) -> Result<(), ClusterError> {
        let key = key.into_tuple();
        self.out
            .topology()
            .check_producer_seal(self.source.id(), &key)?;
        self.source.seal(self.out.topology(), key);
        self.ship().await?;
        self.out.flush_batches().await
    }

    /// Waits until JetStream holds everything sent so far.
    pub async fn flush(&mut self) -> Result<LinkStats, ClusterError> {
        self.out.flush().await
    }

    /// Retires the producer (runtime spec, "Liveness and membership"): it
    /// sends nothing more, and every partition it has not sealed counts as
    /// sealed by it. The retirement travels on its links after everything
    /// it sent, like a seal; waits until JetStream holds it.
    pub async fn retire(mut self) -> Result<LinkStats, ClusterError> {
        self.source.retire(self.out.topology());
        self.ship().await?;
        self.out.flush().await
    }

    /// Ends the stream and waits until JetStream holds everything sent.
    pub async fn close(mut self) -> Result<LinkStats, ClusterError> {
        self.source.end(self.out.topology());
        self.ship().await?;
        self.out.flush().await
    }
}
