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

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
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
