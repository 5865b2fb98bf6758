//! `#[component]` on something that is neither a struct nor its impl block,
//! and with arguments on an impl block.

use blazes::{Emit, Tuple, component};

#[component]
pub fn count() {}

#[component]
pub struct Count;

#[component(rep)]
impl Count {
    #[path(from = words, to = counts, label = CW)]
    fn words(&mut self, word: Tuple, out: &mut Emit) {
        out.emit("counts", word);
    }
}

fn main() {}
