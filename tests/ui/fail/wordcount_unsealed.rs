//! Case S1: without a seal on `tweets`, Count's order-sensitive write makes
//! `db` Run, which `requires = deterministic` forbids.

#[blazes::dataflow]
mod wordcount {
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
        tweets -> Splitter.tweets;
        Splitter.words -> Count.words;
        Count.counts -> Commit.counts;
        Commit.db -> db;
    }
}

fn main() {}
