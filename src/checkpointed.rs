//! Opting a component in to checkpoints: [`Checkpointed`] wraps a handler
//! whose state is serde, so that a restarted instance restores it instead
//! of reading its inputs from the start of the run (docs/runtime.md,
//! "Checkpoints"). A handler that is not wrapped keeps no checkpoint.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::handler::{Batch, Emit, Handler, UnknownInput};
use crate::tuple::Tuple;

/// A handler's state could not be saved or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The handler keeps no checkpoint (it is not [`Checkpointed`]).
    #[error("the component keeps no checkpoint")]
    NotCheckpointed,
    /// The state did not encode.
    #[error("encoding the component's state: {0}")]
    Encode(#[source] postcard::Error),
    /// The saved state does not decode to the component's state type.
    #[error("decoding the component's state: {0}")]
    Decode(#[source] postcard::Error),
}

/// A handler `H` that keeps checkpoints: its whole value is its state,
/// saved with serde in [postcard](https://docs.rs/postcard) (so maps may
/// have any serde key, tuples included).
///
/// ```
/// # use blazes::{Emit, Handler, Tuple, UnknownInput};
/// # use blazes::checkpointed::Checkpointed;
/// #[derive(Default, serde::Serialize, serde::Deserialize)]
/// struct Count(i64);
/// impl Handler for Count {
///     fn handle(&mut self, _: &str, _: Tuple, _: &mut Emit) -> Result<(), UnknownInput> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
/// let counting = Checkpointed(Count(3));
/// let saved = counting.checkpoint().expect("opted in").expect("encodes");
/// let mut restarted = Checkpointed(Count::default());
/// restarted.restore(&saved).expect("decodes");
/// assert_eq!(restarted.0.0, 3);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Checkpointed<H>(pub H);

impl<H> Handler for Checkpointed<H>
where
    H: Handler + Serialize + DeserializeOwned,
{
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput> {
        self.0.handle(input, tuple, out)
    }

    fn handle_batch(&mut self, input: &str, batch: &mut Batch<'_>) {
        self.0.handle_batch(input, batch);
    }

    fn on_seal(&mut self, input: &str, partition: &Tuple, out: &mut Emit) {
        self.0.on_seal(input, partition, out);
    }

    fn checkpoint(&self) -> Option<Result<Vec<u8>, StateError>> {
        Some(postcard::to_allocvec(&self.0).map_err(StateError::Encode))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        self.0 = postcard::from_bytes(state).map_err(StateError::Decode)?;
        Ok(())
    }
}
