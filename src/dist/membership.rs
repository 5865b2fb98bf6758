//! Who produces each stream, registered in and learned from ZooKeeper, so
//! that a seal buffer in another process knows which producers must vote
//! (runtime spec, "Seal buffer": membership).
//!
//! Layout under the root (default `/blazes/membership`), per stream `S`
//! (escaped by [`names::escape`]):
//!
//! - `ROOT/S/members/p{id}`: persistent, one per producer. Membership
//!   outlives a producer's session: a producer that crashes must still seal
//!   its partitions (after it restarts) for a unanimous vote to complete.
//! - `ROOT/S/live/p{id}`: ephemeral, present while the producer's session
//!   is: which members are up right now (for diagnosis, never for votes).
//! - `ROOT/S/masters/{partition}`: persistent, data = the producer id that
//!   mastered the partition first (an `independent` stream: one producer
//!   per partition seals it alone).
//! - `ROOT/S/state`: persistent; version 0 (data `open`) while producers
//!   may register, a later version (data `closed`) once a consumer read the
//!   membership.
//!
//! A consumer waits for the number of producers the deployment declares
//! ([`ZooKeeperMembership::wait_for_members`]), then closes the membership
//! and reads it once more: that is the set of producers whose seals it
//! counts. A registration is one ZooKeeper transaction that checks `state`
//! is still at version 0 and creates the member's znode, so a producer that
//! registers after a consumer's read is refused
//! ([`MembershipError::Closed`]) rather than silently missing from the vote
//! (runtime spec, "Liveness and membership"). A member that restarts
//! resumes: its znode exists, and it is not refused.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use zookeeper_client as zk;

use super::names;
use super::names::checked_root;
use super::retry::{RetryPolicy, ServiceError};
use super::security::ZooKeeperDigest;
use super::zk_session::ZkSession;
use crate::runtime::node::envelope::ProducerId;

/// A membership request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MembershipError {
    /// The configured root is not an absolute path below `/`.
    #[error("membership: {0}")]
    Config(String),
    /// ZooKeeper could not be reached or refused a request.
    #[error("membership: {0}")]
    Service(#[from] ServiceError),
    /// A znode under the membership root that blazes did not write.
    #[error("membership: unexpected znode `{path}`")]
    UnexpectedZnode {
        /// The znode's path.
        path: String,
    },
    /// A master znode whose data is not a producer id.
    #[error("membership: `{path}` holds no producer id")]
    NoProducerId {
        /// The znode's path.
        path: String,
    },
    /// A producer tried to join a stream whose membership a consumer has
    /// already read (and so closed): it would miss that consumer's votes.
    #[error(
        "membership: stream {stream} is closed: a consumer already read its producers, so \
         producer {producer} cannot join it (start every producer before its consumers, or \
         use a new run)"
    )]
    Closed {
        /// The stream.
        stream: String,
        /// The refused producer.
        producer: ProducerId,
    },
    /// Fewer producers registered for a stream than expected, within the
    /// time allowed.
    #[error(
        "membership: stream {stream}: {} of {expected} producers registered after {waited:?}: {registered:?}",
        registered.len()
    )]
    MembersMissing {
        /// The stream.
        stream: String,
        /// How many producers were expected.
        expected: usize,
        /// The producers registered.
        registered: BTreeSet<ProducerId>,
        /// How long it waited.
        waited: Duration,
    },
}

/// Stream membership kept in ZooKeeper.
#[derive(Debug)]
pub struct ZooKeeperMembership {
    root: String,
    session: ZkSession,
}

impl ZooKeeperMembership {
    /// Connects to `connect_string`, keeping the znodes under `root`.
    pub async fn connect(
        connect_string: &str,
        root: &str,
        policy: RetryPolicy,
    ) -> Result<ZooKeeperMembership, MembershipError> {
        ZooKeeperMembership::connect_with(connect_string, root, policy, None).await
    }

    /// [`ZooKeeperMembership::connect`] with digest authentication: the
    /// znodes it creates are then its identity's only.
    pub async fn connect_with(
        connect_string: &str,
        root: &str,
        policy: RetryPolicy,
        auth: Option<&ZooKeeperDigest>,
    ) -> Result<ZooKeeperMembership, MembershipError> {
        let root = checked_root(root).map_err(MembershipError::Config)?;
        let session = ZkSession::connect(connect_string, policy, auth).await?;
        Ok(ZooKeeperMembership { root, session })
    }

    fn dir(&self, stream: &str, kind: &str) -> String {
        format!("{}/{}/{kind}", self.root, names::escape(stream))
    }

    /// Registers `producer` as a producer of `stream`, and marks it live
    /// for as long as this client's session lasts. Idempotent: a member
    /// that registers again (it restarted) resumes. A producer that is not
    /// a member yet is refused once a consumer has read the membership
    /// ([`MembershipError::Closed`]).
    pub async fn register(
        &self,
        stream: &str,
        producer: ProducerId,
    ) -> Result<(), MembershipError> {
        let members = self.dir(stream, "members");
        let live = self.dir(stream, "live");
        let state = self.dir(stream, "state");
        let name = format!("p{}", producer.0);
        let joined = self
            .session
            .run("register", |client| {
                let (members, live, state, name) = (&members, &live, &state, &name);
                async move {
                    let dir = zk::CreateMode::Persistent.with_acls(self.session.acls());
                    client.mkdir(members, &dir).await?;
                    client.mkdir(live, &dir).await?;
                    ignore_exists(client.create(state, OPEN, &dir).await)?;
                    let member = format!("{members}/{name}");
                    if client.check_stat(&member).await?.is_none() {
                        let mut join = client.new_multi_writer();
                        join.add_check_version(state, 0)?;
                        join.add_create(&member, &[], &dir)?;
                        match join.commit().await {
                            Ok(_) => {}
                            Err(zk::MultiWriteError::OperationFailed {
                                index: 0,
                                source: zk::Error::BadVersion,
                            }) => return Ok(false),
                            Err(e) => ignore_exists::<()>(Err(zk::Error::from(e)))?,
                        }
                    }
                    let ephemeral = zk::CreateMode::Ephemeral.with_acls(self.session.acls());
                    ignore_exists(
                        client
                            .create(&format!("{live}/{name}"), &[], &ephemeral)
                            .await,
                    )?;
                    Ok(true)
                }
            })
            .await?;
        if joined {
            Ok(())
        } else {
            Err(MembershipError::Closed {
                stream: stream.to_string(),
                producer,
            })
        }
    }

    /// Closes the membership of `stream`: from now on only its members
    /// register (resume), no new producer joins. Idempotent.
    pub async fn close(&self, stream: &str) -> Result<(), MembershipError> {
        let members = self.dir(stream, "members");
        let state = self.dir(stream, "state");
        self.session
            .run("close", |client| {
                let (members, state) = (&members, &state);
                async move {
                    let dir = zk::CreateMode::Persistent.with_acls(self.session.acls());
                    client.mkdir(members, &dir).await?;
                    ignore_exists(client.create(state, OPEN, &dir).await)?;
                    client.set_data(state, CLOSED, None).await.map(|_| ())
                }
            })
            .await
            .map_err(MembershipError::from)
    }

    /// The registered producers of `stream` (empty when none registered).
    pub async fn members(&self, stream: &str) -> Result<BTreeSet<ProducerId>, MembershipError> {
        self.list(stream, "members").await
    }

    /// The registered producers of `stream` whose session is alive.
    pub async fn live(&self, stream: &str) -> Result<BTreeSet<ProducerId>, MembershipError> {
        self.list(stream, "live").await
    }

    async fn list(
        &self,
        stream: &str,
        kind: &str,
    ) -> Result<BTreeSet<ProducerId>, MembershipError> {
        let dir = self.dir(stream, kind);
        let children = self
            .session
            .run("list", |client| {
                let dir = &dir;
                async move {
                    match client.list_children(dir).await {
                        Err(zk::Error::NoNode) => Ok(Vec::new()),
                        other => other,
                    }
                }
            })
            .await?;
        children
            .iter()
            .map(|c| {
                producer_of(c).ok_or_else(|| MembershipError::UnexpectedZnode {
                    path: format!("{dir}/{c}"),
                })
            })
            .collect()
    }

    /// Waits (polling, at most `limit`) until `stream` has `count`
    /// registered producers, then closes its membership
    /// ([`ZooKeeperMembership::close`]) and returns the members as they
    /// are once closed (those a consumer must count).
    pub async fn wait_for_members(
        &self,
        stream: &str,
        count: usize,
        limit: Duration,
    ) -> Result<BTreeSet<ProducerId>, MembershipError> {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            let members = self.members(stream).await?;
            if members.len() >= count {
                self.close(stream).await?;
                return self.members(stream).await;
            }
            let pause = self.session.policy().pause(attempt);
            if start.elapsed() + pause > limit {
                return Err(MembershipError::MembersMissing {
                    stream: stream.to_string(),
                    expected: count,
                    registered: members,
                    waited: start.elapsed(),
                });
            }
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }

    /// Claims `partition` of `stream` for `producer`; returns the master:
    /// `producer` if it claimed first, else whoever did.
    pub async fn claim_partition(
        &self,
        stream: &str,
        partition: &str,
        producer: ProducerId,
    ) -> Result<ProducerId, MembershipError> {
        let masters = self.dir(stream, "masters");
        let path = format!("{masters}/{}", names::escape(partition));
        let data = producer.0.to_string();
        let owner = self
            .session
            .run("claim", |client| {
                let (masters, path, data) = (&masters, &path, &data);
                async move {
                    let dir = zk::CreateMode::Persistent.with_acls(self.session.acls());
                    client.mkdir(masters, &dir).await?;
                    match client.create(path, data.as_bytes(), &dir).await {
                        Ok(_) => Ok(data.as_bytes().to_vec()),
                        Err(zk::Error::NodeExists) => client.get_data(path).await.map(|(d, _)| d),
                        Err(e) => Err(e),
                    }
                }
            })
            .await?;
        parse_owner(&owner).ok_or(MembershipError::NoProducerId { path })
    }

    /// The master of `partition` of `stream`, if one claimed it.
    pub async fn master_of(
        &self,
        stream: &str,
        partition: &str,
    ) -> Result<Option<ProducerId>, MembershipError> {
        let path = format!(
            "{}/{}",
            self.dir(stream, "masters"),
            names::escape(partition)
        );
        let data = self
            .session
            .run("master", |client| {
                let path = &path;
                async move {
                    match client.get_data(path).await {
                        Ok((d, _)) => Ok(Some(d)),
                        Err(zk::Error::NoNode) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            })
            .await?;
        match data {
            None => Ok(None),
            Some(d) => parse_owner(&d)
                .map(Some)
                .ok_or(MembershipError::NoProducerId { path }),
        }
    }
}

/// The data of `ROOT/S/state` while producers may join, and once closed.
const OPEN: &[u8] = b"open";
const CLOSED: &[u8] = b"closed";

fn ignore_exists<T>(r: Result<T, zk::Error>) -> Result<(), zk::Error> {
    match r {
        Ok(_) | Err(zk::Error::NodeExists) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `p{id}` to the producer id.
fn producer_of(name: &str) -> Option<ProducerId> {
    name.strip_prefix('p')?.parse().ok().map(ProducerId)
}

fn parse_owner(data: &[u8]) -> Option<ProducerId> {
    std::str::from_utf8(data).ok()?.parse().ok().map(ProducerId)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_and_owner_data_are_parsed_strictly() {
        assert_eq!(producer_of("p12"), Some(ProducerId(12)));
        assert_eq!(producer_of("q12"), None);
        assert_eq!(producer_of("p-1"), None);
        assert_eq!(parse_owner(b"7"), Some(ProducerId(7)));
        assert_eq!(parse_owner(b"\xff"), None);
        assert_eq!(parse_owner(b""), None);
    }
}
