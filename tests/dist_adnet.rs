//! The ordered ad network (POOR query, unsealed clicks: the analysis
//! synthesises dynamic ordering at Report) on the tokio runner, with its
//! total order assigned by a real ZooKeeper or NATS JetStream service:
//! replicas agree and the books balance.

mod sim_support;
mod support_servers;

use blazes::analyze;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use blazes::runtime::{AssignedFuture, RecoverFuture, SequencerFuture};
use blazes::runtime::{DataflowRunner, ProducerId, RunReport, Sequencer};
use sim_support::adnet::{self, Clicks, Query};
use sim_support::assert_balanced;
use support_servers::{Kind, Service};

/// Counts the positions a sequencer gives.
struct Counting {
    inner: Arc<dyn Sequencer>,
    positions: Arc<AtomicU64>,
}

impl Sequencer for Counting {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        Box::pin(async move {
            let answer = self.inner.assign(group, producer, seq).await;
            if let Ok(Some(_)) = answer {
                self.positions.fetch_add(1, Ordering::Relaxed);
            }
            answer
        })
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        Box::pin(async move {
            let answer = self.inner.recover(group, producer, seq).await;
            if let Ok(recovered) = answer
                && !recovered.replay
            {
                self.positions.fetch_add(1, Ordering::Relaxed);
            }
            answer
        })
    }
    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        self.inner.assigned(group, producer)
    }
}

async fn run_poor(
    sequencer: Arc<dyn Sequencer>,
    seed: u64,
    positions: Arc<AtomicU64>,
) -> RunReport {
    let dataflow = adnet::dataflow(Query::Poor, Clicks::Unsealed);
    let analysis = analyze(&dataflow).expect("valid");
    let runner = DataflowRunner::new(
        &dataflow,
        &analysis,
        &adnet::deployment(3).seed(seed).channel_capacity(4),
        adnet::factories(Query::Poor),
    )
    .expect("deployable")
    .with_sequencer(Arc::new(Counting {
        inner: sequencer,
        positions,
    }));
    runner
        .start()
        .expect("started")
        .run_workload(&adnet::workload(3, 3, 4, false, false))
        .await
        .expect("run completes")
}

/// The run is coordinated and complete: no sequencer trouble, replicas
/// agree, and the group's positions 0.. were all given to this run.
async fn assert_ordered_run(service: &Service, namespace: &str, report: &RunReport, ordered: u64) {
    assert!(
        report.sequencer_errors.is_empty(),
        "{:?}",
        report.sequencer_errors
    );
    assert_eq!(report.sequencer_duplicates, 0);
    assert_balanced(report);
    assert_eq!(adnet::cache_states(report).len(), 2);
    assert!(adnet::replicas_agree(report), "{namespace}");
    let report_in = report.component_totals("Report").records_in();
    assert!(
        report_in > 0 && report_in.is_multiple_of(2),
        "both replicas got every message"
    );
    // Every message was ordered by the service: the next position of the
    // group follows them.
    let next = service
        .client(namespace)
        .await
        .assign("Report", ProducerId(u32::MAX), 0)
        .await;
    assert!(
        next.clone().is_ok_and(|n| n >= Some(report_in / 2)),
        "{next:?}"
    );
    assert_eq!(
        next,
        Ok(Some(ordered)),
        "positions 0..{ordered} went to this run"
    );
}

async fn ordered_poor_replicas_agree(kind: Kind) {
    let service = Service::start(kind);
    for seed in 0..3 {
        // Each run orders in its own namespace: positions start at 0.
        let namespace = format!("adnet-{seed}");
        let counted = Arc::new(AtomicU64::new(0));
        let report = run_poor(service.client(&namespace).await, seed, counted.clone()).await;
        assert_ordered_run(
            &service,
            &namespace,
            &report,
            counted.load(Ordering::Relaxed),
        )
        .await;
    }
}

async fn a_run_waits_out_a_sequencer_restart(kind: Kind) {
    let mut service = Service::start(kind);
    let sequencer = service.client("adnet-restart").await;
    service.kill();
    let counted = Arc::new(AtomicU64::new(0));
    let ((report, finished), restarted) = tokio::join!(
        async {
            let report = run_poor(sequencer, 0, counted.clone()).await;
            (report, std::time::Instant::now())
        },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            tokio::task::block_in_place(|| service.start_again());
            std::time::Instant::now()
        }
    );
    assert!(finished > restarted, "the run needed the sequencer back");
    assert!(counted.load(Ordering::Relaxed) > 0);
    assert_ordered_run(
        &service,
        "adnet-restart",
        &report,
        counted.load(Ordering::Relaxed),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_orders_the_poor_query_and_replicas_agree() {
    ordered_poor_replicas_agree(Kind::ZooKeeper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_orders_the_poor_query_and_replicas_agree() {
    ordered_poor_replicas_agree(Kind::JetStream).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_run_waits_out_a_sequencer_restart() {
    a_run_waits_out_a_sequencer_restart(Kind::ZooKeeper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jetstream_run_waits_out_a_sequencer_restart() {
    a_run_waits_out_a_sequencer_restart(Kind::JetStream).await;
}
