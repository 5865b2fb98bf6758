//! Stalls are visible (issue 15, "Build"; runtime spec, "Liveness and
//! membership"): under tokio, a partition that waits longer than the
//! configured time is reported while the run goes on, with the producers
//! whose seals are missing, and counted once; it is released as usual when
//! the seal comes, and a run that ends with it still open fails naming it.

use std::time::Duration;

use blazes::runtime::{DataflowRunner, Deployment, Factories, InstanceSnapshot, RunFailure};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};

/// Sums each batch, emitting the sum when the batch is sealed.
#[derive(Default)]
struct Sum(i64);

impl Handler for Sum {
    fn handle(&mut self, _: &str, t: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
        self.0 += t.int("v").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _: &str, batch: &Tuple, out: &mut Emit) {
        out.emit(
            "sums",
            batch.clone().with("sum", std::mem::take(&mut self.0)),
        );
    }
}

fn runner(wait: Duration) -> DataflowRunner {
    let dataflow = Dataflow::new()
        .component(Component::new("Sum").path("in", "sums", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("numbers", "Sum.in").sealed(attrs(["batch"])))
        .stream(Stream::between("Sum.sums", "out"));
    let analysis = analyze(&dataflow).expect("valid");
    let deployment = Deployment::new()
        .source_producers("numbers", 2)
        .overdue_after(wait);
    let factories = Factories::new().with("Sum", || Box::<Sum>::default());
    DataflowRunner::new(&dataflow, &analysis, &deployment, factories).expect("deployable")
}

fn sum_instance(snapshots: &[InstanceSnapshot]) -> InstanceSnapshot {
    snapshots
        .iter()
        .find(|s| s.component == "Sum")
        .cloned()
        .expect("a Sum instance")
}

/// Polls the live snapshot until `done` holds or two seconds pass.
async fn wait_until(
    running: &blazes::runtime::RunningDataflow,
    done: impl Fn(&InstanceSnapshot) -> bool,
) -> InstanceSnapshot {
    for _ in 0..200 {
        let sum = sum_instance(&running.snapshot());
        if done(&sum) {
            return sum;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sum_instance(&running.snapshot())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_waiting_past_the_configured_time_is_reported_with_its_missing_producers() {
    let mut running = runner(Duration::from_millis(50)).start().expect("started");
    let mut first = running.take_source("numbers", 0).expect("producer 0");
    let mut second = running.take_source("numbers", 1).expect("producer 1");
    let batch = Tuple::new().with("batch", 1);
    first.send(batch.clone().with("v", 3)).await;
    first
        .seal(batch.clone())
        .await
        .expect("a seal holding the seal key");
    let sum = wait_until(&running, |s| s.metrics.overdue_partitions > 0).await;
    assert_eq!(sum.metrics.overdue_partitions, 1, "{:?}", sum.metrics);
    assert_eq!(sum.unsealed.len(), 1);
    assert_eq!(sum.unsealed[0].missing_names, ["numbers[1]"]);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let sum = sum_instance(&running.snapshot());
    assert_eq!(sum.metrics.overdue_partitions, 1, "reported once");
    second
        .seal(batch.clone())
        .await
        .expect("a seal holding the seal key");
    first.close().await;
    second.close().await;
    let report = running.finish().await.expect("finishes");
    assert_eq!(report.records("out")[0].payload.int("sum"), Some(3));
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    assert_eq!(report.component_totals("Sum").overdue_partitions, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_ends_with_an_overdue_partition_fails_naming_it() {
    let mut running = runner(Duration::from_millis(20)).start().expect("started");
    let mut first = running.take_source("numbers", 0).expect("producer 0");
    let second = running.take_source("numbers", 1).expect("producer 1");
    let batch = Tuple::new().with("batch", 7);
    first.send(batch.clone().with("v", 1)).await;
    first
        .seal(batch.clone())
        .await
        .expect("a seal holding the seal key");
    wait_until(&running, |s| s.metrics.overdue_partitions > 0).await;
    first.close().await;
    second.close().await;
    let report = running.finish().await.expect("finishes");
    assert_eq!(report.component_totals("Sum").overdue_partitions, 1);
    let failures = report.failures();
    assert!(
        failures.iter().any(|f| matches!(
            f,
            RunFailure::NeverSealed { partition, missing, .. }
                if *partition == batch && missing == &["numbers[1]".to_string()]
        )),
        "{failures:?}"
    );
}

/// Numbers[0] seals batch 1 at once; numbers[1] first sends 100 records of
/// batch 2, then seals batch 1: batch 1 waits many steps for numbers[1].
fn late_seal_workload() -> blazes::runtime::Workload {
    let one = Tuple::new().with("batch", 1);
    let two = Tuple::new().with("batch", 2);
    let mut w = blazes::runtime::Workload::new()
        .record("numbers", 0, one.clone().with("v", 3))
        .seal("numbers", 0, one.clone())
        .seal("numbers", 0, two.clone());
    for v in 0..100 {
        w = w.record("numbers", 1, two.clone().with("v", v));
    }
    w.seal("numbers", 1, one).seal("numbers", 1, two)
}

fn simulation() -> blazes::sim::Simulation {
    let dataflow = Dataflow::new()
        .component(Component::new("Sum").path("in", "sums", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("numbers", "Sum.in").sealed(attrs(["batch"])))
        .stream(Stream::between("Sum.sums", "out"));
    let analysis = analyze(&dataflow).expect("valid");
    let deployment = Deployment::new().source_producers("numbers", 2);
    let factories = Factories::new().with("Sum", || Box::<Sum>::default());
    blazes::sim::Simulation::new(&dataflow, &analysis, &deployment, factories).expect("deployable")
}

/// The simulator reports a partition waiting past the configured number of
/// steps by name, with the producer whose seal is missing, counts it once,
/// and still releases it when the seal comes (20 seeds, well under a second).
#[test]
fn the_simulator_reports_a_partition_waiting_past_the_configured_steps() {
    let sim = simulation();
    let workload = late_seal_workload();
    for seed in 0..20 {
        // Every producer at one pace, so that numbers[0] seals batch 1 at
        // once and numbers[1] alone is late.
        let config = blazes::sim::SimConfig::new(seed)
            .with_uniform_pace()
            .with_overdue_after_steps(20);
        let outcome = sim.run(&workload, &config).expect("runs");
        let batch = Tuple::new().with("batch", 1);
        let reported: Vec<_> = outcome
            .overdue
            .iter()
            .filter(|(_, p)| p.key == batch)
            .collect();
        assert_eq!(reported.len(), 1, "seed {seed}: {:?}", outcome.overdue);
        assert_eq!(reported[0].0, "Sum[0]");
        assert_eq!(reported[0].1.missing_names, ["numbers[1]"], "seed {seed}");
        assert!(reported[0].1.age > 20, "seed {seed}: {:?}", reported[0].1);
        let totals = outcome.report.component_totals("Sum");
        assert_eq!(
            totals.overdue_partitions,
            outcome.overdue.len() as u64,
            "seed {seed}"
        );
        assert!(outcome.report.failures().is_empty(), "seed {seed}");
        let sums = outcome.report.records("out");
        assert!(
            sums.iter()
                .any(|r| r.payload.int("batch") == Some(1) && r.payload.int("sum") == Some(3)),
            "seed {seed}: {sums:?}"
        );
        let unwatched = sim
            .run(
                &workload,
                &blazes::sim::SimConfig::new(seed).with_uniform_pace(),
            )
            .expect("runs");
        assert!(unwatched.overdue.is_empty(), "not looked for by default");
    }
}
