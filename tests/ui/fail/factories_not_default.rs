//! `factories()` builds every component with `Default`: calling it when a
//! component is not `Default` names the component at the call.

#[blazes::dataflow]
mod counter {
    use blazes::{Emit, Tuple, component};

    /// Not `Default`: it needs a limit.
    #[component]
    pub struct Limit {
        pub max: i64,
    }

    #[component]
    impl Limit {
        #[path(from = numbers, to = kept, label = CR)]
        fn numbers(&mut self, number: Tuple, out: &mut Emit) {
            if number.int("n").unwrap_or_default() <= self.max {
                out.emit("kept", number);
            }
        }
    }

    streams! {
        numbers -> Limit.numbers;
        Limit.kept -> kept;
    }
}

fn main() {
    let _ = counter::dataflow();
    let _ = counter::factories();
}
