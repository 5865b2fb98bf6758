//! Issue 11, run-time half: punctuations made by handlers release the seal
//! buffer downstream (tokio runner and simulator), a partition one producing
//! instance never punctuates stays held and the run reports it as a failure
//! naming the partition and the missing producer, and every name a runner,
//! a simulation or a cluster is given is checked against the dataflow.

mod punctuation_support;

use blazes::runtime::{
    BuildError, DataflowRunner, DeadLetterReason, Deployment, Factories, NameError, Routing,
    RunError, RunFailure, RunReport, Workload,
};
use blazes::sim::{SimConfig, Simulation};
use blazes::{Analysis, Tuple, analyze};
use punctuation_support::{
    BATCHES, Sum, Total, dataflow, deployment, factories, factories_with, totals, truth, workload,
};

fn analysis() -> Analysis {
    analyze(&dataflow()).expect("valid dataflow")
}

fn simulation(punctuate: bool, skip_unseen: Option<i64>) -> Simulation {
    Simulation::new(
        &dataflow(),
        &analysis(),
        &deployment(),
        factories(punctuate, skip_unseen),
    )
    .expect("deployable")
}

async fn run_tokio(punctuate: bool, skip_unseen: Option<i64>, seed: u64) -> RunReport {
    let runner = DataflowRunner::new(
        &dataflow(),
        &analysis(),
        &deployment().seed(seed).channel_capacity(4),
        factories(punctuate, skip_unseen),
    )
    .expect("deployable");
    let running = runner.start().expect("started");
    running.run_workload(&workload()).await.expect("runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn punctuations_from_a_handler_release_the_downstream_seal_buffer_on_tokio() {
    for seed in 0..5 {
        let report = run_tokio(true, None, seed).await;
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        assert_eq!(totals(&report), truth(), "seed {seed}");
        assert_eq!(
            report.sink("ot").err(),
            Some(NameError::NoSuchSink {
                name: "ot".into(),
                valid: vec!["out".into()]
            })
        );
        let sum = report.component_totals("Sum");
        assert_eq!(
            sum.punctuations,
            2 * BATCHES as u64,
            "each Sum instance punctuates every batch once"
        );
        assert_eq!(
            report.component_totals("Total").released_partitions,
            BATCHES as u64
        );
    }
}

#[test]
fn punctuations_from_a_handler_release_the_downstream_seal_buffer_in_the_simulator() {
    let sim = simulation(true, None);
    for seed in 0..300 {
        let config = SimConfig::new(seed).with_faults(0.03, 0.01, 0.002, 2);
        let outcome = sim.run(&workload(), &config).expect("runs");
        let report = &outcome.report;
        assert!(report.is_success(), "seed {seed}: {:#?}", report.failures());
        assert_eq!(totals(report), truth(), "seed {seed}");
    }
}

/// Without punctuations from Sum (what the runtime did before issue 11),
/// every record reaching Total is dead-lettered, and the report says so.
#[test]
fn without_punctuations_every_partition_is_reported_never_sealed() {
    let outcome = simulation(false, None)
        .run(&workload(), &SimConfig::new(7))
        .expect("runs");
    let report = &outcome.report;
    assert!(report.balanced(), "the books balance, yet the run failed");
    assert!(!report.is_success());
    let never: Vec<_> = report
        .failures()
        .into_iter()
        .filter_map(|f| match f {
            RunFailure::NeverSealed {
                instance,
                partition,
                missing,
                ..
            } => Some((instance, partition, missing)),
            _ => None,
        })
        .collect();
    assert_eq!(never.len(), BATCHES as usize, "{never:#?}");
    for (instance, _, missing) in &never {
        assert_eq!(instance, "Total[0]");
        assert_eq!(missing, &["Sum[0]".to_string(), "Sum[1]".to_string()]);
    }
    assert!(totals(report).is_empty());
}

/// One Sum instance never punctuates batch 2 (it has no record of it): the
/// other instance's punctuation is not enough, batch 2 stays held and the
/// run fails naming the partition and the missing producer.
#[test]
fn a_partition_one_of_two_producing_instances_never_punctuates_stays_held_and_fails_the_run() {
    let sim = simulation(true, Some(2));
    for seed in 0..50 {
        let outcome = sim.run(&workload(), &SimConfig::new(seed)).expect("runs");
        let report = &outcome.report;
        let mut expected = truth();
        expected.remove(&2);
        assert_eq!(totals(report), expected, "batch 2 never released");
        let failures = report.failures();
        let never: Vec<_> = failures
            .iter()
            .filter_map(|f| match f {
                RunFailure::NeverSealed {
                    instance,
                    partition,
                    held,
                    missing,
                    sealed,
                } => Some((instance, partition, held, missing, sealed)),
                _ => None,
            })
            .collect();
        assert_eq!(never.len(), 1, "{failures:#?}");
        let (instance, partition, held, missing, sealed) = never[0];
        assert_eq!(sealed.len(), 1, "the owner punctuated it: {sealed:?}");
        assert_ne!(sealed, missing, "one sealed, the other did not");
        assert_eq!(instance, "Total[0]");
        assert_eq!(partition, &Tuple::new().with("batch", 2));
        assert_eq!(*held, 1, "the owner's sum of batch 2");
        assert_eq!(missing.len(), 1);
        assert!(missing[0].starts_with("Sum["), "{missing:?}");
        assert!(failures.iter().any(|f| matches!(
            f,
            RunFailure::DeadLetters { instance, reason: "never sealed", count: 1, .. } if instance == "Total[0]"
        )));
        assert!(
            report
                .dead_letters
                .iter()
                .all(|d| d.reason == DeadLetterReason::NeverSealed)
        );
        let text = failures
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains("partition {batch: 2} was never sealed"),
            "{text}"
        );
        assert!(text.contains(missing[0].as_str()), "{text}");
        assert!(
            text.contains(&format!("(sealed by {} only", sealed[0]))
                && text.contains("declare the stream `independent`"),
            "the failure says who sealed it and what that pattern usually means: {text}"
        );
        assert!(!report.is_success());
    }
}

/// The runtime keeps the order the handler made its emissions in: a sum
/// emitted after its batch's punctuation follows it downstream, where it is
/// late (dead-lettered, the run fails) rather than merged.
#[test]
fn a_record_emitted_after_its_partition_was_punctuated_is_late_downstream() {
    let sim = Simulation::new(
        &dataflow(),
        &analysis(),
        &deployment(),
        factories_with(|| Sum {
            punctuate: true,
            punctuate_first: true,
            ..Sum::default()
        }),
    )
    .expect("deployable");
    let outcome = sim.run(&workload(), &SimConfig::new(3)).expect("runs");
    let report = &outcome.report;
    let late: Vec<_> = report
        .dead_letters
        .iter()
        .filter(|d| d.reason == DeadLetterReason::Late)
        .collect();
    assert_eq!(late.len(), BATCHES as usize, "every batch's sum is late");
    assert!(late.iter().all(|d| d.payload.int("sum").is_some()));
    assert!(totals(report).values().all(|t| *t == 0), "no sum merged");
    assert!(
        report
            .failures()
            .iter()
            .any(|f| matches!(f, RunFailure::DeadLetters { reason: "late", .. }))
    );
}

/// A punctuation on an output the component lacks goes nowhere: counted,
/// and the run fails (its partitions are never sealed downstream).
#[test]
fn a_punctuation_on_an_unknown_output_fails_the_run() {
    let sim = Simulation::new(
        &dataflow(),
        &analysis(),
        &deployment(),
        factories_with(|| Sum {
            punctuate: true,
            wrong_output: true,
            ..Sum::default()
        }),
    )
    .expect("deployable");
    let report = sim
        .run(&workload(), &SimConfig::new(4))
        .expect("runs")
        .report;
    let failures = report.failures();
    assert!(
        failures.iter().any(|f| matches!(
            f,
            RunFailure::UnknownOutputs { instance, count } if instance.starts_with("Sum[") && *count == BATCHES as u64
        )),
        "{failures:#?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| matches!(f, RunFailure::NeverSealed { .. }))
    );
}

/// A simulated run cut short leaves instances whose inputs never ended:
/// each is reported as a failure, by name.
#[test]
fn instances_that_did_not_finish_fail_the_run() {
    let mut config = SimConfig::new(5);
    config.max_steps = 10;
    let outcome = simulation(true, None)
        .run(&workload(), &config)
        .expect("runs");
    assert!(outcome.truncated);
    assert!(
        matches!(
            outcome.report.failures().first(),
            Some(RunFailure::Truncated { steps: 10, .. })
        ),
        "{:?}",
        outcome.report.failures()
    );
    let unfinished: Vec<String> = outcome
        .report
        .failures()
        .into_iter()
        .filter_map(|f| match f {
            RunFailure::Unfinished { instance } => Some(instance),
            _ => None,
        })
        .collect();
    assert_eq!(unfinished, vec!["Sum[0]", "Sum[1]", "Total[0]"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_never_sealed_partition_fails_a_tokio_run_too() {
    let report = run_tokio(true, Some(2), 3).await;
    assert!(!report.is_success());
    assert!(report.failures().iter().any(|f| matches!(
        f,
        RunFailure::NeverSealed { partition, missing, .. }
            if partition == &Tuple::new().with("batch", 2) && missing.len() == 1
    )));
}

fn build(deployment: &Deployment, factories: Factories) -> Result<DataflowRunner, BuildError> {
    DataflowRunner::new(&dataflow(), &analysis(), deployment, factories)
}

fn valid(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn a_deployment_naming_an_unknown_component_is_refused_listing_the_components() {
    let error = build(&deployment().instances("Summ", 2), factories(true, None))
        .err()
        .expect("refused");
    assert_eq!(
        error,
        BuildError::Name(NameError::UnknownComponent {
            name: "Summ".into(),
            valid: valid(&["Sum", "Total"]),
        })
    );
    assert!(error.to_string().contains("`Sum`, `Total`"), "{error}");
    let sim = Simulation::new(
        &dataflow(),
        &analysis(),
        &deployment().instances("Summ", 2),
        factories(true, None),
    );
    assert!(matches!(
        sim.err(),
        Some(BuildError::Name(NameError::UnknownComponent { .. }))
    ));
}

#[test]
fn a_deployment_naming_an_unknown_source_is_refused_listing_the_sources() {
    let error = build(
        &deployment().source_producers("numbrs", 2),
        factories(true, None),
    )
    .err()
    .expect("refused");
    assert_eq!(
        error,
        BuildError::Name(NameError::UnknownSource {
            name: "numbrs".into(),
            valid: valid(&["numbers"]),
        })
    );
}

#[test]
fn a_route_of_a_stream_the_dataflow_lacks_is_refused_listing_the_streams() {
    let error = build(
        &deployment().route("Sum.sums", "Total.sum", Routing::Broadcast),
        factories(true, None),
    )
    .err()
    .expect("refused");
    let BuildError::Name(NameError::UnknownRoute { from, to, valid }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!((from.as_str(), to.as_str()), ("Sum.sums", "Total.sum"));
    assert_eq!(
        valid,
        &vec![
            "numbers -> Sum.numbers".to_string(),
            "Sum.sums -> Total.sums".to_string()
        ]
    );
    // A route to a sink is refused too: every record reaches a sink.
    assert!(matches!(
        build(
            &deployment().route("Total.totals", "out", Routing::Broadcast),
            factories(true, None)
        ),
        Err(BuildError::Name(NameError::UnknownRoute { .. }))
    ));
}

#[test]
fn a_factory_for_an_unknown_component_and_a_missing_factory_are_refused() {
    let error = build(
        &deployment(),
        factories(true, None).with("Totl", || Box::<Total>::default()),
    )
    .err()
    .expect("refused");
    assert_eq!(
        error,
        BuildError::Name(NameError::UnknownFactory {
            name: "Totl".into(),
            valid: valid(&["Sum", "Total"]),
        })
    );
    let missing = build(
        &deployment(),
        Factories::new().with("Sum", || Box::<Sum>::default()),
    )
    .err()
    .expect("refused");
    assert_eq!(missing, BuildError::MissingFactory("Total".into()));
}

#[test]
fn a_workload_feeding_an_unknown_source_or_producer_is_refused_by_the_simulator() {
    let sim = simulation(true, None);
    let wrong_source = Workload::new().record("numbrs", 0, Tuple::new().with("batch", 1));
    assert_eq!(
        sim.run(&wrong_source, &SimConfig::new(0)).err(),
        Some(BuildError::Name(NameError::UnknownWorkloadSource {
            name: "numbrs".into(),
            valid: valid(&["numbers"]),
        }))
    );
    let wrong_producer = Workload::new().record("numbers", 2, Tuple::new().with("batch", 1));
    let error = sim
        .run(&wrong_producer, &SimConfig::new(0))
        .expect_err("refused");
    assert_eq!(
        error,
        BuildError::Name(NameError::NoSuchProducer {
            source_name: "numbers".into(),
            producer: 2,
            producers: 2,
        })
    );
    assert!(error.to_string().contains("source_producers"), "{error}");
}

/// A seal whose key lacks a field of the stream's seal key names no
/// partition: refused before anything runs, not left for the consumers to
/// refuse one by one.
#[test]
fn a_workload_seal_lacking_a_seal_key_field_is_refused() {
    let sim = simulation(true, None);
    let lacking = Workload::new()
        .record("numbers", 0, Tuple::new().with("batch", 1).with("n", 3))
        .seal("numbers", 0, Tuple::new().with("round", 1));
    let error = sim.run(&lacking, &SimConfig::new(0)).expect_err("refused");
    let BuildError::Name(NameError::SealKeyLacks {
        source_name,
        missing,
        seal_key,
        ..
    }) = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(
        (source_name.as_str(), missing.clone(), seal_key.clone()),
        ("numbers", valid(&["batch"]), valid(&["batch"]))
    );
    assert!(error.to_string().contains("lacks `batch`"), "{error}");
    // A key with more fields than the seal key is fine: they are dropped.
    let more = Workload::new()
        .record("numbers", 0, Tuple::new().with("batch", 1).with("n", 3))
        .seal("numbers", 0, Tuple::new().with("batch", 1).with("n", 3));
    assert!(sim.run(&more, &SimConfig::new(0)).is_ok());
}

/// A source handle of the tokio runner refuses such a seal where it is
/// given, sends nothing for it, and keeps working: the right seal after it
/// completes the run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_handle_refuses_a_seal_lacking_a_seal_key_field() {
    let mut running = build(&deployment(), factories(true, None))
        .expect("deployable")
        .start()
        .expect("started");
    let mut numbers = running.take_source("numbers", 0).expect("producer 0");
    numbers
        .send(Tuple::new().with("batch", 1).with("n", 3))
        .await;
    let error = numbers
        .seal(Tuple::new().with("round", 1))
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, NameError::SealKeyLacks { missing, .. } if missing == &valid(&["batch"])),
        "{error:?}"
    );
    numbers
        .seal(Tuple::new().with("batch", 1))
        .await
        .expect("a seal holding the seal key");
    numbers.close().await;
    // The deployment's other producer of `numbers` seals the batch too.
    let mut other = running.take_source("numbers", 1).expect("producer 1");
    other
        .seal(Tuple::new().with("batch", 1))
        .await
        .expect("a seal holding the seal key");
    other.close().await;
    let report = running.finish().await.expect("ran");
    assert!(report.failures().is_empty(), "{:?}", report.failures());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_feeding_an_unknown_source_is_refused_by_the_tokio_runner() {
    let running = build(&deployment(), factories(true, None))
        .expect("deployable")
        .start()
        .expect("started");
    let wrong = Workload::new().record("numbrs", 0, Tuple::new().with("batch", 1));
    let error = running.run_workload(&wrong).await.expect_err("refused");
    assert!(
        matches!(
            &error,
            RunError::Name(NameError::UnknownWorkloadSource { name, .. }) if name == "numbrs"
        ),
        "{error:?}"
    );
}

/// The cluster checks its names before it connects to anything.
#[cfg(feature = "dist")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_refuses_wrong_names_before_connecting() {
    use blazes::dist::{Cluster, ClusterConfig, ClusterError};
    let config = ClusterConfig::new("nats://127.0.0.1:1", "names-check");
    let error = Cluster::connect(
        &dataflow(),
        &analysis(),
        &deployment().instances("Summ", 2),
        factories(true, None),
        config.clone(),
    )
    .await
    .err()
    .expect("refused");
    assert!(
        matches!(
            &error,
            ClusterError::Build(BuildError::Name(NameError::UnknownComponent { name, .. })) if name == "Summ"
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("`Sum`, `Total`"), "{error}");
    let error = Cluster::connect(
        &dataflow(),
        &analysis(),
        &deployment(),
        factories(true, None).with("Totl", || Box::<Total>::default()),
        config,
    )
    .await
    .err()
    .expect("refused");
    assert!(
        matches!(
            &error,
            ClusterError::Build(BuildError::Name(NameError::UnknownFactory { name, .. })) if name == "Totl"
        ),
        "{error:?}"
    );
}
