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

/// What the deduplicator made of a run of `seq`s from one producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeenRun {
    /// The run's first `duplicates` are at or below the producer's
    /// watermark (replays); the rest are new and remembered.
    From {
        /// How many at the run's start are duplicates (all of them when
        /// equal to the run's length).
        duplicates: u64,
    },
    /// The run reaches `u64::MAX`: nothing remembered, to be taken one
    /// `seq` at a time.
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

    /// `producer`'s next expected `seq` (0 for one never heard from, then
    /// remembered), found as the last looked up.
    #[inline]
    fn watermark(&mut self, producer: ProducerId) -> &mut u64 {
        let at = match self.find(producer) {
            Ok(at) => at,
            Err(at) => {
                self.next.insert(at, (producer, 0));
                at
            }
        };
        self.last = at;
        &mut self.next[at].1
    }

    /// Whether `seq` is new from `producer` (then remembered), a duplicate
    /// or a replay, or out of range.
    pub fn admit(&mut self, producer: ProducerId, seq: u64) -> Seen {
        let Some(after) = seq.checked_add(1) else {
            return Seen::OutOfRange;
        };
        let next = self.watermark(producer);
        if seq < *next {
            return Seen::Duplicate;
        }
        *next = after;
        Seen::New
    }
}

impl Dedup {
    /// [`Dedup::admit`] on `seq`, `seq + 1`, .., `seq + len - 1` in turn,
    /// in one step: a replay that overlaps what was admitted lets through
    /// only the part past the watermark.
    pub fn admit_run(&mut self, producer: ProducerId, seq: u64, len: u64) -> SeenRun {
        // The last seq must stay below `u64::MAX`, as for one message.
        let Some(end) = seq.checked_add(len) else {
            return SeenRun::OutOfRange;
        };
        if len == 0 {
            return SeenRun::From { duplicates: 0 };
        }
        let next = self.watermark(producer);
        let duplicates = next.saturating_sub(seq).min(len);
        *next = (*next).max(end);
        SeenRun::From { duplicates }
    }
}

impl Dedup {
    /// Forgets that `producer`'s `seq`s from `next` on were admitted (the
    /// rest of a run that was not delivered after all); a watermark
    /// already below `next` stays.
    pub fn rewind(&mut self, producer: ProducerId, next: u64) {
        if let Ok(at) = self.find(producer) {
            let watermark = &mut self.next[at].1;
            *watermark = (*watermark).min(next);
        }
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
    fn a_run_admits_what_each_of_its_seqs_would_and_a_partial_replay_only_its_new_suffix() {
        let p = ProducerId(4);
        let mut d = Dedup::new();
        assert_eq!(d.admit_run(p, 0, 5), SeenRun::From { duplicates: 0 });
        // 3..8 overlaps 0..5: 3 and 4 are replays, 5, 6, 7 new.
        assert_eq!(d.admit_run(p, 3, 5), SeenRun::From { duplicates: 2 });
        assert!(d.is_duplicate(p, 7) && !d.is_duplicate(p, 8));
        // Wholly replayed.
        assert_eq!(d.admit_run(p, 1, 4), SeenRun::From { duplicates: 4 });
        assert!(!d.is_duplicate(p, 8), "a replay moves nothing");
        // A gap, then a single message and a run interleaved.
        assert_eq!(d.admit_run(p, 10, 2), SeenRun::From { duplicates: 0 });
        assert_eq!(d.admit(p, 11), Seen::Duplicate);
        assert_eq!(d.admit(p, 12), Seen::New);
        // The same answers as admitting each seq in turn.
        let mut each = Dedup::new();
        let mut run = Dedup::new();
        for (seq, len) in [(0, 3), (2, 4), (9, 1), (5, 6), (20, 0), (15, 10)] {
            let dups = (seq..seq + len)
                .filter(|s| each.admit(p, *s) == Seen::Duplicate)
                .count() as u64;
            assert_eq!(
                run.admit_run(p, seq, len),
                SeenRun::From { duplicates: dups }
            );
        }
    }

    #[test]
    fn a_run_reaching_u64_max_is_left_to_single_messages() {
        let p = ProducerId(1);
        let mut d = Dedup::new();
        assert_eq!(
            d.admit_run(p, u64::MAX - 3, 1),
            SeenRun::From { duplicates: 0 }
        );
        assert_eq!(d.admit_run(p, u64::MAX - 1, 2), SeenRun::OutOfRange);
        assert_eq!(d.admit_run(p, u64::MAX, 3), SeenRun::OutOfRange);
        assert_eq!(
            d.admit_run(p, u64::MAX - 2, 2),
            SeenRun::From { duplicates: 0 }
        );
        assert_eq!(
            d.admit(p, u64::MAX - 1),
            Seen::Duplicate,
            "the largest real seq"
        );
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
