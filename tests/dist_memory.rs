//! Issue 15, memory bounds across processes: an instance whose wrappers are
//! at the deployment's bound holds back at most `ClusterConfig::held_back`
//! messages read from JetStream and reads no further frames while that many
//! are held; it completes once partitions release, and no frame is lost.

mod punctuation_support;
#[path = "support_servers/mod.rs"]
mod support_servers;

use std::collections::BTreeMap;

use blazes::dist::{Cluster, ClusterConfig, InstanceOutcome};
use blazes::runtime::Workload;
use blazes::{Tuple, analyze};
use punctuation_support::cluster;
use punctuation_support::{BATCHES, dataflow, deployment, factories, truth};
use support_servers::{Nats, tokio};

/// Sum's bound: each of the two producers' share (3) holds one batch of it.
const BOUND: usize = 6;

/// Each producer seals each batch right after its records.
fn workload() -> Workload {
    let mut w = Workload::new();
    for producer in 0..2 {
        for batch in 1..=BATCHES {
            for v in 0..3 {
                let value = batch * 10 + v + producer as i64 * 100;
                w = w.record(
                    "numbers",
                    producer,
                    Tuple::new().with("batch", batch).with("v", value),
                );
            }
            w = w.seal("numbers", producer, Tuple::new().with("batch", batch));
        }
    }
    w
}

/// Producer 0 sends everything, then producer 1: Sum holds producer 0's
/// later batches back until producer 1 seals the earlier ones.
async fn run(
    nats: &Nats,
    run: &str,
    held_back: usize,
) -> (Vec<InstanceOutcome>, BTreeMap<i64, i64>) {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let mut config = ClusterConfig::new(&nats.url(), run);
    config.policy = support_servers::backend::policy();
    config.held_back = held_back;
    let cluster = Cluster::connect(
        &dataflow,
        &analysis,
        &deployment().buffer_capacity(BOUND),
        factories(true, None),
        config,
    )
    .await
    .expect("connected");
    let (outcomes, totals) =
        cluster::run_with(&cluster, cluster::whole_scripts(&cluster, &workload()))
            .await
            .expect("the run completes");
    cluster.run_stream().delete().await.expect("stream deleted");
    (outcomes, totals)
}

#[test]
fn an_instance_at_its_bound_holds_back_a_bounded_backlog_and_completes() {
    let nats = Nats::start().expect("nats-server starts");
    let (outcomes, totals) = tokio().block_on(run(&nats, "held-back", 64));
    assert_eq!(totals, truth(), "no frame lost");
    let mut backpressure = 0;
    for o in &outcomes {
        let m = &o.snapshot.metrics;
        assert!(o.is_success(), "{}: {:#?}", o.snapshot.name, o.failures());
        assert!(
            m.held_max <= BOUND as u64,
            "{} held {}",
            o.snapshot.name,
            m.held_max
        );
        assert_eq!(m.stalls, 0, "{}", o.snapshot.name);
        assert!(o.links.held_back_max <= 64);
        backpressure += m.backpressure;
    }
    assert!(backpressure > 0, "the bound was reached");
    assert!(
        outcomes[..2].iter().any(|o| o.links.held_back_max > 0),
        "messages were held back"
    );
}

/// With room for two held messages, the instance reads no third frame: it
/// admits one beyond the bound instead (a stall, failing the run), still
/// losing nothing.
#[test]
fn a_full_backlog_reads_no_further_frames() {
    let nats = Nats::start().expect("nats-server starts");
    let (outcomes, totals) = tokio().block_on(run(&nats, "held-back-full", 2));
    assert_eq!(totals, truth(), "no frame lost");
    for o in &outcomes {
        assert!(
            o.links.held_back_max <= 2,
            "{}: {}",
            o.snapshot.name,
            o.links.held_back_max
        );
    }
    let stalls: u64 = outcomes.iter().map(|o| o.snapshot.metrics.stalls).sum();
    assert!(
        stalls > 0,
        "nothing could be read: admitted beyond the bound"
    );
    assert!(
        outcomes.iter().any(|o| !o.is_success()),
        "a stall fails the run"
    );
}
