//! Enumerating the simulator's schedules (issue 13, point 1): a stateless
//! depth-first search that re-runs the simulation once per schedule,
//! replaying the choices of the previous run up to the deepest step with an
//! untried alternative, then taking the first untried one.
//!
//! With reduction on, sleep sets (Godefroid, 1996) prune interleavings that
//! only swap independent actions: two actions are independent when they
//! change different receivers ([`Choice::receiver`]). After the alternative
//! `a` at a step has been explored, `a` sleeps in the sibling branches until
//! an action dependent on it runs; a run whose every enabled action sleeps
//! is equivalent to one already explored and is not counted. Every
//! Mazurkiewicz trace (every order of the deliveries at each receiver) is
//! still explored once.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::sim::{Choice, Chooser};

/// One step of the search tree.
#[derive(Clone, Debug)]
struct Frame {
    enabled: Vec<Choice>,
    sleep: Vec<Choice>,
    done: Vec<Choice>,
    chosen: usize,
}

/// The depth-first schedule enumerator: a [`Chooser`] for one run at a time.
#[derive(Debug, Default)]
pub(crate) struct Explorer {
    stack: Vec<Frame>,
    reduction: bool,
    depth: usize,
    redundant: bool,
    taken: Vec<Choice>,
}

impl Explorer {
    /// A fresh search, with or without sleep-set reduction.
    pub(crate) fn new(reduction: bool) -> Explorer {
        Explorer {
            reduction,
            ..Explorer::default()
        }
    }

    /// The choices of the run that just ended.
    pub(crate) fn taken(&self) -> &[Choice] {
        &self.taken
    }

    /// The run that just ended only reordered independent actions of one
    /// already explored.
    pub(crate) fn redundant(&self) -> bool {
        self.redundant
    }

    /// Prepares the next run; false when every schedule has been explored.
    pub(crate) fn advance(&mut self) -> bool {
        self.depth = 0;
        self.redundant = false;
        self.taken.clear();
        while let Some(top) = self.stack.last_mut() {
            let current = top.enabled[top.chosen];
            top.done.push(current);
            if let Some(next) = top
                .enabled
                .iter()
                .position(|c| !top.done.contains(c) && !top.sleep.contains(c))
            {
                top.chosen = next;
                return true;
            }
            self.stack.pop();
        }
        false
    }

    /// The sleep set of a new step under the current top of the stack.
    fn sleep_below(&self) -> Vec<Choice> {
        let Some(parent) = self.stack.last() else {
            return Vec::new();
        };
        if !self.reduction {
            return Vec::new();
        }
        let taken = parent.enabled[parent.chosen];
        parent
            .sleep
            .iter()
            .chain(&parent.done)
            .filter(|c| c.receiver() != taken.receiver())
            .copied()
            .collect()
    }
}

impl Chooser for Explorer {
    fn choose(&mut self, enabled: &[Choice]) -> Option<usize> {
        let depth = self.depth;
        self.depth += 1;
        let index = if self.redundant {
            return None;
        } else if let Some(frame) = self.stack.get(depth) {
            let wanted = frame.enabled[frame.chosen];
            enabled.iter().position(|c| *c == wanted).unwrap_or(0)
        } else {
            let sleep = self.sleep_below();
            match enabled.iter().position(|c| !sleep.contains(c)) {
                Some(index) => {
                    self.stack.push(Frame {
                        enabled: enabled.to_vec(),
                        sleep,
                        done: Vec::new(),
                        chosen: index,
                    });
                    index
                }
                None => {
                    // Equivalent to a run already explored: end it here.
                    self.redundant = true;
                    return None;
                }
            }
        };
        self.taken.push(enabled[index.min(enabled.len() - 1)]);
        Some(index)
    }
}

/// Uniform random choices from a seed, remembered for printing.
#[derive(Debug)]
pub(crate) struct RandomChooser {
    rng: ChaCha8Rng,
    pub(crate) taken: Vec<Choice>,
}

impl RandomChooser {
    /// Choices drawn from `seed`.
    pub(crate) fn new(seed: u64) -> RandomChooser {
        RandomChooser {
            rng: ChaCha8Rng::seed_from_u64(seed),
            taken: Vec::new(),
        }
    }
}

impl Chooser for RandomChooser {
    fn choose(&mut self, enabled: &[Choice]) -> Option<usize> {
        let index = self.rng.random_range(0..enabled.len());
        self.taken.push(enabled[index]);
        Some(index)
    }
}
