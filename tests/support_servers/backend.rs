//! One sequencing service under test, whichever its kind.

use std::sync::Arc;
use std::time::Duration;

use blazes::dist::{RetryPolicy, SequencerConfig};
use blazes::runtime::Sequencer;

use super::{Nats, ZooKeeper};

/// The kinds of distributed sequencer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ZooKeeper sequential znodes.
    ZooKeeper,
    /// NATS JetStream streams.
    JetStream,
}

/// A running server of one kind.
pub enum Service {
    /// ZooKeeper.
    ZooKeeper(ZooKeeper),
    /// nats-server -js.
    JetStream(Nats),
}

impl Service {
    /// Starts a server of `kind`; the test fails if it cannot.
    pub fn start(kind: Kind) -> Service {
        match kind {
            Kind::ZooKeeper => Service::ZooKeeper(ZooKeeper::start().expect("ZooKeeper starts")),
            Kind::JetStream => Service::JetStream(Nats::start().expect("nats-server starts")),
        }
    }

    /// The configuration string of a sequencer whose groups live in
    /// `namespace` (a ZooKeeper root, a stream prefix), so runs stay apart.
    pub fn config(&self, namespace: &str) -> SequencerConfig {
        let s = match self {
            Service::ZooKeeper(zk) => format!("{}/blazes/{namespace}", zk.zookeeper_config()),
            Service::JetStream(nats) => format!("{}/{namespace}", nats.jetstream_config()),
        };
        s.parse().expect("a valid sequencer configuration")
    }

    /// A client reaching the server through loopback port `port` (a
    /// proxy), its groups in `namespace`.
    pub async fn client_via(&self, port: u16, namespace: &str) -> Arc<dyn Sequencer> {
        let s = match self {
            Service::ZooKeeper(_) => format!("zookeeper://127.0.0.1:{port}/blazes/{namespace}"),
            Service::JetStream(_) => format!("jetstream://127.0.0.1:{port}/{namespace}"),
        };
        let config: SequencerConfig = s.parse().expect("a valid sequencer configuration");
        config
            .connect(policy())
            .await
            .expect("the sequencer connects")
    }

    /// The server's client port.
    pub fn port(&self) -> u16 {
        match self {
            Service::ZooKeeper(zk) => zk.port,
            Service::JetStream(nats) => nats.port,
        }
    }

    /// A client with the configuration's default root or stream prefix.
    pub async fn default_client(&self) -> Arc<dyn Sequencer> {
        let s = match self {
            Service::ZooKeeper(zk) => zk.zookeeper_config(),
            Service::JetStream(nats) => nats.jetstream_config(),
        };
        let config: SequencerConfig = s.parse().expect("a valid sequencer configuration");
        config
            .connect(policy())
            .await
            .expect("the sequencer connects")
    }

    /// A new client of the service (its own connection or session).
    pub async fn client(&self, namespace: &str) -> Arc<dyn Sequencer> {
        self.config(namespace)
            .connect(policy())
            .await
            .expect("the sequencer connects")
    }

    /// Kills the server by pid.
    pub fn kill(&mut self) {
        match self {
            Service::ZooKeeper(zk) => zk.kill(),
            Service::JetStream(nats) => nats.kill(),
        }
    }

    /// Starts it again on the same port and data directory.
    pub fn start_again(&mut self) {
        match self {
            Service::ZooKeeper(zk) => zk.start_again().expect("ZooKeeper restarts"),
            Service::JetStream(nats) => nats.start_again().expect("nats-server restarts"),
        }
    }
}

/// Retry long enough to ride out a server restart, short enough to fail a
/// test rather than hang it.
pub fn policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_deadline(Duration::from_secs(90))
        .with_backoff(Duration::from_millis(20), Duration::from_millis(300))
        .with_attempt_timeout(Duration::from_secs(3))
}
