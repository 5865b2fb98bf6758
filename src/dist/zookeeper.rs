//! The paper's sequencer: ZooKeeper sequential znodes.
//!
//! Layout under the root (default `/blazes/sequencer`), per group `G`
//! (escaped by [`names::escape`]):
//!
//! - `ROOT/G/order/p{producer}-s{seq}-NNNNNNNNNN`: one persistent sequential
//!   znode per ordered message; ZooKeeper's counter `NNNNNNNNNN` (from 0,
//!   dense: only this backend creates children there and never deletes them)
//!   is the message's position.
//! - `ROOT/G/seen/p{producer}-s{seq}`: the replay marker of the message.
//!
//! Both are created in one multi-op transaction, so a message is ordered
//! exactly when its marker exists: the marker already existing means a
//! replay (`None`), whatever order producers' messages arrive in. A failed
//! transaction creates nothing and consumes no position.
//!
//! Limits: ZooKeeper's counter is an `i32`, so a group holds at most 2^31
//! positions; markers and order znodes are never garbage-collected.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Instant;

use zookeeper_client as zk;

use super::names;
use super::retry::RetryPolicy;
use super::zk_session::{ZkSession, is_transient};
use crate::runtime::envelope::ProducerId;
use crate::runtime::sequencer::{Sequencer, SequencerError, SequencerFuture};

/// The default root path of the sequencer's znodes.
pub const DEFAULT_ROOT: &str = "/blazes/sequencer";

/// A [`Sequencer`] backed by a ZooKeeper ensemble.
pub struct ZooKeeperSequencer {
    root: String,
    session: ZkSession,
    ready_groups: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for ZooKeeperSequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZooKeeperSequencer")
            .field("session", &self.session)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    /// The answer.
    Done(Option<u64>),
    /// Try again; `ambiguous` when the request may have been applied.
    Retry {
        ambiguous: bool,
        reconnect: bool,
        reason: String,
    },
    /// Give up.
    Fail(String),
}

impl ZooKeeperSequencer {
    /// Connects to `connect_string` (`host:port[,host:port..]`), keeping the
    /// znodes under `root` (an absolute path, e.g. [`DEFAULT_ROOT`]).
    /// Retries the first connection until the policy's deadline.
    pub async fn connect(
        connect_string: &str,
        root: &str,
        policy: RetryPolicy,
    ) -> Result<ZooKeeperSequencer, SequencerError> {
        let root = checked_root(root).map_err(SequencerError)?;
        let session = ZkSession::connect(connect_string, policy)
            .await
            .map_err(SequencerError)?;
        Ok(ZooKeeperSequencer {
            root,
            session,
            ready_groups: Mutex::new(HashSet::new()),
        })
    }

    fn group_dir(&self, group: &str) -> String {
        format!("{}/{}", self.root, names::escape(group))
    }

    /// Creates `G/order` and `G/seen` once per group and process.
    async fn ensure_group(&self, client: &zk::Client, dir: &str) -> Result<(), zk::Error> {
        let known = self
            .ready_groups
            .lock()
            .map(|g| g.contains(dir))
            .unwrap_or(false);
        if known {
            return Ok(());
        }
        let options = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        client.mkdir(&format!("{dir}/order"), &options).await?;
        client.mkdir(&format!("{dir}/seen"), &options).await?;
        if let Ok(mut groups) = self.ready_groups.lock() {
            groups.insert(dir.to_string());
        }
        Ok(())
    }

    async fn attempt(&self, dir: &str, producer: ProducerId, seq: u64, ambiguous: bool) -> Attempt {
        let client = match self.session.client().await {
            Ok(c) => c,
            Err(e) => return retry_after(e, ambiguous),
        };
        if let Err(e) = self.ensure_group(&client, dir).await {
            return self.classify(&client, e, ambiguous).await;
        }
        let name = format!("p{}-s{seq}", producer.0);
        let mut multi = client.new_multi_writer();
        let marker = zk::CreateMode::Persistent.with_acls(zk::Acls::anyone_all());
        let ordered = zk::CreateMode::PersistentSequential.with_acls(zk::Acls::anyone_all());
        let built = multi
            .add_create(&format!("{dir}/seen/{name}"), &[], &marker)
            .and_then(|()| multi.add_create(&format!("{dir}/order/{name}-"), &[], &ordered));
        if let Err(e) = built {
            return Attempt::Fail(format!("bad request: {e}"));
        }
        match multi.commit().await {
            Ok(results) => match results.get(1) {
                Some(zk::MultiWriteResult::Create { path, .. }) => match position_of(path) {
                    Some(p) => Attempt::Done(Some(p)),
                    None => Attempt::Fail(format!("unexpected sequential znode `{path}`")),
                },
                _ => Attempt::Fail("unexpected multi-op answer".to_string()),
            },
            Err(zk::MultiWriteError::OperationFailed {
                index: 0,
                source: zk::Error::NodeExists,
            }) if ambiguous => self.find_position(&client, dir, &name).await,
            Err(zk::MultiWriteError::OperationFailed {
                index: 0,
                source: zk::Error::NodeExists,
            }) => Attempt::Done(None),
            Err(zk::MultiWriteError::OperationFailed {
                source: zk::Error::NoNode,
                ..
            }) => {
                // The group's directories vanished: create them again.
                if let Ok(mut groups) = self.ready_groups.lock() {
                    groups.remove(dir);
                }
                Attempt::Retry {
                    ambiguous,
                    reconnect: false,
                    reason: "group directories missing".to_string(),
                }
            }
            Err(zk::MultiWriteError::OperationFailed { index, source }) => {
                Attempt::Fail(format!("operation {index} failed: {source}"))
            }
            Err(zk::MultiWriteError::RequestFailed { source }) => {
                self.classify(&client, source, true).await
            }
        }
    }

    /// After an attempt whose outcome is unknown found the message already
    /// ordered: its position, from its order znode's name.
    async fn find_position(&self, client: &zk::Client, dir: &str, name: &str) -> Attempt {
        let children = match client.list_children(&format!("{dir}/order")).await {
            Ok(c) => c,
            Err(e) => return self.classify(client, e, true).await,
        };
        let prefix = format!("{name}-");
        match children
            .iter()
            .find(|c| c.starts_with(&prefix))
            .and_then(|c| position_of(c))
        {
            Some(p) => Attempt::Done(Some(p)),
            None => Attempt::Fail(format!("`{name}` is marked seen but has no order znode")),
        }
    }

    /// Sorts a client error into retry (reconnecting if the session is gone)
    /// or failure.
    async fn classify(&self, client: &zk::Client, e: zk::Error, ambiguous: bool) -> Attempt {
        match e {
            zk::Error::SessionExpired | zk::Error::ClientClosed => {
                self.session.forget(client).await;
                Attempt::Retry {
                    ambiguous,
                    reconnect: true,
                    reason: e.to_string(),
                }
            }
            other => retry_after(other, ambiguous),
        }
    }
}

fn retry_after(e: zk::Error, ambiguous: bool) -> Attempt {
    if is_transient(&e) {
        Attempt::Retry {
            ambiguous,
            reconnect: false,
            reason: e.to_string(),
        }
    } else {
        Attempt::Fail(e.to_string())
    }
}

/// `root` without a trailing `/`, checked to be an absolute path below `/`.
pub(crate) fn checked_root(root: &str) -> Result<String, String> {
    let root = root.trim_end_matches('/');
    if !root.starts_with('/') || root.len() < 2 || root.contains("//") {
        return Err(format!(
            "zookeeper root `{root}` must be an absolute path below `/`"
        ));
    }
    Ok(root.to_string())
}

/// The counter ZooKeeper appended to a sequential znode's name.
fn position_of(path: &str) -> Option<u64> {
    let (_, digits) = path.rsplit_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Sequencer for ZooKeeperSequencer {
    fn assign<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> SequencerFuture<'a> {
        Box::pin(async move {
            let dir = self.group_dir(group);
            let start = Instant::now();
            let mut ambiguous = false;
            let mut attempt = 0;
            loop {
                let outcome = tokio::time::timeout(
                    self.session.policy().attempt_timeout,
                    self.attempt(&dir, producer, seq, ambiguous),
                )
                .await
                .unwrap_or_else(|_| Attempt::Retry {
                    ambiguous: true,
                    reconnect: false,
                    reason: "attempt timed out".to_string(),
                });
                match outcome {
                    Attempt::Done(position) => return Ok(position),
                    Attempt::Fail(reason) => {
                        return Err(SequencerError(format!(
                            "zookeeper, group {group}: {reason}"
                        )));
                    }
                    Attempt::Retry {
                        ambiguous: maybe_applied,
                        reconnect,
                        reason,
                    } => {
                        ambiguous |= maybe_applied;
                        let pause = self.session.policy().backoff(attempt);
                        if start.elapsed() + pause > self.session.policy().deadline {
                            return Err(SequencerError(format!(
                                "zookeeper, group {group}: gave up after {:?}: {reason}",
                                start.elapsed()
                            )));
                        }
                        tracing::debug!(group, %producer, seq, reconnect, %reason, "zookeeper sequencer retries");
                        tokio::time::sleep(pause).await;
                        attempt += 1;
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::position_of;

    #[test]
    fn positions_are_read_from_the_sequential_suffix() {
        assert_eq!(position_of("/r/G/order/p1-s5-0000000042"), Some(42));
        assert_eq!(position_of("p12-s0-0000000000"), Some(0));
        assert_eq!(position_of("p1-s5-"), None);
        assert_eq!(position_of("p1-s5-00x1"), None);
        assert_eq!(position_of("nodash"), None);
    }
}
