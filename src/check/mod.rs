//! Proving the analysis on the user's own code (issue 13).
//!
//! - **Annotation checks** ([`PathCheck`]): a `#[path]` label is a claim
//!   about the handler; the check runs the handler on rearrangements of
//!   inputs and returns a minimised [`Counterexample`] when the claim is a
//!   lie.
//! - **Witnesses** ([`WitnessSearch`]): for each sink the analysis labels
//!   above `Async`, a search over the simulator's schedules for two
//!   executions whose outputs differ as the label says, minimised and
//!   printed side by side.

mod arrangement;
mod claim;
mod counterexample;
mod explore;
mod observe;
mod witness;

pub use claim::{DEFAULT_BUDGET, PathCheck};
pub use counterexample::{CheckError, Counterexample, Observed, Verdict};
pub use witness::{
    DEFAULT_RANDOM, DEFAULT_SCHEDULES, Execution, SearchPlan, SinkSearch, Witness, WitnessSearch,
};
