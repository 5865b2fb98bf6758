//! Issue 13, the loops of spec S13 and S14: the simulator runs a dataflow
//! with a cycle between components (ending the cycle once nothing is in
//! flight), so does the tokio runner (counting what is in flight), the
//! cluster refuses one with an error that says why, and the witness search agrees with the analysis on both
//! loops: the first-arrival-wins loop (S13) has a `Run` witness, with or
//! without the ordering the analysis synthesises at `Settle`; the
//! min-distance loop (S14) has none.

mod check_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use blazes::check::{SearchPlan, SinkSearch, WitnessSearch};
use blazes::runtime::{CoordinationMode, DataflowRunner, Deployment};
use blazes::sim::{SimConfig, Simulation};
use blazes::{Dataflow, Label, Permission, Tuple, analyze};
use check_support::{case, relax};

/// The issue's bound on finding a witness.
const WITHIN: Duration = Duration::from_secs(60);
/// Schedules the CI tries on the loop without an anomaly.
const CI_BUDGET: u64 = 3_000;

fn first_wins(coordinate: Permission) -> Dataflow {
    case("loop_first_wins", coordinate)
}

fn min_loop() -> Dataflow {
    case("loop_min", Permission::Auto)
}

fn simulate(dataflow: &Dataflow, deployment: &Deployment, first: bool) -> Simulation {
    let analysis = analyze(dataflow).expect("valid dataflow");
    Simulation::new(dataflow, &analysis, deployment, relax::factories(first))
        .expect("the simulator runs cycles")
}

fn reached(node: i64, dist: i64) -> Tuple {
    Tuple::new().with("node", node).with("dist", dist)
}

#[test]
fn the_simulator_runs_a_loop_to_its_end() {
    let dataflow = min_loop();
    let sim = simulate(&dataflow, &relax::deployment(), false);
    assert!(
        !sim.topology().cycle_cuts().is_empty(),
        "the loop is a cycle between components"
    );
    for seed in 0..20 {
        let outcome = sim
            .run(&relax::workload(), &SimConfig::new(seed))
            .expect("runs");
        assert!(!outcome.truncated, "seed {seed}");
        assert!(
            outcome.report.is_success(),
            "seed {seed}: {:?}",
            outcome.report.failures()
        );
        let tree: BTreeSet<Tuple> = outcome
            .report
            .records("tree")
            .iter()
            .map(|r| r.payload.clone())
            .collect();
        let expected = BTreeSet::from([reached(1, 1), reached(3, 1), reached(2, 2), reached(2, 6)]);
        assert_eq!(tree, expected, "seed {seed}");
        assert!(
            outcome.report.sink("tree").expect("a sink").finished(),
            "seed {seed}: the loop's end reached the sink"
        );
    }
}

#[test]
fn the_simulator_ends_the_loop_under_faults() {
    let dataflow = min_loop();
    let sim = simulate(&dataflow, &relax::deployment(), false);
    for seed in 0..20 {
        let config = SimConfig::new(seed).with_faults(0.1, 0.05, 0.02, 1);
        let outcome = sim.run(&relax::workload(), &config).expect("runs");
        assert!(
            outcome.report.is_success(),
            "seed {seed}: {:?}",
            outcome.report.failures()
        );
        assert_eq!(outcome.report.records("tree").len(), 4, "seed {seed}");
    }
}

/// Runs the loop on the tokio runner (multi-threaded), failing rather than
/// hanging if the cycle is never ended.
fn run_on_tokio(
    dataflow: &Dataflow,
    deployment: &Deployment,
    first: bool,
) -> blazes::runtime::RunReport {
    let analysis = analyze(dataflow).expect("valid");
    let runner = DataflowRunner::new(dataflow, &analysis, deployment, relax::factories(first))
        .expect("the tokio runner runs cycles");
    assert!(
        !runner.topology().cycle_cuts().is_empty(),
        "the loop is a cycle between components"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let running = runner.start().expect("starts");
        tokio::time::timeout(
            Duration::from_secs(30),
            running.run_workload(&relax::workload()),
        )
        .await
        .expect("the loop ends once nothing is in flight (no hang)")
        .expect("runs")
    })
}

fn tree(report: &blazes::runtime::RunReport) -> BTreeSet<Tuple> {
    report
        .records("tree")
        .iter()
        .map(|r| r.payload.clone())
        .collect()
}

/// The tokio runner ends a cycle between components the way the simulator
/// does: once nothing is in flight anywhere, it ends the stream closing the
/// cycle, and the ends flow out to the sink. The confluent loop (S14) gives
/// the same tree in every run, with one instance per component and with
/// two instances of each partitioned on `node`.
#[test]
fn the_tokio_runner_runs_a_loop_to_its_end() {
    let dataflow = min_loop();
    let expected = BTreeSet::from([reached(1, 1), reached(3, 1), reached(2, 2), reached(2, 6)]);
    let by_node = || blazes::runtime::Routing::by_key(["node"]);
    for seed in 0..20 {
        let deployments = [
            relax::deployment().seed(seed),
            relax::deployment()
                .seed(seed)
                .instances("Expand", 2)
                .instances("Settle", 2)
                .route("edges", "Expand.edges", by_node())
                .route("Settle.settled", "Expand.settled", by_node())
                .route("Expand.candidates", "Settle.candidates", by_node()),
        ];
        for (d, deployment) in deployments.iter().enumerate() {
            let report = run_on_tokio(&dataflow, deployment, false);
            assert!(
                report.is_success(),
                "seed {seed}, deployment {d}: {:?}",
                report.failures()
            );
            assert_eq!(tree(&report), expected, "seed {seed}, deployment {d}");
            assert!(
                report.sink("tree").expect("a sink").finished(),
                "seed {seed}, deployment {d}: the loop's end reached the sink"
            );
        }
    }
}

/// The first-arrival-wins loop (S13) also ends on tokio, with its
/// synthesised ordering at `Settle`; its tree is one of the two the
/// schedule can give (node 2 through node 3 or through node 1).
#[test]
fn the_tokio_runner_ends_the_first_wins_loop_with_its_ordering() {
    let dataflow = first_wins(Permission::Auto);
    let through_3 = BTreeSet::from([reached(1, 1), reached(3, 1), reached(2, 2)]);
    let through_1 = BTreeSet::from([reached(1, 1), reached(3, 1), reached(2, 6)]);
    for seed in 0..10 {
        let report = run_on_tokio(&dataflow, &relax::deployment().seed(seed), true);
        assert!(report.is_success(), "seed {seed}: {:?}", report.failures());
        let got: BTreeSet<Tuple> = tree(&report)
            .into_iter()
            .map(|t| reached(t.int("node").unwrap_or(-1), t.int("dist").unwrap_or(-1)))
            .collect();
        assert!(got == through_3 || got == through_1, "seed {seed}: {got:?}");
    }
}

#[cfg(feature = "dist")]
#[tokio::test]
async fn the_cluster_refuses_a_loop_before_connecting() {
    use blazes::dist::{Cluster, ClusterConfig};
    let dataflow = min_loop();
    let analysis = analyze(&dataflow).expect("valid");
    // No server listens there: the refusal comes before any connection.
    let Err(err) = Cluster::connect(
        &dataflow,
        &analysis,
        &relax::deployment(),
        relax::factories(false),
        ClusterConfig::new("nats://127.0.0.1:1", "loop"),
    )
    .await
    else {
        panic!("a cycle between components was accepted");
    };
    let message = err.to_string();
    assert!(
        message.contains("on a cycle between components"),
        "{message}"
    );
    assert!(message.contains("blazes::sim"), "{message}");
}

fn search(sim: &Simulation, dataflow: &Dataflow, plan: SearchPlan) -> SinkSearch {
    let analysis = analyze(dataflow).expect("valid");
    let started = Instant::now();
    let found = WitnessSearch::new(sim, &analysis)
        .plan(plan)
        .search_sink(&relax::workload(), "tree", &Label::Run)
        .expect("runs");
    println!("{found}");
    println!("in {:?}", started.elapsed());
    assert!(started.elapsed() < WITHIN, "took {:?}", started.elapsed());
    found
}

fn assert_run_witness(found: &SinkSearch) {
    let witness = found.witness.as_ref().expect("a witness");
    assert!(!witness.one_run);
    assert!(!witness.left.outputs.is_empty() || !witness.right.outputs.is_empty());
    assert_ne!(witness.left.outputs, witness.right.outputs);
    // The two runs settle node 2 through different parents.
    let parents = |outputs: &BTreeSet<Tuple>| -> BTreeSet<i64> {
        outputs
            .iter()
            .filter(|t| t.int("node") == Some(2))
            .filter_map(|t| t.int("via"))
            .collect()
    };
    assert_eq!(
        parents(&witness.left.outputs)
            .union(&parents(&witness.right.outputs))
            .copied()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([1, 3]),
        "{witness}"
    );
}

#[test]
fn the_first_arrival_wins_loop_gets_a_run_witness() {
    let dataflow = first_wins(Permission::None);
    let analysis = analyze(&dataflow).expect("valid");
    assert_eq!(analysis.sinks.get("tree"), Some(&Label::Run));
    let sim = simulate(
        &dataflow,
        &relax::deployment().coordination(CoordinationMode::Off),
        true,
    );
    let found = search(&sim, &dataflow, SearchPlan::default());
    assert_run_witness(&found);
}

/// The ordering the analysis synthesises at `Settle` gives one order per
/// run, not the same order in every run: the label stays `Run`, and the
/// search agrees.
#[test]
fn the_first_arrival_wins_loop_ordered_at_settle_still_has_a_run_witness() {
    let dataflow = first_wins(Permission::Auto);
    let analysis = analyze(&dataflow).expect("valid");
    assert_eq!(analysis.sinks.get("tree"), Some(&Label::Run));
    let sim = simulate(&dataflow, &relax::deployment(), true);
    assert!(
        !sim.topology().groups.is_empty(),
        "the plan orders Settle's input"
    );
    let found = search(&sim, &dataflow, SearchPlan::default());
    assert_run_witness(&found);
}

#[test]
fn the_min_distance_loop_has_no_witness() {
    let dataflow = min_loop();
    let analysis = analyze(&dataflow).expect("valid");
    assert_eq!(analysis.sinks.get("tree"), Some(&Label::Async));
    let sim = simulate(&dataflow, &relax::deployment(), false);
    let found = search(
        &sim,
        &dataflow,
        SearchPlan {
            budget: CI_BUDGET,
            ..SearchPlan::default()
        },
    );
    assert!(found.witness.is_none(), "{found}");
    assert!(
        found.exhausted || found.schedules + found.pruned >= CI_BUDGET,
        "stopped early: {found}"
    );
}

#[test]
#[ignore = "10^5 runs: minutes in a debug build"]
fn the_min_distance_loop_has_no_witness_in_ten_to_the_five_schedules() {
    const ISSUE_BUDGET: u64 = 100_000;
    let dataflow = min_loop();
    let sim = simulate(&dataflow, &relax::deployment(), false);
    let analysis = analyze(&dataflow).expect("valid");
    let started = Instant::now();
    let found = WitnessSearch::new(&sim, &analysis)
        .plan(SearchPlan {
            budget: ISSUE_BUDGET,
            ..SearchPlan::default()
        })
        .search_sink(&relax::workload(), "tree", &Label::Run)
        .expect("runs");
    println!("min-distance loop: {found} in {:?}", started.elapsed());
    assert!(found.witness.is_none(), "{found}");
    assert!(found.exhausted || found.schedules + found.pruned >= ISSUE_BUDGET);
}
