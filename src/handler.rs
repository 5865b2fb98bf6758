//! The contract between a component's code and the runtime: a [`Handler`]
//! receives tuples on named input interfaces and emits on named outputs.
//! `#[component]` implements it from the annotated handler methods.

use std::fmt;

use crate::tuple::Tuple;

/// Collects what a handler emits, by output interface.
#[derive(Debug, Default)]
pub struct Emit {
    emitted: Vec<(String, Tuple)>,
    punctuations: Vec<(String, Tuple)>,
}

impl Emit {
    /// An empty collector.
    pub fn new() -> Emit {
        Emit::default()
    }

    /// Emits `tuple` on the output interface `output`.
    pub fn emit(&mut self, output: &str, tuple: Tuple) {
        self.emitted.push((output.to_string(), tuple));
    }

    /// Takes everything emitted so far, in emission order.
    pub fn drain(&mut self) -> Vec<(String, Tuple)> {
        std::mem::take(&mut self.emitted)
    }

    /// Declares partition `partition` (the seal-key values) of output
    /// `output` complete: this instance emits no more records of it. The
    /// runtime sends the punctuation after the records emitted before it.
    pub fn punctuate(&mut self, output: &str, partition: Tuple) {
        self.punctuations.push((output.to_string(), partition));
    }

    /// Takes the punctuations declared so far, in declaration order.
    pub fn drain_punctuations(&mut self) -> Vec<(String, Tuple)> {
        std::mem::take(&mut self.punctuations)
    }
}

/// A tuple arrived on an interface the handler does not have. It gives the
/// tuple back, so that the runtime can dead-letter the record with its
/// payload (issue 15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownInput {
    /// The input interface the tuple arrived on.
    pub input: String,
    /// The tuple, unhandled.
    pub tuple: Tuple,
}

impl UnknownInput {
    /// `tuple` arrived on `input`, which the handler does not have.
    pub fn new(input: &str, tuple: Tuple) -> UnknownInput {
        UnknownInput {
            input: input.to_string(),
            tuple,
        }
    }
}

impl fmt::Display for UnknownInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no handler for input interface `{}`", self.input)
    }
}

impl std::error::Error for UnknownInput {}

/// A component's behaviour, called by the runtime (and its coordination
/// wrappers) one input at a time.
pub trait Handler: Send + 'static {
    /// Handles one tuple arriving on input interface `input`; on an input
    /// it does not have, gives the tuple back in [`UnknownInput`].
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput>;

    /// Called after the seal buffer released partition `partition` (the
    /// seal-key values) of input `input`: every tuple of it has been handled.
    fn on_seal(&mut self, input: &str, partition: &Tuple, out: &mut Emit) {
        let _ = (input, partition, out);
    }
}
