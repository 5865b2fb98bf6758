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

//! # Features
//!
//! The module is compiled with the `nats` or the `zookeeper` feature (`dist`
//! enables both); a library user gets neither by default.
//!
//! - always: [`SequencerConfig`] (a backend whose feature is off parses, and
//!   [`SequencerConfig::connect`] refuses it), [`RetryPolicy`], [`names`];
//! - `nats`: [`JetStreamSequencer`], [`transport`], [`wire`], [`link`];
//! - `zookeeper`: [`ZooKeeperSequencer`], [`ZooKeeperMembership`];
//! - `nats` and `zookeeper` (`dist`): [`Cluster`].

/// Needs the `nats` and `zookeeper` (`dist`) features.
#[cfg(all(feature = "nats", feature = "zookeeper"))]
pub mod cluster;
pub mod config;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod inlet;
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub mod jetstream;
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub mod link;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod masters;
/// Needs the `zookeeper` feature.
#[cfg(feature = "zookeeper")]
pub mod membership;
pub mod names;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod outbound;
pub mod retry;
mod token;
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub mod transport;
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub mod wire;
/// Needs the `zookeeper` feature.
#[cfg(feature = "zookeeper")]
pub mod zk_session;
/// Needs the `zookeeper` feature.
#[cfg(feature = "zookeeper")]
pub mod zookeeper;

#[cfg(all(feature = "nats", feature = "zookeeper"))]
pub use cluster::{
    Cluster, ClusterConfig, ClusterError, InstanceOutcome, LinkStats, SourceProducer,
};
pub use config::{ConfigError, SequencerConfig};
#[cfg(feature = "nats")]
pub use jetstream::JetStreamSequencer;
#[cfg(feature = "nats")]
pub use link::{LinkCounters, LinkReceiver, Offer};
#[cfg(feature = "zookeeper")]
pub use membership::{MembershipError, ZooKeeperMembership};
pub use retry::RetryPolicy;
#[cfg(feature = "nats")]
pub use transport::{RunStream, TransportError};
#[cfg(feature = "nats")]
pub use wire::{Frame, WireError};
#[cfg(feature = "zookeeper")]
pub use zookeeper::ZooKeeperSequencer;
