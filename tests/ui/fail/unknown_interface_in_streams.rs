//! A stream naming an interface that the component does not have: the
//! error lists the interfaces it has.

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
    }


    streams! {
        words -> Count.wrds { seal: [batch] };
        Count.count -> db;
    }
}

fn main() {}
