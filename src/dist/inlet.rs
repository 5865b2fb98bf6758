//! The receiving side of a destination across processes: frames decoded,
//! those of a fenced incarnation refused ([`EpochFence`]), links put back
//! in order.

use std::time::{Duration, Instant};

use super::cluster::{ClusterError, LinkStats};
use super::fence::EpochFence;
use super::link::{LinkReceiver, Offer};
use super::transport::Reader;
use super::wire::{Message, decode_message};
use crate::runtime::envelope::Inbound;

/// The receiving side of one destination: its subject read from the start
/// of the run, frames decoded (malformed ones counted and skipped), frames
/// of an incarnation older than one already registered refused (counted),
/// and the rest put back in link order, each delivered once.
pub(crate) struct Inlet {
    reader: Reader,
    fence: EpochFence,
    links: LinkReceiver,
    pub(crate) stats: LinkStats,
    name: String,
    quiet_since: Instant,
}

impl Inlet {
    pub(crate) fn new(reader: Reader, name: String) -> Inlet {
        Inlet {
            reader,
            fence: EpochFence::new(),
            links: LinkReceiver::new(),
            stats: LinkStats::default(),
            name,
            quiet_since: Instant::now(),
        }
    }

    /// Frames held for a gap in their link.
    pub(crate) fn waiting(&self) -> usize {
        self.links.waiting()
    }

    /// The messages one frame made deliverable, in link order; `None` when
    /// nothing arrived for a second (every ten quiet seconds, says what it
    /// waits for).
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<Inbound>>, ClusterError> {
        let Some(bytes) = self.reader.next(Duration::from_secs(1)).await? else {
            if self.quiet_since.elapsed() > Duration::from_secs(10) {
                tracing::info!(at = %self.name, waiting_frames = self.links.waiting(),
                    gaps = ?self.links.gaps(), "still waiting for inputs");
                self.quiet_since = Instant::now();
            }
            return Ok(None);
        };
        self.quiet_since = Instant::now();
        self.stats.frames_in += 1;
        let frame = match decode_message(&bytes) {
            Ok(Message::Frame(f)) => f,
            Ok(Message::Registration(r)) => {
                self.stats.registrations += 1;
                self.fence.register(r.from, r.epoch);
                return Ok(Some(Vec::new()));
            }
            Err(e) => {
                self.stats.malformed_frames += 1;
                tracing::warn!(at = %self.name, error = %e, "malformed frame skipped");
                return Ok(Some(Vec::new()));
            }
        };
        if !self.fence.admit(frame.from, frame.epoch) {
            self.stats.fenced_frames += 1;
            tracing::warn!(at = %self.name, from = %frame.from, epoch = frame.epoch,
                link_seq = frame.link_seq,
                "frame of an incarnation that a newer one replaced: refused");
            return Ok(Some(Vec::new()));
        }
        match self.links.offer(frame.from, frame.link_seq, frame.inbound) {
            Offer::Duplicate => {
                self.stats.duplicate_frames += 1;
                Ok(Some(Vec::new()))
            }
            Offer::Accepted(ready) => Ok(Some(ready)),
            Offer::BeyondBound { waiting_for } => {
                self.stats.beyond_bound_frames += 1;
                tracing::error!(at = %self.name, from = %frame.from, link_seq = frame.link_seq,
                    waiting_for, "frame too far ahead of a gap in its link");
                Err(ClusterError::LinkGap {
                    at: self.name.clone(),
                    from: frame.from,
                    missing: waiting_for,
                    arrived: frame.link_seq,
                })
            }
        }
    }

    /// What crossed into this destination.
    pub(crate) fn stats(&self) -> LinkStats {
        LinkStats {
            reader_restarts: self.reader.restarts(),
            ..self.stats.clone()
        }
    }
}
