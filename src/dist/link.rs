//! FIFO-once delivery on the links between processes.
//!
//! A *link* is everything one producer sends to one destination instance in
//! another process. The sender numbers the messages of each of its links
//! from 0 ([`LinkCounters`]) and sends them in batches (a frame holds
//! consecutive positions, see [`wire`](super::wire)), and the receiver puts
//! each link back together ([`LinkReceiver`]), message by message: it
//! delivers them in link-sequence order, each once. Below, a "frame" offered
//! to the receiver is one message of a batch.
//!
//! Why link sequence numbers exist, when envelopes already carry a
//! per-producer `seq`: the transport (NATS JetStream) neither keeps a link's
//! order nor delivers once.
//!
//! - A publish whose acknowledgement is lost is retried, and JetStream may
//!   store the retry *after* a later publish of the same producer, so frames
//!   arrive out of order (and both copies may arrive if deduplication missed
//!   the retry).
//! - A restarted producer replays its links from link sequence 0, so the
//!   receiver sees again everything it already delivered.
//!
//! An envelope's `seq` counts over everything a producer sends on all its
//! outputs, so one destination sees gaps in it and cannot tell a gap from a
//! lost frame; the link sequence is dense per destination. The receiver
//! therefore holds frames that arrive ahead of a gap until it fills, and
//! drops every frame whose link sequence it has delivered or already holds.
//!
//! # Bound (issue 15)
//!
//! A link holds at most `bound` frames ahead of its first missing link
//! sequence number `next`: a frame numbered `next + bound` or later is not
//! held but refused ([`Offer::BeyondBound`], counted by
//! [`LinkReceiver::beyond_bound`]), so a link number that is skipped for
//! good (a lost frame, a misbehaving sender) cannot make the receiver's
//! memory grow without limit. A sender has at most its publish window of
//! frames unacknowledged, so a gap that a retry will fill never reaches
//! past that window times the largest batch; the bound
//! ([`DEFAULT_LINK_BOUND`] unless configured) must exceed that product.
//! Past the bound the gap is taken as permanent: the
//! cluster's destination fails loudly with the link and the missing number
//! (a restarted destination reads its inputs again from the start of the
//! run, where a late frame is found if it was stored after all).

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::runtime::node::envelope::{Delivery, ProducerId};

/// Numbers what one producer sends on each of its links: per destination,
/// from 0.
#[derive(Debug)]
pub struct LinkCounters<K: Eq + Hash + Clone> {
    next: HashMap<K, u64>,
}

// Not derived: a derived `Default` would require `K: Default`.
impl<K: Eq + Hash + Clone> Default for LinkCounters<K> {
    fn default() -> Self {
        LinkCounters {
            next: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone> LinkCounters<K> {
    /// No link has sent anything yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The link sequence number of the next frame to `to`: 0 for the first,
    /// then 1, 2, … for that destination.
    pub fn next(&mut self, to: &K) -> u64 {
        let counter = match self.next.get_mut(to) {
            Some(counter) => counter,
            None => self.next.entry(to.clone()).or_insert(0),
        };
        let n = *counter;
        *counter = n.wrapping_add(1);
        n
    }
}

/// How many messages a link holds ahead of a gap by default: four times
/// the cluster's default publish window (256 frames) times its default
/// batch (64 messages).
pub const DEFAULT_LINK_BOUND: u64 = 65_536;

/// What an offered frame did.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    /// The link already delivered this link sequence number, or holds a
    /// frame for it: the frame is dropped.
    Duplicate,
    /// The frame is new. The messages now deliverable, in link order: the
    /// frame itself followed by any held frames it unblocked, or nothing when
    /// the frame is held waiting for an earlier one (a gap).
    Accepted(Vec<Delivery>),
    /// The frame is too far ahead of the link's gap to be held (see the
    /// module docs, "Bound"): it is neither held nor delivered.
    BeyondBound {
        /// The link sequence number the link still waits for.
        waiting_for: u64,
    },
}

/// The state of one incoming link.
#[derive(Debug)]
struct Link {
    /// The next link sequence number to deliver; `None` once `u64::MAX` has
    /// been delivered.
    next: Option<u64>,
    /// Frames that arrived ahead of `next`.
    held: BTreeMap<u64, Delivery>,
}

/// Reassembles each incoming link (keyed by the sending [`ProducerId`]):
/// delivers frames in `link_seq` order, each once.
#[derive(Debug)]
pub struct LinkReceiver {
    links: HashMap<ProducerId, Link>,
    bound: u64,
    waiting: usize,
    duplicates: u64,
    beyond_bound: u64,
}

impl Default for LinkReceiver {
    fn default() -> Self {
        LinkReceiver::with_bound(DEFAULT_LINK_BOUND)
    }
}

impl LinkReceiver {
    /// No link has delivered anything yet: each expects link sequence 0;
    /// each holds at most [`DEFAULT_LINK_BOUND`] frames ahead of a gap.
    pub fn new() -> Self {
        Self::default()
    }

    /// Like [`LinkReceiver::new`], each link holding at most `bound` frames
    /// ahead of a gap (at least 1).
    pub fn with_bound(bound: u64) -> Self {
        LinkReceiver {
            links: HashMap::new(),
            bound: bound.max(1),
            waiting: 0,
            duplicates: 0,
            beyond_bound: 0,
        }
    }

    /// Offers one frame of link `from`. Returns what became deliverable, or
    /// [`Offer::Duplicate`] for a frame delivered or held before (the first
    /// copy held wins).
    pub fn offer(&mut self, from: ProducerId, link_seq: u64, delivery: Delivery) -> Offer {
        let mut ready = Vec::new();
        match self.offer_into(from, link_seq, delivery, &mut ready) {
            Offer::Accepted(_) => Offer::Accepted(ready),
            refused => refused,
        }
    }

    /// [`LinkReceiver::offer`], appending what became deliverable to
    /// `ready` (the [`Offer::Accepted`] it answers is empty): a batch's
    /// messages go through without a vector each.
    #[cfg_attr(not(feature = "zookeeper"), allow(dead_code))] // the cluster's
    pub(crate) fn offer_into(
        &mut self,
        from: ProducerId,
        link_seq: u64,
        delivery: Delivery,
        ready: &mut Vec<Delivery>,
    ) -> Offer {
        let link = self.links.entry(from).or_insert_with(|| Link {
            next: Some(0),
            held: BTreeMap::new(),
        });
        let next = match link.next {
            Some(next) if link_seq >= next => next,
            _ => {
                self.duplicates += 1;
                return Offer::Duplicate;
            }
        };
        if link_seq > next {
            if link.held.contains_key(&link_seq) {
                self.duplicates += 1;
                return Offer::Duplicate;
            }
            if link_seq - next >= self.bound {
                self.beyond_bound += 1;
                return Offer::BeyondBound { waiting_for: next };
            }
            link.held.insert(link_seq, delivery);
            self.waiting += 1;
            return Offer::Accepted(Vec::new());
        }
        ready.push(delivery);
        let mut cursor = next.checked_add(1);
        while let Some(seq) = cursor {
            match link.held.remove(&seq) {
                Some(frame) => {
                    ready.push(frame);
                    self.waiting -= 1;
                    cursor = seq.checked_add(1);
                }
                None => break,
            }
        }
        link.next = cursor;
        Offer::Accepted(Vec::new())
    }

    /// The next link sequence number each link waits for (`None` past the
    /// last), for a checkpoint; `None` while frames are held for a gap
    /// (they are not saved: checkpoint when none are).
    #[cfg(feature = "zookeeper")] // used by the cluster only
    pub(crate) fn positions(&self) -> Option<Vec<(ProducerId, Option<u64>)>> {
        if self.waiting > 0 {
            return None;
        }
        Some(self.links.iter().map(|(p, l)| (*p, l.next)).collect())
    }

    /// Goes on from `positions` (as [`LinkReceiver::positions`] gave them):
    /// each link delivers from there, and drops what comes before.
    #[cfg(feature = "zookeeper")] // used by the cluster only
    pub(crate) fn resume(&mut self, positions: Vec<(ProducerId, Option<u64>)>) {
        self.links = positions
            .into_iter()
            .map(|(p, next)| {
                let held = BTreeMap::new();
                (p, Link { next, held })
            })
            .collect();
        self.waiting = 0;
    }

    /// Gives up link `from`'s gap: its producer was retired, so the link
    /// numbers it still waits for will never come (its incarnations are
    /// fenced). Returns the first missing link sequence number and the
    /// messages held behind it, in link order (none when nothing is held);
    /// the link then goes on after the last of them, so a copy of one
    /// arriving later is a duplicate.
    #[cfg(feature = "zookeeper")] // used by the cluster only
    pub(crate) fn abandon(&mut self, from: ProducerId) -> Option<(u64, Vec<(u64, Delivery)>)> {
        let link = self.links.get_mut(&from)?;
        let missing = link.next?;
        let last = *link.held.keys().next_back()?;
        let held: Vec<(u64, Delivery)> = std::mem::take(&mut link.held).into_iter().collect();
        self.waiting -= held.len();
        link.next = last.checked_add(1);
        Some((missing, held))
    }

    /// How many frames are held, over all links, waiting for a gap to fill.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// How many frames were refused so far for being too far ahead of
    /// their link's gap ([`Offer::BeyondBound`]).
    pub fn beyond_bound(&self) -> u64 {
        self.beyond_bound
    }

    /// How many frames were dropped as duplicates so far.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// The links holding frames, each with its first missing link sequence
    /// number (the one they wait for), sorted by producer.
    pub fn gaps(&self) -> Vec<(ProducerId, u64)> {
        let mut gaps: Vec<(ProducerId, u64)> = self
            .links
            .iter()
            .filter(|(_, link)| !link.held.is_empty())
            .filter_map(|(from, link)| link.next.map(|next| (*from, next)))
            .collect();
        gaps.sort_unstable();
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::node::envelope::Envelope;

    fn end(seq: u64) -> Delivery {
        Delivery::Direct {
            input: 0,
            envelope: Envelope::End {
                producer: ProducerId(9),
                seq,
            },
        }
    }

    fn accepted(seqs: &[u64]) -> Offer {
        Offer::Accepted(seqs.iter().map(|&s| end(s)).collect())
    }

    /// Issue 15: behind a link number skipped for good, the receiver held
    /// every later frame.
    #[test]
    fn a_link_holds_at_most_its_bound_ahead_of_a_gap() {
        let mut rx = LinkReceiver::with_bound(3);
        assert_eq!(rx.offer(ProducerId(1), 0, end(0)), accepted(&[0]));
        // Link number 1 is missing: 2 and 3 are held, 4 is refused.
        assert_eq!(rx.offer(ProducerId(1), 2, end(2)), accepted(&[]));
        assert_eq!(rx.offer(ProducerId(1), 3, end(3)), accepted(&[]));
        assert_eq!(
            rx.offer(ProducerId(1), 4, end(4)),
            Offer::BeyondBound { waiting_for: 1 }
        );
        assert_eq!((rx.waiting(), rx.beyond_bound()), (2, 1));
        // Another link is not affected; the gap filled, the link goes on.
        assert_eq!(rx.offer(ProducerId(2), 0, end(0)), accepted(&[0]));
        assert_eq!(rx.offer(ProducerId(1), 1, end(1)), accepted(&[1, 2, 3]));
        assert_eq!(rx.offer(ProducerId(1), 4, end(4)), accepted(&[4]));
        assert_eq!(rx.waiting(), 0);
    }

    /// A retired producer's gap never fills: abandoning it hands back
    /// what was held behind it, in order, and the link goes on after it.
    #[test]
    fn an_abandoned_gap_hands_back_what_it_held() {
        let mut rx = LinkReceiver::new();
        let p = ProducerId(1);
        assert_eq!(rx.abandon(p), None, "no link yet");
        assert_eq!(rx.offer(p, 0, end(0)), accepted(&[0]));
        assert_eq!(rx.abandon(p), None, "nothing held");
        assert_eq!(rx.offer(p, 4, end(4)), accepted(&[]));
        assert_eq!(rx.offer(p, 2, end(2)), accepted(&[]));
        assert_eq!(rx.offer(ProducerId(2), 1, end(1)), accepted(&[]));
        assert_eq!(rx.waiting(), 3);
        assert_eq!(rx.abandon(p), Some((1, vec![(2, end(2)), (4, end(4))])));
        assert_eq!(rx.waiting(), 1);
        assert_eq!(rx.gaps(), [(ProducerId(2), 0)]);
        assert_eq!(rx.offer(p, 3, end(3)), Offer::Duplicate);
        assert_eq!(rx.offer(p, 5, end(5)), accepted(&[5]));
    }

    #[test]
    fn counters_number_each_destination_from_zero() {
        let mut counters = LinkCounters::new();
        assert_eq!(counters.next(&"a"), 0);
        assert_eq!(counters.next(&"a"), 1);
        assert_eq!(counters.next(&"b"), 0);
        assert_eq!(counters.next(&"a"), 2);
        assert_eq!(counters.next(&"b"), 1);
    }

    #[test]
    fn in_order_frames_are_delivered_at_once() {
        let mut rx = LinkReceiver::new();
        for s in 0..3 {
            assert_eq!(rx.offer(ProducerId(1), s, end(s)), accepted(&[s]));
        }
        assert_eq!(rx.waiting(), 0);
        assert_eq!(rx.gaps(), []);
    }

    #[test]
    fn frames_past_a_gap_wait_until_it_fills() {
        let mut rx = LinkReceiver::new();
        let p = ProducerId(1);
        assert_eq!(rx.offer(p, 2, end(2)), accepted(&[]));
        assert_eq!(rx.offer(p, 1, end(1)), accepted(&[]));
        assert_eq!(rx.offer(p, 4, end(4)), accepted(&[]));
        assert_eq!(rx.waiting(), 3);
        assert_eq!(rx.gaps(), [(p, 0)]);
        assert_eq!(rx.offer(p, 0, end(0)), accepted(&[0, 1, 2]));
        assert_eq!(rx.waiting(), 1);
        assert_eq!(rx.gaps(), [(p, 3)]);
        assert_eq!(rx.offer(p, 3, end(3)), accepted(&[3, 4]));
        assert_eq!(rx.waiting(), 0);
        assert_eq!(rx.gaps(), []);
    }

    #[test]
    fn delivered_and_held_frames_are_duplicates() {
        let mut rx = LinkReceiver::new();
        let p = ProducerId(1);
        assert_eq!(rx.offer(p, 0, end(0)), accepted(&[0]));
        assert_eq!(rx.offer(p, 2, end(2)), accepted(&[]));
        // A retried publish of a held frame, then a restarted producer
        // replaying its link from 0.
        assert_eq!(rx.offer(p, 2, end(2)), Offer::Duplicate);
        assert_eq!(rx.offer(p, 0, end(0)), Offer::Duplicate);
        assert_eq!(rx.duplicates(), 2);
        assert_eq!(rx.waiting(), 1);
        assert_eq!(rx.offer(p, 1, end(1)), accepted(&[1, 2]));
        assert_eq!(rx.offer(p, 1, end(1)), Offer::Duplicate);
        assert_eq!(rx.offer(p, 2, end(2)), Offer::Duplicate);
        assert_eq!(rx.duplicates(), 4);
    }

    #[test]
    fn links_are_independent() {
        let mut rx = LinkReceiver::new();
        assert_eq!(rx.offer(ProducerId(2), 1, end(1)), accepted(&[]));
        assert_eq!(rx.offer(ProducerId(1), 1, end(1)), accepted(&[]));
        assert_eq!(rx.offer(ProducerId(3), 0, end(0)), accepted(&[0]));
        assert_eq!(rx.gaps(), [(ProducerId(1), 0), (ProducerId(2), 0)]);
        assert_eq!(rx.offer(ProducerId(2), 0, end(0)), accepted(&[0, 1]));
        assert_eq!(rx.gaps(), [(ProducerId(1), 0)]);
        assert_eq!(rx.waiting(), 1);
    }

    #[test]
    fn the_last_link_sequence_number_is_delivered_once() {
        let mut rx = LinkReceiver::new();
        let p = ProducerId(1);
        rx.links.insert(
            p,
            Link {
                next: Some(u64::MAX - 1),
                held: BTreeMap::new(),
            },
        );
        assert_eq!(rx.offer(p, u64::MAX, end(1)), accepted(&[]));
        assert_eq!(rx.offer(p, u64::MAX - 1, end(0)), accepted(&[0, 1]));
        assert_eq!(rx.offer(p, u64::MAX, end(1)), Offer::Duplicate);
        assert_eq!(rx.waiting(), 0);
        assert_eq!(rx.gaps(), []);
    }
}
