//! A plain struct (no `#[component]` at all) named in `streams!`.

#[blazes::dataflow]
mod wordcount {
    use blazes::{Emit, Tuple};

    pub struct Count;

    impl Count {
        pub fn words(&mut self, word: Tuple, out: &mut Emit) {
            out.emit("counts", word);
        }
    }


    streams! {
        words -> Count.words { seal: [batch] };
        Count.counts -> db;
    }
}

fn main() {}
