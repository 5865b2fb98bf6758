//! Issue 11, run-time half: punctuations made by handlers release the seal
//! buffer downstream (tokio runner and simulator), a partition one producing
//! instance never punctuates stays held and the run reports it as a failure
//! naming the partition and the missing producer, and every name a runner,
//! a simulation or a cluster is given is checked against the dataflow.

use std::collections::BTreeMap;

use blazes::runtime::{
    BuildError, DataflowRunner, DeadLetterReason, Deployment, Factories, NameError, Routing,
    RunError, RunFailure, RunReport, Workload,
};
use blazes::sim::{SimConfig, Simulation};
use blazes::{
    Analysis, Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze,
    attrs,
};

/// numbers (sealed on batch) -> Sum (`OW[batch]`) -> Total (`OW[batch]`,
/// its input sealed on batch by Sum's own punctuations) -> out.
fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Sum").path("numbers", "sums", Annotation::ow(attrs(["batch"]))))
        .component(Component::new("Total").path("sums", "totals", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("numbers", "Sum.numbers").sealed(attrs(["batch"])))
        .stream(Stream::between("Sum.sums", "Total.sums").sealed(attrs(["batch"])))
        .stream(Stream::between("Total.totals", "out"))
}

/// Two source producers; two Sum instances, each batch at one of them (by
/// key), so the other has no record of it and must still punctuate it.
fn deployment() -> Deployment {
    Deployment::new()
        .source_producers("numbers", 2)
        .instances("Sum", 2)
        .route("numbers", "Sum.numbers", Routing::by_key(["batch"]))
}

/// Sums each batch; when the batch is released, emits its sum (if it saw
/// any record of it) and punctuates the batch on `sums`.
#[derive(Default)]
struct Sum {
    sums: BTreeMap<i64, i64>,
    /// A faulty Sum: it does not punctuate this batch when it saw no record
    /// of it (the instance that does not own the batch never votes).
    skip_unseen: Option<i64>,
    /// Punctuate at all (false: the punctuation removed).
    punctuate: bool,
}

impl Handler for Sum {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "numbers" {
            return Err(UnknownInput::new(input, t));
        }
        let batch = t.int("batch").unwrap_or_default();
        *self.sums.entry(batch).or_default() += t.int("v").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        let seen = self.sums.remove(&batch);
        if let Some(sum) = seen {
            out.emit("sums", partition.clone().with("sum", sum));
        }
        if self.punctuate && !(seen.is_none() && self.skip_unseen == Some(batch)) {
            out.punctuate("sums", partition.clone());
        }
    }
}

/// Adds the sums of a batch; emits the total when the batch is released.
#[derive(Default)]
struct Total(BTreeMap<i64, i64>);

impl Handler for Total {
    fn handle(&mut self, input: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        if input != "sums" {
            return Err(UnknownInput::new(input, t));
        }
        let batch = t.int("batch").unwrap_or_default();
        *self.0.entry(batch).or_default() += t.int("sum").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        let total = self.0.remove(&batch).unwrap_or_default();
        out.emit("totals", partition.clone().with("total", total));
    }
}

fn factories(punctuate: bool, skip_unseen: Option<i64>) -> Factories {
    Factories::new()
        .with("Sum", move || {
            Box::new(Sum {
                punctuate,
                skip_unseen,
                ..Sum::default()
            })
        })
        .with("Total", || Box::<Total>::default())
}

const BATCHES: i64 = 4;

/// Each producer sends values into every batch, then seals every batch.
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
        }
        for batch in 1..=BATCHES {
            w = w.seal("numbers", producer, Tuple::new().with("batch", batch));
        }
    }
    w
}

/// The totals computed directly from the workload.
fn truth() -> BTreeMap<i64, i64> {
    let mut totals = BTreeMap::new();
    for producer in 0..2i64 {
        for batch in 1..=BATCHES {
            for v in 0..3 {
                *totals.entry(batch).or_default() += batch * 10 + v + producer * 100;
            }
        }
    }
    totals
}

fn totals(report: &RunReport) -> BTreeMap<i64, i64> {
    report
        .records("out")
        .iter()
        .map(|r| {
            (
                r.payload.int("batch").unwrap_or_default(),
                r.payload.int("total").unwrap_or_default(),
            )
        })
        .collect()
}

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
                } => Some((instance, partition, held, missing)),
                _ => None,
            })
            .collect();
        assert_eq!(never.len(), 1, "{failures:#?}");
        let (instance, partition, held, missing) = never[0];
        assert_eq!(instance, "Total[0]");
        assert_eq!(partition, &Tuple::new().with("batch", 2));
        assert_eq!(*held, 1, "the owner's sum of batch 2");
        assert_eq!(missing.len(), 1);
        assert!(missing[0].starts_with("Sum["), "{missing:?}");
        assert!(failures.iter().any(|f| matches!(
            f,
            RunFailure::DeadLetters { instance, reason: "never sealed", count: 1 } if instance == "Total[0]"
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
        assert!(!report.is_success());
    }
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
        .err()
        .expect("refused");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_feeding_an_unknown_source_is_refused_by_the_tokio_runner() {
    let running = build(&deployment(), factories(true, None))
        .expect("deployable")
        .start()
        .expect("started");
    let wrong = Workload::new().record("numbrs", 0, Tuple::new().with("batch", 1));
    let error = running.run_workload(&wrong).await.err().expect("refused");
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
    use blazes::dist::{Cluster, ClusterConfig};
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
    assert!(error.to_string().contains("`Totl`"), "{error}");
}
