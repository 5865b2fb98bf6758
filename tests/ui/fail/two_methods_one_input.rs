//! Two methods claiming one input interface.

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

        #[path(from = words, to = totals, label = CW)]
        fn more_words(&mut self, word: Tuple, out: &mut Emit) {
            out.emit("totals", word);
        }
    }


    streams! {
        words -> Count.words { seal: [batch] };
        Count.counts -> db;
    }
}

fn main() {}
