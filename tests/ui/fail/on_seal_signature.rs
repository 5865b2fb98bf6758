//! An `#[on_seal]` method must be
//! `fn(&mut self, &str, &Tuple, &mut Emit)`.

#[blazes::dataflow]
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

        #[on_seal]
        fn sealed(&mut self, partition: &Tuple) {
            let _ = partition;
        }
    }


    streams! {
        words -> Count.words { seal: [batch] };
        Count.counts -> db;
    }
}

fn main() {}
