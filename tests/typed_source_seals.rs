//! Issue 11: a source seals with a typed key (a key struct of the user's, or
//! a record of the partition), not a `Tuple` of field names. Only the seal
//! key's fields travel: two producers sealing one partition with different
//! records of it cast two votes for the same partition, also where the seal
//! is forwarded through a confluent component.

use blazes::runtime::{DataflowRunner, Deployment, Factories, RunReport, Workload};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};

/// A click of a session.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
struct Click {
    session: i64,
    clicks: i64,
}

/// The key of the `clicks` stream's partitions.
#[derive(blazes::Record, Clone, Debug, PartialEq)]
struct SessionKey {
    session: i64,
}

/// Passes clicks on (`CR`): the seals of its input are forwarded.
struct Pass;

impl Handler for Pass {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("out", tuple);
        Ok(())
    }
}

/// Sums the clicks of each session, emitted when the session is released.
#[derive(Default)]
struct PerSession(i64);

impl Handler for PerSession {
    fn handle(&mut self, _input: &str, tuple: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        self.0 += tuple.int("clicks").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        let total = std::mem::take(&mut self.0);
        out.emit("totals", partition.clone().with("total", total));
    }
}

/// clicks (sealed on `session`, two producers) -> Pass (CR) -> PerSession
/// (OW[session]) -> totals.
fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Pass").path("in", "out", Annotation::cr()))
        .component(Component::new("PerSession").path(
            "in",
            "totals",
            Annotation::ow(attrs(["session"])),
        ))
        .stream(Stream::between("clicks", "Pass.in").sealed(attrs(["session"])))
        .stream(Stream::between("Pass.out", "PerSession.in").sealed(attrs(["session"])))
        .stream(Stream::between("PerSession.totals", "totals"))
}

async fn run(workload: &Workload) -> RunReport {
    let dataflow = dataflow();
    let analysis = analyze(&dataflow).expect("valid");
    let factories = Factories::new()
        .with("Pass", || Box::new(Pass))
        .with("PerSession", || Box::<PerSession>::default());
    let deployment = Deployment::new().source_producers("clicks", 2);
    let runner =
        DataflowRunner::new(&dataflow, &analysis, &deployment, factories).expect("deployable");
    runner
        .start()
        .expect("started")
        .run_workload(workload)
        .await
        .expect("runs")
}

fn totals(report: &RunReport) -> Vec<(Option<i64>, Option<i64>)> {
    report
        .records("totals")
        .iter()
        .map(|r| (r.payload.int("session"), r.payload.int("total")))
        .collect()
}

#[tokio::test]
async fn a_typed_key_struct_seals_the_partition() {
    let mut workload = Workload::new();
    for producer in 0..2 {
        workload = workload
            .record(
                "clicks",
                producer,
                Click {
                    session: 7,
                    clicks: 2,
                },
            )
            .seal("clicks", producer, SessionKey { session: 7 });
    }
    let report = run(&workload).await;
    assert!(report.is_success(), "{:#?}", report.failures());
    assert_eq!(totals(&report), vec![(Some(7), Some(4))]);
}

#[tokio::test]
async fn producers_sealing_with_different_records_of_a_partition_seal_it_once() {
    // Each producer seals with its own last click: the records differ
    // outside the seal key, the partition they name is the same.
    let mut workload = Workload::new();
    for producer in 0..2 {
        let last = Click {
            session: 7,
            clicks: 1 + producer as i64,
        };
        workload = workload
            .record("clicks", producer, last.clone())
            .seal("clicks", producer, last);
    }
    let report = run(&workload).await;
    assert!(report.is_success(), "{:#?}", report.failures());
    assert_eq!(totals(&report), vec![(Some(7), Some(3))]);
}
