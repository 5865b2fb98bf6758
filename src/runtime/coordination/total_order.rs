//! The replica side of dynamic ordering: messages arrive tagged with their
//! position in the group's total order, possibly out of order or twice; they
//! are applied strictly in position order, gaps buffered. Sans-IO.
//!
//! A position can also be *skipped*: one the sequencer gave a producer that
//! stopped for good before publishing its message (the operator's
//! retirement lists them, identically for every replica). Nothing is
//! applied there; the order goes on past it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::runtime::node::envelope::{Envelope, InputId};

/// Applies sequenced messages in position order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TotalOrder {
    next: u64,
    waiting: BTreeMap<u64, (InputId, Envelope)>,
    /// Positions ahead of `next` that hold no message.
    skipped: BTreeSet<u64>,
}

/// What an offered message did.
#[derive(Debug, PartialEq, Eq)]
pub enum Sequenced {
    /// Its position was already applied or is already waiting.
    Duplicate,
    /// Accepted; these messages are now next in order (possibly none).
    Apply(Vec<(InputId, Envelope)>),
}

impl TotalOrder {
    /// An applier expecting position 0.
    pub fn new() -> TotalOrder {
        TotalOrder::default()
    }

    /// True when no message waits for an earlier position.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Records waiting for an earlier position.
    pub fn waiting_records(&self) -> usize {
        self.waiting.values().filter(|(_, e)| e.is_record()).count()
    }

    /// Offers the message at `position`.
    pub fn offer(&mut self, position: u64, input: InputId, envelope: Envelope) -> Sequenced {
        if position < self.next
            || self.waiting.contains_key(&position)
            || self.skipped.contains(&position)
        {
            return Sequenced::Duplicate;
        }
        self.waiting.insert(position, (input, envelope));
        Sequenced::Apply(self.advance())
    }

    /// Skips `positions`: none holds a message, and the order goes on past
    /// them. A position already applied, waiting or skipped is left as it
    /// is (skipping is idempotent). Returns the messages now next in order.
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))] // the cluster's
    pub fn skip(&mut self, positions: impl IntoIterator<Item = u64>) -> Vec<(InputId, Envelope)> {
        for position in positions {
            if position >= self.next && !self.waiting.contains_key(&position) {
                self.skipped.insert(position);
            }
        }
        self.advance()
    }

    /// Applies what is next in order: waiting messages and skipped
    /// positions, until the first position neither fills.
    fn advance(&mut self) -> Vec<(InputId, Envelope)> {
        let mut ready = Vec::new();
        loop {
            if let Some(entry) = self.waiting.remove(&self.next) {
                ready.push(entry);
            } else if !self.skipped.remove(&self.next) {
                return ready;
            }
            self.next += 1;
        }
    }

    /// Empties the gap buffer at the end of a run.
    pub fn drain(&mut self) -> Vec<(InputId, Envelope)> {
        std::mem::take(&mut self.waiting).into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::node::envelope::ProducerId;

    fn end(seq: u64) -> Envelope {
        Envelope::End {
            producer: ProducerId(1),
            seq,
        }
    }

    #[test]
    fn gaps_are_buffered_and_duplicates_recognised() {
        let mut t = TotalOrder::new();
        assert_eq!(t.offer(1, 0, end(1)), Sequenced::Apply(vec![]));
        assert_eq!(t.offer(1, 0, end(1)), Sequenced::Duplicate);
        assert_eq!(
            t.offer(0, 0, end(0)),
            Sequenced::Apply(vec![(0, end(0)), (0, end(1))])
        );
        assert_eq!(t.offer(0, 0, end(0)), Sequenced::Duplicate);
    }

    /// A position given to a producer that never published its message
    /// held every later one back for ever; skipped, the order goes on, and
    /// a late message for it is a duplicate.
    #[test]
    fn skipped_positions_let_the_order_go_on() {
        let mut t = TotalOrder::new();
        assert_eq!(t.offer(0, 0, end(0)), Sequenced::Apply(vec![(0, end(0))]));
        assert_eq!(t.offer(3, 0, end(3)), Sequenced::Apply(vec![]));
        assert_eq!(t.offer(5, 0, end(5)), Sequenced::Apply(vec![]));
        // 1 and 2 never come; 4 is skipped ahead of the gap at 1.
        assert_eq!(t.skip([4]), vec![]);
        assert_eq!(t.skip([1, 2, 3]), vec![(0, end(3)), (0, end(5))]);
        assert!(t.is_empty());
        assert_eq!(t.offer(2, 0, end(2)), Sequenced::Duplicate);
        // Skipped ahead of the order: a message for it is refused too.
        assert_eq!(t.skip([7]), vec![]);
        assert_eq!(t.offer(7, 0, end(7)), Sequenced::Duplicate);
        assert_eq!(t.offer(6, 0, end(6)), Sequenced::Apply(vec![(0, end(6))]));
        assert_eq!(t.offer(8, 0, end(8)), Sequenced::Apply(vec![(0, end(8))]));
    }
}
