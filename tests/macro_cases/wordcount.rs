//! Cases S1 (`wordcount.yaml`) and S2 (`wordcount_sealed.yaml`).

/// Declares the word count dataflow; `$tweets` are the options of the
/// `tweets` stream and `$($option)*` those of `#[blazes::dataflow]`.
macro_rules! wordcount {
    ($name:ident, { $($tweets:tt)* } $(, $($option:tt)*)?) => {
        #[blazes::dataflow($($($option)*)?)]
        pub mod $name {
            use blazes::{Emit, Tuple, component};

            #[component]
            pub struct Splitter;

            #[component]
            impl Splitter {
                #[path(from = tweets, to = words, label = CR)]
                fn tweets(&mut self, tweet: Tuple, out: &mut Emit) {
                    out.emit("words", tweet);
                }
            }

            #[component]
            pub struct Count;

            #[component]
            impl Count {
                #[path(from = words, to = counts, label = OW, gate = [word, batch])]
                fn words(&mut self, word: Tuple, out: &mut Emit) {
                    out.emit("counts", word);
                }
            }

            #[component]
            pub struct Commit;

            #[component]
            impl Commit {
                #[path(from = counts, to = db, label = CW)]
                fn counts(&mut self, count: Tuple, out: &mut Emit) {
                    out.emit("db", count);
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

wordcount!(unsealed, {}, enforce = false);
wordcount!(sealed, { seal: [batch] });
