//! An instance's whole state at a checkpoint (docs/runtime.md,
//! "Checkpoints"): its handler's, and its coordination wrappers' (what the
//! deduplicators have seen, what the seal buffers, static orders and total
//! order hold and remember, the seals the forwarder counted, the numbering
//! of its outputs), and its counters. Encoded with postcard behind a
//! version byte; configuration is not saved, it comes from the plan again.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::InstanceCore;
use crate::checkpointed::StateError;
use crate::runtime::coordination::dedup::Dedup;
use crate::runtime::coordination::forwarder::ForwarderState;
use crate::runtime::coordination::input_seals::InputSealsState;
use crate::runtime::coordination::seal_buffer::SealBufferState;
use crate::runtime::coordination::static_order::StaticOrderState;
use crate::runtime::coordination::total_order::TotalOrder;
use crate::runtime::metrics::InstanceMetrics;
use crate::runtime::node::envelope::{Numbering, ProducerId};

/// The version byte that starts every encoded checkpoint of an instance.
/// (3: the total order keeps the positions skipped at a retirement; 4: the
/// seal buffers and the forwarder keep the producers retired.)
const CHECKPOINT_VERSION: u8 = 4;

/// An instance's state could not be saved or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// The handler's state could not be saved or restored.
    #[error("checkpoint of {instance}: {source}")]
    Handler {
        /// The instance.
        instance: String,
        /// Why.
        #[source]
        source: StateError,
    },
    /// Asked in the middle of a delivery (emissions not yet taken).
    #[error("checkpoint of {instance}: emissions not taken yet; checkpoint between deliveries")]
    Busy {
        /// The instance.
        instance: String,
    },
    /// The bytes are not a checkpoint of this version.
    #[error("checkpoint of {instance}: unreadable: {source}")]
    Unreadable {
        /// The instance.
        instance: String,
        /// Why postcard refused them.
        #[source]
        source: postcard::Error,
    },
    /// The checkpoint is of another version, instance or plan.
    #[error("checkpoint of {instance}: {why}")]
    Mismatch {
        /// The instance.
        instance: String,
        /// What does not match.
        why: String,
    },
}

/// What [`InstanceCore::checkpoint`] saves.
#[derive(Serialize, Deserialize)]
struct CoreState {
    handler: Vec<u8>,
    ended: Vec<BTreeSet<ProducerId>>,
    output_ended: Vec<bool>,
    dedup: Dedup,
    ordered_dedup: Dedup,
    seal_buffers: Vec<SealBufferState>,
    static_orders: Vec<StaticOrderState>,
    total_order: TotalOrder,
    forwarder: ForwarderState,
    input_seals: InputSealsState,
    over_bound: bool,
    numbering: Numbering,
    ends_arrived: bool,
    metrics: InstanceMetrics,
}

impl InstanceCore {
    /// The instance's whole state, encoded; `Ok(None)` when its handler
    /// keeps no checkpoint ([`Handler::checkpoint`](crate::Handler::checkpoint)).
    /// Call it between deliveries, once what they emitted has been taken
    /// ([`InstanceCore::take_sends`], [`InstanceCore::take_dead_letters`]).
    pub fn checkpoint(&self) -> Result<Option<Vec<u8>>, CheckpointError> {
        if !self.sends.is_empty() || !self.dead_letters.is_empty() {
            return Err(CheckpointError::Busy {
                instance: self.name.clone(),
            });
        }
        let handler = match self.handler.checkpoint() {
            None => return Ok(None),
            Some(state) => state.map_err(|source| self.handler_error(source))?,
        };
        let state = CoreState {
            handler,
            ended: self.ended.clone(),
            output_ended: self.output_ended.clone(),
            dedup: self.dedup.clone(),
            ordered_dedup: self.ordered_dedup.clone(),
            seal_buffers: self.seal_buffers.iter().map(|b| b.state()).collect(),
            static_orders: self.static_orders.iter().map(|o| o.state()).collect(),
            total_order: self.total_order.clone(),
            forwarder: self.forwarder.state(),
            input_seals: self.input_seals.state(),
            over_bound: self.over_bound,
            numbering: self.numbering.clone(),
            ends_arrived: self.ends_arrived,
            metrics: self.metrics.clone(),
        };
        let mut bytes = vec![CHECKPOINT_VERSION];
        let body = postcard::to_allocvec(&state).map_err(|source| CheckpointError::Unreadable {
            instance: self.name.clone(),
            source,
        })?;
        bytes.extend(body);
        Ok(Some(bytes))
    }

    /// Replaces the instance's state by one [`InstanceCore::checkpoint`]
    /// saved, of this same instance and plan; call it before delivering
    /// anything. On an error nothing is changed.
    pub fn restore(&mut self, checkpoint: &[u8]) -> Result<(), CheckpointError> {
        let Some((&version, body)) = checkpoint.split_first() else {
            return Err(self.mismatch("empty".to_string()));
        };
        if version != CHECKPOINT_VERSION {
            return Err(self.mismatch(format!(
                "version {version}, this build reads version {CHECKPOINT_VERSION}"
            )));
        }
        let state: CoreState =
            postcard::from_bytes(body).map_err(|source| CheckpointError::Unreadable {
                instance: self.name.clone(),
                source,
            })?;
        self.check_shape(&state)?;
        self.handler
            .restore(&state.handler)
            .map_err(|source| self.handler_error(source))?;
        self.ended = state.ended;
        self.output_ended = state.output_ended;
        self.dedup = state.dedup;
        self.ordered_dedup = state.ordered_dedup;
        for (buffer, saved) in self.seal_buffers.iter_mut().zip(state.seal_buffers) {
            buffer.restore(saved);
        }
        for (order, saved) in self.static_orders.iter_mut().zip(state.static_orders) {
            order.restore(saved);
        }
        self.total_order = state.total_order;
        self.forwarder.restore(state.forwarder);
        self.input_seals.restore(state.input_seals);
        self.over_bound = state.over_bound;
        self.numbering = state.numbering;
        self.ends_arrived = state.ends_arrived;
        self.metrics = state.metrics;
        // `would_block` reads the count of what the wrappers hold from here.
        self.metrics.held = self.held() as u64;
        Ok(())
    }

    /// Refuses a checkpoint of another instance, or of a plan with other
    /// inputs, outputs or wrappers.
    fn check_shape(&self, state: &CoreState) -> Result<(), CheckpointError> {
        let same_orders = state.static_orders.len() == self.static_orders.len();
        let why = if state.numbering.producer() != self.id() {
            format!("saved by producer {}", state.numbering.producer())
        } else if state.ended.len() != self.ended.len()
            || state.output_ended.len() != self.output_ended.len()
        {
            "saved with other inputs or outputs".to_string()
        } else if state.seal_buffers.len() != self.seal_buffers.len() || !same_orders {
            "saved under another plan".to_string()
        } else {
            return Ok(());
        };
        Err(self.mismatch(why))
    }

    fn mismatch(&self, why: String) -> CheckpointError {
        CheckpointError::Mismatch {
            instance: self.name.clone(),
            why,
        }
    }

    fn handler_error(&self, source: StateError) -> CheckpointError {
        CheckpointError::Handler {
            instance: self.name.clone(),
            source,
        }
    }
}
