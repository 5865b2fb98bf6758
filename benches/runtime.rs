//! Throughput of the runtime beside timely dataflow, its peer (issue 14), in
//! one process and one run, on the same input and the same worker counts:
//!
//! - the pipeline source -> Map (CR) -> Agg (OW[batch]) -> sink, where Agg
//!   sums each batch and releases the sum when the batch is complete: through
//!   blazes with its seal buffer (`sealed`) and without coordination
//!   (`uncoordinated`), and through timely (map, exchange by batch, a sum per
//!   epoch released by the frontier; the frontier is timely's seal);
//! - the paper's word count: tweets -> Splitter (CR) -> Count
//!   (OW[word, batch], sealed on batch) on blazes; flat_map, exchange by
//!   word and a count per (epoch, word) released by the frontier on timely.
//!
//! Each at 1 and 2 workers: blazes runs a tokio runtime with that many
//! threads, that many source producers and that many instances of each
//! component (Agg and Count partitioned by key); timely runs that many
//! worker threads, each fed its share. Inputs are built before the clock
//! starts; a run ends when every output is out. Records per second are
//! medians over the repetitions.
//!
//! `cargo bench --bench runtime [-- --quick]`: prints JSON and writes
//! `bench-results/runtime.json`; `--quick` (fewer records and repetitions)
//! takes well under two minutes.

use std::collections::HashMap;
use std::time::Instant;

use blazes::runtime::{CoordinationMode, DataflowRunner, Deployment, Factories, Routing};
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Stream, Tuple, UnknownInput, analyze, attrs,
};
use serde_json::{Value, json};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::vec::Map as _;
use timely::dataflow::operators::{Operator, Probe};
use timely::dataflow::{InputHandle, ProbeHandle};

/// Records per batch (timely: per epoch).
const BATCH: u64 = 1_000;
/// Tweets per word-count batch.
const TWEETS_PER_BATCH: u64 = 200;
const CHANNEL: usize = 1_024;

const VOCABULARY: &[&str] = &[
    "blazes",
    "storm",
    "seal",
    "order",
    "tweet",
    "count",
    "batch",
    "word",
    "commit",
    "stream",
    "cloud",
    "replica",
    "punctuation",
    "monotone",
    "confluent",
    "sequencer",
];

/// How big a run is.
struct Size {
    records: u64,
    tweets: u64,
    repetitions: usize,
}

// ---------------------------------------------------------------- blazes

/// Passes each record on.
struct MapStage;

impl Handler for MapStage {
    fn handle(&mut self, _input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        out.emit("mapped", tuple);
        Ok(())
    }
}

/// Sums values per batch; emits a batch's sum when the batch is sealed.
#[derive(Default)]
struct Agg {
    sums: HashMap<i64, i64>,
}

impl Handler for Agg {
    fn handle(&mut self, _input: &str, tuple: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        let batch = tuple.int("batch").unwrap_or_default();
        *self.sums.entry(batch).or_default() += tuple.int("value").unwrap_or_default();
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        // Only the instance that holds records of the batch reports it, as
        // timely emits a sum only where the epoch has data.
        let batch = partition.int("batch").unwrap_or_default();
        if let Some(sum) = self.sums.remove(&batch) {
            out.emit("sums", partition.clone().with("sum", sum));
        }
    }
}

/// Splits tweets into words, keeping the batch.
struct Splitter;

impl Handler for Splitter {
    fn handle(&mut self, _input: &str, tweet: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        let batch = tweet.int("batch").unwrap_or_default();
        for word in tweet.str("text").unwrap_or_default().split_whitespace() {
            out.emit(
                "words",
                Tuple::new().with("word", word).with("batch", batch),
            );
        }
        Ok(())
    }
}

/// Counts words per batch; emits a batch's counts when it is sealed.
#[derive(Default)]
struct Count {
    counts: HashMap<i64, HashMap<String, i64>>,
}

impl Handler for Count {
    fn handle(&mut self, _input: &str, word: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        let batch = word.int("batch").unwrap_or_default();
        let text = word.str("word").unwrap_or_default();
        let counts = self.counts.entry(batch).or_default();
        match counts.get_mut(text) {
            Some(n) => *n += 1,
            None => {
                counts.insert(text.to_string(), 1);
            }
        }
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        let batch = partition.int("batch").unwrap_or_default();
        for (word, n) in self.counts.remove(&batch).unwrap_or_default() {
            let count = Tuple::new()
                .with("batch", batch)
                .with("word", word.as_str());
            out.emit("counts", count.with("count", n));
        }
    }
}

fn pipeline_dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Map").path("records", "mapped", Annotation::cr()))
        .component(Component::new("Agg").path("mapped", "sums", Annotation::ow(attrs(["batch"]))))
        .stream(Stream::between("records", "Map.records").sealed(attrs(["batch"])))
        .stream(Stream::between("Map.mapped", "Agg.mapped"))
        .stream(Stream::between("Agg.sums", "sums"))
}

fn wordcount_dataflow() -> Dataflow {
    Dataflow::new()
        .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
        .component(Component::new("Count").path(
            "words",
            "counts",
            Annotation::ow(attrs(["word", "batch"])),
        ))
        .stream(Stream::between("tweets", "Splitter.tweets").sealed(attrs(["batch"])))
        .stream(Stream::between("Splitter.words", "Count.words"))
        .stream(Stream::between("Count.counts", "counts"))
}

/// The text of tweet `i`: eight words of the vocabulary.
fn tweet_text(i: u64) -> String {
    let words: Vec<&str> = (0..8)
        .map(|k| VOCABULARY[((i * 7 + k * 13) % VOCABULARY.len() as u64) as usize])
        .collect();
    words.join(" ")
}

/// One producer's share of an input: its records in order, with the seal
/// of each batch after the batch's last record.
struct Share {
    records: Vec<Tuple>,
    /// After how many records each seal follows, and the seal.
    seals: Vec<(usize, Tuple)>,
}

/// Splits `count` records (record `i` in batch `i / per_batch`) among
/// `producers` by position; every producer seals every batch.
fn shares(
    count: u64,
    per_batch: u64,
    producers: usize,
    record: impl Fn(u64) -> Tuple,
) -> Vec<Share> {
    let mut shares: Vec<Share> = (0..producers)
        .map(|_| Share {
            records: Vec::new(),
            seals: Vec::new(),
        })
        .collect();
    for batch in 0..count.div_ceil(per_batch) {
        let end = ((batch + 1) * per_batch).min(count);
        for i in batch * per_batch..end {
            shares[(i % producers as u64) as usize]
                .records
                .push(record(i));
        }
        for share in &mut shares {
            let seal = Tuple::new().with("batch", batch as i64);
            share.seals.push((share.records.len(), seal));
        }
    }
    shares
}

/// A blazes workload: dataflow, handlers and each producer's share.
struct BlazesJob {
    dataflow: Dataflow,
    source: &'static str,
    /// The partitioned component and its input interface.
    keyed: (&'static str, &'static str),
    upstream: (&'static str, &'static str),
    key: &'static [&'static str],
    factories: fn() -> Factories,
    /// The sink counted at the end.
    sink: &'static str,
}

fn pipeline_job() -> BlazesJob {
    BlazesJob {
        dataflow: pipeline_dataflow(),
        source: "records",
        keyed: ("Agg", "mapped"),
        upstream: ("Map", "mapped"),
        key: &["batch"],
        factories: || {
            Factories::new()
                .with("Map", || Box::new(MapStage))
                .with("Agg", || Box::<Agg>::default())
        },
        sink: "sums",
    }
}

fn wordcount_job() -> BlazesJob {
    BlazesJob {
        dataflow: wordcount_dataflow(),
        source: "tweets",
        keyed: ("Count", "words"),
        upstream: ("Splitter", "words"),
        key: &["word"],
        factories: || {
            Factories::new()
                .with("Splitter", || Box::new(Splitter))
                .with("Count", || Box::<Count>::default())
        },
        sink: "counts",
    }
}

/// Seconds to move every share through `job` on `workers` threads, and how
/// many records reached its sink.
fn blazes_run(
    job: &BlazesJob,
    shares: Vec<Share>,
    workers: usize,
    mode: CoordinationMode,
) -> (f64, usize) {
    let analysis = analyze(&job.dataflow).expect("valid dataflow");
    let components: Vec<String> = job
        .dataflow
        .components
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let mut deployment = Deployment::new()
        .coordination(mode)
        .channel_capacity(CHANNEL)
        .source_producers(job.source, workers)
        .route(
            &format!("{}.{}", job.upstream.0, job.upstream.1),
            &format!("{}.{}", job.keyed.0, job.keyed.1),
            Routing::by_key(job.key.iter().copied()),
        );
    for c in &components {
        deployment = deployment.instances(c, workers);
    }
    let runner = DataflowRunner::new(&job.dataflow, &analysis, &deployment, (job.factories)())
        .expect("deployable");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let mut running = runner.start().expect("started");
        let handles: Vec<_> = (0..workers)
            .map(|p| running.take_source(job.source, p).expect("source producer"))
            .collect();
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (mut source, share) in handles.into_iter().zip(shares) {
            tasks.push(tokio::spawn(async move {
                let mut seals = share.seals.into_iter().peekable();
                for (i, t) in share.records.into_iter().enumerate() {
                    while let Some((_, seal)) = seals.next_if(|(after, _)| *after == i) {
                        source.seal(seal).await;
                    }
                    source.send(t).await;
                }
                for (_, seal) in seals {
                    source.seal(seal).await;
                }
                source.close().await;
            }));
        }
        for task in tasks {
            task.await.expect("producer task");
        }
        let report = running.finish().await.expect("run completes");
        let seconds = started.elapsed().as_secs_f64();
        (seconds, report.records(job.sink).len())
    })
}

// ---------------------------------------------------------------- timely

/// Seconds for timely to sum every epoch of `records` values on `workers`
/// threads (map, exchange by epoch, sum released by the frontier), and how
/// many sums came out.
fn timely_pipeline(records: u64, workers: usize) -> (f64, usize) {
    let config = timely::Config::process(workers);
    let started = Instant::now();
    let outputs = timely::execute(config, move |worker| {
        let index = worker.index() as u64;
        let peers = worker.peers() as u64;
        let mut input = InputHandle::<u64, CapacityContainerBuilder<Vec<u64>>>::new();
        let probe = ProbeHandle::new();
        let emitted = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let seen = emitted.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            input
                .to_stream(scope)
                .map(|value| value)
                .unary_frontier(
                    Exchange::new(|value: &u64| value / BATCH),
                    "Sum",
                    |_capability, _info| {
                        // Per epoch: its capability and the sum so far.
                        let mut sums = HashMap::new();
                        move |(input, frontier), output| {
                            input.for_each_stamp(|cap, data| {
                                if let Some(cap) = cap.retain_least(output.output_index()) {
                                    let sum = &mut sums.entry(*cap.time()).or_insert((cap, 0u64)).1;
                                    for values in data {
                                        *sum += values.iter().sum::<u64>();
                                    }
                                }
                            });
                            sums.retain(|time, (cap, sum)| {
                                if frontier.less_equal(time) {
                                    return true;
                                }
                                output.session(&*cap).give(*sum);
                                seen.set(seen.get() + 1);
                                false
                            });
                        }
                    },
                )
                .container::<Vec<u64>>()
                .probe_with(&probe);
        });
        let mut value = index;
        for epoch in 0..records.div_ceil(BATCH) {
            let end = ((epoch + 1) * BATCH).min(records);
            while value < end {
                input.send(value);
                value += peers;
            }
            input.advance_to(epoch + 1);
            worker.step();
        }
        input.close();
        while worker.step_or_park(None) {}
        emitted.get()
    })
    .expect("timely runs");
    let outputs: usize = outputs.join().into_iter().map(|r| r.expect("worker")).sum();
    (started.elapsed().as_secs_f64(), outputs)
}

/// Seconds for timely to count the words of `tweets` tweets per epoch on
/// `workers` threads, and how many counts came out.
fn timely_wordcount(tweets: u64, workers: usize) -> (f64, usize) {
    let config = timely::Config::process(workers);
    let texts: Vec<String> = (0..tweets).map(tweet_text).collect();
    let started = Instant::now();
    let outputs = timely::execute(config, move |worker| {
        let index = worker.index();
        let peers = worker.peers();
        let mut input = InputHandle::<u64, CapacityContainerBuilder<Vec<String>>>::new();
        let probe = ProbeHandle::new();
        let emitted = std::rc::Rc::new(std::cell::Cell::new(0usize));
        let seen = emitted.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            input
                .to_stream(scope)
                .flat_map(|text: String| {
                    text.split_whitespace()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .unary_frontier(
                    Exchange::new(|word: &String| {
                        word.bytes()
                            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
                    }),
                    "Count",
                    |_capability, _info| {
                        // Per epoch: its capability and the counts so far.
                        let mut counts = HashMap::new();
                        move |(input, frontier), output| {
                            input.for_each_stamp(|cap, data| {
                                if let Some(cap) = cap.retain_least(output.output_index()) {
                                    let counts = &mut counts
                                        .entry(*cap.time())
                                        .or_insert((cap, HashMap::<String, u64>::new()))
                                        .1;
                                    for words in data {
                                        for word in words.drain(..) {
                                            *counts.entry(word).or_default() += 1;
                                        }
                                    }
                                }
                            });
                            counts.retain(|time, (cap, words)| {
                                if frontier.less_equal(time) {
                                    return true;
                                }
                                let mut session = output.session(&*cap);
                                for (word, n) in words.drain() {
                                    session.give((word, n));
                                    seen.set(seen.get() + 1);
                                }
                                false
                            });
                        }
                    },
                )
                .container::<Vec<(String, u64)>>()
                .probe_with(&probe);
        });
        for (i, text) in texts.iter().enumerate() {
            if i % peers == index {
                input.send(text.clone());
            }
            if (i as u64 + 1).is_multiple_of(TWEETS_PER_BATCH) {
                input.advance_to((i as u64 + 1) / TWEETS_PER_BATCH);
                worker.step();
            }
        }
        input.close();
        while worker.step_or_park(None) {}
        emitted.get()
    })
    .expect("timely runs");
    let outputs: usize = outputs.join().into_iter().map(|r| r.expect("worker")).sum();
    (started.elapsed().as_secs_f64(), outputs)
}

// ---------------------------------------------------------------- report

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median rate of `runs` runs of `run` (seconds, outputs), over `count`
/// input records, with the outputs of the last.
fn rate(count: u64, runs: usize, mut run: impl FnMut() -> (f64, usize)) -> (f64, usize) {
    let mut rates = Vec::with_capacity(runs);
    let mut outputs = 0;
    for _ in 0..runs {
        let (seconds, out) = run();
        rates.push(count as f64 / seconds);
        outputs = out;
    }
    (median(rates), outputs)
}

fn measure(size: &Size, workers: usize) -> Value {
    let pipeline = pipeline_job();
    let record = |i: u64| {
        Tuple::new()
            .with("batch", (i / BATCH) as i64)
            .with("value", i as i64)
    };
    let (sealed, sealed_out) = rate(size.records, size.repetitions, || {
        let shares = shares(size.records, BATCH, workers, record);
        blazes_run(&pipeline, shares, workers, CoordinationMode::Plan)
    });
    let (uncoordinated, _) = rate(size.records, size.repetitions, || {
        let shares = shares(size.records, BATCH, workers, record);
        blazes_run(&pipeline, shares, workers, CoordinationMode::Off)
    });
    let (timely, timely_out) = rate(size.records, size.repetitions, || {
        timely_pipeline(size.records, workers)
    });

    let wordcount = wordcount_job();
    let tweet = |i: u64| {
        Tuple::new()
            .with("batch", (i / TWEETS_PER_BATCH) as i64)
            .with("text", tweet_text(i).as_str())
    };
    let (wc_blazes, wc_blazes_out) = rate(size.tweets, size.repetitions, || {
        let shares = shares(size.tweets, TWEETS_PER_BATCH, workers, tweet);
        blazes_run(&wordcount, shares, workers, CoordinationMode::Plan)
    });
    let (wc_timely, wc_timely_out) = rate(size.tweets, size.repetitions, || {
        timely_wordcount(size.tweets, workers)
    });
    json!({
        "pipeline": {
            "records_per_second": {
                "blazes_sealed": sealed.round(),
                "blazes_uncoordinated": uncoordinated.round(),
                "timely": timely.round(),
            },
            "outputs": { "blazes_sealed": sealed_out, "timely": timely_out },
        },
        "wordcount": {
            "tweets_per_second": {
                "blazes_sealed": wc_blazes.round(),
                "timely": wc_timely.round(),
            },
            "outputs": { "blazes_sealed": wc_blazes_out, "timely": wc_timely_out },
            "ratio_vs_timely": wc_blazes / wc_timely,
        },
        "ratio_vs_timely": sealed / timely,
        "sealed_vs_uncoordinated": sealed / uncoordinated,
    })
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let size = if quick {
        Size {
            records: 200_000,
            tweets: 20_000,
            repetitions: 3,
        }
    } else {
        Size {
            records: 1_000_000,
            tweets: 100_000,
            repetitions: 5,
        }
    };
    let one = measure(&size, 1);
    let two = measure(&size, 2);
    let ratio = |v: &Value| v["ratio_vs_timely"].as_f64().unwrap_or(f64::NAN);
    let result = json!({
        "bench": "runtime",
        "peer": "timely dataflow 0.32",
        "quick": quick,
        "records": size.records,
        "batch": BATCH,
        "tweets": size.tweets,
        "tweets_per_batch": TWEETS_PER_BATCH,
        "repetitions": size.repetitions,
        "statistic": "median records (tweets) per second",
        "pipeline": "source -> Map (CR) -> Agg (OW[batch], sealed on batch) -> sink",
        "workers_1": one,
        "workers_2": two,
        "ratio_vs_timely": { "workers_1": ratio(&one), "workers_2": ratio(&two) },
        "goal_ratio_at_least": 1.0,
    });
    let text = serde_json::to_string_pretty(&result).unwrap_or_default();
    println!("{text}");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results/runtime.json");
    if let Err(e) = std::fs::create_dir_all(path.parent().unwrap_or(std::path::Path::new(".")))
        .and_then(|()| std::fs::write(&path, text + "\n"))
    {
        eprintln!("could not write {}: {e}", path.display());
    }
}
