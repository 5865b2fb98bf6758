//! Which sequencing service a process uses, chosen by configuration.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "nats")]
use super::jetstream::JetStreamSequencer;
use super::names::{DEFAULT_ROOT, DEFAULT_STREAM_PREFIX, checked_root, valid_prefix};
use super::retry::RetryPolicy;
#[cfg(feature = "zookeeper")]
use super::zookeeper::ZooKeeperSequencer;
use crate::runtime::sequencer::{EmbeddedSequencer, Sequencer, SequencerError};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sequencer configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl FromStr for SequencerConfig {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<SequencerConfig, ConfigError> {
        let s = s.trim();
        if s.is_empty() || s == "embedded" {
            return Ok(SequencerConfig::Embedded);
        }
        let (scheme, rest) = s.split_once("://").ok_or_else(|| {
            ConfigError(format!("`{s}`: expected `embedded` or SCHEME://HOST:PORT"))
        })?;
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
                    return Err(ConfigError(format!("`?{q}`: zookeeper takes no options")));
                }
                Ok(SequencerConfig::ZooKeeper {
                    connect: hosts.to_string(),
                    root: match path.trim_end_matches('/') {
                        "" => DEFAULT_ROOT.to_string(),
                        root => checked_root(root).map_err(ConfigError)?,
                    },
                })
            }
            "jetstream" => {
                if hosts.contains(',') {
                    return Err(ConfigError("jetstream takes one server".to_string()));
                }
                let prefix = path.trim_matches('/');
                if !prefix.is_empty() && !valid_prefix(prefix) {
                    return Err(ConfigError(format!(
                        "`{prefix}`: a stream prefix is ASCII letters, digits, `-` and `_`"
                    )));
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
            other => Err(ConfigError(format!(
                "unknown scheme `{other}` (expected zookeeper or jetstream)"
            ))),
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
        .ok_or_else(|| {
            ConfigError(format!(
                "`?{query}`: jetstream takes `?dedupe=SECONDS` (a positive number)"
            ))
        })
}

fn check_host_port(host: &str) -> Result<(), ConfigError> {
    let (name, port) = host
        .rsplit_once(':')
        .ok_or_else(|| ConfigError(format!("`{host}`: expected HOST:PORT")))?;
    if name.is_empty() || port.parse::<u16>().is_err() {
        return Err(ConfigError(format!("`{host}`: expected HOST:PORT")));
    }
    Ok(())
}

impl SequencerConfig {
    /// Connects to the configured service (retrying per `policy`). A
    /// backend whose feature (`zookeeper`, `nats`) is not compiled in is
    /// refused with an error naming the feature.
    pub async fn connect(&self, policy: RetryPolicy) -> Result<Arc<dyn Sequencer>, SequencerError> {
        Ok(match self {
            SequencerConfig::Embedded => Arc::new(EmbeddedSequencer::new()),
            #[cfg(feature = "zookeeper")]
            SequencerConfig::ZooKeeper { connect, root } => {
                Arc::new(ZooKeeperSequencer::connect(connect, root, policy).await?)
            }
            #[cfg(not(feature = "zookeeper"))]
            SequencerConfig::ZooKeeper { .. } => {
                let _ = policy;
                return Err(SequencerError(
                    "the zookeeper sequencer needs blazes' `zookeeper` feature".to_string(),
                ));
            }
            #[cfg(feature = "nats")]
            SequencerConfig::JetStream {
                url,
                stream_prefix,
                duplicate_window,
            } => Arc::new(
                JetStreamSequencer::connect(url, stream_prefix, *duplicate_window, policy).await?,
            ),
            #[cfg(not(feature = "nats"))]
            SequencerConfig::JetStream { .. } => {
                let _ = policy;
                return Err(SequencerError(
                    "the jetstream sequencer needs blazes' `nats` feature".to_string(),
                ));
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
}
