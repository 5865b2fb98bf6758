//! The helpers used where no blazes macro reads them.

use blazes::{Emit, Tuple};

pub struct Count;

impl Count {
    #[blazes::path(from = words, to = counts, label = CW)]
    pub fn words(&mut self, word: Tuple, out: &mut Emit) {
        out.emit("counts", word);
    }
}

blazes::streams! {
    words -> Count.words;
}

fn main() {}
