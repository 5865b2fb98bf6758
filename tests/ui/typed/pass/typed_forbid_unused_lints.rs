//! A dataflow module, and the modules of its components, that forbid the
//! unused-import, unused-macro and dead-code lints: an `#[allow]` cannot
//! override a `forbid` (error E0453), so the generated code carries none.
//! It needs none: those lints are not reported in code that a macro of
//! another crate writes, and a component named by no dataflow (its
//! re-exports used by no chain) builds without a warning too.

#![deny(warnings)]

pub mod records {
    #![forbid(unused_imports, unused_macros, dead_code)]

    /// A reading.
    #[derive(blazes::Record, serde::Serialize, serde::Deserialize, Clone, Debug)]
    pub struct Reading {
        pub key: i64,
        pub batch: i64,
    }
}

pub mod stage {
    #![forbid(unused_imports, unused_macros, dead_code)]

    use crate::records::Reading;
    use blazes::component;

    /// Passes each reading on, and punctuates each batch it is sealed on.
    #[component]
    #[derive(Default)]
    pub struct Stage;

    #[component(outputs { output: Reading { punctuates: [batch] } })]
    impl Stage {
        #[path(from = input, to = output, label = OW, gate = [batch])]
        fn input(&mut self, reading: Reading, out: &mut StageOut) {
            out.output(reading);
        }

        #[on_seal(input)]
        fn sealed(&mut self, batch: i64, out: &mut StageOut) {
            out.punctuate_output(batch);
        }
    }
}

#[blazes::dataflow]
pub mod flow {
    #![forbid(unused_imports, unused_macros, dead_code)]

    blazes::components! {
        crate::stage::Stage,
    }

    streams! {
        readings -> Stage.input { seal: [batch] };
        Stage.output -> results;
    }
}

/// A typed component that no dataflow names, in a private module: its
/// generated re-exports are used by no chain.
mod unused {
    #![forbid(unused_imports, unused_macros, dead_code)]

    use crate::records::Reading;
    use blazes::component;

    /// Passes each reading on.
    #[component]
    #[derive(Default)]
    pub struct Unnamed;

    #[component(outputs { output: Reading })]
    impl Unnamed {
        #[path(from = input, to = output, label = CR)]
        fn input(&mut self, reading: Reading, out: &mut UnnamedOut) {
            out.output(reading);
        }
    }

    pub fn make() -> Box<dyn blazes::Handler> {
        Box::new(Unnamed)
    }
}

/// The inline form: the (untyped) components in the dataflow module itself.
#[blazes::dataflow]
pub mod inline {
    #![forbid(unused_imports, unused_macros, dead_code)]

    use blazes::{Emit, Tuple, component};

    /// Passes each tuple on.
    #[component]
    #[derive(Default)]
    pub struct Pass;

    #[component]
    impl Pass {
        #[path(from = input, to = output, label = CR)]
        fn input(&mut self, tuple: Tuple, out: &mut Emit) {
            out.emit("output", tuple);
        }
    }

    streams! {
        readings -> Pass.input;
        Pass.output -> results;
    }
}

fn main() {
    assert!(flow::analysis().ok());
    assert!(flow::factories().make("Stage").is_ok());
    assert!(inline::analysis().ok());
    assert!(inline::factories().make("Pass").is_ok());
    let _ = unused::make();
}
