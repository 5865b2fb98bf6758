//! The partitions a wrapper remembers after releasing them, within a bound
//! (issue 15, fix 6; runtime spec, "Seal buffer": memory is bounded by
//! configuration).
//!
//! A seal buffer recognises a late record by its partition having been
//! released, and a seal forwarder recognises a partition it already sealed
//! downstream. Remembering every such partition for the whole run grows
//! without bound (about 130 B per partition in the seal buffer and 270 B in
//! the forwarder: +390 MB at 10^6 partitions). A [`RecentSet`] remembers the
//! most recent `window` of them, forgets the oldest one when a new one comes
//! in beyond the window, and counts what it forgot, so that a run can say
//! how far back late detection reached.

use std::collections::VecDeque;
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::runtime::coordination::hashed::HashSet;

/// The default number of released partitions a wrapper remembers (see
/// `Deployment::late_detection`).
pub const DEFAULT_LATE_WINDOW: usize = 1 << 16;

/// A set that keeps at most `window` values, forgetting the oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    into = "RecentRepr<T>",
    from = "RecentRepr<T>",
    bound(
        serialize = "T: Clone + Serialize",
        deserialize = "T: Deserialize<'de>"
    )
)]
pub struct RecentSet<T: Hash + Eq + Clone> {
    /// The values remembered, to look one up.
    values: HashSet<T>,
    /// The same values, oldest first, to forget the oldest: two plain
    /// collections rather than a linked one (a node allocated per value).
    order: VecDeque<T>,
    window: usize,
    forgotten: u64,
}

/// How serde sees a [`RecentSet`]: its values oldest first.
#[derive(Serialize, Deserialize)]
struct RecentRepr<T> {
    values: Vec<T>,
    window: usize,
    forgotten: u64,
}

impl<T: Hash + Eq + Clone> From<RecentSet<T>> for RecentRepr<T> {
    fn from(set: RecentSet<T>) -> RecentRepr<T> {
        RecentRepr {
            values: set.order.into_iter().collect(),
            window: set.window,
            forgotten: set.forgotten,
        }
    }
}

impl<T: Hash + Eq + Clone> From<RecentRepr<T>> for RecentSet<T> {
    fn from(repr: RecentRepr<T>) -> RecentSet<T> {
        let mut set = RecentSet::new(repr.window);
        for value in repr.values {
            set.insert(value);
        }
        set.forgotten = repr.forgotten;
        set
    }
}

impl<T: Hash + Eq + Clone> RecentSet<T> {
    /// An empty set that remembers at most `window` values (at least one).
    pub fn new(window: usize) -> RecentSet<T> {
        RecentSet {
            values: HashSet::default(),
            order: VecDeque::new(),
            window: window.max(1),
            forgotten: 0,
        }
    }

    /// True when `value` is remembered.
    pub fn contains(&self, value: &T) -> bool {
        self.values.contains(value)
    }

    /// Remembers `value` (true when it was not remembered yet), forgetting
    /// the oldest value if the window is full.
    pub fn insert(&mut self, value: T) -> bool {
        // Once the window is full the oldest goes first, so the set never
        // holds more than the window (past it, its table would grow); until
        // then a value is hashed once, by the insert itself.
        if self.values.len() >= self.window {
            if self.values.contains(&value) {
                return false;
            }
            if let Some(oldest) = self.order.pop_front() {
                self.values.remove(&oldest);
                self.forgotten += 1;
            }
        }
        if !self.values.insert(value.clone()) {
            return false;
        }
        self.order.push_back(value);
        true
    }

    /// Forgets `value` now (true when it was remembered); not counted as
    /// forgotten by age.
    #[cfg(test)]
    pub fn remove(&mut self, value: &T) -> bool {
        self.order.retain(|v| v != value);
        self.values.remove(value)
    }

    /// Values remembered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Values forgotten because the window was full.
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_value_is_forgotten_beyond_the_window_and_counted() {
        let mut set = RecentSet::new(2);
        assert!(set.insert(1));
        assert!(set.insert(2));
        assert!(!set.insert(1), "already remembered");
        assert!(set.insert(3));
        assert!(!set.contains(&1), "the oldest went first");
        assert!(set.contains(&2) && set.contains(&3));
        assert_eq!((set.len(), set.forgotten()), (2, 1));
        assert!(set.remove(&2));
        assert!(set.insert(4));
        assert_eq!(set.forgotten(), 1, "a removal makes room");
    }

    #[test]
    fn a_window_of_zero_keeps_one_value() {
        let mut set = RecentSet::new(0);
        set.insert("a");
        assert!(set.contains(&"a"));
        set.insert("b");
        assert_eq!((set.len(), set.forgotten()), (1, 1));
    }
}
