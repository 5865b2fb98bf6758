//! Recognises replayed and duplicated messages by `(producer, seq)`.
//!
//! Links deliver each producer's messages in the order it sent them (FIFO per
//! link, like TCP); a duplicate or a replay therefore carries a `seq` at or
//! below the highest one already seen from that producer, and one watermark
//! per producer is enough memory.

use std::collections::HashMap;

use super::envelope::ProducerId;

/// Per-producer high watermarks of `seq`.
#[derive(Clone, Debug, Default)]
pub struct Dedup {
    next: HashMap<ProducerId, u64>,
}

impl Dedup {
    /// A deduplicator that has seen nothing.
    pub fn new() -> Dedup {
        Dedup::default()
    }

    /// True (and remembered) when `seq` is new from `producer`; false for a
    /// duplicate or a replay.
    pub fn admit(&mut self, producer: ProducerId, seq: u64) -> bool {
        let next = self.next.entry(producer).or_insert(0);
        if seq < *next {
            return false;
        }
        *next = seq + 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_at_or_below_the_watermark_are_duplicates() {
        let mut d = Dedup::new();
        let p = ProducerId(1);
        assert!(d.admit(p, 0));
        assert!(d.admit(p, 3));
        assert!(!d.admit(p, 3));
        assert!(!d.admit(p, 1));
        assert!(d.admit(ProducerId(2), 1));
        assert!(d.admit(p, 4));
    }
}
