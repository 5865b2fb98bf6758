//! The replica side of dynamic ordering: messages arrive tagged with their
//! position in the group's total order, possibly out of order or twice; they
//! are applied strictly in position order, gaps buffered. Sans-IO.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::runtime::node::envelope::{Envelope, InputId};

/// Applies sequenced messages in position order.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TotalOrder {
    next: u64,
    waiting: BTreeMap<u64, (InputId, Envelope)>,
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
        if position < self.next || self.waiting.contains_key(&position) {
            return Sequenced::Duplicate;
        }
        self.waiting.insert(position, (input, envelope));
        let mut ready = Vec::new();
        while let Some(entry) = self.waiting.remove(&self.next) {
            ready.push(entry);
            self.next += 1;
        }
        Sequenced::Apply(ready)
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
}
