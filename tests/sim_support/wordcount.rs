//! The Storm word count of the paper (§VI-A): a spout emitting tweets in
//! numbered batches, Splitter (CR), Count (`OW[word,batch]`), Commit (CW) to a
//! key-value store.

use std::collections::BTreeMap;

use blazes::runtime::{Deployment, Factories, Routing, RunReport};
use blazes::sim::Workload;
use blazes::{Annotation, Component, Dataflow, Record, Stream, Tuple, attrs};

/// How the tweets stream is annotated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// No annotation: the analysis finds `Run` and cannot fix it.
    Plain,
    /// Sealed on batch: a seal buffer at Count.
    Sealed,
    /// Carries `seq: [batch]`: static ordering at Count (under `auto`).
    Sequenced,
}

// The records and components are the main job's (examples/support), so the
// simulator runs exactly the handlers the example runs on tokio.
#[allow(dead_code)]
#[path = "../../examples/support/wordcount_job.rs"]
pub mod job;

pub use job::{Tweet, WordCount, parts};

/// Tweets sealed on `batch`: a seal buffer at Count.
#[blazes::dataflow]
pub mod sealed {
    blazes::components! { super::parts::Splitter, super::parts::Count, super::parts::Commit }

    streams! {
        tweets -> Splitter.tweets { seal: [batch] };
        Splitter.words -> Count.words;
        Count.counts -> Commit.counts;
        Commit.db -> db;
    }
}

/// Tweets carrying `seq: [batch]`: static ordering at Count (under `auto`).
#[blazes::dataflow(coordinate = auto)]
pub mod sequenced {
    blazes::components! { super::parts::Splitter, super::parts::Count, super::parts::Commit }

    streams! {
        tweets -> Splitter.tweets { seq: [batch] };
        Splitter.words -> Count.words;
        Count.counts -> Commit.counts;
        Commit.db -> db;
    }
}

/// The word-count dataflow. `Plain` leaves Count's `Run` unresolved, which
/// a `#[blazes::dataflow]` module refuses to build: the scenarios that show
/// its anomaly declare it with the dynamic builder, over the same typed
/// components.
pub fn dataflow(variant: Variant) -> Dataflow {
    match variant {
        Variant::Sealed => sealed::dataflow(),
        Variant::Sequenced => sequenced::dataflow(),
        Variant::Plain => Dataflow::new()
            .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::ow(attrs(["word", "batch"])),
            ))
            .component(Component::new("Commit").path("counts", "db", Annotation::cw()))
            .stream(Stream::between("tweets", "Splitter.tweets"))
            .stream(Stream::between("Splitter.words", "Count.words"))
            .stream(Stream::between("Count.counts", "Commit.counts"))
            .stream(Stream::between("Commit.db", "db")),
    }
}

/// Two splitters fed at random, two counters partitioned by word, one committer.
pub fn deployment() -> Deployment {
    Deployment::new()
        .instances("Splitter", 2)
        .instances("Count", 2)
        .route("Splitter.words", "Count.words", Routing::by_key(["word"]))
}

/// The handlers (the typed components, whichever the variant).
pub fn factories() -> Factories {
    sealed::factories()
}

const VOCABULARY: [&str; 6] = ["storm", "seal", "order", "blazes", "bloom", "count"];

/// `batches` batches of `tweets` tweets of three words each, made by a
/// fixed arithmetic rule; each batch is sealed after its tweets.
pub fn tweets(batches: i64, tweets: i64) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for b in 1..=batches {
        for t in 0..tweets {
            let pick = |k: i64| VOCABULARY[((b * 7 + t * 3 + k * k * 5) % 6) as usize];
            out.push((b, format!("{} {} {}", pick(0), pick(1), pick(2))));
        }
    }
    out
}

/// The spout's script: each batch's tweets, then its seal.
pub fn workload(tweets: &[(i64, String)]) -> Workload {
    let mut w = Workload::new();
    let mut current = None;
    for (batch, text) in tweets {
        if current.is_some_and(|c| c != *batch) {
            w = w.seal(
                "tweets",
                0,
                Tuple::new().with("batch", current.unwrap_or_default()),
            );
        }
        current = Some(*batch);
        let tweet = Tweet {
            batch: *batch,
            text: text.clone(),
        };
        w = w.record("tweets", 0, tweet.to_tuple());
    }
    if let Some(c) = current {
        w = w.seal("tweets", 0, Tuple::new().with("batch", c));
    }
    w
}

/// The true counts, computed directly from the tweets.
pub fn true_counts(tweets: &[(i64, String)]) -> BTreeMap<(String, i64), i64> {
    let mut out = BTreeMap::new();
    for (batch, text) in tweets {
        for word in text.split_whitespace() {
            *out.entry((word.to_string(), *batch)).or_default() += 1;
        }
    }
    out
}

/// The store after applying every committed put in order.
pub fn committed(report: &RunReport) -> BTreeMap<(String, i64), i64> {
    let mut store = BTreeMap::new();
    for r in report.records("db") {
        let put = WordCount::from_tuple(&r.payload).expect("Commit puts WordCounts");
        store.insert((put.word, put.batch), put.count);
    }
    store
}
