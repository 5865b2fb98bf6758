//! A component outside any dataflow module, with the helpers written
//! qualified and every blazes name glob-imported: it still implements
//! `Handler` and registers.

#![deny(warnings)]

use blazes::*;

#[component(rep)]
#[derive(Default)]
pub struct Echo;

#[component]
impl Echo {
    #[blazes::path(from = input, to = output, label = CR)]
    fn input(&mut self, tuple: Tuple, out: &mut Emit) {
        out.emit("output", tuple);
    }
}

fn main() {
    assert!(<Echo as Annotated>::REP);
    let mut echo = Echo;
    let mut out = Emit::new();
    assert!(echo.handle("input", Tuple::new().with("x", 1), &mut out).is_ok());
    assert_eq!(out.drain().len(), 1);
    let registered = registry();
    assert!(registered.iter().any(|c| c.name == "Echo" && c.rep));
}
