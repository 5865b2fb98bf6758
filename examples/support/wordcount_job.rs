//! The Storm word count of the paper (§VI-A) as annotated Rust: a spout emits
//! tweets in numbered batches, Splitter (CR) splits them into words, Count
//! (`OW[word,batch]`) counts words per batch, Commit (CW) writes the counts to
//! a backing store. `sealed` seals the tweets on `batch` (a seal buffer at
//! Count); `ordered` stamps them with `seq: [batch]` instead (a static,
//! transactional order at Count, like Storm's transactional topologies).
//!
//! Typed (issue 11): the records are structs, the components are declared in
//! their own module and named by path by the two dataflows.

use std::collections::BTreeMap;

use blazes::runtime::{
    DataflowRunner, Deployment, Factories, ReadSinkError, RunError, RunReport, Workload,
};
use blazes::{Analysis, Dataflow};

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

/// A tweet of the spout, in batch `batch`.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Tweet {
    /// The batch it belongs to.
    pub batch: i64,
    /// Its words, separated by spaces.
    pub text: String,
}

/// What `tweets` are sealed on: a batch. The source seals a batch with it
/// once every tweet of the batch is sent.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct Batch {
    /// The batch.
    pub batch: i64,
}

/// One word of a tweet, keeping its batch.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct Word {
    /// The word.
    pub word: String,
    /// The batch of its tweet.
    pub batch: i64,
}

/// The count of a word in a batch.
#[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct WordCount {
    /// The batch.
    pub batch: i64,
    /// The word.
    pub word: String,
    /// How often it occurs in the batch.
    pub count: i64,
}

/// The components: Splitter (CR), Count (`OW[word,batch]`) and Commit (CW),
/// typed; the dataflows below name them by path.
pub mod parts {
    use blazes::component;

    use super::{Counts, Tweet, Word, WordCount};

    /// Splits tweets into words.
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

    /// Counts words per batch; emits a batch's counts when it is complete.
    #[component]
    #[derive(Default)]
    pub struct Count(Counts);

    #[component(outputs { counts: WordCount })]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Word, _out: &mut CountOut) {
            *self.0.entry((word.batch, word.word)).or_default() += 1;
        }

        #[on_seal(words)]
        fn sealed(&mut self, batch: i64, out: &mut CountOut) {
            // Take this batch's counts only: the earlier batches still
            // pending stay (a later batch may be sealed first).
            let later = self.0.split_off(&(batch + 1, String::new()));
            let this = self.0.split_off(&(batch, String::new()));
            self.0.extend(later);
            for ((b, word), count) in this {
                out.counts(WordCount {
                    batch: b,
                    word,
                    count,
                });
            }
        }
    }

    /// Commits counts to its backing store (one per Commit instance).
    #[component]
    #[derive(Default, Debug)]
    pub struct Commit(Counts);

    #[component(outputs { db: WordCount })]
    impl Commit {
        #[path(from = counts, to = db, label = CW)]
        fn counts(&mut self, count: WordCount, out: &mut CommitOut) {
            self.0
                .insert((count.batch, count.word.clone()), count.count);
            out.db(count);
        }
    }
}

/// Tweets sealed on `batch`: a seal buffer at Count.
#[blazes::dataflow(requires = deterministic, coordinate = seal)]
pub mod sealed {
    blazes::components! { super::parts::Splitter, super::parts::Count, super::parts::Commit }

    streams! {
        tweets -> Splitter.tweets { seal: [batch] };
        Splitter.words -> Count.words { route: [word] };
        Count.counts -> Commit.counts;
        Commit.db -> db;
    }
}

/// Tweets stamped with `seq: [batch]`: a static (transactional) order at Count.
#[blazes::dataflow(requires = deterministic, coordinate = auto)]
pub mod ordered {
    blazes::components! { super::parts::Splitter, super::parts::Count, super::parts::Commit }

    streams! {
        tweets -> Splitter.tweets { seq: [batch] };
        Splitter.words -> Count.words { route: [word] };
        Count.counts -> Commit.counts;
        Commit.db -> db;
    }
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
            let tweet = Tweet {
                batch,
                text: text.join(" "),
            };
            workload = workload.record("tweets", 0, tweet);
        }
        workload = workload.seal("tweets", 0, Batch { batch });
    }
    (workload, expected)
}

/// Two Splitters, `counters` Count instances partitioned by word (the
/// route the streams declare), one Commit.
pub fn deployment(counters: usize) -> Deployment {
    sealed::deployment()
        .instances("Splitter", 2)
        .instances("Count", counters)
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

/// The counts that reached the store; a record of `db` that is not a
/// `WordCount` is an error, not skipped.
pub fn committed(report: &RunReport) -> Result<Counts, ReadSinkError> {
    Ok(report
        .read_sink::<WordCount>("db")?
        .into_iter()
        .map(|(_, c)| ((c.batch, c.word), c.count))
        .collect())
}
