//! Fencing of producer incarnations (issue 15, fix 3; runtime spec,
//! "Liveness and membership": a restarted producer resumes, it does not
//! re-register as another).
//!
//! A producer that restarts sends its links again from link sequence 0 and
//! the receivers drop what they already delivered. A producer that was only
//! *paused* (SIGSTOP past every timeout) while a replacement started would
//! then resume next to it, and both would send frames with the same link
//! sequence numbers: the receiver keeps whichever arrives first, so a
//! message can be dropped and the replicas hang.
//!
//! Each incarnation therefore has an *epoch*, the stream sequence JetStream
//! gave its registration (so a later incarnation's is larger), stamped on
//! every frame it sends, and it registers on every destination's subject
//! before sending anything ([`Registration`](super::wire::Registration)).
//! A receiver reads its subject in stream order, so every receiver, and a
//! receiver reading again after a restart, makes the same decision: a frame
//! whose epoch is older than the newest registration or frame already read
//! from that producer is refused and counted. Frames of the old incarnation
//! stored before its replacement registered are kept: they were sent while
//! it was the producer, and the replacement replays the same messages.

use std::collections::HashMap;

use crate::runtime::node::envelope::ProducerId;

/// The newest epoch seen per producer, and the frames refused for carrying
/// an older one. Sans-IO.
#[derive(Debug, Default)]
pub struct EpochFence {
    newest: HashMap<ProducerId, u64>,
    fenced: u64,
}

impl EpochFence {
    /// No producer seen yet.
    pub fn new() -> EpochFence {
        EpochFence::default()
    }

    /// A registration (or a frame) of `producer` at `epoch`: later frames of
    /// an older epoch are refused.
    pub fn register(&mut self, producer: ProducerId, epoch: u64) {
        let newest = self.newest.entry(producer).or_insert(epoch);
        *newest = (*newest).max(epoch);
    }

    /// Whether a frame of `producer` at `epoch` is admitted: true unless a
    /// newer incarnation of that producer was seen (then it is counted).
    /// An admitted frame of a newer epoch raises the fence.
    pub fn admit(&mut self, producer: ProducerId, epoch: u64) -> bool {
        if self
            .newest
            .get(&producer)
            .is_some_and(|newest| epoch < *newest)
        {
            self.fenced += 1;
            return false;
        }
        self.register(producer, epoch);
        true
    }

    /// The newest epoch of each producer, for a checkpoint.
    pub(crate) fn epochs(&self) -> Vec<(ProducerId, u64)> {
        self.newest.iter().map(|(p, e)| (*p, *e)).collect()
    }

    /// Goes on from the epochs [`EpochFence::epochs`] gave.
    pub(crate) fn resume(&mut self, epochs: Vec<(ProducerId, u64)>) {
        self.newest = epochs.into_iter().collect();
    }

    /// Frames refused so far.
    #[cfg(test)]
    fn fenced(&self) -> u64 {
        self.fenced
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_an_older_incarnation_are_refused_after_a_newer_one_is_seen() {
        let mut fence = EpochFence::new();
        let (p, q) = (ProducerId(1), ProducerId(2));
        assert!(fence.admit(p, 10), "the first incarnation");
        fence.register(p, 20);
        assert!(
            !fence.admit(p, 10),
            "a zombie after its replacement registered"
        );
        assert!(fence.admit(p, 20));
        assert!(fence.admit(q, 5), "another producer is not fenced");
        assert!(fence.admit(p, 30), "a newer frame raises the fence");
        assert!(!fence.admit(p, 20));
        fence.register(p, 25);
        assert!(fence.admit(p, 30), "an older registration lowers nothing");
        assert_eq!(fence.fenced(), 2);
    }
}
