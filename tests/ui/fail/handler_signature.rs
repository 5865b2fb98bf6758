//! A `#[path]` handler must be `fn(&mut self, Tuple, &mut Emit)`.

#[blazes::dataflow]
mod wordcount {
    use blazes::{Tuple, component};

    #[component]
    pub struct Count;

    #[component]
    impl Count {
        #[path(from = words, to = counts, label = OW, gate = [word, batch])]
        fn words(&self, word: Tuple) {
            let _ = word;
        }
    }


    streams! {
        words -> Count.words { seal: [batch] };
        Count.counts -> db;
    }
}

fn main() {}
