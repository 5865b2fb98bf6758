//! `coordinate = auto` alone is not enough for S1: a sequencer gives Run,
//! and `requires = deterministic` allows at most Async. The error says so.

#[blazes::dataflow(coordinate = auto)]
mod wordcount {
    use blazes::{Emit, Tuple, component};

    #[component]
    pub struct Count;

    #[component]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Tuple, out: &mut Emit) {
            out.emit("counts", word);
        }
    }


    streams! {
        words -> Count.words;
        Count.counts -> db;
    }
}

fn main() {}
