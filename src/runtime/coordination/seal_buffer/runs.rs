//! A partition's records as the seal buffer holds them: one run per
//! producer, each in the order its records arrived. A producer's records
//! reach the buffer in `seq` order (links are FIFO and dedupe drops
//! replays), so the release order, producer then `seq`, is the runs taken
//! one after the other: no sort of the whole partition, and no copy of it
//! into one list. A run found out of order (a buffer fed by hand) is
//! sorted on its own.
//!
//! In a checkpoint the runs are one list of records, as the buffer kept
//! them before (the format is unchanged).

use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::HeldRecord;

/// The records of one partition, by producer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Runs {
    /// Each run holds at least one record, all of one producer.
    runs: Vec<Vec<HeldRecord>>,
    len: usize,
}

impl Runs {
    /// Records held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no record is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `record` to its producer's run; a producer's first record
    /// reserves room for `typical` records.
    #[inline]
    pub(super) fn push(&mut self, record: HeldRecord, typical: usize) {
        match self
            .runs
            .iter_mut()
            .find(|run| run[0].producer == record.producer)
        {
            Some(run) => run.push(record),
            None => {
                let mut run = Vec::with_capacity(typical.max(1));
                run.push(record);
                self.runs.push(run);
            }
        }
        self.len += 1;
    }

    /// The longest run's length.
    pub(super) fn longest(&self) -> usize {
        self.runs.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Each producer with how many of its records are held.
    pub(super) fn counts(&self) -> impl Iterator<Item = (super::ProducerId, usize)> + '_ {
        self.runs.iter().map(|run| (run[0].producer, run.len()))
    }

    /// The same records, ordered: iterating them goes by producer, then
    /// `seq`.
    pub(super) fn into_ordered(mut self) -> Runs {
        for run in &mut self.runs {
            if !run.is_sorted_by_key(|r| r.seq) {
                run.sort_by_key(|r| r.seq);
            }
        }
        self.runs.sort_by_key(|run| run[0].producer);
        self
    }

    /// The runs, each one producer's records (by producer, then `seq`,
    /// once [`Runs::into_ordered`]).
    pub fn into_runs(self) -> impl Iterator<Item = Vec<HeldRecord>> {
        self.runs.into_iter()
    }

    /// The records, run after run.
    pub fn iter(&self) -> impl Iterator<Item = &HeldRecord> {
        self.runs.iter().flatten()
    }
}

impl IntoIterator for Runs {
    type Item = HeldRecord;
    type IntoIter = std::iter::Flatten<std::vec::IntoIter<Vec<HeldRecord>>>;

    /// The records, run after run (by producer, then `seq`, once
    /// [`Runs::into_ordered`]).
    fn into_iter(self) -> Self::IntoIter {
        self.runs.into_iter().flatten()
    }
}

impl Serialize for Runs {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The length up front: a flattened iterator does not know it, and
        // postcard needs it.
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        for record in self.runs.iter().flatten() {
            seq.serialize_element(record)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Runs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Runs, D::Error> {
        let records = Vec::<HeldRecord>::deserialize(deserializer)?;
        let mut runs = Runs::default();
        for record in records {
            runs.push(record, 0);
        }
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::node::envelope::ProducerId;
    use crate::tuple::Tuple;

    fn rec(producer: u32, seq: u64) -> HeldRecord {
        HeldRecord {
            input: 0,
            producer: ProducerId(producer),
            seq,
            payload: Tuple::new().with("seq", seq as i64).into(),
        }
    }

    fn order<'a>(records: impl IntoIterator<Item = &'a HeldRecord>) -> Vec<(u32, u64)> {
        records.into_iter().map(|r| (r.producer.0, r.seq)).collect()
    }

    #[test]
    fn interleaved_producers_come_out_by_producer_then_seq() {
        let mut runs = Runs::default();
        for (p, s) in [(2, 0), (2, 1), (1, 0), (2, 2), (1, 1), (3, 5), (1, 2)] {
            runs.push(rec(p, s), 4);
        }
        assert_eq!((runs.len(), runs.longest()), (7, 3));
        let counts: Vec<(u32, usize)> = runs.counts().map(|(p, n)| (p.0, n)).collect();
        assert_eq!(counts, [(2, 3), (1, 3), (3, 1)]);
        let ordered = runs.into_ordered();
        assert_eq!(
            order(ordered.iter()),
            [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2), (3, 5)]
        );
        let owned: Vec<HeldRecord> = ordered.clone().into_iter().collect();
        assert_eq!(order(&owned), order(ordered.iter()));
    }

    #[test]
    fn a_run_out_of_seq_order_is_sorted() {
        let mut runs = Runs::default();
        for (p, s) in [(1, 4), (1, 2), (1, 3)] {
            runs.push(rec(p, s), 0);
        }
        assert_eq!(order(runs.into_ordered().iter()), [(1, 2), (1, 3), (1, 4)]);
    }

    #[test]
    fn a_checkpoint_keeps_the_records_as_one_list() {
        let mut runs = Runs::default();
        for (p, s) in [(2, 0), (1, 0), (2, 1)] {
            runs.push(rec(p, s), 0);
        }
        let bytes = postcard::to_allocvec(&runs).expect("encodes");
        let list: Vec<HeldRecord> = postcard::from_bytes(&bytes).expect("a list of records");
        assert_eq!(order(&list), [(2, 0), (2, 1), (1, 0)]);
        let back: Runs = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(back, runs);
    }
}
