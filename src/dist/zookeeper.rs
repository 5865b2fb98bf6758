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
//! [`Sequencer::recover`] creates the same pair, its marker holding a token
//! unique to the call. When the marker already exists, the original
//! position is read from the order znode's name: the sequencer lists
//! `ROOT/G/order` once per `(group, producer)` and caches that producer's
//! `seq -> position` map, listing again only when a seq is missing from it
//! (ordered after the listing). The cache holds one entry per message of
//! every producer recovered through this client, for the client's lifetime.
//! When an attempt's outcome was unknown and the retry finds the marker,
//! its token tells whether this call ordered the message.
//!
//! Limits: ZooKeeper's counter is an `i32`, so a group holds at most 2^31
//! positions; markers and order znodes are never garbage-collected.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use zookeeper_client as zk;

use super::names;
use super::retry::{RetryPolicy, Stop, client_error, retrying};
use super::security::ZooKeeperDigest;
use super::token::call_token;
use super::zk_session::{ZkSession, is_transient};
use crate::runtime::coordination::sequencer::{
    AssignedFuture, RecoverFuture, Recovered, Sequencer, SequencerError, SequencerFuture,
};
use crate::runtime::node::envelope::ProducerId;

/// A producer's `seq -> position` map, as last listed, per group directory.
type PositionCache = HashMap<(String, ProducerId), HashMap<u64, u64>>;

/// A [`Sequencer`] backed by a ZooKeeper ensemble.
pub struct ZooKeeperSequencer {
    root: String,
    session: ZkSession,
    ready_groups: Mutex<HashSet<String>>,
    positions: Mutex<PositionCache>,
}

impl std::fmt::Debug for ZooKeeperSequencer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZooKeeperSequencer")
            .field("session", &self.session)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to: the answer, or why there is none.
type Attempt<T> = Result<T, Stop>;

/// What the multi-op transaction came to.
enum Commit {
    /// This attempt ordered the message, at this position.
    Created(u64),
    /// The message's marker already exists: it was ordered before.
    Exists,
}

impl ZooKeeperSequencer {
    /// Connects to `connect_string` (`host:port[,host:port..]`), keeping the
    /// znodes under `root` (an absolute path, e.g. `/blazes/sequencer`, the default).
    /// Retries the first connection until the policy's deadline.
    pub async fn connect(
        connect_string: &str,
        root: &str,
        policy: RetryPolicy,
    ) -> Result<ZooKeeperSequencer, SequencerError> {
        ZooKeeperSequencer::connect_with(connect_string, root, policy, None).await
    }

    /// [`ZooKeeperSequencer::connect`] with digest authentication: the
    /// znodes it creates are then its identity's only.
    pub async fn connect_with(
        connect_string: &str,
        root: &str,
        policy: RetryPolicy,
        auth: Option<&ZooKeeperDigest>,
    ) -> Result<ZooKeeperSequencer, SequencerError> {
        let root = names::checked_root(root).map_err(SequencerError::Config)?;
        let session = ZkSession::connect(connect_string, policy, auth).await?;
        Ok(ZooKeeperSequencer {
            root,
            session,
            ready_groups: Mutex::new(HashSet::new()),
            positions: Mutex::new(HashMap::new()),
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
        let options = zk::CreateMode::Persistent.with_acls(self.session.acls());
        client.mkdir(&format!("{dir}/order"), &options).await?;
        client.mkdir(&format!("{dir}/seen"), &options).await?;
        if let Ok(mut groups) = self.ready_groups.lock() {
            groups.insert(dir.to_string());
        }
        Ok(())
    }

    /// Creates the message's marker (holding `token`) and order znode in
    /// one transaction.
    async fn commit(
        &self,
        client: &zk::Client,
        dir: &str,
        name: &str,
        token: &[u8],
        ambiguous: bool,
    ) -> Attempt<Commit> {
        if let Err(e) = self.ensure_group(client, dir).await {
            return Err(self.classify(client, e, ambiguous).await);
        }
        let mut multi = client.new_multi_writer();
        let marker = zk::CreateMode::Persistent.with_acls(self.session.acls());
        let ordered = zk::CreateMode::PersistentSequential.with_acls(self.session.acls());
        let built = multi
            .add_create(&format!("{dir}/seen/{name}"), token, &marker)
            .and_then(|()| multi.add_create(&format!("{dir}/order/{name}-"), &[], &ordered));
        if let Err(e) = built {
            return Err(Stop::fail(client_error("building the multi-op request", e)));
        }
        match multi.commit().await {
            Ok(results) => match results.get(1) {
                Some(zk::MultiWriteResult::Create { path, .. }) => match position_of(path) {
                    Some(p) => Ok(Commit::Created(p)),
                    None => Err(Stop::fail(format!("unexpected sequential znode `{path}`"))),
                },
                _ => Err(Stop::fail("unexpected multi-op answer")),
            },
            Err(zk::MultiWriteError::OperationFailed {
                index: 0,
                source: zk::Error::NodeExists,
            }) => Ok(Commit::Exists),
            Err(zk::MultiWriteError::OperationFailed {
                source: zk::Error::NoNode,
                ..
            }) => {
                // The group's directories vanished: create them again.
                if let Ok(mut groups) = self.ready_groups.lock() {
                    groups.remove(dir);
                }
                Err(Stop::Retry {
                    ambiguous,
                    reason: "group directories missing".into(),
                })
            }
            Err(zk::MultiWriteError::OperationFailed { index, source }) => Err(Stop::fail(
                client_error(format!("operation {index}"), source),
            )),
            Err(zk::MultiWriteError::RequestFailed { source }) => {
                Err(self.classify(client, source, true).await)
            }
        }
    }

    async fn client(&self, ambiguous: bool) -> Attempt<zk::Client> {
        self.session
            .client()
            .await
            .map_err(|e| retry_after(e, ambiguous))
    }

    async fn assign_attempt(
        &self,
        dir: &str,
        producer: ProducerId,
        seq: u64,
        ambiguous: bool,
    ) -> Attempt<Option<u64>> {
        let client = self.client(ambiguous).await?;
        let name = format!("p{}-s{seq}", producer.0);
        match self.commit(&client, dir, &name, &[], ambiguous).await? {
            Commit::Created(p) => Ok(Some(p)),
            Commit::Exists if ambiguous => self.find_position(&client, dir, &name).await.map(Some),
            Commit::Exists => Ok(None),
        }
    }

    async fn recover_attempt(
        &self,
        dir: &str,
        producer: ProducerId,
        seq: u64,
        token: &str,
        ambiguous: bool,
    ) -> Attempt<Recovered> {
        let client = self.client(ambiguous).await?;
        let name = format!("p{}-s{seq}", producer.0);
        match self
            .commit(&client, dir, &name, token.as_bytes(), ambiguous)
            .await?
        {
            Commit::Created(position) => {
                self.remember(dir, producer, seq, position);
                Ok(Recovered {
                    position,
                    replay: false,
                })
            }
            Commit::Exists => {
                let replay = if ambiguous {
                    // Was the marker written by this call's lost attempt?
                    match client.get_data(&format!("{dir}/seen/{name}")).await {
                        Ok((data, _)) => data != token.as_bytes(),
                        Err(e) => return Err(self.classify(&client, e, true).await),
                    }
                } else {
                    true
                };
                let position = self.original_position(&client, dir, producer, seq).await?;
                Ok(Recovered { position, replay })
            }
        }
    }

    /// Records a position this client ordered in a producer's cached map
    /// (when that producer has one).
    fn remember(&self, dir: &str, producer: ProducerId, seq: u64, position: u64) {
        if let Ok(mut cache) = self.positions.lock()
            && let Some(map) = cache.get_mut(&(dir.to_string(), producer))
        {
            map.insert(seq, position);
        }
    }

    /// The position of an ordered `(producer, seq)`: from the cache, else
    /// from a new listing of the group's order znodes (cached for the
    /// producer's next recoveries).
    async fn original_position(
        &self,
        client: &zk::Client,
        dir: &str,
        producer: ProducerId,
        seq: u64,
    ) -> Attempt<u64> {
        let key = (dir.to_string(), producer);
        let cached = self
            .positions
            .lock()
            .ok()
            .and_then(|cache| cache.get(&key).and_then(|m| m.get(&seq).copied()));
        if let Some(position) = cached {
            return Ok(position);
        }
        let children = match client.list_children(&format!("{dir}/order")).await {
            Ok(c) => c,
            Err(e) => return Err(self.classify(client, e, true).await),
        };
        let listed: HashMap<u64, u64> = producer_positions(&children, producer).collect();
        let found = listed.get(&seq).copied();
        if let Ok(mut cache) = self.positions.lock() {
            cache.entry(key).or_default().extend(listed);
        }
        found.ok_or_else(|| {
            Stop::fail(format!(
                "`p{}-s{seq}` is marked seen but has no order znode",
                producer.0
            ))
        })
    }

    /// Every `(seq, position)` of `producer`, from a listing of the
    /// group's order znodes.
    async fn assigned_attempt(&self, dir: &str, producer: ProducerId) -> Attempt<Vec<(u64, u64)>> {
        let client = self.client(false).await?;
        if let Err(e) = self.ensure_group(&client, dir).await {
            return Err(self.classify(&client, e, false).await);
        }
        let children = match client.list_children(&format!("{dir}/order")).await {
            Ok(c) => c,
            Err(e) => return Err(self.classify(&client, e, false).await),
        };
        let mut pairs: Vec<(u64, u64)> = producer_positions(&children, producer).collect();
        pairs.sort_unstable_by_key(|&(_, position)| position);
        Ok(pairs)
    }

    /// After an attempt whose outcome is unknown found the message already
    /// ordered: its position, from its order znode's name.
    async fn find_position(&self, client: &zk::Client, dir: &str, name: &str) -> Attempt<u64> {
        let children = match client.list_children(&format!("{dir}/order")).await {
            Ok(c) => c,
            Err(e) => return Err(self.classify(client, e, true).await),
        };
        let prefix = format!("{name}-");
        children
            .iter()
            .find(|c| c.starts_with(&prefix))
            .and_then(|c| position_of(c))
            .ok_or_else(|| Stop::fail(format!("`{name}` is marked seen but has no order znode")))
    }

    /// Sorts a client error into retry (reconnecting if the session is gone)
    /// or failure.
    async fn classify(&self, client: &zk::Client, e: zk::Error, ambiguous: bool) -> Stop {
        match e {
            zk::Error::SessionExpired | zk::Error::ClientClosed => {
                self.session.forget(client).await;
                Stop::Retry {
                    ambiguous,
                    reason: client_error("session lost, reconnecting", e),
                }
            }
            other => retry_after(other, ambiguous),
        }
    }

    /// Runs `attempt` with the session's retry policy, each attempt
    /// bounded by the policy's attempt timeout.
    async fn retrying<T, F, Fut>(&self, group: &str, attempt: F) -> Result<T, SequencerError>
    where
        F: FnMut(bool) -> Fut,
        Fut: std::future::Future<Output = Attempt<T>>,
    {
        let policy = self.session.policy();
        retrying(
            policy,
            &format!("zookeeper, group {group}"),
            Some(policy.attempt_timeout),
            attempt,
        )
        .await
        .map_err(SequencerError::from)
    }
}

fn retry_after(e: zk::Error, ambiguous: bool) -> Stop {
    if is_transient(&e) {
        Stop::Retry {
            ambiguous,
            reason: e.into(),
        }
    } else {
        Stop::fail(e)
    }
}

/// The `(seq, position)` of each of `producer`'s order znodes among
/// `children` (named `p{producer}-s{seq}-NNNNNNNNNN`).
fn producer_positions(
    children: &[String],
    producer: ProducerId,
) -> impl Iterator<Item = (u64, u64)> + '_ {
    let prefix = format!("p{}-s", producer.0);
    children.iter().filter_map(move |c| {
        let rest = c.strip_prefix(&prefix)?;
        let (seq, _) = rest.split_once('-')?;
        Some((seq.parse().ok()?, position_of(c)?))
    })
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
            self.retrying(group, |ambiguous| {
                self.assign_attempt(&dir, producer, seq, ambiguous)
            })
            .await
        })
    }

    fn recover<'a>(&'a self, group: &'a str, producer: ProducerId, seq: u64) -> RecoverFuture<'a> {
        Box::pin(async move {
            let dir = self.group_dir(group);
            let token = call_token();
            self.retrying(group, |ambiguous| {
                self.recover_attempt(&dir, producer, seq, &token, ambiguous)
            })
            .await
        })
    }

    fn assigned<'a>(&'a self, group: &'a str, producer: ProducerId) -> AssignedFuture<'a> {
        Box::pin(async move {
            let dir = self.group_dir(group);
            self.retrying(group, |_| self.assigned_attempt(&dir, producer))
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{position_of, producer_positions};
    use crate::runtime::node::envelope::ProducerId;

    #[test]
    fn a_producers_positions_are_read_from_its_order_znodes_only() {
        let children: Vec<String> = ["p1-s0-0000000000", "p12-s0-0000000001", "p1-s7-0000000002"]
            .map(String::from)
            .to_vec();
        let mut pairs: Vec<(u64, u64)> = producer_positions(&children, ProducerId(1)).collect();
        pairs.sort_unstable();
        assert_eq!(pairs, [(0, 0), (7, 2)]);
    }

    #[test]
    fn positions_are_read_from_the_sequential_suffix() {
        assert_eq!(position_of("/r/G/order/p1-s5-0000000042"), Some(42));
        assert_eq!(position_of("p12-s0-0000000000"), Some(0));
        assert_eq!(position_of("p1-s5-"), None);
        assert_eq!(position_of("p1-s5-00x1"), None);
        assert_eq!(position_of("nodash"), None);
    }
}
