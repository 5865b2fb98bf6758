//! Recognises replayed and duplicated messages by `(producer, seq)`
//! (runtime spec, delivery guarantees).
//!
//! Links deliver each producer's messages in the order it sent them (FIFO per
//! link, like TCP); a duplicate or a replay therefore carries a `seq` at or
//! below the highest one already seen from that producer, and one watermark
//! per producer is enough memory.
//!
//! A producer numbers its messages from 0, one at a time, so `u64::MAX` is
//! never a real `seq` (it would be the 2^64-th message): only a corrupt or
//! hostile peer sends it. Such a message is refused ([`Seen::OutOfRange`])
//! and leaves the watermark alone. Admitting it would need a watermark past
//! `u64::MAX`, and every later message of that producer would then be taken
//! for a replay (issue 15: `seq + 1` overflowed, a panic in debug builds and
//! deduplication silently off in release builds).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::runtime::node::envelope::ProducerId;

/// What the deduplicator made of one `(producer, seq)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// New from that producer: remembered, to be processed.
    New,
    /// At or below the producer's watermark: a duplicate or a replay.
    Duplicate,
    /// `u64::MAX`, which no producer can reach: refused, not remembered.
    OutOfRange,
}

/// Per-producer high watermarks of `seq`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Dedup {
    /// Keyed by small integers, hashed with Fx (no attacker picks them:
    /// producers are numbered by the topology).
    next: FxHashMap<ProducerId, u64>,
}

impl Dedup {
    /// A deduplicator that has seen nothing.
    pub fn new() -> Dedup {
        Dedup::default()
    }

    /// True when `seq` from `producer` is at or below its watermark (a
    /// duplicate or a replay), without remembering anything.
    pub fn is_duplicate(&self, producer: ProducerId, seq: u64) -> bool {
        self.next.get(&producer).is_some_and(|next| seq < *next)
    }

    /// Whether `seq` is new from `producer` (then remembered), a duplicate
    /// or a replay, or out of range.
    pub fn admit(&mut self, producer: ProducerId, seq: u64) -> Seen {
        let Some(after) = seq.checked_add(1) else {
            return Seen::OutOfRange;
        };
        let next = self.next.entry(producer).or_insert(0);
        if seq < *next {
            return Seen::Duplicate;
        }
        *next = after;
        Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_at_or_below_the_watermark_are_duplicates() {
        let mut d = Dedup::new();
        let p = ProducerId(1);
        assert_eq!(d.admit(p, 0), Seen::New);
        assert_eq!(d.admit(p, 3), Seen::New);
        assert_eq!(d.admit(p, 3), Seen::Duplicate);
        assert_eq!(d.admit(p, 1), Seen::Duplicate);
        assert_eq!(d.admit(ProducerId(2), 1), Seen::New);
        assert_eq!(d.admit(p, 4), Seen::New);
    }

    #[test]
    fn u64_max_is_refused_and_leaves_the_watermark_alone() {
        let mut d = Dedup::new();
        let p = ProducerId(1);
        assert_eq!(d.admit(p, 5), Seen::New);
        assert_eq!(d.admit(p, u64::MAX), Seen::OutOfRange);
        assert_eq!(d.admit(p, u64::MAX), Seen::OutOfRange);
        assert_eq!(d.admit(p, 6), Seen::New, "later messages still admitted");
        assert_eq!(d.admit(p, 5), Seen::Duplicate, "and replays still refused");
        assert_eq!(d.admit(p, u64::MAX - 1), Seen::New, "the largest real seq");
        assert_eq!(d.admit(p, u64::MAX - 1), Seen::Duplicate);
    }
}
