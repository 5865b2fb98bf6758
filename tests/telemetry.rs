//! Observability (issue 15): a tokio run publishes each instance's counters
//! through the `metrics` facade, equal to its own report, with dead letters
//! counted by reason; and it runs inside tracing spans per instance and per
//! released partition. The recorder and the subscriber are process-wide, so
//! this file is its own test binary.

use std::sync::{Arc, Mutex};

use blazes::runtime::{DataflowRunner, Deployment, Factories, RunReport, Workload};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use tracing::span::{Attributes, Id};
use tracing::{Subscriber, field::Field, field::Visit};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Sums each batch, emitting the sum when the batch is sealed (`OW[batch]`).
#[derive(Default)]
struct Sum {
    sum: i64,
}

impl Handler for Sum {
    fn handle(&mut self, _input: &str, tuple: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        self.sum += tuple.int("v").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, batch: &Tuple, out: &mut Emit) {
        let sum = std::mem::take(&mut self.sum);
        out.emit("sums", batch.clone().with("sum", sum));
    }
}

/// `numbers` (sealed on batch) -> Sum -> `sums`; batch 1 gets a record
/// after its seal (a late record, dead-lettered).
async fn run() -> RunReport {
    let dataflow = Dataflow::new()
        .component(Component::new("Sum").path("numbers", "sums", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("numbers", "Sum.numbers").sealed(attrs(["batch"])))
        .stream(Stream::between("Sum.sums", "sums"));
    let record = |batch: i64, v: i64| Tuple::new().with("batch", batch).with("v", v);
    let batch = |batch: i64| Tuple::new().with("batch", batch);
    let workload = Workload::new()
        .record("numbers", 0, record(1, 1))
        .record("numbers", 0, record(1, 2))
        .seal("numbers", 0, batch(1))
        .record("numbers", 0, record(1, 3))
        .record("numbers", 0, record(2, 4))
        .seal("numbers", 0, batch(2));
    let analysis = analyze(&dataflow).expect("valid dataflow");
    let factories = Factories::new().with("Sum", || Box::<Sum>::default());
    let runner = DataflowRunner::new(&dataflow, &analysis, &Deployment::new(), factories)
        .expect("deployable");
    let running = runner.start().expect("started");
    running
        .run_workload(&workload)
        .await
        .expect("run completes")
}

/// Every counter: name, sorted labels and value. (Taking a snapshot resets
/// the debugging recorder's counters, so take one and read it all.)
type Counters = Vec<(String, Vec<(String, String)>, u64)>;

fn counters(snapshotter: &Snapshotter) -> Counters {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let DebugValue::Counter(value) = value else {
                return None;
            };
            let key = key.key();
            let mut labels: Vec<_> = key
                .labels()
                .map(|l| (l.key().to_string(), l.value().to_string()))
                .collect();
            labels.sort();
            Some((key.name().to_string(), labels, value))
        })
        .collect()
}

/// The value of counter `name` with exactly these labels.
fn counter(counters: &Counters, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
    let mut wanted: Vec<(String, String)> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    wanted.sort();
    counters
        .iter()
        .find(|(n, l, _)| n == name && *l == wanted)
        .map(|(_, _, v)| *v)
}

/// Checks the counters the run published against its report.
fn check_counters(snapshotter: &Snapshotter, report: &RunReport) {
    let counters = counters(snapshotter);
    let sum = report
        .instances
        .iter()
        .find(|i| i.component == "Sum")
        .expect("Sum ran");
    assert_eq!(sum.metrics.dead_lettered, 1, "the late record");
    let labels = [("component", "Sum"), ("instance", sum.name.as_str())];
    for (name, value) in [
        ("blazes_records_received_total", sum.metrics.received),
        ("blazes_records_processed_total", sum.metrics.processed),
        (
            "blazes_partitions_released_total",
            sum.metrics.released_partitions,
        ),
        ("blazes_seals_received_total", sum.metrics.seals),
    ] {
        assert_eq!(
            counter(&counters, name, &labels),
            Some(value),
            "{name}: {counters:?}"
        );
    }
    assert_eq!(sum.metrics.processed, 3);
    assert_eq!(sum.metrics.released_partitions, 2);
    let late = [labels[0], labels[1], ("reason", "late")];
    assert_eq!(
        counter(&counters, "blazes_dead_letters_total", &late),
        Some(1)
    );
    assert_eq!(
        sum.metrics.dead_letters_by_kind.values().sum::<u64>(),
        sum.metrics.dead_lettered
    );
}

/// Every span opened: its name and its fields, rendered.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<(String, String)>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl<S: Subscriber> Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        if let Ok(mut spans) = self.0.lock() {
            spans.push((attrs.metadata().name().to_string(), fields.0));
        }
    }
}

/// One run, with a recorder and a subscriber installed for the process
/// (hence one test).
#[test]
fn a_run_publishes_its_counters_and_runs_in_spans_per_instance_and_partition() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this binary");
    let spans = Spans::default();
    tracing_subscriber::registry()
        .with(spans.clone())
        .try_init()
        .expect("the only subscriber of this binary");
    let report = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
    check_counters(&snapshotter, &report);
    let spans = spans.0.lock().expect("spans").clone();
    let named = |name: &str| -> Vec<String> {
        spans
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
            .collect()
    };
    let instances = named("instance");
    assert!(
        instances.iter().any(|f| f.contains("component=Sum")),
        "{instances:?}"
    );
    let partitions = named("partition");
    assert_eq!(
        partitions.len(),
        2,
        "one per released batch: {partitions:?}"
    );
    assert!(
        partitions.iter().any(|f| f.contains("batch")),
        "{partitions:?}"
    );
}
