//! Outside a dataflow module: a `#[component]` impl block whose struct lacks
//! `#[component]` fails with a message that says what to add.

use blazes::{Emit, Tuple, component};

pub struct Count;

#[component]
impl Count {
    #[path(from = words, to = counts, label = CW)]
    fn words(&mut self, word: Tuple, out: &mut Emit) {
        out.emit("counts", word);
    }
}

fn main() {}
