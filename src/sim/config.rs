//! What the simulated schedule may do.

/// The seed and the fault rates of one simulated run.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SimConfig {
    /// The seed of every choice the scheduler makes.
    pub seed: u64,
    /// Probability that a delivered message is delivered again later.
    pub duplicate: f64,
    /// Probability, per step, that a link replays its producer's messages
    /// from a checkpoint.
    pub replay: f64,
    /// Probability, per step, that an instance crashes and restarts.
    pub crash: f64,
    /// Probability that a message from a sequencer overtakes the ones queued
    /// before it (ordered messages carry their position, so a replica can
    /// restore the order; direct links stay FIFO).
    pub reorder: f64,
    /// Probability that a call to the sequencer fails (the driver retries
    /// it with [`OrderRetry`](crate::runtime::OrderRetry); issue 15, fix 5).
    pub sequencer_failure: f64,
    /// At most this many crashes per run.
    pub max_crashes: u64,
    /// Stop after this many steps (a run that needs more is reported truncated).
    pub max_steps: u64,
    /// Report a partition that has waited this many steps for its seals
    /// ([`SimOutcome::overdue`](super::SimOutcome::overdue), counted in the
    /// instance's `overdue_partitions`), as the tokio runner and the cluster
    /// do after `Deployment::overdue_after`; `None` (the default): not looked for.
    pub overdue_after_steps: Option<u64>,
    /// Every source and link at one pace: the next action is drawn
    /// uniformly among the enabled ones. By default (`false`) each run
    /// draws a pace for every source and link from its seed, so that some
    /// schedules starve one producer and others another (swarm scheduling).
    pub uniform_pace: bool,
}

impl SimConfig {
    /// A fault-free schedule with the given seed.
    pub fn new(seed: u64) -> SimConfig {
        SimConfig {
            seed,
            duplicate: 0.0,
            replay: 0.0,
            crash: 0.0,
            reorder: 0.0,
            sequencer_failure: 0.0,
            max_crashes: 0,
            max_steps: 10_000_000,
            overdue_after_steps: None,
            uniform_pace: false,
        }
    }

    /// Draws every step uniformly among the enabled actions, every source
    /// and link at one pace (builder style).
    pub fn with_uniform_pace(mut self) -> SimConfig {
        self.uniform_pace = true;
        self
    }

    /// Reports partitions waiting more than `steps` scheduler steps for
    /// their seals (builder style).
    pub fn with_overdue_after_steps(mut self, steps: u64) -> SimConfig {
        self.overdue_after_steps = Some(steps);
        self
    }

    /// Lets sequenced messages overtake each other with this probability
    /// (builder style).
    pub fn with_reordering(mut self, reorder: f64) -> SimConfig {
        self.reorder = reorder;
        self
    }

    /// Makes each sequencer call fail with this probability (builder style).
    pub fn with_sequencer_failures(mut self, failure: f64) -> SimConfig {
        self.sequencer_failure = failure;
        self
    }

    /// The same schedule with duplicates, replays and crashes at the given
    /// rates (builder style).
    pub fn with_faults(
        mut self,
        duplicate: f64,
        replay: f64,
        crash: f64,
        max_crashes: u64,
    ) -> SimConfig {
        self.duplicate = duplicate;
        self.replay = replay;
        self.crash = crash;
        self.max_crashes = max_crashes;
        self
    }
}
