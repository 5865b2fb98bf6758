//! The same dataflows on the tokio runner (real tasks and bounded channels,
//! two worker threads): coordinated runs give the true, replica-consistent
//! results, and the books balance.

mod sim_support;

use blazes::analyze;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use blazes::runtime::{AssignedFuture, RecoverFuture, SequencerFuture};
use blazes::runtime::{
    DataflowRunner, DeadLetterReason, EmbeddedSequencer, ProducerId, RunReport, Sequencer, Workload,
};
use sim_support::adnet::{self, Clicks, Query};
use sim_support::wordcount::{self, Variant};
use sim_support::{assert_balanced, faulty};

async fn run(
    dataflow: &blazes::Dataflow,
    deployment: &blazes::runtime::Deployment,
    factories: blazes::runtime::Factories,
    workload: &Workload,
) -> RunReport {
    let analysis = analyze(dataflow).expect("valid dataflow");
    let runner =
        DataflowRunner::new(dataflow, &analysis, deployment, factories).expect("deployable");
    // Starting and running are one fallible step: a `BuildError` from
    // `start` converts into the run's `RunError`, in an async block too.
    let run = async { runner.start()?.run_workload(workload).await };
    run.await.expect("started, and the run completes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn word_count_sealed_and_statically_ordered_commit_the_true_counts() {
    let tweets = wordcount::tweets(20, 25);
    let truth = wordcount::true_counts(&tweets);
    let workload = wordcount::workload(&tweets);
    for variant in [Variant::Sealed, Variant::Sequenced] {
        for seed in 0..5 {
            let report = run(
                &wordcount::dataflow(variant),
                &wordcount::deployment().seed(seed).channel_capacity(8),
                wordcount::factories(),
                &workload,
            )
            .await;
            assert_balanced(&report);
            assert_eq!(
                wordcount::committed(&report),
                truth,
                "{variant:?} seed {seed}"
            );
            assert!(report.dead_letters.is_empty());
            if variant == Variant::Sealed {
                let released = report.component_totals("Count").released_partitions;
                assert_eq!(released, 40, "20 batches sealed at each of two counters");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_network_replicas_agree_when_ordered_or_sealed() {
    let cases = [
        (
            Query::Poor,
            Clicks::Unsealed,
            adnet::workload(3, 4, 5, false, false),
        ),
        (
            Query::Campaign,
            Clicks::SealedOnCampaign,
            adnet::workload(3, 4, 5, false, true),
        ),
        (
            Query::Campaign,
            Clicks::IndependentOnCampaign,
            adnet::workload(3, 4, 5, true, true),
        ),
    ];
    for (query, clicks, workload) in cases {
        for seed in 0..5 {
            let report = run(
                &adnet::dataflow(query, clicks),
                &adnet::deployment(3).seed(seed).channel_capacity(4),
                adnet::factories(query),
                &workload,
            )
            .await;
            assert_balanced(&report);
            assert_eq!(adnet::cache_states(&report).len(), 2);
            assert!(
                adnet::replicas_agree(&report),
                "{query:?} {clicks:?} seed {seed}"
            );
            assert!(report.sequencer_errors.is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_buffer_bound_producers_wait_and_nothing_is_dropped() {
    let tweets = wordcount::tweets(40, 2);
    let truth = wordcount::true_counts(&tweets);
    // Two tweets of three words a batch: a Splitter sends at most 6 words
    // of a batch to one Count, and each of the two Splitters has half of
    // the bound (issue 15, fix 6: records of open partitions wait too).
    let bound = 12;
    let mut backpressure = 0;
    for seed in 0..5 {
        let report = run(
            &wordcount::dataflow(Variant::Sealed),
            &wordcount::deployment()
                .buffer_capacity(bound)
                .channel_capacity(2)
                .seed(seed),
            wordcount::factories(),
            &wordcount::workload(&tweets),
        )
        .await;
        assert_balanced(&report);
        assert_eq!(wordcount::committed(&report), truth);
        let count = report.component_totals("Count");
        assert_eq!(count.stalls, 0, "waiting at the bound never deadlocked");
        assert!(count.held_max <= bound as u64, "held {}", count.held_max);
        backpressure += count.backpressure;
    }
    assert!(backpressure > 0, "the bound was reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_handles_feed_records_and_seals_and_unsealed_batches_are_dead_lettered() {
    let dataflow = wordcount::dataflow(Variant::Sealed);
    let analysis = analyze(&dataflow).expect("valid");
    let runner = DataflowRunner::new(
        &dataflow,
        &analysis,
        &wordcount::deployment(),
        wordcount::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut spout = running.take_source("tweets", 0).expect("the spout");
    assert!(running.take_source("tweets", 0).is_none(), "taken once");
    spout
        .send(blazes::Tuple::new().with("batch", 1).with("text", "a b c"))
        .await;
    spout
        .send(blazes::Tuple::new().with("batch", 2).with("text", "a a"))
        .await;
    spout
        .seal(blazes::Tuple::new().with("batch", 1))
        .await
        .expect("a seal holding the seal key");
    spout.close().await;
    let report = running.finish().await.expect("finishes");
    assert_balanced(&report);
    let store = wordcount::committed(&report);
    assert_eq!(
        store.len(),
        3,
        "batch 1 committed, batch 2 never sealed: {store:?}"
    );
    assert_eq!(
        report.dead_letters.len(),
        2,
        "the two words of unsealed batch 2"
    );
}

/// Issue 15: a producer that retires instead of sealing releases the
/// partitions it left open (here its only producer's batch 2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_source_handle_releases_the_batches_it_did_not_seal() {
    let dataflow = wordcount::dataflow(Variant::Sealed);
    let analysis = analyze(&dataflow).expect("valid");
    let runner = DataflowRunner::new(
        &dataflow,
        &analysis,
        &wordcount::deployment(),
        wordcount::factories(),
    )
    .expect("deployable");
    let mut running = runner.start().expect("started");
    let mut spout = running.take_source("tweets", 0).expect("the spout");
    spout
        .send(blazes::Tuple::new().with("batch", 1).with("text", "a b c"))
        .await;
    spout
        .send(blazes::Tuple::new().with("batch", 2).with("text", "a a"))
        .await;
    spout
        .seal(blazes::Tuple::new().with("batch", 1))
        .await
        .expect("a seal holding the seal key");
    spout.retire().await;
    let report = running.finish().await.expect("finishes");
    assert_balanced(&report);
    let store = wordcount::committed(&report);
    assert_eq!(
        store.len(),
        4,
        "batch 2 released by the retirement: {store:?}"
    );
    assert!(report.dead_letters.is_empty(), "{:?}", report.dead_letters);
}

/// A sequencer backend plugged in through the trait, as a ZooKeeper or NATS
/// JetStream one would be: it delegates and counts the calls.
struct CountingSequencer {
    inner: EmbeddedSequencer,
    calls: AtomicU64,
}

impl Sequencer for CountingSequencer {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.assign(group, producer, seq)
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.recover(group, producer, seq)
    }
    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        self.inner.assigned(group, producer)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_ordering_goes_through_the_sequencer_the_runner_is_given() {
    let sequencer = Arc::new(CountingSequencer {
        inner: EmbeddedSequencer::new(),
        calls: AtomicU64::new(0),
    });
    let dataflow = adnet::dataflow(Query::Poor, Clicks::Unsealed);
    let analysis = analyze(&dataflow).expect("valid");
    let runner = DataflowRunner::new(
        &dataflow,
        &analysis,
        &adnet::deployment(3),
        adnet::factories(Query::Poor),
    )
    .expect("deployable")
    .with_sequencer(sequencer.clone());
    let workload = adnet::workload(3, 2, 3, false, false);
    let report = runner
        .start()
        .expect("started")
        .run_workload(&workload)
        .await
        .expect("runs");
    assert_balanced(&report);
    assert!(adnet::replicas_agree(&report));
    // Each click and each request is assigned once and reaches both replicas.
    let report_in = report.component_totals("Report").records_in();
    assert!(report_in > 0 && report_in % 2 == 0);
    assert!(sequencer.calls.load(Ordering::Relaxed) >= report_in / 2);
}

/// Issue 15: a handler panic is contained at the instance. Before the fix,
/// `run_workload` returned an error, with no report and no books.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_dead_letters_its_record_and_the_run_goes_on() {
    let report = run(
        &faulty::dataflow(),
        &faulty::deployment(),
        faulty::factories(),
        &faulty::workload(),
    )
    .await;
    assert_balanced(&report);
    assert_eq!(faulty::delivered(&report), faulty::expected());
    assert_eq!(report.dead_letters.len(), 1);
    let dead = &report.dead_letters[0];
    assert_eq!(dead.payload, faulty::poisoned());
    assert_eq!(
        dead.reason,
        DeadLetterReason::HandlerPanicked(faulty::RECORD_PANIC.to_string())
    );
    let check = report.component_totals("Check");
    assert_eq!(check.handler_panics, 2, "one record, one seal");
    assert_eq!(check.processed, 3);
}
