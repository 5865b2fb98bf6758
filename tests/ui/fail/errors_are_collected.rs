//! Every error of the wiring is reported at once.

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

    fds! { [] -> symbol; }

    streams! {
        words -> Count.wrds { seal: [batch] };
        Count.counts -> Commit.counts;
        Count.counts -> db { independent };
    }
}

fn main() {}
