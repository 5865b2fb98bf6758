//! The same path declared twice is reported on the second declaration.

#[blazes::dataflow]
mod wordcount {
    use blazes::{Emit, Tuple, component};

    #[component]
    pub struct Count;

    #[component]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&mut self, word: Tuple, out: &mut Emit) {
            out.emit("counts", word);
        }
    }


    streams! {
        words -> Count.words { seal: [batch] };
        Count.counts -> db;
    }
}

fn main() {}
