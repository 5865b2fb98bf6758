//! Punctuation through confluent paths (spec §1: a seal "carries through
//! confluent CR/CW paths"): once every producer of an input has sealed a
//! partition, and every other input feeding the same output is done with it,
//! the instance seals that partition on the output itself, after everything
//! it emitted for it. Sans-IO.
//!
//! The partitions it is done with and those it sealed are remembered within
//! a window ([`RecentSet`], issue 15 fix 6): forgetting one can at worst make
//! the instance seal that partition downstream a second time, which the
//! consumer's seal buffer takes as a seal of an already released partition.

use std::collections::{BTreeMap, BTreeSet};

use blazes_core::Vote;
use serde::{Deserialize, Serialize};

use crate::runtime::coordination::recent::{DEFAULT_LATE_WINDOW, RecentSet};
use crate::runtime::coordination::votes::{Electorate, Sealers, Votes};
use crate::runtime::node::envelope::{InputId, OutputId, ProducerId};
use crate::tuple::Tuple;

/// Tracks seals per input and decides which outputs to seal.
#[derive(Debug)]
pub struct SealForwarder {
    forwards: Vec<Option<Vec<InputId>>>,
    /// Each input's expected producers, those retired, and the seals of
    /// partitions not yet complete (a unanimous vote).
    votes: Votes,
    /// The inputs' partitions recently complete.
    done: RecentSet<(InputId, Tuple)>,
    /// The outputs' partitions recently sealed.
    sealed: RecentSet<(OutputId, Tuple)>,
}

/// What a [`SealForwarder`] knows, for a checkpoint: the seals of partitions
/// not yet complete, and the partitions done and sealed it remembers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ForwarderState {
    /// As a list: postcard and JSON alike take it (JSON maps want text keys).
    votes: Vec<((InputId, Tuple), Sealers)>,
    done: RecentSet<(InputId, Tuple)>,
    sealed: RecentSet<(OutputId, Tuple)>,
    /// Per input, the producers retired: a retirement is read once.
    retired: BTreeMap<InputId, BTreeSet<ProducerId>>,
}

impl SealForwarder {
    /// A copy of what the forwarder knows.
    pub(crate) fn state(&self) -> ForwarderState {
        ForwarderState {
            votes: self
                .votes
                .open()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            done: self.done.clone(),
            sealed: self.sealed.clone(),
            retired: self.votes.retired().clone(),
        }
    }

    /// Takes back what [`SealForwarder::state`] copied.
    pub(crate) fn restore(&mut self, state: ForwarderState) {
        self.votes.restore_open(state.votes);
        self.votes.restore_retired(state.retired);
        self.done = state.done;
        self.sealed = state.sealed;
    }
    /// A forwarder for outputs with the given forwarding inputs, and inputs
    /// with the given expected producers.
    pub fn new(
        forwards: Vec<Option<Vec<InputId>>>,
        expected: Vec<BTreeSet<ProducerId>>,
        independent: BTreeSet<InputId>,
    ) -> SealForwarder {
        let members = expected.into_iter().enumerate().collect();
        SealForwarder {
            forwards,
            votes: Votes::new(
                Electorate::new(Vote::Unanimous, members).independent_on(independent),
            ),
            done: RecentSet::new(DEFAULT_LATE_WINDOW),
            sealed: RecentSet::new(DEFAULT_LATE_WINDOW),
        }
    }

    /// Remembers the last `partitions` complete partitions per kind (inputs
    /// done, outputs sealed) instead of [`DEFAULT_LATE_WINDOW`] (builder style).
    pub fn with_window(mut self, partitions: usize) -> SealForwarder {
        self.done = RecentSet::new(partitions);
        self.sealed = RecentSet::new(partitions);
        self
    }

    /// Partitions forgotten because the window was full.
    pub fn forgotten(&self) -> u64 {
        self.done.forgotten() + self.sealed.forgotten()
    }

    /// True when some output forwards the seals of `input`.
    pub fn tracks(&self, input: InputId) -> bool {
        self.forwards
            .iter()
            .flatten()
            .any(|inputs| inputs.contains(&input))
    }

    /// A seal of `key` by `producer` on `input`; returns the outputs to seal.
    pub fn vote(&mut self, input: InputId, producer: ProducerId, key: &Tuple) -> Vec<OutputId> {
        if !self.tracks(input) || self.done.contains(&(input, key.clone())) {
            return Vec::new();
        }
        if !self.votes.seal(input, producer, key) {
            return Vec::new();
        }
        self.complete(input, key)
    }

    /// `producer` retired on `input`: it counts as having sealed every
    /// partition. Returns the outputs to seal, with the partition, for the
    /// partitions whose seals this completes.
    pub fn retire(&mut self, input: InputId, producer: ProducerId) -> Vec<(OutputId, Tuple)> {
        let complete = self.votes.retire(input, producer);
        if !self.tracks(input) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for key in complete {
            out.extend(
                self.complete(input, &key)
                    .into_iter()
                    .map(|o| (o, key.clone())),
            );
        }
        out
    }

    /// True when every producer of every input whose seals `output`
    /// forwards is retired: every partition of the output, present and
    /// future, is sealed, and the output can be retired in its turn.
    pub fn output_retired(&self, output: OutputId) -> bool {
        self.forwards
            .get(output)
            .and_then(Option::as_ref)
            .is_some_and(|inputs| {
                !inputs.is_empty()
                    && inputs
                        .iter()
                        .all(|i| self.votes.electorate().all_retired(*i))
            })
    }

    /// The handler punctuated partition `key` of output `output` itself:
    /// true the first time, so that the instance seals each partition of an
    /// output once, whether its handler or this forwarder does it first.
    pub fn punctuated(&mut self, output: OutputId, key: &Tuple) -> bool {
        self.sealed.insert((output, key.clone()))
    }

    /// `input` is done with partition `key` (its wrapper released it);
    /// returns the outputs to seal.
    pub fn complete(&mut self, input: InputId, key: &Tuple) -> Vec<OutputId> {
        if !self.tracks(input) {
            return Vec::new();
        }
        self.done.insert((input, key.clone()));
        let mut out = Vec::new();
        for (o, inputs) in self.forwards.iter().enumerate() {
            let Some(inputs) = inputs else { continue };
            if !inputs.contains(&input) {
                continue;
            }
            // `input` is done (just now); the output's other inputs are
            // looked up. An output sealed already is not sealed again
            // (`insert` says so, with one lookup).
            let all_done = inputs.iter().all(|i| {
                *i == input
                    || self.done.contains(&(*i, key.clone()))
                    || !self.votes.electorate().has_members(*i)
            });
            if all_done && self.sealed.insert((o, key.clone())) {
                out.push(o);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_an_independent_input_one_producers_seal_seals_the_output() {
        // Two source producers, each the only one of its partitions.
        let expected = vec![BTreeSet::from([ProducerId(1), ProducerId(2)])];
        let mut f = SealForwarder::new(vec![Some(vec![0])], expected, BTreeSet::from([0]));
        let north = Tuple::new().with("region", "north");
        let south = Tuple::new().with("region", "south");
        assert_eq!(f.vote(0, ProducerId(1), &north), vec![0]);
        assert_eq!(f.vote(0, ProducerId(2), &south), vec![0]);
        assert!(f.vote(0, ProducerId(2), &north).is_empty(), "sealed once");
    }

    #[test]
    fn an_output_is_sealed_once_every_producer_of_its_inputs_sealed() {
        let expected = vec![
            BTreeSet::from([ProducerId(1), ProducerId(2)]),
            BTreeSet::new(),
        ];
        let mut f = SealForwarder::new(vec![Some(vec![0, 1]), None], expected, BTreeSet::new());
        let k = Tuple::new().with("batch", 1);
        assert!(f.vote(0, ProducerId(1), &k).is_empty());
        assert_eq!(f.vote(0, ProducerId(2), &k), vec![0]);
        assert!(f.vote(0, ProducerId(2), &k).is_empty(), "sealed once");
    }

    #[test]
    fn a_partition_the_handler_punctuated_is_not_forwarded_again() {
        let expected = vec![BTreeSet::from([ProducerId(1)])];
        let mut f = SealForwarder::new(vec![Some(vec![0])], expected, BTreeSet::new());
        let k = Tuple::new().with("batch", 1);
        assert!(f.punctuated(0, &k));
        assert!(!f.punctuated(0, &k), "once per output and partition");
        assert!(f.vote(0, ProducerId(1), &k).is_empty());
    }

    #[test]
    fn a_retired_producer_completes_the_partitions_it_left_and_retires_the_output_last() {
        let expected = vec![BTreeSet::from([ProducerId(1), ProducerId(2)])];
        let mut f = SealForwarder::new(vec![Some(vec![0])], expected, BTreeSet::new());
        let k = Tuple::new().with("batch", 1);
        assert!(f.vote(0, ProducerId(1), &k).is_empty());
        assert_eq!(f.retire(0, ProducerId(2)), vec![(0, k.clone())]);
        assert!(f.retire(0, ProducerId(2)).is_empty(), "idempotent");
        assert!(!f.output_retired(0), "producer 1 may still seal");
        let later = Tuple::new().with("batch", 2);
        assert_eq!(
            f.vote(0, ProducerId(1), &later),
            vec![0],
            "2 counts as sealed"
        );
        assert!(f.retire(0, ProducerId(1)).is_empty());
        assert!(f.output_retired(0));
    }

    #[test]
    fn a_retirement_survives_a_checkpoint() {
        let expected = || vec![BTreeSet::from([ProducerId(1), ProducerId(2)])];
        let mut f = SealForwarder::new(vec![Some(vec![0])], expected(), BTreeSet::new());
        assert!(f.retire(0, ProducerId(2)).is_empty(), "nothing open yet");
        let mut restored = SealForwarder::new(vec![Some(vec![0])], expected(), BTreeSet::new());
        restored.restore(f.state());
        let k = Tuple::new().with("batch", 1);
        assert_eq!(
            restored.vote(0, ProducerId(1), &k),
            vec![0],
            "the retired producer 2 still counts as sealed"
        );
    }
}
