//! Issue 15, fix 5: a sequencer that fails some calls. Before the fix, a
//! message whose call failed was logged and dropped: with one call in seven
//! failing, each Report replica processed 85 of 100 records and the report
//! said `balanced`. Now a failed call is retried (bounded, with backoff), and
//! a message still not ordered fails the run with a typed error.

mod sim_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use blazes::analyze;
use blazes::runtime::{AssignedFuture, RecoverFuture, SequencerFuture};
use blazes::runtime::{
    DataflowRunner, EmbeddedSequencer, ProducerId, RunError, RunReport, Sequencer, SequencerError,
};
use blazes::sim::{SimConfig, Simulation};
use sim_support::adnet::{self, Clicks, Query};
use sim_support::assert_balanced;

const AD_SERVERS: usize = 3;

/// Delegates to the embedded sequencer, but fails every `every`-th call
/// (every call when `every` is 1), before reaching it.
struct FailingSequencer {
    inner: EmbeddedSequencer,
    every: u64,
    calls: AtomicU64,
    failed: AtomicU64,
}

impl FailingSequencer {
    fn new(every: u64) -> FailingSequencer {
        FailingSequencer {
            inner: EmbeddedSequencer::new(),
            every,
            calls: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    fn fails_now(&self) -> bool {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let fail = n.is_multiple_of(self.every);
        if fail {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        fail
    }
}

impl Sequencer for FailingSequencer {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        if self.fails_now() {
            return Box::pin(std::future::ready(Err(SequencerError::Injected)));
        }
        self.inner.assign(group, producer, seq)
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        if self.fails_now() {
            return Box::pin(std::future::ready(Err(SequencerError::Injected)));
        }
        self.inner.recover(group, producer, seq)
    }
    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        self.inner.assigned(group, producer)
    }
}

fn workload() -> blazes::runtime::Workload {
    adnet::workload(AD_SERVERS, 3, 4, false, false)
}

async fn run_with(sequencer: Arc<dyn Sequencer>) -> Result<RunReport, RunError> {
    let dataflow = adnet::dataflow(Query::Poor, Clicks::Unsealed);
    let analysis = analyze(&dataflow).expect("valid");
    DataflowRunner::new(
        &dataflow,
        &analysis,
        &adnet::deployment(AD_SERVERS),
        adnet::factories(Query::Poor),
    )
    .expect("deployable")
    .with_sequencer(sequencer)
    .start()
    .expect("started")
    .run_workload(&workload())
    .await
}

/// Records each Report replica processed, in replica order.
fn report_processed(report: &RunReport) -> Vec<u64> {
    report
        .instances
        .iter()
        .filter(|i| i.component == "Report")
        .map(|i| i.metrics.processed)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_failing_one_call_in_seven_loses_no_message_on_tokio() {
    let clean = run_with(Arc::new(EmbeddedSequencer::new()))
        .await
        .expect("runs");
    let expected = report_processed(&clean);
    assert_eq!(expected.len(), 2);
    assert!(expected[0] > 0 && expected[0] == expected[1]);
    for _ in 0..3 {
        let failing = Arc::new(FailingSequencer::new(7));
        let report = run_with(failing.clone()).await.expect("runs");
        assert!(
            failing.failed.load(Ordering::Relaxed) > 0,
            "some calls failed"
        );
        assert_balanced(&report);
        assert_eq!(
            report_processed(&report),
            expected,
            "every replica processed every record"
        );
        assert!(adnet::replicas_agree(&report));
        assert!(!report.sequencer_errors.is_empty(), "failures are reported");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequencer_that_never_answers_fails_the_run_with_a_typed_error() {
    let result = run_with(Arc::new(FailingSequencer::new(1))).await;
    match result {
        Err(RunError::Unordered { unordered, first }) => {
            assert!(unordered > 0);
            assert_eq!(first.attempts, 10);
            assert!(first.group.contains("Report"), "{}", first.group);
        }
        other => panic!("expected a failed run, got {other:?}"),
    }
}

fn simulation() -> Simulation {
    let dataflow = adnet::dataflow(Query::Poor, Clicks::Unsealed);
    let analysis = analyze(&dataflow).expect("valid");
    Simulation::new(
        &dataflow,
        &analysis,
        &adnet::deployment(AD_SERVERS),
        adnet::factories(Query::Poor),
    )
    .expect("deployable")
}

#[test]
fn a_sequencer_failing_one_call_in_seven_loses_no_message_in_the_simulator() {
    let sim = simulation();
    let workload = workload();
    let clean = sim.run(&workload, &SimConfig::new(0)).expect("runs");
    let expected = report_processed(&clean.report);
    let mut retries = 0;
    for seed in 0..300 {
        let config = SimConfig::new(seed)
            .with_faults(0.03, 0.01, 0.002, 2)
            .with_sequencer_failures(1.0 / 7.0);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert!(
            outcome.unordered.is_empty(),
            "seed {seed}: {:?}",
            outcome.unordered
        );
        assert_balanced(&outcome.report);
        assert_eq!(
            report_processed(&outcome.report),
            expected,
            "seed {seed}: every replica processed every record"
        );
        assert!(adnet::replicas_agree(&outcome.report), "seed {seed}");
        retries += outcome.sequencer_retries;
    }
    assert!(retries > 0, "some calls failed and were retried");
}

#[test]
fn a_sequencer_that_keeps_failing_fails_the_simulated_run() {
    let sim = simulation();
    let outcome = sim
        .run(
            &workload(),
            &SimConfig::new(3).with_sequencer_failures(0.97),
        )
        .expect("runs");
    assert!(
        !outcome.unordered.is_empty(),
        "messages given up are reported"
    );
    assert!(outcome.unordered.iter().all(|u| u.attempts == 10));
}
