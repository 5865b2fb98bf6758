//! Who may seal a partition of an `independent` stream: its master, kept in
//! ZooKeeper.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazes_core::Vote;

use super::cluster::ClusterError;
use super::membership::ZooKeeperMembership;
use crate::runtime::coordination::plan::InputMode;
use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::runtime::node::topology::{NodeRef, Topology};
use crate::tuple::Tuple;

/// The endpoint (`Component.input`) of `input` of `instance` when a seal
/// buffer with an independent vote guards it: one producer, the partition's
/// master, seals each partition.
pub(crate) fn independent_endpoint(
    topology: &Topology,
    instance: ProducerId,
    input: InputId,
) -> Option<String> {
    let Some(NodeRef::Instance { component, .. }) = topology.node(instance) else {
        return None;
    };
    let info = topology.components.get(component)?;
    let InputMode::Sealed { buffer } = info.plan.inputs.get(input)? else {
        return None;
    };
    if info.plan.seals.get(*buffer)?.vote != Vote::Independent {
        return None;
    }
    info.endpoint(input)
}

/// The masters of independent partitions, from ZooKeeper: claimed by the
/// producer that seals first, looked up once per partition by consumers
/// (the paper's one ZooKeeper call per campaign). Without membership, every
/// member may seal (the deployment's view).
pub(crate) struct Masters {
    membership: Option<Arc<ZooKeeperMembership>>,
    wait: Duration,
    known: HashMap<(String, Tuple), ProducerId>,
}

impl Masters {
    pub(crate) fn new(membership: Option<Arc<ZooKeeperMembership>>, wait: Duration) -> Masters {
        Masters {
            membership,
            wait,
            known: HashMap::new(),
        }
    }

    /// True when masters are kept in ZooKeeper.
    pub(crate) fn enabled(&self) -> bool {
        self.membership.is_some()
    }

    /// Claims the partition for `me`; answers its master (`me` unless
    /// another producer claimed it first).
    pub(crate) async fn claim(
        &mut self,
        endpoint: &str,
        key: &Tuple,
        me: ProducerId,
    ) -> Result<ProducerId, ClusterError> {
        let Some(membership) = &self.membership else {
            return Ok(me);
        };
        let slot = (endpoint.to_string(), key.clone());
        if let Some(master) = self.known.get(&slot) {
            return Ok(*master);
        }
        let master = membership
            .claim_partition(endpoint, &key.to_string(), me)
            .await?;
        self.known.insert(slot, master);
        Ok(master)
    }

    /// The partition's master, or `None` when no producer claimed it within
    /// the wait (a claim may reach this client late). Without membership
    /// there is no master to check: every member may seal.
    pub(crate) async fn master(
        &mut self,
        endpoint: &str,
        key: &Tuple,
    ) -> Result<Option<ProducerId>, ClusterError> {
        let Some(membership) = &self.membership else {
            return Ok(None);
        };
        let slot = (endpoint.to_string(), key.clone());
        if let Some(master) = self.known.get(&slot) {
            return Ok(Some(*master));
        }
        let start = Instant::now();
        let mut pause = Duration::from_millis(20);
        loop {
            let found = membership.master_of(endpoint, &key.to_string()).await?;
            if let Some(master) = found {
                self.known.insert(slot, master);
                return Ok(Some(master));
            }
            if start.elapsed() + pause > self.wait {
                return Ok(None);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(500));
        }
    }
}
