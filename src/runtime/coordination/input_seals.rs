//! Seals an instance votes itself, for inputs whose records no seal buffer
//! holds under that seal: a read-gated input (its records are reads waiting
//! in a seal buffer on another key, its stream sealed on a key of its own),
//! and an input the plan votes (`ComponentPlan::voted_seals`: records
//! handled as they come, the stream sealed). `on_seal` promises that every
//! record of the partition has been handled, so such a seal runs it once per
//! partition: after every expected producer of the input has sealed the
//! partition (a retired producer counts as having sealed every partition;
//! the same unanimous vote as a seal buffer's) and, on a read-gated input,
//! after the reads of it that the buffer still held are released. Sans-IO:
//! the instance says whether reads are held.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::tuple::Tuple;

/// The open votes of an instance's voted and read-gated inputs, and the
/// complete partitions waiting for held reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSeals {
    /// Per input and partition, the producers that sealed it so far.
    votes: BTreeMap<(InputId, Tuple), BTreeSet<ProducerId>>,
    /// Per input, the producers retired.
    retired: BTreeMap<InputId, BTreeSet<ProducerId>>,
    /// Partitions whose vote completed while reads of them were held, in
    /// the order their votes completed.
    waiting: Vec<(InputId, Tuple)>,
}

impl InputSeals {
    /// Counts `producer`'s seal of `partition` on `input`, whose producers
    /// are `expected`; true when it completes the vote (it then closes).
    pub fn seal(
        &mut self,
        input: InputId,
        producer: ProducerId,
        partition: &Tuple,
        expected: &BTreeSet<ProducerId>,
    ) -> bool {
        let entry = (input, partition.clone());
        let sealed = self.votes.entry(entry.clone()).or_default();
        sealed.insert(producer);
        if Self::complete(self.retired.get(&input), sealed, expected) {
            self.votes.remove(&entry);
            return true;
        }
        false
    }

    /// Retires `producer` on `input`: the open partitions of the input
    /// whose vote it completes, in key order (they close).
    pub fn retire(
        &mut self,
        input: InputId,
        producer: ProducerId,
        expected: &BTreeSet<ProducerId>,
    ) -> Vec<Tuple> {
        self.retired.entry(input).or_default().insert(producer);
        let complete: Vec<(InputId, Tuple)> = self
            .votes
            .iter()
            .filter(|((i, _), sealed)| {
                *i == input && Self::complete(self.retired.get(&input), sealed, expected)
            })
            .map(|(entry, _)| entry.clone())
            .collect();
        complete
            .into_iter()
            .map(|entry| {
                self.votes.remove(&entry);
                entry.1
            })
            .collect()
    }

    /// True when every expected producer sealed or is retired.
    fn complete(
        retired: Option<&BTreeSet<ProducerId>>,
        sealed: &BTreeSet<ProducerId>,
        expected: &BTreeSet<ProducerId>,
    ) -> bool {
        expected
            .iter()
            .all(|p| sealed.contains(p) || retired.is_some_and(|r| r.contains(p)))
    }

    /// Keeps a complete partition until its held reads are released; or
    /// hands it back at once when `held` says none is held and no earlier
    /// partition of the same input waits.
    pub fn after_reads(
        &mut self,
        input: InputId,
        partition: Tuple,
        held: impl Fn(InputId, &Tuple) -> bool,
    ) -> Option<Tuple> {
        let behind = self.waiting.iter().any(|(i, _)| *i == input);
        if behind || held(input, &partition) {
            self.waiting.push((input, partition));
            return None;
        }
        Some(partition)
    }

    /// The waiting partitions whose reads are all released now, in the
    /// order their votes completed; one behind a still-held partition of the
    /// same input keeps waiting.
    pub fn ready(&mut self, held: impl Fn(InputId, &Tuple) -> bool) -> Vec<(InputId, Tuple)> {
        if self.waiting.is_empty() {
            return Vec::new();
        }
        let mut blocked: BTreeSet<InputId> = BTreeSet::new();
        let mut ready = Vec::new();
        for (input, partition) in std::mem::take(&mut self.waiting) {
            if blocked.contains(&input) || held(input, &partition) {
                blocked.insert(input);
                self.waiting.push((input, partition));
            } else {
                ready.push((input, partition));
            }
        }
        ready
    }

    /// Partitions sealed by some producers but not all, and complete ones
    /// still waiting for held reads: what a run ending now leaves unsealed.
    pub fn unfinished(&self) -> (usize, usize) {
        (self.votes.len(), self.waiting.len())
    }

    /// The partitions some producers sealed but not all, in input and key
    /// order, each with the producers of `expected` (by input) whose seal
    /// is missing and those that sealed it.
    pub fn open_votes(&self, expected: &[BTreeSet<ProducerId>]) -> Vec<OpenVote> {
        self.votes
            .iter()
            .map(|((input, partition), sealed)| {
                let retired = self.retired.get(input);
                let members = expected.get(*input).into_iter().flatten();
                OpenVote {
                    input: *input,
                    partition: partition.clone(),
                    missing: members
                        .clone()
                        .filter(|p| !sealed.contains(p) && !retired.is_some_and(|r| r.contains(p)))
                        .copied()
                        .collect(),
                    sealed: members.filter(|p| sealed.contains(p)).copied().collect(),
                }
            })
            .collect()
    }
}

/// A partition of a voted input that some producers sealed and others not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenVote {
    /// The input.
    pub input: InputId,
    /// The partition's seal-key values.
    pub partition: Tuple,
    /// Producers whose seal is missing.
    pub missing: Vec<ProducerId>,
    /// Producers that sealed it.
    pub sealed: Vec<ProducerId>,
}

/// True when `record` belongs to `partition`: it has every attribute of the
/// partition with the same value (a record lacking one belongs to none).
pub fn in_partition(record: &Tuple, partition: &Tuple) -> bool {
    partition
        .fields()
        .all(|(name, value)| record.get(name) == Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: i64) -> Tuple {
        Tuple::new().with("hour", h)
    }

    fn producers(ids: &[u32]) -> BTreeSet<ProducerId> {
        ids.iter().map(|&p| ProducerId(p)).collect()
    }

    #[test]
    fn a_partition_closes_once_every_producer_sealed_it() {
        let mut seals = InputSeals::default();
        let expected = producers(&[0, 1]);
        assert!(!seals.seal(0, ProducerId(0), &hour(1), &expected));
        assert!(!seals.seal(0, ProducerId(0), &hour(1), &expected), "twice");
        assert!(
            !seals.seal(1, ProducerId(1), &hour(1), &expected),
            "other input"
        );
        assert!(seals.seal(0, ProducerId(1), &hour(1), &expected));
        assert_eq!(seals.unfinished(), (1, 0), "input 1's vote is open");
        let by_input = [expected.clone(), expected.clone()];
        assert_eq!(
            seals.open_votes(&by_input),
            vec![OpenVote {
                input: 1,
                partition: hour(1),
                missing: vec![ProducerId(0)],
                sealed: vec![ProducerId(1)],
            }],
            "input 1 misses producer 0's seal, and has producer 1's"
        );
    }

    #[test]
    fn a_retired_producer_counts_as_having_sealed() {
        let mut seals = InputSeals::default();
        let expected = producers(&[0, 1]);
        assert!(!seals.seal(0, ProducerId(0), &hour(2), &expected));
        assert!(!seals.seal(0, ProducerId(0), &hour(1), &expected));
        assert_eq!(
            seals.retire(0, ProducerId(1), &expected),
            vec![hour(1), hour(2)]
        );
        assert!(seals.seal(0, ProducerId(0), &hour(3), &expected));
    }

    #[test]
    fn a_partition_waits_for_its_held_reads_in_order() {
        let mut seals = InputSeals::default();
        let held = |h: i64| move |_: InputId, p: &Tuple| p.int("hour") == Some(h);
        assert_eq!(seals.after_reads(0, hour(5), held(1)), Some(hour(5)));
        assert_eq!(seals.after_reads(0, hour(1), held(1)), None);
        assert_eq!(
            seals.after_reads(0, hour(2), held(1)),
            None,
            "behind hour 1"
        );
        assert_eq!(seals.after_reads(1, hour(2), held(1)), Some(hour(2)));
        assert!(seals.ready(held(1)).is_empty());
        assert_eq!(seals.ready(|_, _| false), vec![(0, hour(1)), (0, hour(2))]);
        assert_eq!(seals.unfinished(), (0, 0));
    }

    #[test]
    fn a_record_is_in_a_partition_when_it_has_its_values() {
        let record = Tuple::new().with("hour", 3i64).with("ad", 7i64);
        assert!(in_partition(&record, &hour(3)));
        assert!(!in_partition(&record, &hour(4)));
        assert!(!in_partition(&Tuple::new(), &hour(3)));
    }
}
