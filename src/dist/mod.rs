//! Running across processes: [`Cluster`] hosts some instances, source
//! producers and sinks of a deployment in this process and exchanges their
//! streams with the other processes over NATS JetStream ([`RunStream`],
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
//! the replicas' total order expects), answer `None` for a
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
//!   [`SequencerConfig::connect`] refuses it), [`RetryPolicy`],
//!   [`ServiceError`], [`Security`] (NATS credentials and TLS, ZooKeeper
//!   digest authentication);
//! - `nats`: [`JetStreamSequencer`], [`RunStream`] (the transport), [`wire`],
//!   [`link`], [`RunIdentity`] (what a run id names);
//! - `zookeeper`: [`ZooKeeperSequencer`], [`ZooKeeperMembership`];
//! - `nats` and `zookeeper` (`dist`): [`Cluster`], `clean_run` (deleting a
//!   finished run from the servers).
//!
//! The plumbing (the ZooKeeper session, the server-side names, the
//! transport's publisher and reader, the cluster's inlets and outbounds)
//! is private; [`wire`] and [`link`] stay public as the documented wire
//! format and its delivery rule, which the property tests drive directly.

#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod checkpoint;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod cleanup;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod cluster;
mod config;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod fence;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod held_back;
#[cfg(feature = "nats")]
mod jetstream;
#[cfg(feature = "nats")]
pub mod link;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod masters;
#[cfg(feature = "zookeeper")]
mod membership;
mod names;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod receiving_end;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod retirement_account;
mod retry;
#[cfg(feature = "nats")]
mod run_identity;
mod security;
#[cfg(all(feature = "nats", feature = "zookeeper"))]
mod sending_end;
mod token;
#[cfg(feature = "nats")]
mod transport;
#[cfg(feature = "nats")]
pub mod wire;
#[cfg(feature = "zookeeper")]
mod zk_session;
#[cfg(feature = "zookeeper")]
mod zookeeper;

/// Needs the `nats` and `zookeeper` (`dist`) features.
#[cfg(all(feature = "nats", feature = "zookeeper"))]
pub use checkpoint::CheckpointPolicy;
/// Needs the `nats` and `zookeeper` (`dist`) features.
#[cfg(all(feature = "nats", feature = "zookeeper"))]
pub use cleanup::{Cleaned, clean_run};
/// Needs the `nats` and `zookeeper` (`dist`) features.
#[cfg(all(feature = "nats", feature = "zookeeper"))]
pub use cluster::{
    Cluster, ClusterConfig, ClusterError, InstanceOutcome, LinkStats, SourceProducer,
};
pub use config::{ConfigError, DEFAULT_DUPLICATE_WINDOW, SequencerConfig};
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub use jetstream::JetStreamSequencer;
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub use link::{LinkCounters, LinkReceiver, Offer};
/// Needs the `zookeeper` feature.
#[cfg(feature = "zookeeper")]
pub use membership::{MembershipError, ZooKeeperMembership};
pub use retry::{BoxError, ClientError, RetryPolicy, ServiceError};
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub use run_identity::{Difference, RunIdentity};
pub use security::{
    NatsCredentials, NatsSecurity, NatsTls, Security, SecurityError, ZooKeeperDigest,
};
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub use transport::{RunStream, TransportError, valid_run_id};
/// Needs the `nats` feature.
#[cfg(feature = "nats")]
pub use wire::{Frame, WireError};
/// Needs the `zookeeper` feature.
#[cfg(feature = "zookeeper")]
pub use zookeeper::ZooKeeperSequencer;
