//! An instance's admitted backlog across processes (issue 15, memory
//! bounds): messages read from JetStream that the instance core cannot take
//! yet, because its wrappers are at their bound
//! ([`InstanceCore::would_block`]). They are held per producer in arrival
//! order (a producer's later messages wait behind its first held one, so
//! its link stays in order), at most `limit` in all. While the backlog is
//! full the instance reads no further frames: they stay in JetStream, whose
//! ordered pull consumer is simply not polled (the backpressure).

use std::collections::{BTreeMap, VecDeque};

use crate::runtime::node::envelope::{Delivery, ProducerId};
use crate::runtime::node::instance::InstanceCore;

/// Messages read but not yet taken by the instance, per producer.
pub(crate) struct HeldBack {
    waiting: BTreeMap<ProducerId, VecDeque<Delivery>>,
    len: usize,
    limit: usize,
    max: usize,
}

impl HeldBack {
    /// An empty backlog of at most `limit` messages (at least one).
    pub(crate) fn new(limit: usize) -> HeldBack {
        HeldBack {
            waiting: BTreeMap::new(),
            len: 0,
            limit: limit.max(1),
            max: 0,
        }
    }

    /// True when no further frame may be read.
    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.limit
    }

    /// True when nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most messages held at once.
    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// `message` back when the core can take it now; otherwise holds it,
    /// behind what its producer has held already (the first message a
    /// producer holds is counted as backpressure by the core).
    pub(crate) fn admit(&mut self, core: &mut InstanceCore, message: Delivery) -> Option<Delivery> {
        let producer = message.envelope().producer();
        let queued = self.waiting.get(&producer).is_some_and(|q| !q.is_empty());
        if !queued {
            if !core.would_block(&message) {
                return Some(message);
            }
            core.note_backpressure();
        }
        self.waiting.entry(producer).or_default().push_back(message);
        self.len += 1;
        self.max = self.max.max(self.len);
        None
    }

    /// Holds `rest` (what the bound left of a run of records just
    /// delivered) in front of everything its producer has held, beyond the
    /// limit if need be: it was read already.
    pub(crate) fn hold_first(&mut self, rest: Delivery) {
        let producer = rest.envelope().producer();
        self.waiting.entry(producer).or_default().push_front(rest);
        self.len += 1;
        self.max = self.max.max(self.len);
    }

    /// The first held message, in producer order, that the core can take now.
    pub(crate) fn take_ready(&mut self, core: &InstanceCore) -> Option<Delivery> {
        let producer = self
            .waiting
            .iter()
            .find(|(_, queue)| queue.front().is_some_and(|m| !core.would_block(m)))
            .map(|(p, _)| *p)?;
        self.pop(producer)
    }

    /// A held message to admit beyond the bound, when nothing else can make
    /// progress (the first producer's oldest).
    pub(crate) fn force(&mut self) -> Option<Delivery> {
        let producer = *self.waiting.keys().next()?;
        self.pop(producer)
    }

    fn pop(&mut self, producer: ProducerId) -> Option<Delivery> {
        let queue = self.waiting.get_mut(&producer)?;
        let message = queue.pop_front()?;
        if queue.is_empty() {
            self.waiting.remove(&producer);
        }
        self.len -= 1;
        Some(message)
    }
}
