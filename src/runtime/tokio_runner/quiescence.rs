//! Termination detection for a dataflow with cycles between components,
//! under tokio.
//!
//! End-of-stream cannot flow around a cycle: each output on it waits for
//! the end of inputs that the cycle feeds from that very output. The
//! simulator sees every message and ends a cycle-closing stream once
//! nothing is in flight; this is the same rule for concurrent tasks. One
//! counter holds the work not yet done: every message on its way to an
//! instance or an ordered group, every source producer still open, and
//! every order to end a cycle not yet carried out. A message is counted
//! when it is queued and uncounted once its receiver has delivered it and
//! queued what it routed, so the count reaches zero only when no task
//! holds or awaits anything that could produce another message. The
//! counter then wakes the cycle ender, which ends the next cut
//! ([`Topology::cycle_cuts`](crate::runtime::Topology::cycle_cuts)) through
//! its producers and waits for the next quiet point.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::runtime::node::envelope::ProducerId;
use crate::runtime::node::topology::{CycleCut, Topology};

/// Work in flight anywhere in a run, and a wake-up when it reaches none.
#[derive(Debug, Default)]
pub(super) struct Quiescence {
    pending: AtomicU64,
    quiet: Notify,
}

impl Quiescence {
    /// Counts `n` more pieces of work.
    pub(super) fn add(&self, n: u64) {
        if n > 0 {
            self.pending.fetch_add(n, Ordering::SeqCst);
        }
    }

    /// Uncounts `n` pieces of work done; wakes the waiter when none is left.
    pub(super) fn done(&self, n: u64) {
        if n == 0 {
            return;
        }
        let before = self.pending.fetch_sub(n, Ordering::SeqCst);
        debug_assert!(before >= n, "more work done than counted");
        if before == n {
            self.quiet.notify_one();
        }
    }

    /// Waits until no work is counted.
    pub(super) async fn wait_quiet(&self) {
        loop {
            let woken = self.quiet.notified();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            woken.await;
        }
    }
}

/// What an instance task does for the cycles of its dataflow.
pub(super) struct Cycles {
    /// Where its deliveries are counted as work done, in a run with cycles.
    pub(super) quiet: Option<Arc<Quiescence>>,
    /// Orders to end a cycle-closing stream it produces.
    pub(super) end_orders: Option<UnboundedReceiver<CycleCut>>,
}

impl Cycles {
    /// The next order to end a cycle-closing stream; never, for an instance
    /// that produces none (or once every order has come).
    pub(super) async fn next_order(&mut self) -> CycleCut {
        match self.end_orders.as_mut() {
            Some(rx) => match rx.recv().await {
                Some(cut) => cut,
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    }

    /// `n` deliveries (or orders) done.
    pub(super) fn done(&self, n: u64) {
        if let Some(q) = &self.quiet {
            q.done(n);
        }
    }
}

/// Ends the streams closing cycles between components, one at a time, each
/// once the whole run is quiet: every producer instance of the stream sends
/// its end on it ([`Node::end_cycle_cut`]).
pub(super) async fn end_cycles(
    topology: Arc<Topology>,
    quiet: Arc<Quiescence>,
    enders: HashMap<ProducerId, UnboundedSender<CycleCut>>,
) {
    for cut in topology.cycle_cuts() {
        quiet.wait_quiet().await;
        tracing::debug!(component = %topology.components[cut.component].name,
            output = %topology.components[cut.component].outputs[cut.output],
            "the run is quiet: ending a stream that closes a cycle");
        for p in &topology.components[cut.component].instances {
            if let Some(tx) = enders.get(p) {
                quiet.add(1);
                if tx.send(*cut).is_err() {
                    // The instance has ended: it ended the stream itself.
                    quiet.done(1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn it_is_quiet_only_once_every_counted_piece_is_done() {
        let q = Arc::new(Quiescence::default());
        q.add(2);
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.wait_quiet().await }
        });
        q.done(1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "one piece is still counted");
        // New work counted before the last piece is done keeps it busy.
        q.add(1);
        q.done(1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the new piece is still counted");
        q.done(1);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken when nothing is left")
            .expect("joined");
        // Already quiet: returns at once.
        tokio::time::timeout(Duration::from_secs(5), q.wait_quiet())
            .await
            .expect("quiet");
    }
}
