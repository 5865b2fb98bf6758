//! Which sequencing service a process uses, chosen by configuration.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "nats")]
use super::jetstream::JetStreamSequencer;
use super::names::{DEFAULT_ROOT, DEFAULT_STREAM_PREFIX, checked_root, valid_prefix};
use super::retry::RetryPolicy;
use super::security::Security;
#[cfg(feature = "zookeeper")]
use super::zookeeper::ZooKeeperSequencer;
use crate::runtime::coordination::sequencer::{EmbeddedSequencer, Sequencer, SequencerError};

/// How long JetStream remembers message ids unless configured (one hour).
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);

/// A sequencing service, parsed from a string:
///
/// - `embedded` (or the empty string): the in-process default;
/// - `zookeeper://HOST:PORT[,HOST:PORT..][/ROOT/PATH]`;
/// - `jetstream://HOST:PORT[/STREAM_PREFIX][?dedupe=SECONDS]`.
///
/// ```
/// use blazes::dist::SequencerConfig;
///
/// let zk: SequencerConfig = "zookeeper://127.0.0.1:2181/apps/ads".parse().unwrap();
/// assert_eq!(
///     zk,
///     SequencerConfig::ZooKeeper { connect: "127.0.0.1:2181".into(), root: "/apps/ads".into() }
/// );
/// assert_eq!("".parse::<SequencerConfig>(), Ok(SequencerConfig::Embedded));
/// assert!("etcd://127.0.0.1:2379".parse::<SequencerConfig>().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SequencerConfig {
    /// [`EmbeddedSequencer`]: one process only.
    #[default]
    Embedded,
    /// `ZooKeeperSequencer` (connecting needs the `zookeeper` feature).
    ZooKeeper {
        /// The ensemble, `host:port[,host:port..]`.
        connect: String,
        /// The absolute path the znodes live under.
        root: String,
    },
    /// `JetStreamSequencer` (connecting needs the `nats` feature).
    JetStream {
        /// The server, `nats://host:port`.
        url: String,
        /// The prefix of the streams' names.
        stream_prefix: String,
        /// How long the server remembers a message id (`?dedupe=SECONDS`):
        /// within this window a replay is recognised by the id alone, past
        /// it by the message's subject (one more request).
        duplicate_window: Duration,
    },
}

/// A sequencer configuration string that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither `embedded` nor `SCHEME://..`.
    #[error("sequencer configuration: `{0}`: expected `embedded` or SCHEME://HOST:PORT")]
    Form(String),
    /// A scheme other than `zookeeper` and `jetstream`.
    #[error("sequencer configuration: unknown scheme `{0}` (expected zookeeper or jetstream)")]
    UnknownScheme(String),
    /// A server that is not `HOST:PORT`.
    #[error("sequencer configuration: `{0}`: expected HOST:PORT")]
    HostPort(String),
    /// An option (`?..`) the scheme does not take.
    #[error("sequencer configuration: `?{option}`: {scheme} takes {takes}")]
    Option {
        /// The option as written.
        option: String,
        /// The scheme.
        scheme: &'static str,
        /// What the scheme takes.
        takes: &'static str,
    },
    /// A ZooKeeper root that is not an absolute path below `/`.
    #[error("sequencer configuration: {0}")]
    Root(String),
    /// A JetStream stream prefix with characters a stream name cannot hold.
    #[error(
        "sequencer configuration: `{0}`: a stream prefix is ASCII letters, digits, `-` and `_`"
    )]
    StreamPrefix(String),
    /// Several servers for JetStream.
    #[error("sequencer configuration: jetstream takes one server")]
    SeveralServers,
}

impl FromStr for SequencerConfig {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<SequencerConfig, ConfigError> {
        let s = s.trim();
        if s.is_empty() || s == "embedded" {
            return Ok(SequencerConfig::Embedded);
        }
        let (scheme, rest) = s
            .split_once("://")
            .ok_or_else(|| ConfigError::Form(s.to_string()))?;
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (hosts, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        for host in hosts.split(',') {
            check_host_port(host)?;
        }
        match scheme {
            "zookeeper" => {
                if let Some(q) = query {
                    return Err(ConfigError::Option {
                        option: q.to_string(),
                        scheme: "zookeeper",
                        takes: "no options",
                    });
                }
                Ok(SequencerConfig::ZooKeeper {
                    connect: hosts.to_string(),
                    root: match path.trim_end_matches('/') {
                        "" => DEFAULT_ROOT.to_string(),
                        root => checked_root(root).map_err(ConfigError::Root)?,
                    },
                })
            }
            "jetstream" => {
                if hosts.contains(',') {
                    return Err(ConfigError::SeveralServers);
                }
                let prefix = path.trim_matches('/');
                if !prefix.is_empty() && !valid_prefix(prefix) {
                    return Err(ConfigError::StreamPrefix(prefix.to_string()));
                }
                Ok(SequencerConfig::JetStream {
                    url: format!("nats://{hosts}"),
                    stream_prefix: if prefix.is_empty() {
                        DEFAULT_STREAM_PREFIX.to_string()
                    } else {
                        prefix.to_string()
                    },
                    duplicate_window: match query {
                        None => DEFAULT_DUPLICATE_WINDOW,
                        Some(q) => dedupe_window(q)?,
                    },
                })
            }
            other => Err(ConfigError::UnknownScheme(other.to_string())),
        }
    }
}

/// `dedupe=SECONDS`: how long JetStream remembers message ids.
fn dedupe_window(query: &str) -> Result<Duration, ConfigError> {
    query
        .strip_prefix("dedupe=")
        .and_then(|secs| secs.parse::<u64>().ok())
        .filter(|secs| *secs > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| ConfigError::Option {
            option: query.to_string(),
            scheme: "jetstream",
            takes: "`?dedupe=SECONDS` (a positive number)",
        })
}

fn check_host_port(host: &str) -> Result<(), ConfigError> {
    let (name, port) = host
        .rsplit_once(':')
        .ok_or_else(|| ConfigError::HostPort(host.to_string()))?;
    if name.is_empty() || port.parse::<u16>().is_err() {
        return Err(ConfigError::HostPort(host.to_string()));
    }
    Ok(())
}

impl SequencerConfig {
    /// Connects to the configured service (retrying per `policy`). A
    /// backend whose feature (`zookeeper`, `nats`) is not compiled in is
    /// refused with an error naming the feature.
    pub async fn connect(&self, policy: RetryPolicy) -> Result<Arc<dyn Sequencer>, SequencerError> {
        self.connect_with(policy, &Security::default()).await
    }

    /// [`SequencerConfig::connect`] with credentials, TLS and
    /// authentication (`security.nats` for JetStream,
    /// `security.zookeeper` for ZooKeeper).
    pub async fn connect_with(
        &self,
        policy: RetryPolicy,
        security: &Security,
    ) -> Result<Arc<dyn Sequencer>, SequencerError> {
        let _ = security;
        Ok(match self {
            SequencerConfig::Embedded => Arc::new(EmbeddedSequencer::new()),
            #[cfg(feature = "zookeeper")]
            SequencerConfig::ZooKeeper { connect, root } => Arc::new(
                ZooKeeperSequencer::connect_with(
                    connect,
                    root,
                    policy,
                    security.zookeeper.as_ref(),
                )
                .await?,
            ),
            #[cfg(not(feature = "zookeeper"))]
            SequencerConfig::ZooKeeper { .. } => {
                let _ = policy;
                return Err(SequencerError::FeatureDisabled {
                    backend: "zookeeper",
                    feature: "zookeeper",
                });
            }
            #[cfg(feature = "nats")]
            SequencerConfig::JetStream {
                url,
                stream_prefix,
                duplicate_window,
            } => Arc::new(
                JetStreamSequencer::connect_with(
                    url,
                    stream_prefix,
                    *duplicate_window,
                    policy,
                    &security.nats,
                )
                .await?,
            ),
            #[cfg(not(feature = "nats"))]
            SequencerConfig::JetStream { .. } => {
                let _ = policy;
                return Err(SequencerError::FeatureDisabled {
                    backend: "jetstream",
                    feature: "nats",
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SequencerConfig, ConfigError> {
        s.parse()
    }

    #[test]
    fn each_scheme_parses_with_its_defaults() {
        assert_eq!(parse("embedded"), Ok(SequencerConfig::Embedded));
        assert_eq!(
            parse("zookeeper://127.0.0.1:2181,127.0.0.1:2182"),
            Ok(SequencerConfig::ZooKeeper {
                connect: "127.0.0.1:2181,127.0.0.1:2182".into(),
                root: DEFAULT_ROOT.into()
            })
        );
        assert_eq!(
            parse("jetstream://127.0.0.1:4222"),
            Ok(SequencerConfig::JetStream {
                url: "nats://127.0.0.1:4222".into(),
                stream_prefix: DEFAULT_STREAM_PREFIX.into(),
                duplicate_window: DEFAULT_DUPLICATE_WINDOW,
            })
        );
        assert_eq!(
            parse("jetstream://127.0.0.1:4222/ADS?dedupe=86400"),
            Ok(SequencerConfig::JetStream {
                url: "nats://127.0.0.1:4222".into(),
                stream_prefix: "ADS".into(),
                duplicate_window: Duration::from_secs(86400),
            })
        );
    }

    #[test]
    fn malformed_strings_are_rejected_with_a_reason() {
        for bad in [
            "zookeeper://",
            "zookeeper://host",
            "zookeeper://host:notaport",
            "zookeeper://:2181",
            "jetstream://a:1,b:2",
            "jetstream://a:1/x/y",
            "jetstream://a:1/x.y",
            "jetstream://a:1?dedupe=0",
            "jetstream://a:1?dedupe=soon",
            "jetstream://a:1?window=3",
            "zookeeper://a:1?dedupe=3",
            "zookeeper://a:1//x",
            "nats://a:1",
            "127.0.0.1:2181",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn each_malformed_part_has_its_variant() {
        assert_eq!(
            parse("127.0.0.1:2181"),
            Err(ConfigError::Form("127.0.0.1:2181".into()))
        );
        assert_eq!(
            parse("nats://a:1"),
            Err(ConfigError::UnknownScheme("nats".into()))
        );
        assert_eq!(
            parse("zookeeper://host"),
            Err(ConfigError::HostPort("host".into()))
        );
        assert_eq!(
            parse("jetstream://a:1,b:2"),
            Err(ConfigError::SeveralServers)
        );
        assert_eq!(
            parse("jetstream://a:1/x.y"),
            Err(ConfigError::StreamPrefix("x.y".into()))
        );
        assert!(matches!(
            parse("jetstream://a:1?dedupe=0"),
            Err(ConfigError::Option { option, scheme: "jetstream", .. }) if option == "dedupe=0"
        ));
        assert!(matches!(
            parse("zookeeper://a:1//x"),
            Err(ConfigError::Root(_))
        ));
    }

    /// The client's error survives up to the caller: sequencer error, then
    /// the service's, then ZooKeeper's client's.
    #[cfg(feature = "zookeeper")]
    #[tokio::test]
    async fn an_unreachable_zookeeper_keeps_the_clients_error_as_source() {
        use std::error::Error;

        use crate::dist::retry::ServiceError;

        let policy = RetryPolicy {
            deadline: Duration::from_millis(300),
            first_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            attempt_timeout: Duration::from_millis(100),
        };
        let config = parse("zookeeper://127.0.0.1:1").expect("parses");
        let error = config
            .connect(policy)
            .await
            .err()
            .expect("nothing listens on port 1");
        let SequencerError::Service(service) = &error else {
            panic!("a service error: {error:?}");
        };
        let service = service
            .downcast_ref::<ServiceError>()
            .expect("the service's error");
        assert!(
            matches!(service, ServiceError::Connect { server, .. } if server.contains("127.0.0.1:1")),
            "{service:?}"
        );
        let client = error
            .source()
            .and_then(Error::source)
            .expect("the chain reaches the client's error");
        assert!(
            client.downcast_ref::<zookeeper_client::Error>().is_some(),
            "{client:?}"
        );
    }
}
