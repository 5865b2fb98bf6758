//! The node core's one clock type. A driver tells the core the time with
//! every call that can hold or release a partition; the core only compares
//! times (how long a partition waited), so each driver picks its unit: the
//! tokio runner and the cluster count microseconds since the run started,
//! the simulator counts scheduler steps.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A point on a driver's clock, in ticks since the run started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Time(u64);

impl Time {
    /// `ticks` ticks after the start.
    pub fn from_ticks(ticks: u64) -> Time {
        Time(ticks)
    }

    /// The microseconds elapsed since `started` (the tokio runner's and the
    /// cluster's clock).
    pub fn micros_since(started: Instant) -> Time {
        Time(Time::micros(started.elapsed()))
    }

    /// `duration` in the wall-clock drivers' ticks (microseconds).
    pub fn micros(duration: Duration) -> u64 {
        u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
    }

    /// Ticks since the start.
    pub fn ticks(self) -> u64 {
        self.0
    }

    /// Ticks from `earlier` to this time (0 if `earlier` is later).
    pub fn since(self, earlier: Time) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_ticks_never_underflow() {
        assert_eq!(Time::from_ticks(10).since(Time::from_ticks(4)), 6);
        assert_eq!(Time::from_ticks(4).since(Time::from_ticks(10)), 0);
    }
}
