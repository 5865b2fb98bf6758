//! The Storm word count of the paper (§VI-A) as annotated Rust: a spout emits
//! tweets in numbered batches, Splitter (CR) splits them into words, Count
//! (`OW[word,batch]`) counts words per batch, Commit (CW) writes the counts to
//! a backing store. `sealed` seals the tweets on `batch` (a seal buffer at
//! Count); `ordered` stamps them with `seq: [batch]` instead (a static,
//! transactional order at Count, like Storm's transactional topologies).

use std::collections::BTreeMap;

use blazes::runtime::{
    DataflowRunner, Deployment, Factories, Routing, RunError, RunReport, Workload,
};
use blazes::{Analysis, Dataflow, Emit, Tuple};

/// Count of one word in one batch.
pub type Counts = BTreeMap<(i64, String), i64>;

/// The words tweets are made of.
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

/// What Splitter does: one word tuple per word of the tweet, keeping its batch.
fn split(tweet: &Tuple, out: &mut Emit) {
    let batch = tweet.int("batch").unwrap_or_default();
    for word in tweet.str("text").unwrap_or_default().split_whitespace() {
        out.emit(
            "words",
            Tuple::new().with("word", word).with("batch", batch),
        );
    }
}

/// What Count keeps: counts per (batch, word), emitted when a batch is complete.
#[derive(Default)]
pub struct Tally(Counts);

impl Tally {
    fn add(&mut self, word: &Tuple) {
        let key = (
            word.int("batch").unwrap_or_default(),
            word.str("word").unwrap_or_default().to_string(),
        );
        *self.0.entry(key).or_default() += 1;
    }

    fn flush(&mut self, batch: &Tuple, out: &mut Emit) {
        let batch = batch.int("batch").unwrap_or_default();
        let rest = self.0.split_off(&(batch + 1, String::new()));
        for ((b, word), n) in std::mem::replace(&mut self.0, rest) {
            if b == batch {
                let tuple = Tuple::new().with("batch", b).with("word", word.as_str());
                out.emit("counts", tuple.with("count", n));
            }
        }
    }
}

/// The backing store Commit writes to (one per Commit instance).
#[derive(Default)]
pub struct Store(Counts);

impl Store {
    fn commit(&mut self, count: Tuple, out: &mut Emit) {
        let key = (
            count.int("batch").unwrap_or_default(),
            count.str("word").unwrap_or_default().to_string(),
        );
        self.0.insert(key, count.int("count").unwrap_or_default());
        out.emit("db", count);
    }
}

/// One word count dataflow module: Splitter (CR), Count (`OW[word,batch]`)
/// and Commit (CW), with the tweets' annotation and the dataflow's options.
/// A `#[blazes::dataflow]` module sees only its own tokens, so this macro
/// writes the components once; it expands before the dataflow attribute.
macro_rules! wordcount_module {
    (
        $(#[$doc:meta])*
        $name:ident ($($options:tt)*),
        tweets: { $($tweets:tt)* } $(,)?
    ) => {
        $(#[$doc])*
        #[blazes::dataflow($($options)*)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            /// Splits tweets into words.
            #[component]
            #[derive(Default)]
            pub struct Splitter;

            #[component]
            impl Splitter {
                #[path(from = tweets, to = words, label = CR)]
                fn tweets(&mut self, tweet: Tuple, out: &mut Emit) {
                    super::split(&tweet, out);
                }
            }

            /// Counts words per batch.
            #[component]
            #[derive(Default)]
            pub struct Count(super::Tally);

            #[component]
            impl Count {
                #[path(from = words, to = counts, label = OW, gate = [word, batch])]
                fn words(&mut self, word: Tuple, _out: &mut Emit) {
                    self.0.add(&word);
                }

                #[on_seal]
                fn sealed(&mut self, _input: &str, batch: &Tuple, out: &mut Emit) {
                    self.0.flush(batch, out);
                }
            }

            /// Commits counts to the backing store.
            #[component]
            #[derive(Default)]
            pub struct Commit(super::Store);

            #[component]
            impl Commit {
                #[path(from = counts, to = db, label = CW)]
                fn counts(&mut self, count: Tuple, out: &mut Emit) {
                    self.0.commit(count, out);
                }
            }

            streams! {
                tweets -> Splitter.tweets { $($tweets)* };
                Splitter.words -> Count.words;
                Count.counts -> Commit.counts;
                Commit.db -> db;
            }
        }
    };
}

wordcount_module! {
    /// Tweets sealed on `batch`: a seal buffer at Count.
    sealed(requires = deterministic, coordinate = seal),
    tweets: { seal: [batch] },
}

wordcount_module! {
    /// Tweets stamped with `seq: [batch]`: a static (transactional) order at Count.
    ordered(requires = deterministic, coordinate = auto),
    tweets: { seq: [batch] },
}

/// Which annotation of the tweets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Sealed on batch.
    Sealed,
    /// Static order on batch.
    Ordered,
}

impl Variant {
    /// The dataflow, its analysis and its handlers, all from the annotations.
    pub fn job(self) -> (Dataflow, Analysis, Factories) {
        match self {
            Variant::Sealed => (sealed::dataflow(), sealed::analysis(), sealed::factories()),
            Variant::Ordered => (
                ordered::dataflow(),
                ordered::analysis(),
                ordered::factories(),
            ),
        }
    }
}

/// The tweets of the spout: `batches` batches of `tweets` tweets each, every
/// batch sealed after its last tweet; and the counts computed directly.
pub fn tweets(batches: i64, tweets: i64) -> (Workload, Counts) {
    let mut workload = Workload::new();
    let mut expected = Counts::new();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for batch in 0..batches {
        for _ in 0..tweets {
            let mut text = Vec::new();
            for _ in 0..8 {
                // xorshift: a fixed, seedless stream of words.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let word = VOCABULARY[(state % VOCABULARY.len() as u64) as usize];
                *expected.entry((batch, word.to_string())).or_default() += 1;
                text.push(word);
            }
            let tweet = Tuple::new()
                .with("batch", batch)
                .with("text", text.join(" "));
            workload = workload.record("tweets", 0, tweet);
        }
        workload = workload.seal("tweets", 0, Tuple::new().with("batch", batch));
    }
    (workload, expected)
}

/// Two Splitters, `counters` Count instances partitioned by word, one Commit.
pub fn deployment(counters: usize) -> Deployment {
    Deployment::new()
        .instances("Splitter", 2)
        .instances("Count", counters)
        .route("Splitter.words", "Count.words", Routing::by_key(["word"]))
}

/// Runs the job on tokio and returns the report.
pub fn run(
    variant: Variant,
    deployment: &Deployment,
    workload: &Workload,
) -> Result<RunReport, Box<dyn std::error::Error>> {
    let (dataflow, analysis, factories) = variant.job();
    let runner = DataflowRunner::new(&dataflow, &analysis, deployment, factories)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let running = runtime.block_on(async { runner.start() })?;
    let report: Result<RunReport, RunError> = runtime.block_on(running.run_workload(workload));
    Ok(report?)
}

/// The counts that reached the store.
pub fn committed(report: &RunReport) -> Counts {
    report
        .records("db")
        .iter()
        .map(|r| {
            let p = &r.payload;
            let key = (
                p.int("batch").unwrap_or_default(),
                p.str("word").unwrap_or_default().to_string(),
            );
            (key, p.int("count").unwrap_or_default())
        })
        .collect()
}
