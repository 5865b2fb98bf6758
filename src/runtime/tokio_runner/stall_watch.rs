//! Says when a run under tokio has stopped moving (nothing fails silently at
//! run time): while [`RunningDataflow::finish`](super::RunningDataflow::finish)
//! waits, a run whose instances have received and handled nothing for the
//! deployment's `overdue_after` and have not all ended gets a `tracing`
//! warning naming the instances still open and the source producers not
//! closed. The usual cause is a `SourceHandle` still held, neither closed
//! nor dropped, while `finish` waits for its end; otherwise the instances
//! wait on a handler that does not return. Nothing is stopped or dropped
//! because of it: the warning is repeated only after the run has moved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::runtime::metrics::InstanceSnapshot;

/// A source producer and whether it is still open (its handle neither
/// closed, retired nor dropped).
pub(super) type OpenSource = (String, Arc<AtomicBool>);

/// What the watch reads.
pub(super) struct StallWatch {
    /// Every instance's latest snapshot.
    pub(super) live: Vec<Arc<Mutex<InstanceSnapshot>>>,
    /// Every source producer of the run.
    pub(super) sources: Vec<OpenSource>,
    /// How long without progress makes a stall.
    pub(super) after: Duration,
}

/// A run that has stopped moving: what is still open.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Stall {
    /// Instances that have not ended, `Component[i]`.
    pub(super) unfinished: Vec<String>,
    /// Source producers not closed, `source[i]`.
    pub(super) open_sources: Vec<String>,
}

impl Stall {
    /// The warning's text.
    pub(super) fn describe(&self, after: Duration) -> String {
        let mut text = format!(
            "the run has received and handled nothing for {after:?} and has not ended: \
             instances still open: {}",
            self.unfinished.join(", ")
        );
        if self.open_sources.is_empty() {
            text.push_str(
                "; every source producer is closed, so they wait on each other or on a \
                 handler that does not return",
            );
        } else {
            text.push_str(&format!(
                "; source producers not closed: {} (their consumers wait for their end: close \
                 or drop each `SourceHandle` before awaiting `finish`)",
                self.open_sources.join(", ")
            ));
        }
        text
    }
}

impl StallWatch {
    /// The work done so far (records received and handled), and what is
    /// still open; `None` once every instance has ended.
    fn look(&self) -> Option<(u64, Stall)> {
        let mut progress = 0;
        let mut unfinished = Vec::new();
        for slot in &self.live {
            let Ok(snapshot) = slot.lock() else {
                continue;
            };
            progress += snapshot.metrics.received + snapshot.metrics.processed;
            if !snapshot.finished {
                unfinished.push(snapshot.name.clone());
            }
        }
        if unfinished.is_empty() {
            return None;
        }
        let open_sources = self
            .sources
            .iter()
            .filter(|(_, open)| open.load(Ordering::SeqCst))
            .map(|(name, _)| name.clone())
            .collect();
        Some((
            progress,
            Stall {
                unfinished,
                open_sources,
            },
        ))
    }

    /// Looks every `after` until the run ends, and warns once per stall.
    pub(super) async fn run(self) {
        let mut last: Option<u64> = None;
        let mut warned: Option<u64> = None;
        loop {
            tokio::time::sleep(self.after).await;
            let Some((progress, stall)) = self.look() else {
                return;
            };
            if last == Some(progress) && warned != Some(progress) {
                tracing::warn!(
                    unfinished = stall.unfinished.len(),
                    open_sources = stall.open_sources.len(),
                    "{}",
                    stall.describe(self.after)
                );
                warned = Some(progress);
            }
            last = Some(progress);
        }
    }
}
