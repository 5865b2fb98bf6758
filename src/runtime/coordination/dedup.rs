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
    /// The next `seq` expected of each producer, sorted by producer. An
    /// instance hears from few producers, each link's messages in runs
    /// from one of them: the producer last looked up is tried first, then
    /// the list is searched. Encoded as a map, as it always was.
    #[serde(with = "watermarks")]
    next: Vec<(ProducerId, u64)>,
    /// The position in `next` of the producer last looked up.
    #[serde(skip)]
    last: usize,
}

impl Dedup {
    /// A deduplicator that has seen nothing.
    pub fn new() -> Dedup {
        Dedup::default()
    }

    /// The position of `producer` in `next`, or where it would go.
    #[inline]
    fn find(&self, producer: ProducerId) -> Result<usize, usize> {
        match self.next.get(self.last) {
            Some((p, _)) if *p == producer => Ok(self.last),
            _ => self.next.binary_search_by_key(&producer, |(p, _)| *p),
        }
    }

    /// True when `seq` from `producer` is at or below its watermark (a
    /// duplicate or a replay), without remembering anything.
    pub fn is_duplicate(&self, producer: ProducerId, seq: u64) -> bool {
        self.find(producer).is_ok_and(|at| seq < self.next[at].1)
    }

    /// Whether `seq` is new from `producer` (then remembered), a duplicate
    /// or a replay, or out of range.
    pub fn admit(&mut self, producer: ProducerId, seq: u64) -> Seen {
        let Some(after) = seq.checked_add(1) else {
            return Seen::OutOfRange;
        };
        let at = match self.find(producer) {
            Ok(at) => at,
            Err(at) => {
                self.next.insert(at, (producer, 0));
                at
            }
        };
        self.last = at;
        let next = &mut self.next[at].1;
        if seq < *next {
            return Seen::Duplicate;
        }
        *next = after;
        Seen::New
    }
}

/// The watermarks as a map from producer to next `seq` (the encoding of
/// the hash map they were kept in before).
mod watermarks {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer};

    use crate::runtime::node::envelope::ProducerId;

    pub(super) fn serialize<S: Serializer>(
        next: &[(ProducerId, u64)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(next.iter().map(|(p, n)| (p, n)))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(ProducerId, u64)>, D::Error> {
        // A map: each producer once, sorted.
        Ok(BTreeMap::<ProducerId, u64>::deserialize(deserializer)?
            .into_iter()
            .collect())
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
    fn interleaved_producers_keep_their_own_watermarks() {
        let mut d = Dedup::new();
        for p in [5, 1, 9, 3, 7] {
            assert_eq!(d.admit(ProducerId(p), 10), Seen::New);
        }
        for seq in 11..14 {
            for p in [9, 1, 7, 5, 3] {
                assert_eq!(d.admit(ProducerId(p), seq), Seen::New, "{p} {seq}");
                assert_eq!(d.admit(ProducerId(p), seq), Seen::Duplicate, "{p} {seq}");
            }
            // Producer 1 after the others: its own watermark, not theirs.
            assert_eq!(d.admit(ProducerId(1), seq - 1), Seen::Duplicate);
        }
        for p in [1, 3, 5, 7, 9] {
            assert!(d.is_duplicate(ProducerId(p), 13), "{p}");
            assert!(!d.is_duplicate(ProducerId(p), 14), "{p}");
        }
        assert!(!d.is_duplicate(ProducerId(2), 0), "never heard of");
    }

    #[test]
    fn the_watermarks_encode_as_the_map_they_were() {
        let mut d = Dedup::new();
        for (p, seq) in [(7, 3), (2, 9), (4, 0)] {
            d.admit(ProducerId(p), seq);
        }
        let map: std::collections::BTreeMap<ProducerId, u64> =
            [(ProducerId(2), 10), (ProducerId(4), 1), (ProducerId(7), 4)].into();
        let bytes = postcard::to_allocvec(&d).expect("encodes");
        assert_eq!(bytes, postcard::to_allocvec(&map).expect("encodes"));
        let back: Dedup = postcard::from_bytes(&bytes).expect("decodes");
        assert!(back.is_duplicate(ProducerId(2), 9) && !back.is_duplicate(ProducerId(2), 10));
        assert!(back.is_duplicate(ProducerId(7), 3) && !back.is_duplicate(ProducerId(7), 4));
        assert!(!back.is_duplicate(ProducerId(4), 1));
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
