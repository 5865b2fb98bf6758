//! One input both held in a seal buffer and ordered by a sequencer. `Book`
//! is replicated: its `bids` path (`OW[auction]`) is sealed on `auction`,
//! so a seal buffer makes its winners deterministic; its `queries` read
//! (`OR[auction]`) races with `notes`, an unsealed write, so the analysis
//! orders `bids`, `notes` and `queries` through a sequencer (the dataflow
//! opts in with `coordinate = auto, requires = convergent`). The runtime
//! applies both to `bids`: the sequencer fixes one arrival order for every
//! replica, then the seal buffer holds each auction until both producers
//! sealed it. The runner used to refuse the plan ("gets two
//! coordinations") although the dataflow built.

mod auction_support;

use std::collections::{BTreeMap, BTreeSet};

use auction_support::{Answer, REPLICAS, Win, auctions, deployment, workload};
use blazes::runtime::{DataflowRunner, InputMode, RunReport};
use blazes::sim::{SimConfig, Simulation};

/// The wins of each replica, by auction.
type Wins = BTreeMap<String, BTreeMap<u64, i64>>;

fn wins_by_replica(report: &RunReport) -> Wins {
    let mut wins: Wins = BTreeMap::new();
    for (instance, win) in report.read_sink::<Win>("wins").expect("the wins sink") {
        let previous = wins
            .entry(instance)
            .or_default()
            .insert(win.auction, win.amount);
        assert_eq!(previous, None, "one win an auction and replica");
    }
    wins
}

fn answers_by_replica(report: &RunReport) -> BTreeMap<String, Vec<String>> {
    let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (instance, answer) in report
        .read_sink::<Answer>("answers")
        .expect("the answers sink")
    {
        answers
            .entry(instance)
            .or_default()
            .push(format!("{answer:?}"));
    }
    answers
}

/// The run succeeded, every replica reported the direct winners, and the
/// replicas gave the same answers.
fn assert_replicas_agree(report: &RunReport, truth: &BTreeMap<u64, i64>, what: &str) {
    assert!(report.is_success(), "{what}: {:?}", report.failures());
    let wins = wins_by_replica(report);
    assert_eq!(wins.len(), REPLICAS, "{what}");
    assert!(
        wins.values().all(|w| w == truth),
        "{what}: {wins:?} against {truth:?}"
    );
    let answers = answers_by_replica(report);
    let distinct: BTreeSet<&Vec<String>> = answers.values().collect();
    assert_eq!(
        distinct.len(),
        1,
        "{what}: the replicas answered differently"
    );
}

#[test]
fn the_plan_holds_the_sealed_input_and_orders_it_too() {
    let deployment = deployment();
    let sim = Simulation::new(
        &auctions::dataflow(),
        &auctions::analysis(),
        &deployment,
        auctions::factories(),
    )
    .expect("a seal buffer and a sequencer on one input are deployable");
    let t = sim.topology();
    let book = &t.components[t.component("Book").expect("Book")];
    let bids = book.inputs.iter().position(|i| i == "bids").expect("bids");
    assert!(matches!(book.plan.inputs[bids], InputMode::Sealed { .. }));
    assert_eq!(book.plan.ordered, vec![true; 3], "{:?}", book.inputs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_agree_and_winners_are_the_direct_ones_on_tokio() {
    let (workload, truth) = workload();
    let deployment = deployment();
    for _ in 0..3 {
        let runner = DataflowRunner::new(
            &auctions::dataflow(),
            &auctions::analysis(),
            &deployment,
            auctions::factories(),
        )
        .expect("deployable");
        let report = runner
            .start()
            .expect("starts")
            .run_workload(&workload)
            .await
            .expect("runs");
        assert_replicas_agree(&report, &truth, "tokio");
    }
}

#[test]
fn replicas_agree_and_winners_are_the_direct_ones_under_faults() {
    let (workload, truth) = workload();
    let deployment = deployment();
    let sim = Simulation::new(
        &auctions::dataflow(),
        &auctions::analysis(),
        &deployment,
        auctions::factories(),
    )
    .expect("deployable");
    for seed in 0..200 {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload, &config).expect("runs");
        assert_replicas_agree(&outcome.report, &truth, &format!("seed {seed}"));
    }
}
