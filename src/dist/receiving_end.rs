//! The receiving side of a destination across processes: frames decoded,
//! those of a fenced incarnation refused ([`EpochFence`]), links put back
//! in order.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::cluster::{ClusterError, LinkStats};
use super::fence::EpochFence;
use super::link::{LinkReceiver, Offer};
use super::transport::Reader;
use super::wire::{Message, RETIREMENT_SEQ, Retirement, decode_message};
use crate::runtime::node::envelope::{Delivery, Envelope, ProducerId};

/// Where an receiving is, for a checkpoint: the next stream sequence it reads,
/// each link's next link sequence number, the newest epoch of each producer
/// and the producers heard from.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ReceivingPosition {
    /// The reader's next JetStream stream sequence.
    pub(crate) next_sequence: u64,
    links: Vec<(ProducerId, Option<u64>)>,
    epochs: Vec<(ProducerId, u64)>,
    heard: Vec<ProducerId>,
}

#[cfg(test)]
impl ReceivingPosition {
    /// A position at stream sequence `next_sequence`, links unknown.
    pub(crate) fn for_test(next_sequence: u64) -> ReceivingPosition {
        ReceivingPosition {
            next_sequence,
            links: Vec::new(),
            epochs: Vec::new(),
            heard: Vec::new(),
        }
    }
}

/// The receiving side of one destination: its subject read from the start
/// of the run (or from a checkpoint's position), frames decoded (malformed ones counted and skipped), frames
/// of an incarnation older than one already registered refused (counted),
/// and the rest put back in link order, each delivered once.
pub(crate) struct ReceivingEnd {
    reader: Reader,
    fence: EpochFence,
    links: LinkReceiver,
    pub(crate) stats: LinkStats,
    name: String,
    quiet_since: Instant,
    peers: Peers,
    settled: Settled,
}

/// What retirements settled beyond the messages they deliver: positions
/// of the ordered group's order to skip, and messages stranded behind a
/// gap of the retired producer's link (taken by
/// [`ReceivingEnd::take_settled`]).
#[derive(Debug, Default)]
pub(crate) struct Settled {
    /// Positions no member will ever receive (the retired producer took
    /// them and never published them), increasing per retirement.
    pub(crate) skipped: Vec<u64>,
    /// Direct messages held behind a gap that can no longer fill, each with
    /// the first link position missing before it.
    pub(crate) stranded: Vec<(u64, Delivery)>,
}

impl Settled {
    /// True when there is nothing to settle.
    pub(crate) fn is_empty(&self) -> bool {
        self.skipped.is_empty() && self.stranded.is_empty()
    }
}

/// The producers a destination expects, and those of them it has heard
/// from (a registration or a frame, of any incarnation).
struct Peers {
    expected: BTreeMap<ProducerId, String>,
    heard: BTreeSet<ProducerId>,
    since: Instant,
    wait: Duration,
    report_every: Duration,
    reported: Instant,
}

impl Peers {
    /// Notes a registration or frame from `producer` (only expected
    /// producers are kept, so `heard` never outgrows `expected`).
    fn heard_from(&mut self, producer: ProducerId) {
        if self.expected.contains_key(&producer) {
            self.heard.insert(producer);
        }
    }

    /// Whether every expected producer was heard from.
    fn all_heard(&self) -> bool {
        self.heard.len() >= self.expected.len()
    }

    /// The names of the expected producers never heard from, in id order.
    fn missing(&self) -> Vec<String> {
        self.expected
            .iter()
            .filter(|(id, _)| !self.heard.contains(id))
            .map(|(_, name)| name.clone())
            .collect()
    }
}

/// How long a destination waits for the producers it expects, and how
/// often it says which it still waits for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerWait {
    /// Fail when an expected producer has sent nothing for this long.
    pub(crate) wait: Duration,
    /// Log the producers still missing this often.
    pub(crate) report_every: Duration,
}

impl ReceivingEnd {
    /// The receiving of destination `name`, expecting the producers `expected`
    /// (their ids and names).
    pub(crate) fn new(
        reader: Reader,
        name: String,
        expected: BTreeMap<ProducerId, String>,
        wait: PeerWait,
    ) -> ReceivingEnd {
        ReceivingEnd {
            reader,
            fence: EpochFence::new(),
            links: LinkReceiver::new(),
            stats: LinkStats::default(),
            name,
            quiet_since: Instant::now(),
            peers: Peers {
                expected,
                heard: BTreeSet::new(),
                since: Instant::now(),
                wait: wait.wait,
                report_every: wait.report_every,
                reported: Instant::now(),
            },
            settled: Settled::default(),
        }
    }

    /// Says which expected producers were never heard from, every
    /// `report_every`; fails naming them once they have been waited for
    /// `wait` ([`ClusterError::PeersMissing`]).
    pub(crate) fn check_peers(&mut self) -> Result<(), ClusterError> {
        if self.peers.all_heard() {
            return Ok(());
        }
        let missing = self.peers.missing();
        if missing.is_empty() {
            return Ok(());
        }
        let waited = self.peers.since.elapsed();
        if waited >= self.peers.wait {
            tracing::error!(at = %self.name, ?missing, ?waited, "peers never came");
            return Err(ClusterError::PeersMissing {
                at: self.name.clone(),
                missing,
                waited,
            });
        }
        if self.peers.reported.elapsed() >= self.peers.report_every {
            tracing::warn!(at = %self.name, ?missing, waited_ms = waited.as_millis(),
                limit_ms = self.peers.wait.as_millis(),
                "waiting for producers never heard from");
            self.peers.reported = Instant::now();
        }
        Ok(())
    }

    /// Frames held for a gap in their link.
    pub(crate) fn waiting(&self) -> usize {
        self.links.waiting()
    }

    /// The messages one frame (a batch) made deliverable, in link order; `None` when
    /// nothing arrived for a second (every ten quiet seconds, says what it
    /// waits for).
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<Delivery>>, ClusterError> {
        self.check_peers()?;
        let idle = self
            .peers
            .report_every
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        let Some(bytes) = self.reader.next(idle).await? else {
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
                self.peers.heard_from(r.from);
                self.fence.register(r.from, r.epoch);
                return Ok(Some(Vec::new()));
            }
            Ok(Message::Retirement(r)) => return Ok(Some(self.retirement(r))),
            Err(e) => {
                self.stats.malformed_frames += 1;
                tracing::warn!(at = %self.name, error = %e, "malformed frame skipped");
                return Ok(Some(Vec::new()));
            }
        };
        self.peers.heard_from(frame.from);
        if !self.fence.admit(frame.from, frame.epoch) {
            self.stats.fenced_frames += 1;
            tracing::warn!(at = %self.name, from = %frame.from, epoch = frame.epoch,
                link_seq = frame.link_seq,
                "frame of an incarnation that a newer one replaced: refused");
            return Ok(Some(Vec::new()));
        }
        // Per message: a batch seen in part before (a replay cut into other
        // batches) delivers only the positions not delivered yet.
        let mut ready = Vec::with_capacity(frame.messages.len());
        for (link_seq, delivery) in (frame.link_seq..).zip(frame.messages) {
            match self
                .links
                .offer_into(frame.from, link_seq, delivery, &mut ready)
            {
                Offer::Duplicate => self.stats.duplicate_frames += 1,
                Offer::Accepted(_) => {}
                Offer::BeyondBound { waiting_for } => {
                    self.stats.beyond_bound_frames += 1;
                    tracing::error!(at = %self.name, from = %frame.from, link_seq,
                        waiting_for, "message too far ahead of a gap in its link");
                    return Err(ClusterError::LinkGap {
                        at: self.name.clone(),
                        from: frame.from,
                        missing: waiting_for,
                        arrived: link_seq,
                    });
                }
            }
        }
        Ok(Some(ready))
    }

    /// Where the receiving end is; `None` while frames are held for a gap in their
    /// link (a checkpoint waits until none are).
    pub(crate) fn position(&self) -> Option<ReceivingPosition> {
        Some(ReceivingPosition {
            next_sequence: self.reader.next_sequence(),
            links: self.links.positions()?,
            epochs: self.fence.epochs(),
            heard: self.peers.heard.iter().copied().collect(),
        })
    }

    /// Goes on from `position`: reads from its stream sequence on, each
    /// link delivering from its recorded number.
    pub(crate) fn resume(&mut self, position: ReceivingPosition) {
        self.reader.resume_at(position.next_sequence);
        self.links.resume(position.links);
        self.fence.resume(position.epochs);
        for producer in position.heard {
            self.peers.heard_from(producer);
        }
    }

    /// What the retirements read so far settled that is not a delivery
    /// (positions to skip, stranded messages), taken.
    pub(crate) fn take_settled(&mut self) -> Settled {
        std::mem::take(&mut self.settled)
    }

    /// An operator's retirement of a producer: delivered at once, outside
    /// its link (unless a newer incarnation has registered since); to an
    /// ordered group's member, at its position in the group's order.
    ///
    /// Every frame of the retired producer stored before it was read
    /// already (the retiring incarnation registered first, fencing later
    /// ones), so a gap in the producer's link never fills: what was held
    /// behind it is released, ordered messages into the group's order
    /// (they are placed by position) and direct ones as stranded (see
    /// [`ReceivingEnd::take_settled`]). The retirement's account adds the
    /// ordered messages this member lacks and the positions to skip.
    fn retirement(&mut self, r: Retirement) -> Vec<Delivery> {
        self.peers.heard_from(r.from);
        if !self.fence.admit(r.from, r.epoch) {
            self.stats.fenced_frames += 1;
            return Vec::new();
        }
        tracing::info!(at = %self.name, producer = %r.from, input = r.input,
            position = r.position, skipped = ?r.skipped, filled = r.filled.len(),
            "producer retired");
        let mut ready = Vec::new();
        if let Some((missing, held)) = self.links.abandon(r.from) {
            for (link_seq, delivery) in held {
                match delivery {
                    ordered @ Delivery::Ordered { .. } => ready.push(ordered),
                    direct @ Delivery::Direct { .. } => {
                        tracing::error!(at = %self.name, producer = %r.from, missing,
                            link_seq, "message held behind a gap of a retired producer's \
                            link: stranded");
                        self.stats.stranded_messages += 1;
                        self.settled.stranded.push((missing, direct));
                    }
                }
            }
        }
        if !r.skipped.is_empty() {
            tracing::warn!(at = %self.name, producer = %r.from, positions = ?r.skipped,
                "positions the retired producer took and never published: skipped");
        }
        self.stats.skipped_positions += r.skipped.len() as u64;
        self.stats.filled_messages += r.filled.len() as u64;
        self.settled.skipped.extend(r.skipped);
        ready.extend(r.filled);
        let envelope = Envelope::Retire {
            producer: r.from,
            seq: RETIREMENT_SEQ,
        };
        ready.push(match r.position {
            Some(position) => Delivery::Ordered {
                position,
                input: r.input,
                envelope,
            },
            None => Delivery::Direct {
                input: r.input,
                envelope,
            },
        });
        ready
    }

    /// What crossed into this destination.
    pub(crate) fn stats(&self) -> LinkStats {
        LinkStats {
            reader_restarts: self.reader.restarts(),
            ..self.stats.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producers_not_expected_never_stand_for_missing_ones() {
        let mut peers = Peers {
            expected: BTreeMap::from([
                (ProducerId(1), "clicks[0]".to_string()),
                (ProducerId(2), "clicks[1]".to_string()),
            ]),
            heard: BTreeSet::new(),
            since: Instant::now(),
            wait: Duration::from_secs(1),
            report_every: Duration::from_secs(1),
            reported: Instant::now(),
        };
        // Every producer registers on every destination: two that do not
        // feed this one are heard first.
        peers.heard_from(ProducerId(7));
        peers.heard_from(ProducerId(8));
        peers.heard_from(ProducerId(1));
        assert!(!peers.all_heard());
        assert_eq!(peers.missing(), ["clicks[1]"]);
        peers.heard_from(ProducerId(2));
        assert!(peers.all_heard());
        assert!(peers.missing().is_empty());
    }
}
