//! Seals an instance votes itself, for inputs whose records no seal buffer
//! holds under that seal: a read-gated input (its records are reads waiting
//! in a seal buffer on another key, its stream sealed on a key of its own),
//! and an input the plan votes (`ComponentPlan::voted_seals`: records
//! handled as they come, the stream sealed). `on_seal` promises that every
//! record of the partition has been handled, so such a seal runs it once per
//! partition: after every expected producer of the input has sealed the
//! partition (a retired producer counts as having sealed every partition:
//! the unanimous vote of [`votes`](super::votes), as a seal buffer's) and,
//! on a read-gated input, after the reads of it that the buffer still held
//! are released. Sans-IO: the instance says whether reads are held.

use std::collections::{BTreeMap, BTreeSet};

use blazes_core::Vote;
use serde::{Deserialize, Serialize};

use crate::runtime::coordination::votes::{Electorate, OpenVote, SealedOpen, Sealers, Votes};
use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::tuple::Tuple;

/// The open votes of an instance's voted and read-gated inputs, and the
/// complete partitions waiting for held reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSeals {
    /// Per input and partition, the producers that sealed it so far, and
    /// the producers retired (always a unanimous vote).
    votes: Votes,
    /// Partitions whose vote completed while reads of them were held, in
    /// the order their votes completed.
    waiting: Vec<(InputId, Tuple)>,
}

/// What an [`InputSeals`] counted and keeps, for a checkpoint (the members
/// of each input come from the plan again).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct InputSealsState {
    votes: BTreeMap<(InputId, Tuple), Sealers>,
    retired: BTreeMap<InputId, BTreeSet<ProducerId>>,
    waiting: Vec<(InputId, Tuple)>,
}

impl InputSeals {
    /// No vote open yet on inputs whose expected producers are `expected`
    /// (by input); those in `independent` need one producer's seal.
    pub fn new(expected: &[BTreeSet<ProducerId>], independent: &BTreeSet<InputId>) -> InputSeals {
        let members = expected.iter().cloned().enumerate().collect();
        InputSeals {
            // An instance handles a voted input's records as they come:
            // it tells a record sent after its producer's seal by who
            // sealed which open partition.
            votes: Votes::new(
                Electorate::new(Vote::Unanimous, members).independent_on(independent.clone()),
            )
            .keeping_sealed_open(),
            waiting: Vec::new(),
        }
    }

    /// A copy of what the votes counted and keep.
    pub(crate) fn state(&self) -> InputSealsState {
        InputSealsState {
            votes: self
                .votes
                .open()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            retired: self.votes.retired().clone(),
            waiting: self.waiting.clone(),
        }
    }

    /// Takes back what [`InputSeals::state`] copied.
    pub(crate) fn restore(&mut self, state: InputSealsState) {
        self.votes.restore_open(state.votes);
        self.votes.restore_retired(state.retired);
        self.waiting = state.waiting;
    }

    /// Counts `producer`'s seal of `partition` on `input`: true when it
    /// completes the vote (it then closes). A stranger's seal is no vote.
    pub fn seal(&mut self, input: InputId, producer: ProducerId, partition: &Tuple) -> bool {
        self.votes.seal(input, producer, partition)
    }

    /// Retires `producer` on `input`: the open partitions of the input
    /// whose vote it completes, in key order (they close).
    pub fn retire(&mut self, input: InputId, producer: ProducerId) -> Vec<Tuple> {
        self.votes.retire(input, producer)
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
        (self.votes.open_count(), self.waiting.len())
    }

    /// The partitions some producers sealed but not all, in input and key
    /// order, each with the producers whose seal is missing and those that
    /// sealed it.
    pub fn open_votes(&self) -> Vec<OpenVote> {
        self.votes.open_votes()
    }

    /// The partitions `producer` sealed on `input` whose votes are still
    /// open (`None` when there is none).
    pub fn sealed_open_by(&self, input: InputId, producer: ProducerId) -> Option<&SealedOpen> {
        self.votes.sealed_open_by(input, producer)
    }
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

    /// Inputs 0 and 1, each with producers 0 and 1.
    fn two_inputs() -> InputSeals {
        InputSeals::new(&[producers(&[0, 1]), producers(&[0, 1])], &BTreeSet::new())
    }

    #[test]
    fn a_partition_closes_once_every_producer_sealed_it() {
        let mut seals = two_inputs();
        assert!(!seals.seal(0, ProducerId(0), &hour(1)));
        assert!(!seals.seal(0, ProducerId(0), &hour(1)), "twice");
        assert!(!seals.seal(1, ProducerId(1), &hour(1)), "other input");
        assert!(!seals.seal(0, ProducerId(7), &hour(1)), "not a member");
        assert!(seals.seal(0, ProducerId(1), &hour(1)));
        assert_eq!(seals.unfinished(), (1, 0), "input 1's vote is open");
        assert_eq!(
            seals.open_votes(),
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
        let mut seals = two_inputs();
        assert!(!seals.seal(0, ProducerId(0), &hour(2)));
        assert!(!seals.seal(0, ProducerId(0), &hour(1)));
        assert_eq!(seals.retire(0, ProducerId(1)), vec![hour(1), hour(2)]);
        assert!(seals.seal(0, ProducerId(0), &hour(3)));
    }

    /// The checkpoint keeps the open votes and the retirements.
    #[test]
    fn a_restored_vote_keeps_its_seals_and_retirements() {
        let mut seals = two_inputs();
        assert!(!seals.seal(0, ProducerId(0), &hour(1)));
        assert!(seals.retire(1, ProducerId(1)).is_empty());
        let saved = postcard::to_allocvec(&seals.state()).expect("encodes");
        let mut again = two_inputs();
        again.restore(postcard::from_bytes(&saved).expect("decodes"));
        assert_eq!(again, seals);
        assert!(again.seal(0, ProducerId(1), &hour(1)), "0 sealed before");
        assert!(again.seal(1, ProducerId(0), &hour(1)), "1 retired before");
    }

    /// A checkpoint saved before the vote was shared (the fields of
    /// `InputSeals` itself, in order) reads back the same.
    #[test]
    fn a_checkpoint_of_the_earlier_form_reads_back() {
        #[derive(Serialize)]
        struct Earlier {
            votes: BTreeMap<(InputId, Tuple), BTreeSet<ProducerId>>,
            retired: BTreeMap<InputId, BTreeSet<ProducerId>>,
            waiting: Vec<(InputId, Tuple)>,
        }
        let earlier = Earlier {
            votes: BTreeMap::from([((0, hour(1)), producers(&[0]))]),
            retired: BTreeMap::from([(1, producers(&[1]))]),
            waiting: vec![(0, hour(0))],
        };
        let saved = postcard::to_allocvec(&earlier).expect("encodes");
        let mut seals = two_inputs();
        seals.restore(postcard::from_bytes(&saved).expect("decodes"));
        assert_eq!(
            postcard::to_allocvec(&seals.state()).expect("encodes"),
            saved
        );
        assert_eq!(seals.unfinished(), (1, 1));
        assert!(seals.seal(0, ProducerId(1), &hour(1)), "0 sealed before");
        assert!(seals.seal(1, ProducerId(0), &hour(1)), "1 retired before");
    }

    #[test]
    fn a_partition_waits_for_its_held_reads_in_order() {
        let mut seals = two_inputs();
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
