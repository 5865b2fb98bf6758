//! Dynamic ordering (runtime spec, "Sequencer"; paper §V-B2): a sequencing
//! service assigns one total order per run to the messages sent to an
//! ordered group (the replicas of an ordered component). [`Sequencer`] is the
//! service's interface, async and object-safe so that a distributed backend
//! (ZooKeeper sequential nodes, a NATS JetStream stream) can implement it;
//! [`EmbeddedSequencer`] is the in-process default.
//!
//! A producer that restarts (its process killed and started again) replays
//! its messages with the same `(producer, seq)`. [`Sequencer::assign`]
//! answers `None` for those, which would leave a gap in the order when the
//! previous incarnation got a position but died before forwarding the
//! message; [`Sequencer::recover`] answers the original position instead.
//!
//! A call that fails is not the end of its message (issue 15, fix 5: with a
//! sequencer failing one call in seven, replicas processed 85 of 100 records
//! and the books still balanced): drivers ask [`OrderRetry::next`] what to do
//! after each call, which retries a failed call with jittered, doubling
//! pauses, and after [`OrderRetry::max_attempts`] failures in a row gives up
//! with an [`Unordered`] error that the driver turns into a failed run.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, RngExt};

use crate::runtime::node::envelope::ProducerId;

/// A future returned by a [`Sequencer`].
pub type SequencerFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<u64>, SequencerError>> + Send + 'a>>;

/// The outcome of [`Sequencer::recover`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recovered {
    /// The message's position in its group's order.
    pub position: u64,
    /// `true` when an earlier incarnation of the producer had already
    /// ordered this message (before this call): `position` is the original
    /// one. `false` when this call ordered it.
    pub replay: bool,
}

/// A future returned by [`Sequencer::recover`].
pub type RecoverFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Recovered, SequencerError>> + Send + 'a>>;

/// A future returned by [`Sequencer::assigned`]: `(seq, position)` pairs.
pub type AssignedFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<(u64, u64)>, SequencerError>> + Send + 'a>>;

/// The sequencing service could not assign a position.
///
/// Cloning shares the service's error; two errors are equal when they are
/// the same variant with equal fields, a service error only to its clones.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SequencerError {
    /// The service (a server, or a user's backend) failed; the source is its
    /// client's error (for the distributed backends a
    /// `blazes::dist::ServiceError`, which downcasts from it).
    #[error("sequencer: {0}")]
    Service(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),
    /// The configuration names something the service cannot use.
    #[error("sequencer: {0}")]
    Config(String),
    /// A backend whose client is not compiled in.
    #[error("sequencer: the {backend} sequencer needs blazes' `{feature}` feature")]
    FeatureDisabled {
        /// The backend (`zookeeper`, `jetstream`).
        backend: &'static str,
        /// The cargo feature that compiles its client in.
        feature: &'static str,
    },
    /// The embedded sequencer's state was poisoned (a thread panicked
    /// while holding it).
    #[error("sequencer: embedded sequencer lock poisoned")]
    Poisoned,
    /// A failure injected on purpose (the simulator's
    /// `sequencer_failure`, a test's failing sequencer).
    #[error("sequencer: injected failure")]
    Injected,
}

impl SequencerError {
    /// A [`SequencerError::Service`] with `error` as its source.
    pub fn service(error: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        SequencerError::Service(Arc::from(error.into()))
    }
}

impl PartialEq for SequencerError {
    fn eq(&self, other: &SequencerError) -> bool {
        match (self, other) {
            (SequencerError::Service(a), SequencerError::Service(b)) => Arc::ptr_eq(a, b),
            (SequencerError::Config(a), SequencerError::Config(b)) => a == b,
            (
                SequencerError::FeatureDisabled { backend, feature },
                SequencerError::FeatureDisabled {
                    backend: other_backend,
                    feature: other_feature,
                },
            ) => backend == other_backend && feature == other_feature,
            (SequencerError::Poisoned, SequencerError::Poisoned)
            | (SequencerError::Injected, SequencerError::Injected) => true,
            _ => false,
        }
    }
}

impl Eq for SequencerError {}

/// A message the sequencer could not order after every attempt
/// [`OrderRetry`] allows: the run that meets it fails (issue 15, fix 5).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "ordered group `{group}`: message {seq} of producer {producer} was not ordered \
     after {attempts} attempts"
)]
pub struct Unordered {
    /// The ordered group.
    pub group: String,
    /// The message's producer.
    pub producer: ProducerId,
    /// The message's seq.
    pub seq: u64,
    /// Calls made for it.
    pub attempts: u32,
    /// The last call's error.
    #[source]
    pub source: SequencerError,
}

/// How a driver retries a message whose sequencer call failed: up to
/// `max_attempts` calls, pausing between them with a step that starts at
/// `first_backoff` and doubles up to `max_backoff`, each pause drawn between
/// half of its step and the step (jitter, so drivers do not retry in
/// lockstep).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderRetry {
    /// Calls made for one message before giving up (at least one).
    pub max_attempts: u32,
    /// The first backoff step.
    pub first_backoff: Duration,
    /// The largest backoff step.
    pub max_backoff: Duration,
}

impl Default for OrderRetry {
    /// Ten calls, pauses from 2 ms doubling up to 250 ms (about a second
    /// of retrying before a message is given up).
    fn default() -> OrderRetry {
        OrderRetry {
            max_attempts: 10,
            first_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(250),
        }
    }
}

impl OrderRetry {
    /// The same with at most `max_attempts` calls per message (builder style).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> OrderRetry {
        self.max_attempts = max_attempts;
        self
    }

    /// The same with pauses from `first` doubling up to `max` (builder style).
    pub fn with_backoff(mut self, first: Duration, max: Duration) -> OrderRetry {
        self.first_backoff = first;
        self.max_backoff = max;
        self
    }
}

/// What a driver does with a message after a call to the sequencer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Ordered at this position: forward it to every member.
    Forward(u64),
    /// Already ordered (a replay): drop it and count it.
    Replay,
    /// The call failed: call again after this pause.
    Retry(Duration),
    /// The last allowed call failed: the message cannot be ordered and the
    /// run must fail.
    GiveUp(Unordered),
}

impl OrderRetry {
    /// The step after call number `attempt` (from 1) for message
    /// `(producer, seq)` of `group` answered `result`; pauses are drawn
    /// from `rng`.
    pub fn next<R: Rng + ?Sized>(
        &self,
        group: &str,
        producer: ProducerId,
        seq: u64,
        attempt: u32,
        result: Result<Option<u64>, SequencerError>,
        rng: &mut R,
    ) -> NextStep {
        match result {
            Ok(Some(position)) => NextStep::Forward(position),
            Ok(None) => NextStep::Replay,
            Err(source) if attempt >= self.max_attempts.max(1) => NextStep::GiveUp(Unordered {
                group: group.to_string(),
                producer,
                seq,
                attempts: attempt,
                source,
            }),
            Err(_) => {
                crate::runtime::telemetry::count_retry("order");
                let factor = 1u32
                    .checked_shl(attempt.saturating_sub(1).min(16))
                    .unwrap_or(u32::MAX);
                let step = self
                    .first_backoff
                    .saturating_mul(factor)
                    .min(self.max_backoff);
                NextStep::Retry(jitter(step, rng))
            }
        }
    }
}

/// A pause drawn uniformly between half of `step` and `step`.
pub(crate) fn jitter<R: Rng + ?Sized>(step: Duration, rng: &mut R) -> Duration {
    let nanos = u64::try_from(step.as_nanos()).unwrap_or(u64::MAX);
    let floor = nanos / 2;
    Duration::from_nanos(rng.random_range(floor..=nanos))
}

/// Assigns positions in one total order per group.
pub trait Sequencer: Send + Sync {
    /// The next position of `group`'s order for message `(producer, seq)`,
    /// or `None` when that message was already ordered (a replay).
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a>;

    /// For a producer that restarted and replays: the position of
    /// `(producer, seq)`, the original one when it was already ordered,
    /// else a new one (the next position of `group`'s order).
    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a>;

    /// Every message of `producer` that `group`'s order holds, as `(seq,
    /// position)` pairs sorted by position: what an operator's retirement
    /// of a stopped producer reads, so that the replicas skip the positions
    /// it took and never published (docs/runtime.md, "Retirement").
    ///
    /// Required, so that a wrapper cannot forget to forward it to the
    /// service it wraps (a sequencer that cannot list its assignments could
    /// not serve a retirement into an ordered group).
    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a>;
}

/// The sequencing logic, synchronous: positions count up from 0 per group;
/// for [`SequencerCore::assign`], a message below its producer's watermark
/// is a replay (producers' messages reach the sequencer in the order they
/// were sent).
///
/// Memory: for [`SequencerCore::recover`], the core remembers the position
/// of every message it ordered (per group, per producer, `seq -> position`),
/// so it grows by one map entry per ordered message for the whole run.
#[derive(Debug, Default)]
pub struct SequencerCore {
    groups: HashMap<String, GroupState>,
}

#[derive(Debug, Default)]
struct GroupState {
    next: u64,
    producers: HashMap<ProducerId, ProducerState>,
}

#[derive(Debug, Default)]
struct ProducerState {
    /// One past the highest seq ordered.
    watermark: u64,
    /// The position given to each seq ordered.
    positions: HashMap<u64, u64>,
}

impl GroupState {
    /// Gives `(producer, seq)` the next position.
    fn order(&mut self, producer: ProducerId, seq: u64) -> u64 {
        let position = self.next;
        self.next += 1;
        let state = self.producers.entry(producer).or_default();
        state.watermark = state.watermark.max(seq.saturating_add(1));
        state.positions.insert(seq, position);
        position
    }
}

impl SequencerCore {
    /// A sequencer with no groups yet.
    pub fn new() -> SequencerCore {
        SequencerCore::default()
    }

    /// Assigns the next position of `group` to `(producer, seq)`, or `None`
    /// for a replay.
    pub fn assign(&mut self, group: &str, producer: ProducerId, seq: u64) -> Option<u64> {
        let state = self.group(group);
        let watermark = state.producers.get(&producer).map_or(0, |p| p.watermark);
        if seq < watermark {
            return None;
        }
        Some(state.order(producer, seq))
    }

    /// The position of `(producer, seq)` in `group`'s order: the original
    /// one when it was already ordered (`replay: true`), else the next one.
    /// A seq below the producer's watermark that was never ordered (the
    /// producer skipped it) gets a new position.
    pub fn recover(&mut self, group: &str, producer: ProducerId, seq: u64) -> Recovered {
        let state = self.group(group);
        let original = state
            .producers
            .get(&producer)
            .and_then(|p| p.positions.get(&seq).copied());
        match original {
            Some(position) => Recovered {
                position,
                replay: true,
            },
            None => Recovered {
                position: state.order(producer, seq),
                replay: false,
            },
        }
    }

    /// Every `(seq, position)` of `producer` in `group`'s order, sorted by
    /// position.
    pub fn assigned(&self, group: &str, producer: ProducerId) -> Vec<(u64, u64)> {
        let mut pairs: Vec<(u64, u64)> = self
            .groups
            .get(group)
            .and_then(|g| g.producers.get(&producer))
            .map(|p| p.positions.iter().map(|(s, q)| (*s, *q)).collect())
            .unwrap_or_default();
        pairs.sort_unstable_by_key(|&(_, position)| position);
        pairs
    }

    fn group(&mut self, group: &str) -> &mut GroupState {
        if !self.groups.contains_key(group) {
            self.groups.insert(group.to_string(), GroupState::default());
        }
        self.groups.get_mut(group).expect("inserted above")
    }
}

/// The in-process sequencer: the sequencing state machine behind a mutex (so it keeps
/// one position per ordered message, for [`Sequencer::recover`]).
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
            .map_err(|_| SequencerError::Poisoned)
            .map(|mut core| core.assign(group, producer, seq));
        Box::pin(std::future::ready(result))
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        let result = self
            .core
            .lock()
            .map_err(|_| SequencerError::Poisoned)
            .map(|mut core| core.recover(group, producer, seq));
        Box::pin(std::future::ready(result))
    }

    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        let result = self
            .core
            .lock()
            .map_err(|_| SequencerError::Poisoned)
            .map(|core| core.assigned(group, producer));
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
        assert_eq!(
            s.recover("g", ProducerId(1), 0).await,
            Ok(Recovered {
                position: 0,
                replay: true
            })
        );
    }

    fn replayed(position: u64) -> Recovered {
        Recovered {
            position,
            replay: true,
        }
    }

    fn ordered(position: u64) -> Recovered {
        Recovered {
            position,
            replay: false,
        }
    }

    #[test]
    fn recover_gives_the_original_position_of_an_ordered_message() {
        let mut s = SequencerCore::new();
        for seq in 0..3 {
            assert_eq!(s.assign("g", ProducerId(1), seq), Some(2 * seq));
            assert_eq!(s.assign("g", ProducerId(2), seq), Some(2 * seq + 1));
        }
        assert_eq!(s.assign("h", ProducerId(1), 0), Some(0));
        assert_eq!(s.recover("g", ProducerId(1), 1), replayed(2));
        assert_eq!(s.recover("g", ProducerId(2), 0), replayed(1));
        assert_eq!(s.recover("g", ProducerId(2), 2), replayed(5));
        assert_eq!(s.recover("h", ProducerId(1), 0), replayed(0));
        // Recovering twice answers the same.
        assert_eq!(s.recover("g", ProducerId(1), 1), replayed(2));
        // A message never ordered gets the next position, once.
        assert_eq!(s.recover("g", ProducerId(1), 3), ordered(6));
        assert_eq!(s.recover("g", ProducerId(1), 3), replayed(6));
        assert_eq!(s.assign("g", ProducerId(1), 3), None);
        // The order stays gapless.
        assert_eq!(s.assign("g", ProducerId(1), 4), Some(7));
        assert_eq!(s.assign("g", ProducerId(3), 0), Some(8));
        assert_eq!(s.recover("g", ProducerId(3), 0), replayed(8));
    }

    #[test]
    fn a_failed_call_is_retried_with_growing_pauses_then_given_up() {
        let policy = OrderRetry {
            max_attempts: 3,
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(15),
        };
        let mut rng = rand::rng();
        let down = SequencerError::service("down");
        let failed = || Err(down.clone());
        let p = ProducerId(4);
        assert_eq!(
            policy.next("g", p, 7, 1, Ok(Some(3)), &mut rng),
            NextStep::Forward(3)
        );
        assert_eq!(
            policy.next("g", p, 7, 1, Ok(None), &mut rng),
            NextStep::Replay
        );
        for (attempt, step) in [(1, 10), (2, 15)] {
            let NextStep::Retry(pause) = policy.next("g", p, 7, attempt, failed(), &mut rng) else {
                panic!("attempt {attempt} is retried");
            };
            let step = Duration::from_millis(step);
            assert!(pause >= step / 2 && pause <= step, "{pause:?}");
        }
        let NextStep::GiveUp(unordered) = policy.next("g", p, 7, 3, failed(), &mut rng) else {
            panic!("the third failure gives up");
        };
        assert_eq!((unordered.seq, unordered.attempts), (7, 3));
        assert_eq!(unordered.source, down, "the last call's error");
        assert_ne!(
            unordered.source,
            SequencerError::service("down"),
            "another error"
        );
        let source = std::error::Error::source(&unordered).expect("the call's error");
        let service = std::error::Error::source(source).expect("the service's error");
        assert_eq!(service.to_string(), "down");
    }

    #[tokio::test]
    async fn assigned_lists_a_producers_positions_in_order() {
        let s = EmbeddedSequencer::new();
        for (producer, seq) in [(1, 0), (2, 0), (1, 1), (1, 9), (2, 1)] {
            s.assign("g", ProducerId(producer), seq)
                .await
                .expect("assigned");
        }
        s.recover("h", ProducerId(1), 0).await.expect("recovered");
        assert_eq!(
            s.assigned("g", ProducerId(1)).await,
            Ok(vec![(0, 0), (1, 2), (9, 3)])
        );
        assert_eq!(
            s.assigned("g", ProducerId(2)).await,
            Ok(vec![(0, 1), (1, 4)])
        );
        assert_eq!(s.assigned("g", ProducerId(3)).await, Ok(vec![]));
        assert_eq!(s.assigned("none", ProducerId(1)).await, Ok(vec![]));
    }

    #[test]
    fn recover_orders_a_skipped_seq_below_the_watermark() {
        let mut s = SequencerCore::new();
        assert_eq!(s.assign("g", ProducerId(1), 0), Some(0));
        assert_eq!(s.assign("g", ProducerId(1), 4), Some(1));
        assert_eq!(s.assign("g", ProducerId(1), 2), None, "assign: a replay");
        assert_eq!(s.recover("g", ProducerId(1), 2), ordered(2));
        assert_eq!(s.recover("g", ProducerId(1), 4), replayed(1));
        assert_eq!(s.assign("g", ProducerId(1), 5), Some(3));
    }
}
