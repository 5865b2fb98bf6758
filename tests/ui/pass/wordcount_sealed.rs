//! Case S2: with `tweets` sealed on `batch`, `db` is Async and Count gets a
//! seal buffer on `batch`. The generated code is warning-free.

#![deny(warnings)]

#[blazes::dataflow(requires = deterministic, coordinate = seal)]
pub mod wordcount {
    use std::collections::BTreeMap;

    use blazes::{Emit, Tuple, component};

    /// Splits tweets into words.
    #[component]
    #[derive(Default)]
    pub struct Splitter;

    #[component]
    impl Splitter {
        #[path(from = tweets, to = words, label = CR)]
        fn tweets(&mut self, tweet: Tuple, out: &mut Emit) {
            let batch = tweet.int("batch").unwrap_or_default();
            for word in tweet.str("text").unwrap_or_default().split_whitespace() {
                out.emit("words", Tuple::new().with("word", word).with("batch", batch));
            }
        }
    }

    /// Counts words per batch.
    #[component]
    #[derive(Default)]
    pub struct Count {
        counts: BTreeMap<(i64, String), i64>,
    }

    #[component]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Tuple, _out: &mut Emit) {
            let key = (
                word.int("batch").unwrap_or_default(),
                word.str("word").unwrap_or_default().to_string(),
            );
            *self.counts.entry(key).or_default() += 1;
        }

        #[on_seal]
        fn sealed(&mut self, _input: &str, partition: &Tuple, out: &mut Emit) {
            let batch = partition.int("batch").unwrap_or_default();
            for ((b, word), n) in &self.counts {
                if *b == batch {
                    out.emit(
                        "counts",
                        Tuple::new().with("word", word.as_str()).with("count", *n),
                    );
                }
            }
        }
    }

    /// Writes counts to the database.
    #[component]
    #[derive(Default)]
    pub struct Commit;

    #[component]
    impl Commit {
        #[path(from = counts, to = db, label = CW)]
        fn counts(&mut self, count: Tuple, out: &mut Emit) {
            out.emit("db", count);
        }
    }

    streams! {
        tweets -> Splitter.tweets { seal: [batch] };
        Splitter.words -> Count.words;
        Count.counts -> Commit.counts;
        Commit.db -> db;
    }
}

use blazes::{Emit, Handler, Label, Tuple, attrs};

fn main() {
    let analysis = wordcount::analysis();
    assert!(analysis.ok());
    assert_eq!(analysis.outputs["Splitter.words"], Label::Seal(attrs(["batch"])));
    assert_eq!(analysis.sinks["db"], Label::Async);
    assert_eq!(wordcount::dataflow().components.len(), 3);

    let mut count = wordcount::Count::default();
    let mut out = Emit::new();
    for word in ["a", "b", "a"] {
        let tuple = Tuple::new().with("word", word).with("batch", 1);
        assert!(count.handle("words", tuple, &mut out).is_ok());
    }
    count.on_seal("words", &Tuple::new().with("batch", 1), &mut out);
    let emitted = out.drain();
    assert_eq!(emitted.len(), 2);
    assert_eq!(emitted[0].1.int("count"), Some(2));
}
