//! Dynamic ordering (runtime spec, "Sequencer"; paper §V-B2): a sequencing
//! service assigns one total order per run to the messages sent to an
//! ordered group (the replicas of an ordered component). [`Sequencer`] is the
//! service's interface, async and object-safe so that a distributed backend
//! (ZooKeeper sequential nodes, a NATS JetStream stream) can implement it;
//! [`EmbeddedSequencer`] is the in-process default.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use super::envelope::ProducerId;

/// A future returned by a [`Sequencer`].
pub type SequencerFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<u64>, SequencerError>> + Send + 'a>>;

/// The sequencing service could not assign a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequencerError(pub String);

impl fmt::Display for SequencerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sequencer: {}", self.0)
    }
}

impl std::error::Error for SequencerError {}

/// Assigns positions in one total order per group.
pub trait Sequencer: Send + Sync {
    /// The next position of `group`'s order for message `(producer, seq)`,
    /// or `None` when that message was already ordered (a replay).
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a>;
}

/// The sequencing logic, synchronous: positions count up from 0 per group;
/// a message at or below its producer's watermark is a replay (producers'
/// messages reach the sequencer in the order they were sent).
#[derive(Debug, Default)]
pub struct SequencerCore {
    groups: HashMap<String, GroupState>,
}

#[derive(Debug, Default)]
struct GroupState {
    next: u64,
    watermarks: HashMap<ProducerId, u64>,
}

impl SequencerCore {
    /// A sequencer with no groups yet.
    pub fn new() -> SequencerCore {
        SequencerCore::default()
    }

    /// Assigns the next position of `group` to `(producer, seq)`, or `None`
    /// for a replay.
    pub fn assign(&mut self, group: &str, producer: ProducerId, seq: u64) -> Option<u64> {
        let state = match self.groups.get_mut(group) {
            Some(s) => s,
            None => self.groups.entry(group.to_string()).or_default(),
        };
        let next_seq = state.watermarks.entry(producer).or_insert(0);
        if seq < *next_seq {
            return None;
        }
        *next_seq = seq + 1;
        let position = state.next;
        state.next += 1;
        Some(position)
    }
}

/// The in-process sequencer: a [`SequencerCore`] behind a mutex.
#[derive(Debug, Default)]
pub struct EmbeddedSequencer {
    core: Mutex<SequencerCore>,
}

impl EmbeddedSequencer {
    /// A fresh in-process sequencer.
    pub fn new() -> EmbeddedSequencer {
        EmbeddedSequencer::default()
    }
}

impl Sequencer for EmbeddedSequencer {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        let result = self
            .core
            .lock()
            .map_err(|_| SequencerError("embedded sequencer lock poisoned".to_string()))
            .map(|mut core| core.assign(group, producer, seq));
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_dense_per_group_and_replays_get_none() {
        let mut s = SequencerCore::new();
        assert_eq!(s.assign("g", ProducerId(1), 0), Some(0));
        assert_eq!(s.assign("g", ProducerId(2), 0), Some(1));
        assert_eq!(s.assign("h", ProducerId(1), 0), Some(0));
        assert_eq!(s.assign("g", ProducerId(1), 0), None);
        assert_eq!(s.assign("g", ProducerId(1), 4), Some(2));
    }

    #[tokio::test]
    async fn the_embedded_sequencer_is_usable_as_a_trait_object() {
        let s: Box<dyn Sequencer> = Box::new(EmbeddedSequencer::new());
        assert_eq!(s.assign("g", ProducerId(1), 0).await, Ok(Some(0)));
        assert_eq!(s.assign("g", ProducerId(1), 0).await, Ok(None));
    }
}
