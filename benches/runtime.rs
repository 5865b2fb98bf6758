//! Throughput of the runtime (issue 4, acceptance 4): the same two-stage
//! pipeline (source -> Map (CR) -> Agg (OW[batch]) -> sink) with its seal
//! buffer, and without coordination, against a bare tokio channel moving the
//! same tuples. The tuples are built before the clock starts. Prints JSON to stdout and writes `bench-results/runtime.json`.
//!
//! `cargo bench --bench runtime` (optional argument: records per run).

use std::time::Instant;

use blazes::runtime::{CoordinationMode, DataflowRunner, Deployment, Factories};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use serde_json::json;

const BATCH: i64 = 1_000;
const REPETITIONS: usize = 7;
const CHANNEL: usize = 1_024;

/// Passes each record on.
struct Map;

impl Handler for Map {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("mapped", tuple);
        Ok(())
    }
}

/// Sums values per batch; emits a batch's sum when the batch is sealed.
#[derive(Default)]
struct Agg {
    sum: i64,
}

impl Handler for Agg {
    fn handle(&mut self, _input: &str, tuple: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        self.sum += tuple.int("value").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        out.emit("sums", partition.clone().with("sum", self.sum));
        self.sum = 0;
    }
}

fn dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Map").path("records", "mapped", Annotation::cr()))
        .component(Component::new("Agg").path("mapped", "sums", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("records", "Map.records").sealed(attrs(["batch"])))
        .stream(Stream::between("Map.mapped", "Agg.mapped"))
        .stream(Stream::between("Agg.sums", "sums"))
}

fn record(i: i64) -> Tuple {
    Tuple::new().with("batch", i / BATCH).with("value", i)
}

/// Records per second through the pipeline, and the sums it produced.
async fn pipeline(records: i64, mode: CoordinationMode) -> (f64, usize) {
    let d = dataflow();
    let analysis = analyze(&d).expect("valid dataflow");
    let deployment = Deployment::new()
        .coordination(mode)
        .channel_capacity(CHANNEL);
    let factories = Factories::new()
        .with("Map", || Box::new(Map))
        .with("Agg", || Box::<Agg>::default());
    let runner = DataflowRunner::new(&d, &analysis, &deployment, factories).expect("deployable");
    let input: Vec<Tuple> = (0..records).map(record).collect();
    let seals: Vec<Tuple> = (0..records / BATCH)
        .map(|b| Tuple::new().with("batch", b))
        .collect();
    let mut running = runner.start().expect("started");
    let mut source = running.take_source("records", 0).expect("source");
    let started = Instant::now();
    let mut seals = seals.into_iter();
    for (i, t) in (0..).zip(input) {
        source.send(t).await;
        if (i + 1) % BATCH == 0
            && let Some(seal) = seals.next()
        {
            source.seal(seal).await;
        }
    }
    source.close().await;
    let report = running.finish().await.expect("run completes");
    let elapsed = started.elapsed().as_secs_f64();
    let processed = report.component_totals("Agg").processed;
    assert_eq!(processed, records as u64, "every record reached Agg");
    (records as f64 / elapsed, report.records("sums").len())
}

/// Records per second through one bare bounded channel, same tuples.
async fn bare_channel(records: i64) -> f64 {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Tuple>(CHANNEL);
    let input: Vec<Tuple> = (0..records).map(record).collect();
    let started = Instant::now();
    let consumer = tokio::spawn(async move {
        let mut sum = 0i64;
        while let Some(t) = rx.recv().await {
            sum += t.int("value").unwrap_or_default();
        }
        sum
    });
    for t in input {
        if tx.send(t).await.is_err() {
            break;
        }
    }
    drop(tx);
    let _ = consumer.await;
    records as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let records: i64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(500_000);
    // `only=sealed|uncoordinated` runs one pipeline, for profiling.
    let only = args
        .iter()
        .find_map(|a| a.strip_prefix("only=").map(str::to_string));
    if let Some(which) = only {
        let mode = if which == "sealed" {
            CoordinationMode::Plan
        } else {
            CoordinationMode::Off
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (rate, _) = rt.block_on(pipeline(records, mode));
        println!("{which}: {rate:.0} records/s");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let (mut sealed, mut uncoordinated, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    let mut sums = (0, 0);
    for _ in 0..REPETITIONS {
        rt.block_on(async {
            let (s, n) = pipeline(records, CoordinationMode::Plan).await;
            sealed.push(s);
            sums.0 = n;
            let (u, n) = pipeline(records, CoordinationMode::Off).await;
            uncoordinated.push(u);
            sums.1 = n;
            bare.push(bare_channel(records).await);
        });
    }
    let (sealed, uncoordinated, bare) = (median(sealed), median(uncoordinated), median(bare));
    let ns = |rate: f64| 1e9 / rate;
    let result = json!({
        "bench": "runtime",
        "records_per_run": records,
        "batch": BATCH,
        "repetitions": REPETITIONS,
        "statistic": "median",
        "pipeline": "source -> Map (CR) -> Agg (OW[batch], sealed on batch) -> sink",
        "records_per_second": {
            "sealed": sealed.round(),
            "uncoordinated": uncoordinated.round(),
            "bare_tokio_channel": bare.round(),
        },
        "ns_per_record": {
            "sealed": ns(sealed),
            "uncoordinated": ns(uncoordinated),
            "bare_tokio_channel": ns(bare),
        },
        "seal_overhead_ns_per_record": ns(sealed) - ns(uncoordinated),
        "hops_per_record": { "pipeline": 2, "bare_tokio_channel": 1 },
        "runtime_overhead_ns_per_record_per_hop_vs_bare_channel": ns(uncoordinated) / 2.0 - ns(bare),
        "sealed_vs_uncoordinated": sealed / uncoordinated,
        "goal_sealed_at_least_0_9x_uncoordinated": sealed / uncoordinated >= 0.9,
        "sums_emitted": { "sealed": sums.0, "uncoordinated": sums.1 },
    });
    let text = serde_json::to_string_pretty(&result).expect("json");
    println!("{text}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results/runtime.json");
    if let Err(e) = std::fs::create_dir_all(path.parent().unwrap_or(std::path::Path::new(".")))
        .and_then(|()| std::fs::write(&path, text + "\n"))
    {
        eprintln!("could not write {}: {e}", path.display());
    }
}
