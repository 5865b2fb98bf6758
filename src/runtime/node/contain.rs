//! Keeps a panicking handler call from taking its instance down (issue 15;
//! runtime spec, dead-letter path): the call is run under
//! [`std::panic::catch_unwind`] and a panic comes back as its message.
//!
//! What this does not do: it leaves the process' panic hook alone, so the
//! default hook still prints the panic to stderr (replacing the hook is
//! process-wide and would change what the user's own code prints); and a
//! binary built with `panic = "abort"` still aborts, since there is no unwind
//! to catch.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `call`; a panic inside it is returned as `Err(message)`.
///
/// The call is asserted unwind-safe: a handler that panics keeps whatever
/// state it had reached when it panicked (the runtime cannot roll it back),
/// and the instance goes on calling it. The caller decides what the panic
/// means for the input it was handling.
pub fn contained<R>(call: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(call)).map_err(|payload| message(payload.as_ref()))
}

/// The text of a panic's payload: `panic!` with a literal gives a `&str`,
/// with format arguments a `String`; anything else (`panic_any`) has no text.
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_passes_through_and_a_panic_becomes_its_message() {
        assert_eq!(contained(|| 7), Ok(7));
        assert_eq!(
            contained(|| -> u8 { panic!("boom") }),
            Err("boom".to_string())
        );
        let n = 3;
        assert_eq!(
            contained(|| -> u8 { panic!("boom {n}") }),
            Err("boom 3".to_string())
        );
        assert_eq!(
            contained(|| -> u8 { std::panic::panic_any(42_u32) }),
            Err("a panic without a message".to_string())
        );
    }
}
