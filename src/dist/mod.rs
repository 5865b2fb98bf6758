//! Running across processes: [`Cluster`] hosts some instances, source
//! producers and sinks of a deployment in this process and exchanges their
//! streams with the other processes over NATS JetStream ([`transport`],
//! [`wire`], [`link`]); real sequencing services behind the
//! runtime's [`Sequencer`](crate::runtime::Sequencer) trait, and stream
//! membership (who must vote on a seal) kept in ZooKeeper
//! ([`ZooKeeperMembership`]).
//!
//! - [`ZooKeeperSequencer`]: the paper's sequencer, persistent sequential
//!   znodes under one path per group; the znode's sequence number is the
//!   position.
//! - [`JetStreamSequencer`]: one NATS JetStream stream per group; the stream
//!   sequence is the position, `Nats-Msg-Id` dedupes replays.
//!
//! [`SequencerConfig`] chooses one from a string (`embedded`,
//! `zookeeper://HOST:PORT[/ROOT]`, `jetstream://HOST:PORT`); the embedded
//! in-process sequencer stays the default.
//!
//! Both backends give positions from 0, dense per group (what
//! [`TotalOrder`](crate::runtime::TotalOrder) expects), answer `None` for a
//! `(producer, seq)` already ordered, and retry through connection losses
//! and server restarts until [`RetryPolicy::deadline`]. When an attempt's
//! outcome is unknown (the connection dropped before the answer) and the
//! retry finds the message already ordered, the backend answers the
//! original position rather than `None`, so a message is never lost to a
//! lost acknowledgement; replicas drop a position delivered twice.
//!
//! Between processes, messages travel as [`Frame`]s ([`wire`] encodes them)
//! on per-producer links that [`LinkReceiver`] delivers in order, once
//! ([`link`]).
//!
//! Both also implement [`Sequencer::recover`](crate::runtime::Sequencer::recover)
//! for a producer that restarted and replays: a message already ordered gets
//! its original position back (read from its order znode's name; on
//! JetStream from the duplicate ack's sequence within the duplicate window,
//! past it from the message stored on its own subject), a new one the next
//! position. No position handed out is ever left empty for good (issue 15).

pub mod cluster;
pub mod config;
pub mod fence;
mod inlet;
pub mod jetstream;
pub mod link;
mod masters;
pub mod membership;
pub mod names;
mod outbound;
pub mod retry;
mod token;
pub mod transport;
pub mod wire;
pub mod zk_session;
pub mod zookeeper;

pub use cluster::{
    Cluster, ClusterConfig, ClusterError, InstanceOutcome, LinkStats, SourceProducer,
};
pub use config::{ConfigError, SequencerConfig};
pub use jetstream::JetStreamSequencer;
pub use link::{LinkCounters, LinkReceiver, Offer};
pub use membership::{MembershipError, ZooKeeperMembership};
pub use retry::RetryPolicy;
pub use transport::{RunStream, TransportError};
pub use wire::{Frame, WireError};
pub use zookeeper::ZooKeeperSequencer;
