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
//! - With the `proptest` feature, both take inputs drawn from proptest
//!   strategies (`PathCheck::check_drawn`, `WorkloadDraw`).

mod arrangement;
mod claim;
mod counterexample;
mod explore;
#[cfg(feature = "proptest")]
mod generate;
mod observe;
mod witness;

pub use claim::{DEFAULT_BUDGET, PathCheck};
pub use counterexample::{CheckError, Counterexample, Fed, Observed, Verdict};
#[cfg(feature = "proptest")]
pub use generate::{DrawError, WorkloadDraw};
pub use witness::{
    DEFAULT_RANDOM, DEFAULT_SCHEDULES, Execution, SearchPlan, SinkSearch, Witness, WitnessSearch,
};
