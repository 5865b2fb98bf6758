//! One input both ordered by a sequencer and held in a seal buffer, across
//! processes' transport: the auction dataflow (`auction_support`) hosted by
//! a `Cluster` on a real `nats-server`, every stream through JetStream, the
//! order from a JetStream or a ZooKeeper sequencer. Every replica of `Book`
//! must report the direct winner of each auction and give the same answers
//! to the same queries, as on tokio and in the simulator
//! (`sealed_and_ordered.rs`).

mod auction_support;
mod cluster_sources;
#[path = "support_servers/mod.rs"]
mod support_servers;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use auction_support::{Answer, REPLICAS, Win, auctions, deployment, workload};
use blazes::dist::{Cluster, ClusterConfig, ClusterError, InstanceOutcome};
use blazes::runtime::{SinkCollector, Workload};
use support_servers::{Nats, ZooKeeper, tokio};

/// Runs of each test: the sources race, and one run without the order
/// could still find the replicas agreeing by chance.
const RUNS: usize = 4;

/// Producer `producer` of `source` sends its script of `workload`, and
/// closes.
async fn send_script(
    cluster: &Cluster,
    workload: &Workload,
    source: &str,
    producer: usize,
) -> Result<(), ClusterError> {
    let mut p = cluster.source(source, producer).await?;
    cluster_sources::play(&mut p, workload.script(source, producer), |_| false).await?;
    p.close().await?;
    Ok(())
}

/// The two producers of every source, all at once: bids, notes and queries
/// race to `Book`'s replicas, which agree only through the order.
async fn sources(cluster: &Cluster, workload: &Workload) -> Result<(), ClusterError> {
    tokio::try_join!(
        send_script(cluster, workload, "bids", 0),
        send_script(cluster, workload, "bids", 1),
        send_script(cluster, workload, "notes", 0),
        send_script(cluster, workload, "notes", 1),
        send_script(cluster, workload, "queries", 0),
        send_script(cluster, workload, "queries", 1),
    )?;
    Ok(())
}

/// A sink's records by the replica that sent them (its producer id).
fn by_replica<T: blazes::Record>(sink: &SinkCollector) -> BTreeMap<u32, Vec<T>> {
    let mut replicas: BTreeMap<u32, Vec<T>> = BTreeMap::new();
    for (producer, record) in sink.read::<T>().expect("the sink's records") {
        replicas.entry(producer.0).or_default().push(record);
    }
    replicas
}

/// Runs the three replicas, the sources and both sinks on a cluster whose
/// sequencer is `sequencer`, and checks what they report.
async fn replicas_agree(nats: &Nats, run: &str, sequencer: &str) {
    let (workload, truth) = workload();
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    config.sequencer = sequencer.parse().expect("a sequencer configuration");
    let cluster = Cluster::connect(
        &auctions::dataflow(),
        &auctions::analysis(),
        &deployment(),
        auctions::factories(),
        config,
    )
    .await
    .expect("connected");
    let everything = async {
        tokio::try_join!(
            cluster.run_instance("Book", 0),
            cluster.run_instance("Book", 1),
            cluster.run_instance("Book", 2),
            sources(&cluster, &workload),
            cluster.collect_sink("wins"),
            cluster.collect_sink("answers"),
        )
    };
    let (a, b, c, (), (wins, _), (answers, _)) =
        tokio::time::timeout(Duration::from_secs(60), everything)
            .await
            .expect("the run completes in time")
            .expect("the run completes");
    let outcomes: [&InstanceOutcome; REPLICAS] = [&a, &b, &c];
    for o in outcomes {
        assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
        assert_eq!(
            o.snapshot.metrics.released_partitions,
            auction_support::AUCTIONS,
            "{}: every auction released once",
            o.snapshot.name
        );
    }
    let wins = by_replica::<Win>(&wins);
    assert_eq!(wins.len(), REPLICAS, "every replica reports: {wins:?}");
    for (replica, reported) in &wins {
        let reported: BTreeMap<u64, i64> = reported.iter().map(|w| (w.auction, w.amount)).collect();
        assert_eq!(reported, truth, "replica {replica}: the direct winners");
    }
    let answers = by_replica::<Answer>(&answers);
    assert_eq!(answers.len(), REPLICAS, "every replica answers");
    let distinct: BTreeSet<Vec<String>> = answers
        .values()
        .map(|a| a.iter().map(|a| format!("{a:?}")).collect())
        .collect();
    assert_eq!(
        distinct.len(),
        1,
        "the replicas answered differently: {answers:#?}"
    );
    cluster.run_stream().delete().await.expect("stream deleted");
}

#[test]
fn replicas_agree_across_processes_ordered_by_jetstream() {
    let nats = Nats::start().expect("nats-server starts");
    for run in 0..RUNS {
        let name = format!("sealed-ordered-js-{run}");
        tokio().block_on(replicas_agree(&nats, &name, &nats.jetstream_config()));
    }
}

#[test]
fn replicas_agree_across_processes_ordered_by_zookeeper() {
    let nats = Nats::start().expect("nats-server starts");
    let zookeeper = ZooKeeper::start().expect("ZooKeeper starts");
    for run in 0..RUNS {
        let name = format!("sealed-ordered-zk-{run}");
        tokio().block_on(replicas_agree(&nats, &name, &zookeeper.zookeeper_config()));
    }
}
