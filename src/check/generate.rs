//! Inputs drawn from proptest strategies (feature `proptest`): a strategy
//! for a record type, written by hand or derived with `proptest-derive`
//! (`#[derive(Arbitrary)]`, with `#[proptest(strategy = "0..3u64")]` on a
//! key field to make keys collide), gives the inputs of an annotation check
//! ([`PathCheck::check_drawn`]) or the records of a workload for a witness
//! search ([`WorkloadDraw`]). The same seed draws the same values.

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::claim::PathCheck;
use super::counterexample::{CheckError, Verdict};
use crate::handler::Handler;
use crate::record::Record;
use crate::sim::Workload;
use crate::tuple::Tuple;

/// Values could not be drawn, or the check on them could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DrawError {
    /// The strategy gave up (e.g. a filter rejected every value).
    #[error("drawing {what}: the strategy gave up: {reason}")]
    Strategy {
        /// What was being drawn.
        what: String,
        /// The strategy's reason.
        reason: String,
    },
    /// The check on the drawn inputs could not run.
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// Draws `count` values of `strategy` as tuples, the same ones for the same
/// `seed`.
fn draw<S>(strategy: &S, count: usize, seed: u64, what: &str) -> Result<Vec<Tuple>, DrawError>
where
    S: Strategy,
    S::Value: Record,
{
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map(|tree| tree.current().to_tuple())
                .map_err(|reason| DrawError::Strategy {
                    what: what.to_string(),
                    reason: reason.to_string(),
                })
        })
        .collect()
}

impl<H: Handler> PathCheck<H> {
    /// Checks the claim on `count` inputs drawn from `strategy` with `seed`
    /// (see [`PathCheck::check`]); a lie is minimised as usual.
    pub fn check_drawn<S>(
        &self,
        strategy: &S,
        count: usize,
        seed: u64,
    ) -> Result<Verdict, DrawError>
    where
        S: Strategy,
        S::Value: Record,
    {
        let inputs = draw(strategy, count, seed, "the inputs of a path check")?;
        Ok(self.check(&inputs)?)
    }
}

/// A workload whose records are drawn from strategies, for a
/// [`WitnessSearch`](super::WitnessSearch): small by construction (the
/// caller says how many records per producer), the same for the same seed.
#[derive(Clone, Debug)]
pub struct WorkloadDraw {
    seed: u64,
    draws: u64,
    workload: Workload,
}

impl WorkloadDraw {
    /// An empty workload drawing from `seed`.
    pub fn new(seed: u64) -> WorkloadDraw {
        WorkloadDraw {
            seed,
            draws: 0,
            workload: Workload::new(),
        }
    }

    /// Appends `count` records drawn from `strategy` to producer `producer`
    /// of source `source` (builder style).
    pub fn records<S>(
        mut self,
        source: &str,
        producer: usize,
        count: usize,
        strategy: &S,
    ) -> Result<WorkloadDraw, DrawError>
    where
        S: Strategy,
        S::Value: Record,
    {
        let seed = self
            .seed
            .wrapping_add(self.draws.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        self.draws += 1;
        let what = format!("records of `{source}[{producer}]`");
        for tuple in draw(strategy, count, seed, &what)? {
            self.workload
                .push(source, producer, crate::sim::SourceEvent::Record(tuple));
        }
        Ok(self)
    }

    /// The workload drawn.
    pub fn workload(self) -> Workload {
        self.workload
    }
}
