//! The Storm word count of the paper (§VI-A): a spout emitting tweets in
//! numbered batches, Splitter (CR), Count (`OW[word,batch]`), Commit (CW) to a
//! key-value store.

use std::collections::BTreeMap;

use blazes::runtime::{Deployment, Factories, Routing, RunReport};
use blazes::sim::Workload;
use blazes::{
    Annotation, Component, Dataflow, Emit, Handler, Permission, Stream, Tuple, UnknownInput, attrs,
};

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

/// The word-count dataflow.
pub fn dataflow(variant: Variant) -> Dataflow {
    let mut tweets = Stream::between("tweets", "Splitter.tweets");
    match variant {
        Variant::Plain => {}
        Variant::Sealed => tweets = tweets.sealed(attrs(["batch"])),
        Variant::Sequenced => tweets = tweets.sequenced(attrs(["batch"])),
    }
    let d = Dataflow::new()
        .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
        .component(Component::new("Count").path(
            "words",
            "counts",
            Annotation::ow(attrs(["word", "batch"])),
        ))
        .component(Component::new("Commit").path("counts", "db", Annotation::cw()))
        .stream(tweets)
        .stream(Stream::between("Splitter.words", "Count.words"))
        .stream(Stream::between("Count.counts", "Commit.counts"))
        .stream(Stream::between("Commit.db", "db"));
    if variant == Variant::Sequenced {
        d.coordinate(Permission::Auto)
    } else {
        d
    }
}

/// Two splitters fed at random, two counters partitioned by word, one committer.
pub fn deployment() -> Deployment {
    Deployment::new()
        .instances("Splitter", 2)
        .instances("Count", 2)
        .route("Splitter.words", "Count.words", Routing::by_key(["word"]))
}

/// Splits a tweet's text into words, keeping its batch.
pub struct Splitter;

impl Handler for Splitter {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "tweets" {
            return Err(UnknownInput::new(input, tuple));
        }
        let batch = tuple.int("batch").unwrap_or_default();
        for word in tuple.str("text").unwrap_or_default().split_whitespace() {
            out.emit(
                "words",
                Tuple::new().with("word", word).with("batch", batch),
            );
        }
        Ok(())
    }
}

/// Counts words per batch and emits a batch's counts when it is told the
/// batch is complete (`on_seal`).
#[derive(Default)]
pub struct Count {
    counts: BTreeMap<(i64, String), i64>,
}

impl Handler for Count {
    fn handle(&mut self, input: &str, tuple: Tuple, _out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "words" {
            return Err(UnknownInput::new(input, tuple));
        }
        let word = tuple.str("word").unwrap_or_default().to_string();
        let batch = tuple.int("batch").unwrap_or_default();
        *self.counts.entry((batch, word)).or_default() += 1;
        Ok(())
    }

    fn on_seal(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
        let Some(batch) = partition.int("batch") else {
            return;
        };
        let words: Vec<(i64, String)> = self
            .counts
            .range((batch, String::new())..)
            .take_while(|((b, _), _)| *b == batch)
            .map(|(k, _)| k.clone())
            .collect();
        for key in words {
            let count = self.counts.remove(&key).unwrap_or_default();
            out.emit(
                "counts",
                Tuple::new()
                    .with("word", key.1.as_str())
                    .with("batch", batch)
                    .with("count", count),
            );
        }
    }
}

/// Writes each count to the store (a key-value put) and reports the write.
pub struct Commit;

impl Handler for Commit {
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        if input != "counts" {
            return Err(UnknownInput::new(input, tuple));
        }
        out.emit("db", tuple);
        Ok(())
    }
}

/// The handlers.
pub fn factories() -> Factories {
    Factories::new()
        .with("Splitter", || Box::new(Splitter))
        .with("Count", || Box::<Count>::default())
        .with("Commit", || Box::new(Commit))
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
        w = w.record(
            "tweets",
            0,
            Tuple::new()
                .with("batch", *batch)
                .with("text", text.as_str()),
        );
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
        let key = (
            r.payload.str("word").unwrap_or_default().to_string(),
            r.payload.int("batch").unwrap_or_default(),
        );
        store.insert(key, r.payload.int("count").unwrap_or_default());
    }
    store
}
