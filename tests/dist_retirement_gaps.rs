//! An operator's retirement of a stopped producer leaves no one waiting
//! (docs/runtime.md, "Retirement"):
//!
//! - a position of an ordered group's order that the producer took from the
//!   sequencer and never published is skipped by every replica alike (the
//!   retirement lists it); before, every replica waited at it for ever;
//! - messages of the producer held behind a gap in its link (message `n + 1`
//!   stored, `n` never) are released: an ordered one into the group's order,
//!   the missing one filled on the replica that lacks it from the replica
//!   that holds it; a direct record is dead-lettered with a reason naming
//!   the gap. Before, they stayed held and the run never ended.

#[path = "retirement_support/mod.rs"]
mod retirement_support;
#[path = "support_servers/mod.rs"]
mod support_servers;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use blazes::dist::wire::{self, Frame, Registration};
use blazes::dist::{Cluster, ClusterConfig, ClusterError, InstanceOutcome, Security};
use blazes::runtime::sans_io::{Delivery, Envelope};
use blazes::runtime::{
    AssignedFuture, DeadLetterReason, Deployment, Factories, ProducerId, RecoverFuture, Sequencer,
    SequencerError, SequencerFuture,
};
use blazes::{Dataflow, Tuple, analyze};
use retirement_support::{BATCHES, Keep, by_replica, dataflow, record, value};
use support_servers::{Nats, tokio};

/// Producer 0's whole script: every batch, each sealed, then its end.
async fn full_producer(cluster: &Cluster) -> Result<(), ClusterError> {
    let mut p = cluster.source("numbers", 0).await?;
    for batch in 1..=BATCHES {
        for i in 0..3 {
            p.send(record(batch, value(0, batch, i))).await?;
        }
    }
    for batch in 1..=BATCHES {
        p.seal(Tuple::new().with("batch", batch)).await?;
    }
    p.close().await?;
    Ok(())
}

/// Producer 0's sums, plus `extra` per batch.
fn truth(extra: &[(i64, i64)]) -> BTreeMap<i64, i64> {
    let mut truth = BTreeMap::new();
    for batch in 1..=BATCHES {
        for i in 0..3 {
            *truth.entry(batch).or_insert(0) += value(0, batch, i);
        }
    }
    for (batch, v) in extra {
        *truth.entry(*batch).or_insert(0) += v;
    }
    truth
}

async fn config(nats: &Nats, run: &str) -> ClusterConfig {
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    config.sequencer = nats
        .jetstream_config()
        .parse()
        .expect("a sequencer configuration");
    config
}

fn deployment(instances: usize) -> Deployment {
    Deployment::new()
        .source_producers("numbers", 2)
        .instances("Keep", instances)
}

async fn connect(
    dataflow: &Dataflow,
    instances: usize,
    config: ClusterConfig,
) -> Result<Cluster, ClusterError> {
    let analysis = analyze(dataflow).expect("valid dataflow");
    assert!(analysis.ok(), "{:?}", analysis.violations);
    let factories = Factories::new().with("Keep", || Box::<Keep>::default());
    Cluster::connect(
        dataflow,
        &analysis,
        &deployment(instances),
        factories,
        config,
    )
    .await
}

/// A sequencer whose call after the first `left` fails *after* the
/// service ordered the message: the producer took a position and stopped
/// before publishing its message. (A new producer's first call is a
/// `recover`, the next ones `assign`s.)
struct StopsAfterOrdering {
    inner: Arc<dyn Sequencer>,
    left: AtomicUsize,
}

impl StopsAfterOrdering {
    /// `Err` for the call after the first `left` (the position is taken).
    fn answer<T>(&self, ordered: Result<T, SequencerError>) -> Result<T, SequencerError> {
        let ordered = ordered?;
        if self.left.fetch_sub(1, Ordering::SeqCst) == 0 {
            return Err(SequencerError::Injected);
        }
        Ok(ordered)
    }
}

impl Sequencer for StopsAfterOrdering {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        Box::pin(async move { self.answer(self.inner.assign(group, producer, seq).await) })
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        Box::pin(async move { self.answer(self.inner.recover(group, producer, seq).await) })
    }

    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        self.inner.assigned(group, producer)
    }
}

/// Producer 1 sends batch 1 and the first record of batch 2, each ordered
/// and published; for the second record of batch 2 it takes a position and
/// stops. The operator retires it: both replicas skip that position, apply
/// everything else and agree; the run ends. Before, both waited at the
/// position for ever.
/// Runs both replicas of `Keep`, `sources` and the sink `out` together; the
/// run must complete within 30 s: `what` holds no replica back.
async fn run_replicas(
    cluster: &Cluster,
    sources: impl std::future::Future<Output = Result<(), ClusterError>>,
    what: &str,
) -> (
    InstanceOutcome,
    InstanceOutcome,
    blazes::runtime::SinkCollector,
) {
    let all = async {
        tokio::try_join!(
            cluster.run_instance("Keep", 0),
            cluster.run_instance("Keep", 1),
            sources,
            cluster.collect_sink("out"),
        )
    };
    let (a, b, (), (sink, _)) = tokio::time::timeout(Duration::from_secs(30), all)
        .await
        .unwrap_or_else(|_| panic!("{what} holds no replica back: the run completes"))
        .expect("the run completes");
    (a, b, sink)
}

#[test]
fn a_position_taken_and_never_published_is_skipped_by_every_replica() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let run = "gap-unpublished";
        let dataflow = dataflow(true);
        let cluster = connect(&dataflow, 2, config(&nats, run).await)
            .await
            .expect("connected");
        let stopping = connect(&dataflow, 2, config(&nats, run).await)
            .await
            .expect("connected")
            .wrap_sequencer(|inner| {
                Arc::new(StopsAfterOrdering {
                    inner,
                    left: AtomicUsize::new(4),
                })
            });
        let sources = async {
            full_producer(&cluster).await?;
            let mut p = stopping.source("numbers", 1).await?;
            for (batch, i) in [(1, 0), (1, 1), (1, 2), (2, 0)] {
                p.send(record(batch, value(1, batch, i))).await?;
            }
            let stopped = p.send(record(2, value(1, 2, 1))).await;
            assert!(stopped.is_err(), "the position is taken, the send fails");
            drop(p);
            tokio::time::sleep(Duration::from_millis(300)).await;
            cluster.retire("numbers", 1).await?;
            Ok::<(), ClusterError>(())
        };
        let (a, b, sink) = run_replicas(&cluster, sources, "the skipped position").await;
        let outcomes: [&InstanceOutcome; 2] = [&a, &b];
        for o in outcomes {
            assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
            assert_eq!(o.links.skipped_positions, 1, "{}", o.snapshot.name);
            assert_eq!(o.links.filled_messages, 0, "{}", o.snapshot.name);
        }
        let mut extra: Vec<(i64, i64)> = (0..3).map(|i| (1, value(1, 1, i))).collect();
        extra.push((2, value(1, 2, 0)));
        let replicas = by_replica(&sink.records);
        assert_eq!(replicas.len(), 2, "both replicas report: {replicas:?}");
        for (replica, sums) in &replicas {
            assert_eq!(sums, &truth(&extra), "replica {replica}");
        }
        cluster.run_stream().delete().await.expect("stream deleted");
    });
}

/// Publishes, as producer `from`'s new incarnation, its registration on
/// every destination, then `frames` (subject, link position, messages);
/// returns the incarnation's epoch.
async fn publish_as(
    cluster: &Cluster,
    from: ProducerId,
    frames: Vec<(String, u64, Vec<Delivery>)>,
) -> u64 {
    let stream = cluster.run_stream();
    let epoch = stream
        .register_incarnation(from)
        .await
        .expect("an incarnation");
    let mut publisher = stream.publisher(16);
    let topology = cluster.topology();
    let instances: Vec<ProducerId> = topology
        .components
        .iter()
        .flat_map(|c| c.instances.iter().copied())
        .collect();
    let registration =
        wire::encode_registration(&Registration { from, epoch }).expect("a registration");
    for subject in stream.destination_subjects(&instances, topology.sinks.len()) {
        let id = format!("test.{}.{epoch}.{subject}.r", from.0);
        publisher
            .send(subject, id, registration.clone())
            .await
            .expect("published");
    }
    for (subject, link_seq, messages) in frames {
        let frame = Frame {
            from,
            epoch,
            link_seq,
            messages,
        };
        let id = format!("test.{}.{epoch}.{subject}.{link_seq}", from.0);
        let bytes = wire::encode(&frame).expect("a frame");
        publisher.send(subject, id, bytes).await.expect("published");
    }
    publisher.flush().await.expect("stored");
    epoch
}

fn producer_1(cluster: &Cluster) -> ProducerId {
    cluster.topology().sources[0].producers[1]
}

fn envelope(from: ProducerId, seq: u64, v: i64) -> Envelope {
    Envelope::Record {
        producer: from,
        seq,
        payload: record(1, v).into(),
    }
}

/// Producer 1 ordered three records of batch 1 and published them to
/// replica 1 whole, but its frame at link position 1 never reached replica
/// 0 (position 2 did). Retired, replica 0 releases what it held behind the
/// gap and gets the missing record from the retirement (read from replica
/// 1's stream): both replicas apply all three and agree. Before, replica 0
/// held the frame for ever and never ended.
#[test]
fn a_gap_in_a_retired_producers_link_is_filled_on_the_replica_missing_it() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let run = "gap-link-ordered";
        let dataflow = dataflow(true);
        let config = config(&nats, run).await;
        let sequencer = config
            .sequencer
            .connect_with(config.policy, &Security::default())
            .await
            .expect("the sequencer");
        let cluster = connect(&dataflow, 2, config).await.expect("connected");
        let from = producer_1(&cluster);
        let group = &cluster.topology().groups[0];
        let name = format!("{run}.{}", group.name);
        let members = group.members.clone();
        let values = [1000, 2000, 4000];
        let mut ordered = Vec::new();
        for (seq, v) in (0u64..).zip(values) {
            let position = sequencer
                .assign(&name, from, seq)
                .await
                .expect("ordered")
                .expect("a new position");
            ordered.push(Delivery::Ordered {
                position,
                input: 0,
                envelope: envelope(from, seq, v),
            });
        }
        let stream = cluster.run_stream();
        let (s0, s1) = (
            stream.instance_subject(members[0]),
            stream.instance_subject(members[1]),
        );
        let frames = vec![
            (s0.clone(), 0, vec![ordered[0].clone()]),
            (s0, 2, vec![ordered[2].clone()]),
            (s1, 0, ordered.clone()),
        ];
        let sources = async {
            publish_as(&cluster, from, frames).await;
            full_producer(&cluster).await?;
            cluster.retire("numbers", 1).await?;
            Ok::<(), ClusterError>(())
        };
        let (a, b, sink) = run_replicas(&cluster, sources, "the gap").await;
        for (o, filled) in [(&a, 1), (&b, 0)] {
            assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
            assert_eq!(o.links.filled_messages, filled, "{}", o.snapshot.name);
            assert_eq!(o.links.skipped_positions, 0, "{}", o.snapshot.name);
        }
        let extra: Vec<(i64, i64)> = values.iter().map(|v| (1, *v)).collect();
        let replicas = by_replica(&sink.records);
        assert_eq!(replicas.len(), 2, "both replicas report: {replicas:?}");
        for (replica, sums) in &replicas {
            assert_eq!(sums, &truth(&extra), "replica {replica}");
        }
        cluster.run_stream().delete().await.expect("stream deleted");
    });
}

/// A lone `Keep` (seal buffer, no order): producer 1's frame at link
/// position 1 was never stored, the one at 2 was. Retired, the record held
/// behind the gap is dead-lettered, its reason naming the missing position,
/// the outcome reports it, and the run ends; before, it stayed held and the
/// instance never ended.
#[test]
fn a_record_held_behind_a_retired_producers_gap_is_dead_lettered() {
    let nats = Nats::start().expect("nats-server starts");
    tokio().block_on(async {
        let run = "gap-link-direct";
        let dataflow = dataflow(false);
        let cluster = connect(&dataflow, 1, config(&nats, run).await)
            .await
            .expect("connected");
        let from = producer_1(&cluster);
        let keep = cluster.topology().components[0].instances[0];
        let subject = cluster.run_stream().instance_subject(keep);
        let direct = |seq, v| Delivery::Direct {
            input: 0,
            envelope: envelope(from, seq, v),
        };
        let frames = vec![
            (subject.clone(), 0, vec![direct(0, 1000)]),
            (subject, 2, vec![direct(2, 4000)]),
        ];
        let sources = async {
            publish_as(&cluster, from, frames).await;
            full_producer(&cluster).await?;
            cluster.retire("numbers", 1).await?;
            Ok::<(), ClusterError>(())
        };
        let all = async {
            tokio::try_join!(
                cluster.run_instance("Keep", 0),
                sources,
                cluster.collect_sink("out"),
            )
        };
        let (keep, (), (sink, _)) = tokio::time::timeout(Duration::from_secs(30), all)
            .await
            .expect("the gap holds the instance back no more: the run completes")
            .expect("the run completes");
        assert_eq!(keep.links.stranded_messages, 1);
        assert_eq!(keep.dead_letters.len(), 1, "{:?}", keep.dead_letters);
        let dead = &keep.dead_letters[0];
        assert_eq!((dead.producer, dead.seq), (from, 2));
        assert_eq!(
            dead.reason,
            DeadLetterReason::StrandedBehindGap { missing: 1 }
        );
        let metrics = &keep.snapshot.metrics;
        assert_eq!(
            metrics.dead_letters_by_kind.get("stranded behind a gap"),
            Some(&1),
            "{metrics:?}"
        );
        assert!(
            metrics.balanced(),
            "received, then dead-lettered: {metrics:?}"
        );
        assert!(!keep.is_success(), "the stranded record is reported");
        let replicas = by_replica(&sink.records);
        let sums = replicas.values().next().expect("Keep reports");
        assert_eq!(sums, &truth(&[(1, 1000)]));
        cluster.run_stream().delete().await.expect("stream deleted");
    });
}
