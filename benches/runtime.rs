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
//!   word and a count per (epoch, word) released by the frontier on timely;
//! - the same pipeline with slice handlers (`MapSlices`, `AggSlices`: each
//!   `#[path]` method takes `&[Reading]`, as timely's operator takes a
//!   batch), sealed and uncoordinated: `ratio_vs_timely` is this sealed
//!   pipeline's, `ratio_vs_timely_per_record_handlers` the first one's;
//! - beside them, Agg's own logic alone (`agg_handler_alone`): its handler
//!   bodies over typed records in a plain loop, with no runtime, the bound
//!   of any runtime that calls a handler once per record (timely's operator
//!   sums whole batches).
//!
//! Each at 1 and 2 workers: blazes runs a tokio runtime with that many
//! threads, that many source producers and that many instances of each
//! component (Agg and Count partitioned by key), links of eight batches
//! ([`CHANNEL`]); timely runs that many
//! worker threads, each fed its share. The pipeline's records are made as
//! they are sent on both sides (timely's input loop makes each value; a
//! blazes producer makes each `Reading` inside `send_batch`); the word
//! count's tweets are built before the clock on both sides. A run ends
//! when every output is out. Records per second are
//! medians over the repetitions, which run the eight contenders in turn
//! (interleaved, so load from elsewhere hits them alike), after one untimed
//! warm-up run of each.
//!
//! `cargo bench --bench runtime [-- --quick]`: prints JSON and writes
//! `bench-results/runtime.json`; `--quick` (fewer records and repetitions)
//! takes well under two minutes.

use std::collections::HashMap;
use std::time::Instant;

use blazes::runtime::{CoordinationMode, DataflowRunner, Deployment, Factories, Routing};
use blazes::{Dataflow, Record, Tuple, analyze};
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
/// Records a blazes link holds: eight batches of 1,024, so a producer fills
/// the next batch while its consumer takes the last (a link of 1,024 is one
/// batch, and the two take turns); timely's exchange channels are unbounded
/// queues (docs/runtime.md, "On tokio").
const CHANNEL: usize = 8_192;

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

/// A value of the pipeline, in batch `batch`.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct Reading {
    pub batch: i64,
    pub value: i64,
}

/// The sum of a batch's values.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct BatchSum {
    pub batch: i64,
    pub sum: i64,
}

/// A tweet of the word count, in batch `batch`.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct Tweet {
    pub batch: i64,
    pub text: String,
}

/// A word of a tweet, keeping its batch.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct Word {
    pub word: String,
    pub batch: i64,
}

/// The count of a word in a batch.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone)]
pub struct WordCount {
    pub batch: i64,
    pub word: String,
    pub count: i64,
}

/// The components of both jobs, typed.
mod parts {
    use std::collections::HashMap;

    use blazes::component;

    use super::{BatchSum, Reading, Tweet, Word, WordCount};

    /// Passes each record on.
    #[component]
    #[derive(Default)]
    pub struct Map;

    #[component(outputs { mapped: Reading })]
    impl Map {
        #[path(from = records, to = mapped, label = CR)]
        fn records(&mut self, reading: Reading, out: &mut MapOut) {
            out.mapped(reading);
        }
    }

    /// Sums values per batch; emits a batch's sum when the batch is sealed.
    #[component]
    #[derive(Default)]
    pub struct Agg {
        sums: HashMap<i64, i64>,
    }

    #[component(outputs { sums: BatchSum })]
    impl Agg {
        #[path(from = mapped, to = sums, label = OW, gate = [batch])]
        fn mapped(&mut self, reading: Reading, _out: &mut AggOut) {
            *self.sums.entry(reading.batch).or_default() += reading.value;
        }

        #[on_seal(mapped)]
        fn sealed(&mut self, batch: i64, out: &mut AggOut) {
            // Only the instance that holds records of the batch reports it, as
            // timely emits a sum only where the epoch has data.
            if let Some(sum) = self.sums.remove(&batch) {
                out.sums(BatchSum { batch, sum });
            }
        }
    }

    /// [`Map`] with a slice handler: each run of records in one call.
    #[component]
    #[derive(Default)]
    pub struct MapSlices;

    #[component(outputs { mapped: Reading })]
    impl MapSlices {
        #[path(from = records, to = mapped, label = CR)]
        fn records(&mut self, readings: &[Reading], out: &mut MapSlicesOut) {
            out.mapped_all(readings.iter().cloned());
        }
    }

    /// [`Agg`] with a slice handler: a run of records of one batch summed
    /// with one lookup, as timely's operator sums an epoch's batch.
    #[component]
    #[derive(Default)]
    pub struct AggSlices {
        sums: HashMap<i64, i64>,
    }

    #[component(outputs { sums: BatchSum })]
    impl AggSlices {
        #[path(from = mapped, to = sums, label = OW, gate = [batch])]
        fn mapped(&mut self, readings: &[Reading], _out: &mut AggSlicesOut) {
            for run in readings.chunk_by(|a, b| a.batch == b.batch) {
                let sum: i64 = run.iter().map(|r| r.value).sum();
                *self.sums.entry(run[0].batch).or_default() += sum;
            }
        }

        #[on_seal(mapped)]
        fn sealed(&mut self, batch: i64, out: &mut AggSlicesOut) {
            if let Some(sum) = self.sums.remove(&batch) {
                out.sums(BatchSum { batch, sum });
            }
        }
    }

    /// Splits tweets into words, keeping the batch.
    #[component]
    #[derive(Default)]
    pub struct Splitter;

    #[component(outputs { words: Word })]
    impl Splitter {
        #[path(from = tweets, to = words, label = CR)]
        fn tweets(&mut self, tweet: Tweet, out: &mut SplitterOut) {
            for word in tweet.text.split_whitespace() {
                out.words(Word {
                    word: word.to_string(),
                    batch: tweet.batch,
                });
            }
        }
    }

    /// Counts words per batch; emits a batch's counts when it is sealed.
    #[component]
    #[derive(Default)]
    pub struct Count {
        counts: HashMap<i64, HashMap<String, i64>>,
    }

    #[component(outputs { counts: WordCount })]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Word, _out: &mut CountOut) {
            *self
                .counts
                .entry(word.batch)
                .or_default()
                .entry(word.word)
                .or_default() += 1;
        }

        #[on_seal(words)]
        fn sealed(&mut self, batch: i64, out: &mut CountOut) {
            for (word, count) in self.counts.remove(&batch).unwrap_or_default() {
                out.counts(WordCount { batch, word, count });
            }
        }
    }
}

/// source -> Map (CR) -> Agg (OW[batch]) -> sink, the records sealed on batch.
#[blazes::dataflow]
mod pipeline {
    blazes::components! { super::parts::Map, super::parts::Agg }

    streams! {
        records -> Map.records { seal: [batch] };
        Map.mapped -> Agg.mapped;
        Agg.sums -> sums;
    }
}

/// The same pipeline, its handlers taking slices of records.
#[blazes::dataflow]
mod pipeline_slices {
    blazes::components! { super::parts::MapSlices, super::parts::AggSlices }

    streams! {
        records -> MapSlices.records { seal: [batch] };
        MapSlices.mapped -> AggSlices.mapped;
        AggSlices.sums -> sums;
    }
}

/// tweets -> Splitter (CR) -> Count (OW[word, batch]) -> sink, sealed on batch.
#[blazes::dataflow]
mod wordcount {
    blazes::components! { super::parts::Splitter, super::parts::Count }

    streams! {
        tweets -> Splitter.tweets { seal: [batch] };
        Splitter.words -> Count.words;
        Count.counts -> counts;
    }
}

/// The text of tweet `i`: eight words of the vocabulary.
fn tweet_text(i: u64) -> String {
    let words: Vec<&str> = (0..8)
        .map(|k| VOCABULARY[((i * 7 + k * 13) % VOCABULARY.len() as u64) as usize])
        .collect();
    words.join(" ")
}

/// One producer's share of an input: its records in order (typed, as a
/// typed dataflow's source sends them), with the seal of each batch after
/// the batch's last record.
struct Share<I> {
    records: I,
    /// After how many records each seal follows, and the seal.
    seals: Vec<(usize, Tuple)>,
}

/// One producer's readings of the pipeline, made as they are sent: values
/// `next`, `next + step`, .. below `end`, each in batch `value / BATCH`
/// (kept as the values go, as timely's input loop advances its epoch).
struct Readings {
    next: u64,
    end: u64,
    step: u64,
    batch: u64,
    batch_end: u64,
}

/// Where a producer takes the records it sends, a batch at a time.
trait Batches: Send + 'static {
    /// The records' type.
    type Record: Record + Send + 'static;
    /// The next `n` records, in order (fewer when fewer are left).
    fn take(&mut self, n: usize) -> Vec<Self::Record>;
}

impl Batches for Readings {
    type Record = Reading;

    /// Each stretch of one batch made in one loop (a value and its batch
    /// computed as timely's input loop computes its value), rather than a
    /// record at a time through an iterator.
    fn take(&mut self, n: usize) -> Vec<Reading> {
        let left = self.end.saturating_sub(self.next).div_ceil(self.step);
        let mut out = Vec::with_capacity(left.min(n as u64) as usize);
        while out.len() < n && self.next < self.end {
            while self.next >= self.batch_end {
                self.batch += 1;
                self.batch_end += BATCH;
            }
            let stop = self.batch_end.min(self.end);
            let here = (stop - self.next)
                .div_ceil(self.step)
                .min((n - out.len()) as u64);
            let (batch, first, step) = (self.batch as i64, self.next, self.step);
            out.extend((0..here).map(|k| Reading {
                batch,
                value: (first + k * step) as i64,
            }));
            self.next += here * step;
        }
        out
    }
}

impl<R: Record + Send + 'static> Batches for std::vec::IntoIter<R> {
    type Record = R;

    fn take(&mut self, n: usize) -> Vec<R> {
        Iterator::take(self.by_ref(), n).collect()
    }
}

/// [`shares`] of the pipeline, each producer's records made as they are
/// sent (as timely's input loop makes each value it sends) rather than read
/// from memory built before the clock.
fn generated_shares(count: u64, producers: usize) -> Vec<Share<Readings>> {
    let per_batch = BATCH;
    let n = producers as u64;
    (0..n)
        .map(|p| {
            let seals = (0..count.div_ceil(per_batch))
                .map(|batch| {
                    let end = ((batch + 1) * per_batch).min(count);
                    // Records i < end with i % n == p.
                    let sent = if end > p { (end - p).div_ceil(n) } else { 0 };
                    (sent as usize, Tuple::new().with("batch", batch as i64))
                })
                .collect();
            Share {
                records: Readings {
                    next: p,
                    end: count,
                    step: n,
                    batch: 0,
                    batch_end: BATCH,
                },
                seals,
            }
        })
        .collect()
}

/// Splits `count` records (record `i` in batch `i / per_batch`) among
/// `producers` by position; every producer seals every batch.
fn shares<R: Record + Send + 'static>(
    count: u64,
    per_batch: u64,
    producers: usize,
    record: impl Fn(u64) -> R,
) -> Vec<Share<std::vec::IntoIter<R>>> {
    let mut records: Vec<Vec<R>> = (0..producers).map(|_| Vec::new()).collect();
    let mut seals: Vec<Vec<(usize, Tuple)>> = vec![Vec::new(); producers];
    for batch in 0..count.div_ceil(per_batch) {
        let end = ((batch + 1) * per_batch).min(count);
        for i in batch * per_batch..end {
            records[(i % producers as u64) as usize].push(record(i));
        }
        for (mine, seals) in records.iter().zip(&mut seals) {
            let seal = Tuple::new().with("batch", batch as i64);
            seals.push((mine.len(), seal));
        }
    }
    records
        .into_iter()
        .zip(seals)
        .map(|(records, seals)| Share {
            records: records.into_iter(),
            seals,
        })
        .collect()
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
        dataflow: pipeline::dataflow(),
        source: "records",
        keyed: ("Agg", "mapped"),
        upstream: ("Map", "mapped"),
        key: &["batch"],
        factories: pipeline::factories,
        sink: "sums",
    }
}

fn pipeline_slices_job() -> BlazesJob {
    BlazesJob {
        dataflow: pipeline_slices::dataflow(),
        source: "records",
        keyed: ("AggSlices", "mapped"),
        upstream: ("MapSlices", "mapped"),
        key: &["batch"],
        factories: pipeline_slices::factories,
        sink: "sums",
    }
}

fn wordcount_job() -> BlazesJob {
    BlazesJob {
        dataflow: wordcount::dataflow(),
        source: "tweets",
        keyed: ("Count", "words"),
        upstream: ("Splitter", "words"),
        key: &["word"],
        factories: wordcount::factories,
        sink: "counts",
    }
}

/// Seconds to move every share through `job` on `workers` threads, and how
/// many records reached its sink.
fn blazes_run<B: Batches>(
    job: &BlazesJob,
    shares: Vec<Share<B>>,
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
    // The in-process runner needs tokio's timer and no I/O driver: without
    // one, an idle worker parks on a condition variable instead of in
    // epoll, woken through an eventfd (docs/runtime.md, "Running on tokio").
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
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
                // Each batch's records in one call (as timely's input
                // session takes an epoch's records), then its seal.
                let mut records = share.records;
                let mut sent = 0;
                for (after, seal) in share.seals {
                    source
                        .send_batch(Batches::take(&mut records, after - sent))
                        .await;
                    sent = after;
                    source
                        .seal(seal)
                        .await
                        .expect("a seal holding the seal key");
                }
                source
                    .send_batch(Batches::take(&mut records, usize::MAX))
                    .await;
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

// ---------------------------------------------------- the handler alone

/// Seconds for Agg's own logic alone, with no runtime around it, on
/// `workers` threads each given its share of the pipeline's records (by
/// batch, as the keyed route gives them): the body of `Agg::mapped` on
/// each record and of `Agg::sealed` after each batch, over typed records
/// made before the clock starts. What any runtime that calls this handler
/// once per record can reach at most.
fn agg_alone(records: u64, workers: usize) -> (f64, usize) {
    let shares: Vec<Vec<Reading>> = (0..workers as u64)
        .map(|w| {
            (0..records)
                .filter(|i| (i / BATCH) % workers as u64 == w)
                .map(|i| Reading {
                    batch: (i / BATCH) as i64,
                    value: i as i64,
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let outputs: usize = std::thread::scope(|scope| {
        let threads: Vec<_> = shares
            .iter()
            .map(|share| {
                scope.spawn(move || {
                    let mut sums: HashMap<i64, i64> = HashMap::new();
                    let mut emitted = 0;
                    for (i, reading) in share.iter().enumerate() {
                        *sums.entry(reading.batch).or_default() += reading.value;
                        let last = share.get(i + 1).is_none_or(|r| r.batch != reading.batch);
                        if last && sums.remove(&reading.batch).is_some() {
                            emitted += 1;
                        }
                    }
                    emitted
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap_or(0)).sum()
    });
    (started.elapsed().as_secs_f64(), outputs)
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
/// A contender: how many items one run moves, and the run (seconds, and
/// what reached its output).
type Contender<'a> = (u64, Box<dyn FnMut() -> (f64, usize) + 'a>);

/// Runs every contender `runs` times, interleaved (one run of each in turn,
/// so load from elsewhere hits them alike), after one untimed warm-up run
/// of each; the median rate of each and its last output count. Each round
/// takes the contenders in an order of its own (a seeded shuffle): a run
/// finds caches and the allocator as the run before it left them, and in a
/// fixed order each contender always follows the same one (the sealed
/// slice pipeline, after the handler alone, measured x0.78 of the
/// uncoordinated one that followed it; after it, x0.88; docs/evaluation.md).
fn rates(runs: usize, contenders: &mut [Contender<'_>]) -> Vec<(f64, usize)> {
    for (_, run) in contenders.iter_mut() {
        run();
    }
    let mut rates = vec![Vec::with_capacity(runs); contenders.len()];
    let mut outputs = vec![0; contenders.len()];
    let mut order: Vec<usize> = (0..contenders.len()).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..runs {
        shuffle(&mut order, &mut seed);
        for &i in &order {
            let (count, run) = &mut contenders[i];
            let (seconds, out) = run();
            rates[i].push(*count as f64 / seconds);
            outputs[i] = out;
        }
    }
    rates.into_iter().map(median).zip(outputs).collect()
}

/// Shuffles `order` in place (Fisher-Yates), drawing from `seed` (a
/// xorshift generator's state): the same rounds in every run of the bench.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for i in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let j = (*seed % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

fn measure(size: &Size, workers: usize) -> Value {
    let pipeline = pipeline_job();
    let slices = pipeline_slices_job();
    let wordcount = wordcount_job();
    let tweet = |i: u64| Tweet {
        batch: (i / TWEETS_PER_BATCH) as i64,
        text: tweet_text(i),
    };
    let measured = rates(
        size.repetitions,
        &mut [
            (
                size.records,
                Box::new(|| {
                    let shares = generated_shares(size.records, workers);
                    blazes_run(&pipeline, shares, workers, CoordinationMode::Plan)
                }),
            ),
            (
                size.records,
                Box::new(|| {
                    let shares = generated_shares(size.records, workers);
                    blazes_run(&pipeline, shares, workers, CoordinationMode::Off)
                }),
            ),
            (
                size.records,
                Box::new(|| timely_pipeline(size.records, workers)),
            ),
            (
                size.tweets,
                Box::new(|| {
                    let shares = shares(size.tweets, TWEETS_PER_BATCH, workers, tweet);
                    blazes_run(&wordcount, shares, workers, CoordinationMode::Plan)
                }),
            ),
            (
                size.tweets,
                Box::new(|| timely_wordcount(size.tweets, workers)),
            ),
            (size.records, Box::new(|| agg_alone(size.records, workers))),
            (
                size.records,
                Box::new(|| {
                    let shares = generated_shares(size.records, workers);
                    blazes_run(&slices, shares, workers, CoordinationMode::Plan)
                }),
            ),
            (
                size.records,
                Box::new(|| {
                    let shares = generated_shares(size.records, workers);
                    blazes_run(&slices, shares, workers, CoordinationMode::Off)
                }),
            ),
        ],
    );
    let [
        (sealed, sealed_out),
        (uncoordinated, _),
        (timely, timely_out),
        (wc_blazes, wc_blazes_out),
        (wc_timely, wc_timely_out),
        (alone, alone_out),
        (sealed_slices, sealed_slices_out),
        (uncoordinated_slices, _),
    ] = measured[..]
    else {
        unreachable!("eight contenders measured");
    };
    json!({
        "pipeline": {
            "records_per_second": {
                "blazes_sealed_slices": sealed_slices.round(),
                "blazes_uncoordinated_slices": uncoordinated_slices.round(),
                "blazes_sealed": sealed.round(),
                "blazes_uncoordinated": uncoordinated.round(),
                "timely": timely.round(),
                "agg_handler_alone": alone.round(),
            },
            "outputs": {
                "blazes_sealed_slices": sealed_slices_out,
                "blazes_sealed": sealed_out,
                "timely": timely_out,
                "agg_handler_alone": alone_out,
            },
            // Agg's own logic, called once per record with no runtime
            // around it, against timely: the most a per-record handler
            // API can reach on this pipeline.
            "agg_handler_alone_vs_timely": alone / timely,
        },
        "wordcount": {
            "tweets_per_second": {
                "blazes_sealed": wc_blazes.round(),
                "timely": wc_timely.round(),
            },
            "outputs": { "blazes_sealed": wc_blazes_out, "timely": wc_timely_out },
            "ratio_vs_timely": wc_blazes / wc_timely,
        },
        // The sealed pipeline with slice handlers (as timely's operator
        // takes a batch), and with handlers taking one record per call.
        "ratio_vs_timely": sealed_slices / timely,
        "ratio_vs_timely_per_record_handlers": sealed / timely,
        "sealed_vs_uncoordinated": sealed_slices / uncoordinated_slices,
        "sealed_vs_uncoordinated_per_record_handlers": sealed / uncoordinated,
    })
}

/// One bar of the plot: its label, its group and its rate.
struct Bar {
    label: &'static str,
    group: usize,
    rate: f64,
}

/// The bars of `result`: per workload and worker count, blazes sealed,
/// blazes uncoordinated (pipeline only) and timely.
fn bars(result: &Value) -> Vec<Bar> {
    let mut bars = Vec::new();
    for (w, workers) in ["workers_1", "workers_2"].iter().enumerate() {
        let rates = &result[workers]["pipeline"]["records_per_second"];
        for (label, key) in [
            ("blazes sealed, slice handlers", "blazes_sealed_slices"),
            (
                "blazes uncoordinated, slice handlers",
                "blazes_uncoordinated_slices",
            ),
            ("blazes sealed", "blazes_sealed"),
            ("blazes uncoordinated", "blazes_uncoordinated"),
            ("timely", "timely"),
        ] {
            let rate = rates[key].as_f64().unwrap_or(f64::NAN);
            bars.push(Bar {
                label,
                group: w,
                rate,
            });
        }
        let rates = &result[workers]["wordcount"]["tweets_per_second"];
        for (label, key) in [("blazes sealed", "blazes_sealed"), ("timely", "timely")] {
            let rate = rates[key].as_f64().unwrap_or(f64::NAN);
            bars.push(Bar {
                label,
                group: 2 + w,
                rate,
            });
        }
    }
    bars
}

/// Draws the bars of `result` as an SVG bar chart on a log scale.
fn plot(result: &Value, path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    const GROUPS: [&str; 4] = [
        "pipeline, 1 worker",
        "pipeline, 2 workers",
        "word count, 1 worker",
        "word count, 2 workers",
    ];
    let colour = |label: &str| match label {
        "blazes sealed, slice handlers" => RGBColor(0x2c, 0xa0, 0x2c),
        "blazes uncoordinated, slice handlers" => RGBColor(0x98, 0xdf, 0x8a),
        "blazes sealed" => RGBColor(0x1f, 0x77, 0xb4),
        "blazes uncoordinated" => RGBColor(0x94, 0x67, 0xbd),
        _ => RGBColor(0xd6, 0x27, 0x28),
    };
    let bars = bars(result);
    let top = bars.iter().map(|b| b.rate).fold(1.0f64, f64::max) * 3.0;
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "records (tweets) per second, blazes beside timely dataflow (log scale)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..GROUPS.len() as f64, (1e3f64..top).log_scale())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(GROUPS.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let centre = x - x.floor();
            match GROUPS.get(x.floor() as usize) {
                Some(name) if (centre - 0.5).abs() < 0.01 => (*name).to_string(),
                _ => String::new(),
            }
        })
        .y_label_formatter(&|y| match *y {
            y if y >= 1e6 => format!("{} M", y / 1e6),
            y if y >= 1e3 => format!("{} k", y / 1e3),
            y => format!("{y}"),
        })
        .y_desc("per second")
        .draw()?;
    for group in 0..GROUPS.len() {
        let in_group: Vec<&Bar> = bars.iter().filter(|b| b.group == group).collect();
        let width = 0.8 / in_group.len() as f64;
        for (i, bar) in in_group.iter().enumerate() {
            let left = group as f64 + 0.1 + i as f64 * width;
            let style = colour(bar.label).filled();
            chart.draw_series(std::iter::once(Rectangle::new(
                [(left, 1e3), (left + width * 0.9, bar.rate.max(1e3))],
                style,
            )))?;
        }
    }
    for label in [
        "blazes sealed, slice handlers",
        "blazes uncoordinated, slice handlers",
        "blazes sealed",
        "blazes uncoordinated",
        "timely",
    ] {
        let style = colour(label).filled();
        chart
            .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// `--once sealed|uncoordinated|sealed-slices|uncoordinated-slices|timely
/// WORKERS RECORDS`: one run of the pipeline (blazes with per-record or
/// slice handlers, or timely) alone; `--once wordcount|timely-wordcount
/// WORKERS TWEETS`: one run of the word count, nothing else (no timely, no output file), for a
/// deterministic instruction count under callgrind or cachegrind.
fn once(args: &[String]) -> Option<()> {
    let at = args.iter().position(|a| a == "--once")?;
    let workers: usize = args.get(at + 2)?.parse().ok()?;
    let records: u64 = args.get(at + 3)?.parse().ok()?;
    let pipeline =
        |mode, job: BlazesJob| blazes_run(&job, generated_shares(records, workers), workers, mode);
    let ((seconds, outputs), what) = match args.get(at + 1)?.as_str() {
        "sealed" => (pipeline(CoordinationMode::Plan, pipeline_job()), "sums"),
        "uncoordinated" => (pipeline(CoordinationMode::Off, pipeline_job()), "sums"),
        "sealed-slices" => (
            pipeline(CoordinationMode::Plan, pipeline_slices_job()),
            "sums",
        ),
        "uncoordinated-slices" => (
            pipeline(CoordinationMode::Off, pipeline_slices_job()),
            "sums",
        ),
        "timely" => (timely_pipeline(records, workers), "sums"),
        "wordcount" => {
            let tweet = |i: u64| Tweet {
                batch: (i / TWEETS_PER_BATCH) as i64,
                text: tweet_text(i),
            };
            let shares = shares(records, TWEETS_PER_BATCH, workers, tweet);
            let run = blazes_run(&wordcount_job(), shares, workers, CoordinationMode::Plan);
            (run, "counts")
        }
        "timely-wordcount" => (timely_wordcount(records, workers), "counts"),
        _ => return None,
    };
    println!("{outputs} {what} in {seconds:.6} s");
    Some(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--once") {
        if once(&args).is_none() {
            eprintln!(
                "usage: --once sealed|uncoordinated|sealed-slices|uncoordinated-slices|timely \
                 WORKERS RECORDS, or --once wordcount|timely-wordcount WORKERS TWEETS"
            );
        }
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let size = if quick {
        Size {
            records: 200_000,
            tweets: 20_000,
            repetitions: 15,
        }
    } else {
        Size {
            records: 1_000_000,
            tweets: 100_000,
            repetitions: 15,
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
    let results = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-results");
    if let Err(e) = plot(&result, &results.join("runtime.svg")) {
        eprintln!("could not draw bench-results/runtime.svg: {e}");
    }
    let path = results.join("runtime.json");
    if let Err(e) = std::fs::create_dir_all(path.parent().unwrap_or(std::path::Path::new(".")))
        .and_then(|()| std::fs::write(&path, text + "\n"))
    {
        eprintln!("could not write {}: {e}", path.display());
    }
}
