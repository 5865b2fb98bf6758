//! One component instance as a sans-IO state machine: its handler wrapped in
//! the coordination its inputs get from the plan. It is fed [`Delivery`]
//! messages with the driver's clock, and yields the envelopes to send (by
//! output), the dead letters and its metrics. The tokio runner and the
//! simulator drive exactly this code.
//!
//! Every call into the handler is contained ([`contained`]; records are
//! handed over in batches, one containment per batch): a record whose
//! handler call panics is dead-lettered with its payload and the panic's
//! message, a panicking `on_seal` is counted and logged, what the failed call
//! emitted is discarded, and the instance goes on with the handler in
//! whatever state the panic left it (issue 15).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

mod checkpoint;
pub use checkpoint::CheckpointError;

use crate::handler::{Batch, Carried, Emit, Handler, Records, UnknownInput, handle_each};
use crate::runtime::coordination::dedup::{Dedup, Seen, SeenRun};
use crate::runtime::coordination::forwarder::SealForwarder;
use crate::runtime::coordination::input_seals::InputSeals;
use crate::runtime::coordination::key_kinds::WrongKeyKind;
use crate::runtime::coordination::plan::InputMode;
use crate::runtime::coordination::seal_buffer::{
    Admission, HeldRecord, Piece, Release, SealBuffer, SealOutcome,
};
use crate::runtime::coordination::static_order::{Placement, StaticOrder};
use crate::runtime::coordination::total_order::{Sequenced, TotalOrder};
use crate::runtime::coordination::votes::SealedOpen;
use crate::runtime::dead_letter::{DeadLetter, DeadLetterReason};
use crate::runtime::metrics::{InstanceMetrics, InstanceSnapshot, UnsealedPartition};
use crate::runtime::node::clock::Time;
use crate::runtime::node::contain::contained;
use crate::runtime::node::envelope::{
    Delivery, Envelope, InputId, MOST_IN_RUN, Numbering, OutputId, ProducerId,
};
use crate::runtime::node::payload::{Payload, PayloadRun, gather};
use crate::runtime::node::topology::{ComponentInfo, Topology};
use crate::tuple::Tuple;

/// How many records the handler is handed in one [`Batch`] at most: few
/// enough that the tuples freed after a batch all fit the allocator's
/// per-thread cache (glibc keeps 7 of each size) and are reused by the next
/// batch's allocations (8 at a time cost a fifth more time at 2 workers, the
/// frees past the cache taking the shared arena's lock), many enough that a
/// batch's fixed costs (its containment, the input's lookup) are spread.
const HANDLED_AT_ONCE: usize = 256;

/// A released partition's pieces of one producer and input shorter than
/// this on average are gathered into one batch for a slice handler.
const GATHER_BELOW: usize = 32;

/// What went wrong in the handler calls of a batch, by record index.
#[derive(Default)]
struct Outcomes {
    /// The calls that panicked: the records each took, its message and how
    /// many emissions it discarded.
    panicked: Vec<(std::ops::Range<usize>, String, usize)>,
    /// The records given back.
    refused: Vec<(usize, UnknownInput)>,
}

impl Outcomes {
    fn is_empty(&self) -> bool {
        self.panicked.is_empty() && self.refused.is_empty()
    }
}

/// A component instance with its coordination wrappers.
pub struct InstanceCore {
    component: String,
    name: String,
    producer_names: BTreeMap<ProducerId, String>,
    never_sealed: Vec<UnsealedPartition>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    modes: Vec<InputMode>,
    /// By input: the plan votes its seals (see `ComponentPlan::voted_seals`).
    voted_seals: Vec<bool>,
    feeds: Vec<Vec<InputId>>,
    expected: Vec<BTreeSet<ProducerId>>,
    ended: Vec<BTreeSet<ProducerId>>,
    output_ended: Vec<bool>,
    handler: Box<dyn Handler>,
    dedup: Dedup,
    ordered_dedup: Dedup,
    seal_buffers: Vec<SealBuffer>,
    /// One orderer per set of `seq` attributes, shared by every input
    /// ordered on them ([`StaticOrder`]).
    static_orders: Vec<StaticOrder>,
    /// By input index: the orderer of a statically ordered input.
    static_order_of: Vec<Option<usize>>,
    total_order: TotalOrder,
    forwarder: SealForwarder,
    /// The votes of the seals of read-gated inputs and of the inputs the
    /// plan votes, for `on_seal`.
    input_seals: InputSeals,
    capacity: usize,
    /// Records one producer may have held at once: its share of the bound.
    share: usize,
    /// A stall admitted a record beyond the bound and no release has
    /// brought the instance back under it yet.
    over_bound: bool,
    numbering: Numbering,
    /// An input's end arrived, or a seal buffer released a partition, since
    /// outputs were last checked for their end.
    ends_arrived: bool,
    metrics: InstanceMetrics,
    emit: Emit,
    /// Room for the records handed to the handler one at a time.
    run: Vec<HeldRecord>,
    /// Records of a direct input not handed to the handler yet (see
    /// [`InstanceCore::defer_direct`]), all of one input, in order.
    pending: Vec<HeldRecord>,
    /// Records of direct inputs wait in `pending`.
    deferring: bool,
    /// What the records handed over from `pending` emit stays in `emit`
    /// until the deferred run ends, so that one run's emissions of a
    /// record type become one batch.
    holding_emits: bool,
    /// Consecutive records emitted on one output from one typed batch are
    /// sent as one [`Envelope::Records`] (see [`InstanceCore::send_runs`]).
    runs: bool,
    sends: Vec<(OutputId, Envelope)>,
    dead_letters: Vec<DeadLetter>,
}

impl InstanceCore {
    /// Instance `id` of component `info` of the topology, running `handler`.
    pub fn new(
        topology: &Topology,
        info: &ComponentInfo,
        id: ProducerId,
        handler: Box<dyn Handler>,
    ) -> InstanceCore {
        InstanceCore::with_producers(topology, info, id, handler, &BTreeMap::new())
    }

    /// Like [`InstanceCore::new`], but the producers that must seal and end
    /// the inputs in `producers` are the given ones instead of the
    /// deployment's (e.g. learned from a coordination service).
    pub fn with_producers(
        topology: &Topology,
        info: &ComponentInfo,
        id: ProducerId,
        handler: Box<dyn Handler>,
        producers: &BTreeMap<InputId, BTreeSet<ProducerId>>,
    ) -> InstanceCore {
        let expected: Vec<BTreeSet<ProducerId>> = (0..info.inputs.len())
            .map(|i| {
                producers
                    .get(&i)
                    .cloned()
                    .unwrap_or_else(|| topology.expected(id, i))
            })
            .collect();
        let seal_buffers = info
            .plan
            .seals
            .iter()
            .enumerate()
            .map(|(b, spec)| {
                let mut voters = std::collections::BTreeMap::new();
                for (i, mode) in info.plan.inputs.iter().enumerate() {
                    match mode {
                        InputMode::Sealed { buffer } if *buffer == b => {
                            voters.insert(i, expected[i].clone());
                        }
                        _ => {}
                    }
                }
                SealBuffer::new(spec.key.clone(), spec.vote, voters)
                    .with_late_window(topology.late_window)
            })
            .collect();
        let (static_orders, static_order_of) =
            static_orders(topology, &info.plan.inputs, &expected);
        let share = producer_share(topology.buffer_capacity, &info.plan.inputs, &expected);
        let producer_names = expected
            .iter()
            .flatten()
            .map(|p| (*p, topology.describe(*p)))
            .collect();
        InstanceCore {
            component: info.name.clone(),
            name: topology.describe(id),
            producer_names,
            never_sealed: Vec::new(),
            inputs: info.inputs.clone(),
            outputs: info.outputs.clone(),
            modes: info.plan.inputs.clone(),
            voted_seals: info.plan.voted_seals.clone(),
            feeds: info.feeds.clone(),
            ended: vec![BTreeSet::new(); info.inputs.len()],
            output_ended: vec![false; info.outputs.len()],
            forwarder: SealForwarder::new(
                info.forwards.clone(),
                expected.clone(),
                info.independent.clone(),
            )
            .with_window(topology.late_window),
            input_seals: InputSeals::new(&expected, &info.independent),
            expected,
            handler,
            dedup: Dedup::new(),
            ordered_dedup: Dedup::new(),
            seal_buffers,
            static_orders,
            static_order_of,
            total_order: TotalOrder::new(),
            capacity: topology.buffer_capacity,
            share,
            over_bound: false,
            numbering: Numbering::new(id),
            ends_arrived: false,
            metrics: InstanceMetrics::default(),
            emit: Emit::new(),
            run: Vec::new(),
            pending: Vec::new(),
            deferring: false,
            holding_emits: false,
            runs: false,
            sends: Vec::new(),
            dead_letters: Vec::new(),
        }
    }

    /// The instance's producer id.
    pub fn id(&self) -> ProducerId {
        self.numbering.producer()
    }

    /// Ends the outputs that no input feeds (call once, before delivering).
    pub fn start(&mut self) {
        self.end_outputs();
    }

    fn held(&self) -> usize {
        let mut held = 0;
        for buffer in &self.seal_buffers {
            held += buffer.held();
        }
        for order in &self.static_orders {
            held += order.held();
        }
        if !self.total_order.is_empty() {
            held += self.total_order.waiting_records();
        }
        held
    }

    /// Records the wrappers hold from `producer`.
    fn held_from(&self, producer: ProducerId) -> usize {
        self.seal_buffers
            .iter()
            .map(|b| b.held_from(producer))
            .sum::<usize>()
            + self
                .static_orders
                .iter()
                .map(|o| o.held_from(producer))
                .sum::<usize>()
    }

    /// True when delivering `message` now would exceed the buffer bound: the
    /// driver must hold it back (backpressure) until a release frees room.
    /// Every record the wrappers would hold waits, whether it opens a
    /// partition (or batch) or joins an open one (issue 15, fix 6: records
    /// of open partitions were admitted past the bound); records that take
    /// no room (late, refused, reads of released partitions), duplicates and
    /// punctuations pass, since they may be what frees room.
    ///
    /// Each producer has a share of the bound (the bound divided by the
    /// producers feeding the wrappers): a fast producer that has moved on
    /// to later partitions waits at its share, and so leaves room for the
    /// records of a slower one that the oldest partition still needs.
    /// Producers that send their partitions one after the other therefore
    /// never wait on each other while each one's part of a partition fits
    /// in its share.
    #[inline]
    pub fn would_block(&self, message: &Delivery) -> bool {
        // A record of an input no wrapper holds never waits: the common
        // case of a run, answered here.
        match message {
            Delivery::Direct {
                input,
                envelope: Envelope::Record { .. } | Envelope::Records { .. },
            } if matches!(self.modes.get(*input), Some(InputMode::Direct)) => false,
            Delivery::Direct {
                input,
                envelope:
                    Envelope::Record {
                        producer,
                        seq,
                        payload,
                    },
            } => self.would_hold(*input, *producer, *seq, payload, true),
            Delivery::Direct {
                input,
                envelope:
                    Envelope::Records {
                        producer,
                        seq,
                        records,
                    },
            } if !records.is_empty() => {
                // The run waits when its first record would.
                self.would_hold(*input, *producer, *seq, &records.payload(0), true)
            }
            _ => false,
        }
    }

    /// [`InstanceCore::would_block`] for a record.
    /// `check_duplicate`: a replay takes no room (false for a record of a
    /// run the deduplicator has admitted already).
    #[inline(never)]
    fn would_hold(
        &self,
        input: InputId,
        producer: ProducerId,
        seq: u64,
        payload: &Payload,
        check_duplicate: bool,
    ) -> bool {
        let (input, producer, seq) = (&input, &producer, &seq);
        // Only the wrappers hold records: an input without one never waits,
        // whatever the wrappers of the others hold.
        let wrapped = matches!(
            self.modes.get(*input),
            Some(
                InputMode::Sealed { .. }
                    | InputMode::ReadGated { .. }
                    | InputMode::StaticOrder { .. }
            )
        );
        if !wrapped {
            return false;
        }
        // Below one producer's share in all, every producer has room
        // (the share is at most the bound): no per-producer count needed.
        // What the wrappers hold changes only as messages are delivered
        // (or a checkpoint restored, which brings its own count back), so
        // the count after the last delivery is the count now.
        let held = self.metrics.held as usize;
        debug_assert_eq!(held, self.held(), "held count out of date");
        let room = held < self.share.min(self.capacity)
            || (held < self.capacity && self.held_from(*producer) < self.share);
        if room || (check_duplicate && self.dedup.is_duplicate(*producer, *seq)) {
            return false;
        }
        match self.modes.get(*input) {
            Some(InputMode::Sealed { buffer } | InputMode::ReadGated { buffer }) => self
                .seal_buffers
                .get(*buffer)
                .is_some_and(|b| b.would_hold(*input, *producer, payload)),
            Some(InputMode::StaticOrder { .. }) => self
                .static_order_of
                .get(*input)
                .copied()
                .flatten()
                .and_then(|o| self.static_orders.get(o))
                .is_some_and(|o| o.would_hold(*input, *producer, payload)),
            _ => false,
        }
    }

    /// Counts one refusal because of [`InstanceCore::would_block`].
    pub fn note_backpressure(&mut self) {
        self.metrics.backpressure += 1;
        tracing::debug!(
            instance = %self.id(),
            component = %self.component,
            held = self.held(),
            "buffer bound reached: applying backpressure"
        );
    }

    /// The driver found no other way to make progress than admitting a
    /// record beyond the bound (a partition needs more room than the bound
    /// gives): the next message is delivered beyond it. Each such admission
    /// is counted as a stall, the first of an episode is logged as an error,
    /// and a run with stalls ends as a failure
    /// ([`RunFailure::BoundExceeded`](crate::runtime::RunFailure::BoundExceeded)).
    pub fn note_stall(&mut self) {
        self.metrics.stalls += 1;
        if !self.over_bound {
            self.over_bound = true;
            tracing::error!(
                instance = %self.id(),
                component = %self.component,
                held = self.held(),
                bound = self.capacity,
                "stalled at the buffer bound: admitting beyond it (raise the bound)"
            );
        }
    }

    /// From `on` until it is called with `false`, the records of direct
    /// inputs (no wrapper, no order) wait to be handed to the handler
    /// together, as one batch per run of consecutive records of one input:
    /// a message of any other kind (or on another input) hands them over
    /// first, and so does turning this off. Nothing else changes: each is
    /// received, deduplicated and handled as when delivered alone, in the
    /// same order; only what they emit is sent once they are handed over.
    /// A driver turns this on for a run of messages it delivers at once,
    /// for an instance that sends nothing to itself (what one record sends
    /// to it would have to be delivered before the next record).
    pub(crate) fn defer_direct(&mut self, on: bool) {
        if !on {
            self.flush_pending();
        }
        self.deferring = on;
    }

    /// Hands the records waiting in `pending` to the handler, and sends
    /// what the records handed over before them emitted.
    #[inline]
    fn flush_pending(&mut self) {
        if !self.pending.is_empty() {
            self.hand_pending();
        }
        self.flush_emits();
    }

    /// Hands the records waiting in `pending` to the handler; while the
    /// run of deferred records goes on, what they emit waits in `emit`
    /// ([`InstanceCore::flush_pending`] sends it).
    #[inline(never)]
    fn hand_pending(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        self.holding_emits = self.deferring;
        self.handle_chunk(&mut pending);
        self.holding_emits = false;
        self.pending = pending;
    }

    /// From now on, consecutive records the instance emits on one output
    /// from one typed batch go as one [`Envelope::Records`] (what one
    /// received batch made of them, when the driver delivers batches
    /// through [`InstanceCore::defer_direct`]). Only for a driver whose
    /// links carry runs (the tokio runner); the others send one
    /// [`Envelope::Record`] per record.
    pub(crate) fn send_runs(&mut self, on: bool) {
        self.runs = on;
    }

    /// Delivers one message at time `now` (driver units).
    pub fn deliver(&mut self, message: Delivery, now: Time) {
        match message {
            Delivery::Direct {
                input,
                envelope:
                    Envelope::Record {
                        producer,
                        seq,
                        payload,
                    },
            } => {
                return self.deliver_record(
                    HeldRecord {
                        input,
                        producer,
                        seq,
                        payload,
                    },
                    now,
                );
            }
            Delivery::Direct {
                input,
                envelope:
                    Envelope::Records {
                        producer,
                        seq,
                        records,
                    },
            } => {
                self.deliver_records(input, producer, seq, records, now, false);
                return;
            }
            _ if !self.pending.is_empty() || self.emit.has_emitted() => self.flush_pending(),
            _ => {}
        }
        match message {
            Delivery::Direct {
                input,
                envelope: envelope @ Envelope::Retire { .. },
            } => {
                // Idempotent, and an operator's carries no position of its
                // producer's own: applied again rather than deduplicated.
                self.accept(input, envelope, now);
            }
            Delivery::Direct { input, envelope } => {
                let record = envelope.is_record();
                if record {
                    self.metrics.received += 1;
                }
                match self.dedup.admit(envelope.producer(), envelope.seq()) {
                    Seen::New => self.accept(input, envelope, now),
                    Seen::Duplicate => return self.count_duplicate(record),
                    Seen::OutOfRange => return self.refuse_seq(input, envelope),
                }
            }
            Delivery::Ordered {
                position,
                input,
                envelope,
            } => {
                let record = envelope.is_record();
                if record {
                    self.metrics.received += 1;
                }
                match self.total_order.offer(position, input, envelope) {
                    Sequenced::Duplicate => self.count_duplicate(record),
                    Sequenced::Apply(ready) => self.apply_ordered(ready, now),
                }
            }
        }
        self.settle_delivery();
    }

    /// [`InstanceCore::deliver`], stopping inside a run of records
    /// ([`Envelope::Records`]) at the first record after the run's first
    /// that would exceed the buffer bound ([`InstanceCore::would_block`]
    /// asked of each, as of single messages): returns the rest of the run,
    /// not delivered, for the driver to hold back.
    pub(crate) fn deliver_bounded(&mut self, message: Delivery, now: Time) -> Option<Delivery> {
        match message {
            Delivery::Direct {
                input,
                envelope:
                    Envelope::Records {
                        producer,
                        seq,
                        records,
                    },
            } => self.deliver_records(input, producer, seq, records, now, true),
            message => {
                self.deliver(message, now);
                None
            }
        }
    }

    /// A run of records from one producer, `seq` the first's: received as
    /// each alone would be, with one dedupe check for the run (a replay
    /// that overlaps what was admitted lets through only its new records).
    /// When `bounded`, stops before a record after the first that
    /// [`InstanceCore::would_block`] would hold back and returns the rest.
    fn deliver_records(
        &mut self,
        input: InputId,
        producer: ProducerId,
        seq: u64,
        records: PayloadRun,
        now: Time,
        bounded: bool,
    ) -> Option<Delivery> {
        let len = records.len();
        let bounded = bounded && !matches!(self.modes.get(input), Some(InputMode::Direct));
        let rest = |at: usize| Delivery::Direct {
            input,
            envelope: Envelope::Records {
                producer,
                seq: seq.saturating_add(at as u64),
                records: records.suffix(at),
            },
        };
        let SeenRun::From { duplicates } = self.dedup.admit_run(producer, seq, len as u64) else {
            // It reaches `u64::MAX`: one at a time, as single messages.
            for i in 0..len {
                let at = seq.saturating_add(i as u64);
                let payload = records.payload(i);
                if bounded && i > 0 && self.would_hold(input, producer, at, &payload, true) {
                    return Some(rest(i));
                }
                self.deliver_record(
                    HeldRecord {
                        input,
                        producer,
                        seq: at,
                        payload,
                    },
                    now,
                );
            }
            return None;
        };
        let duplicates = duplicates as usize;
        self.metrics.received += duplicates as u64;
        self.metrics.duplicate_records += duplicates as u64;
        // Below the bound's first check for every record of the run, none
        // is checked (each would be let through by room alone).
        let limit = self.share.min(self.capacity);
        let bounded = bounded && (self.metrics.held as usize) + (len - duplicates) > limit;
        let mut i = duplicates;
        if i < len && input < self.inputs.len() && matches!(self.modes[input], InputMode::Direct) {
            // No wrapper holds a direct input's records: the run goes to
            // the handler as it arrived, after the records deferred before
            // it (no bound applies to a direct input).
            self.metrics.received += (len - i) as u64;
            let part = records.suffix(i);
            let late = self
                .sealed_open(input, producer)
                .map(|sealed| late_in_run(sealed, &part))
                .unwrap_or_default();
            if self.deferring && late.is_empty() {
                if !self.pending.is_empty() {
                    self.hand_pending();
                }
                self.holding_emits = true;
                self.handle_run(input, producer, seq + i as u64, &part);
                self.holding_emits = false;
                // As for a deferred record: nothing a delivery settles
                // changed.
            } else {
                self.flush_pending();
                self.handle_run_but(input, producer, seq + i as u64, &part, &late);
                self.settle_delivery();
            }
            return None;
        }
        while i < len {
            if let Some(&InputMode::Sealed { buffer }) = self.modes.get(input) {
                // The records the seal buffer holds at once, together: as
                // many as room lets through (and the first of the run).
                let room = limit.saturating_sub(self.metrics.held as usize);
                let most = if !bounded {
                    usize::MAX
                } else if i == 0 {
                    room.max(1)
                } else {
                    room
                };
                self.flush_pending();
                let held = self.seal_buffers[buffer]
                    .hold_run_in_last(input, producer, seq, &records, i, most);
                if held > 0 {
                    self.metrics.received += held as u64;
                    self.settle_held_many(held as u64);
                    i += held;
                    continue;
                }
            }
            let at = seq + i as u64;
            let payload = records.payload(i);
            if bounded && i > 0 && self.would_hold(input, producer, at, &payload, false) {
                // Not received: the deduplicator forgets the rest.
                self.dedup.rewind(producer, at);
                return Some(rest(i));
            }
            self.metrics.received += 1;
            self.place_record(
                HeldRecord {
                    input,
                    producer,
                    seq: at,
                    payload,
                },
                now,
            );
            i += 1;
        }
        None
    }

    /// A record straight from its producer (see [`InstanceCore::deliver`]).
    /// The common cases take a short way: a record of a direct input
    /// joining the records deferred ([`InstanceCore::defer_direct`]), and
    /// one a seal buffer holds, change nothing else that a delivery
    /// settles but the held count.
    #[inline]
    fn deliver_record(&mut self, record: HeldRecord, now: Time) {
        self.metrics.received += 1;
        match self.dedup.admit(record.producer, record.seq) {
            Seen::New => {}
            Seen::Duplicate => return self.count_duplicate(true),
            Seen::OutOfRange => {
                let HeldRecord {
                    input,
                    producer,
                    seq,
                    payload,
                } = record;
                let envelope = Envelope::Record {
                    producer,
                    seq,
                    payload,
                };
                return self.refuse_seq(input, envelope);
            }
        }
        self.place_record(record, now);
    }

    /// What [`InstanceCore::deliver_record`] does with a record the
    /// deduplicator admitted.
    #[inline]
    fn place_record(&mut self, record: HeldRecord, now: Time) {
        match self.modes.get(record.input) {
            Some(InputMode::Direct) if self.deferring => {
                if self.sent_after_its_seal(&record) {
                    self.flush_pending();
                    self.dead_letter_held(record, DeadLetterReason::Late);
                    return self.settle_delivery();
                }
                if self
                    .pending
                    .first()
                    .is_some_and(|p| p.input != record.input)
                {
                    self.flush_pending();
                }
                self.pending.push(record);
                if self.pending.len() >= HANDLED_AT_ONCE {
                    self.hand_pending();
                }
                // No wrapper holds it, no input or output ends: nothing a
                // delivery settles changed.
                return;
            }
            Some(&InputMode::Sealed { buffer }) => {
                self.flush_pending();
                let admission = self.seal_buffers[buffer].offer(record, now);
                if matches!(admission, Admission::Held) {
                    // Holds nothing to drop: spares the call to the drop
                    // glue of the other variants, once per held record.
                    std::mem::forget(admission);
                    return self.settle_held();
                }
                self.admitted(admission);
            }
            _ => {
                self.flush_pending();
                self.accept_held(record, now);
            }
        }
        self.settle_delivery();
    }

    /// [`InstanceCore::settle_delivery`] after a delivery whose only effect
    /// was one more record held by a seal buffer.
    #[inline]
    fn settle_held(&mut self) {
        self.settle_held_many(1);
    }

    /// [`InstanceCore::settle_held`] after `n` records held.
    #[inline]
    fn settle_held_many(&mut self, n: u64) {
        self.metrics.held += n;
        debug_assert_eq!(self.metrics.held as usize, self.held(), "held count");
        if self.over_bound && self.metrics.held < self.capacity as u64 {
            self.over_bound = false;
        }
        self.metrics.held_max = self.metrics.held_max.max(self.metrics.held);
        if self.ends_arrived {
            self.settle_delivery();
        }
    }

    /// Skips `positions` of the ordered group's order (positions a retired
    /// producer was given and never published, the same at every replica):
    /// applies what was waiting behind them, at time `now`.
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))] // the cluster's
    pub(crate) fn skip_ordered(&mut self, positions: &[u64], now: Time) {
        let ready = self.total_order.skip(positions.iter().copied());
        self.apply_ordered(ready, now);
        self.settle_delivery();
    }

    /// Refuses a message that arrived and can never be delivered in its
    /// link's order: across processes, held behind a link position
    /// `missing` of a producer retired since (docs/runtime.md,
    /// "Retirement"). A record is counted as received and dead-lettered
    /// ([`DeadLetterReason::StrandedBehindGap`]); a punctuation is covered
    /// by the producer's retirement and only logged.
    #[cfg_attr(not(all(feature = "nats", feature = "zookeeper")), allow(dead_code))] // the cluster's
    pub(crate) fn refuse_stranded(&mut self, input: InputId, envelope: Envelope, missing: u64) {
        if let Envelope::Records { .. } = envelope {
            for single in envelope.into_singles() {
                self.refuse_stranded(input, single, missing);
            }
            return;
        }
        match envelope {
            Envelope::Record {
                producer,
                seq,
                payload,
            } => {
                self.metrics.received += 1;
                self.dead_letter(
                    input,
                    producer,
                    seq,
                    payload,
                    DeadLetterReason::StrandedBehindGap { missing },
                );
            }
            punctuation => tracing::warn!(instance = %self.id(), component = %self.component,
                producer = %punctuation.producer(), seq = punctuation.seq(), missing,
                "punctuation stranded behind a retired producer's gap: its retirement covers it"),
        }
    }

    /// Applies messages the total order released, in order.
    fn apply_ordered(&mut self, ready: Vec<(InputId, Envelope)>, now: Time) {
        for (input, envelope) in ready {
            if matches!(envelope, Envelope::Retire { .. }) {
                // As a direct one: applied, not deduplicated
                // (an operator's is ordered under a seq of
                // its own).
                self.accept(input, envelope, now);
                continue;
            }
            // A producer's messages take positions in the
            // order it sent them, so a replay the service
            // gave a second position (e.g. past a JetStream
            // duplicate window) is below its watermark.
            match self
                .ordered_dedup
                .admit(envelope.producer(), envelope.seq())
            {
                Seen::New => self.accept(input, envelope, now),
                Seen::Duplicate => self.count_duplicate(envelope.is_record()),
                Seen::OutOfRange => self.refuse_seq(input, envelope),
            }
        }
    }

    /// What follows every delivery: outputs ended, the held count.
    fn settle_delivery(&mut self) {
        if std::mem::take(&mut self.ends_arrived) {
            self.end_outputs();
        }
        let held = self.held();
        self.metrics.held = held as u64;
        if self.over_bound && held < self.capacity {
            self.over_bound = false;
        }
        self.metrics.held_max = self.metrics.held_max.max(self.metrics.held);
        self.metrics.forgotten_partitions = self.forgotten_partitions();
    }

    /// Released partitions the wrappers forgot (late-detection window).
    fn forgotten_partitions(&self) -> u64 {
        self.seal_buffers
            .iter()
            .map(SealBuffer::forgotten)
            .sum::<u64>()
            + self.forwarder.forgotten()
    }

    fn count_duplicate(&mut self, record: bool) {
        if record {
            self.metrics.duplicate_records += 1;
        } else {
            self.metrics.duplicate_punctuations += 1;
        }
    }

    /// Refuses a message whose `seq` no producer reaches (see
    /// [`Seen::OutOfRange`]): a record is dead-lettered, a punctuation
    /// ignored; both are counted and logged.
    fn refuse_seq(&mut self, input: InputId, envelope: Envelope) {
        if let Envelope::Records { .. } = envelope {
            for single in envelope.into_singles() {
                self.refuse_seq(input, single);
            }
            return;
        }
        // Its dead letter follows those of the records before it.
        self.flush_pending();
        self.metrics.refused_seqs += 1;
        match envelope {
            Envelope::Record {
                producer,
                seq,
                payload,
            } => self.dead_letter(
                input,
                producer,
                seq,
                payload,
                DeadLetterReason::SeqOutOfRange,
            ),
            punctuation => tracing::warn!(instance = %self.id(), component = %self.component,
                producer = %punctuation.producer(), seq = punctuation.seq(),
                "punctuation with an out-of-range seq: ignored"),
        }
    }

    /// [`InstanceCore::accept`] for a record.
    fn accept_held(&mut self, record: HeldRecord, now: Time) {
        if record.input >= self.inputs.len() {
            let reason = DeadLetterReason::UnknownInput(record.input.to_string());
            return self.dead_letter_held(record, reason);
        }
        self.accept_record(record, now);
    }

    fn accept(&mut self, input: InputId, envelope: Envelope, now: Time) {
        if let Envelope::Records { .. } = envelope {
            for single in envelope.into_singles() {
                self.accept(input, single, now);
            }
            return;
        }
        if input >= self.inputs.len() {
            if let Envelope::Record {
                producer,
                seq,
                payload,
            } = envelope
            {
                self.dead_letter(
                    input,
                    producer,
                    seq,
                    payload,
                    DeadLetterReason::UnknownInput(input.to_string()),
                );
            }
            return;
        }
        match envelope {
            Envelope::Record {
                producer,
                seq,
                payload,
            } => self.accept_record(
                HeldRecord {
                    input,
                    producer,
                    seq,
                    payload,
                },
                now,
            ),
            Envelope::Seal { producer, key, .. } => self.accept_seal(input, producer, key, now),
            // Taken apart above.
            Envelope::Records { .. } => {}
            Envelope::End { producer, .. } => self.accept_end(input, producer),
            Envelope::Retire { producer, .. } => self.accept_retire(input, producer),
        }
    }

    /// True when the instance itself counts the votes of `input`'s seals
    /// ([`InputSeals`]): a read-gated input, or one the plan votes.
    fn votes_seals(&self, input: InputId) -> bool {
        matches!(self.modes[input], InputMode::ReadGated { .. }) || self.voted_seals[input]
    }

    fn accept_end(&mut self, input: InputId, producer: ProducerId) {
        self.ends_arrived = true;
        self.ended[input].insert(producer);
        if let Some(o) = self.static_order_of[input] {
            self.static_orders[o].end(input, producer);
            self.apply_static(o);
        }
    }

    /// A retirement (runtime spec, "Liveness and membership"): the
    /// producer's end, and on a sealed input its seal of every partition it
    /// has not sealed, which releases those whose vote it completes.
    fn accept_retire(&mut self, input: InputId, producer: ProducerId) {
        if !self.expected[input].contains(&producer) {
            tracing::warn!(instance = %self.id(), component = %self.component,
                input = %self.inputs[input], %producer,
                "retirement of a producer that is not a member of the stream: ignored");
            return;
        }
        tracing::info!(instance = %self.id(), component = %self.component,
            input = %self.inputs[input], %producer,
            "producer retired: its seals of the partitions it had not sealed are counted");
        match self.modes[input] {
            InputMode::Sealed { buffer } => {
                for release in self.seal_buffers[buffer].retire(input, producer) {
                    self.apply_release(release);
                }
            }
            _ if self.votes_seals(input) => {
                let closed = self.input_seals.retire(input, producer);
                for partition in closed {
                    self.close_voted_partition(input, partition);
                }
            }
            _ => {}
        }
        // Partitions of unsealed inputs whose seals are forwarded; and an
        // output whose forwarded inputs' producers are all retired is
        // retired in its turn when it ends (see `end_outputs`).
        for (output, key) in self.forwarder.retire(input, producer) {
            self.seal_outputs(vec![output], &key);
        }
        self.accept_end(input, producer);
    }

    /// The partitions `producer` sealed on `input` whose votes are still
    /// open, when the instance votes `input`'s seals and handles its
    /// records as they come (`ComponentPlan::voted_seals`): a record the
    /// producer sends of one of them afterwards broke its seal's promise,
    /// and is late (runtime spec, "Seal buffer": never merged silently).
    /// Once a vote closes, the instance seals the partition downstream,
    /// after which what holds it there finds a later record late.
    fn sealed_open(&self, input: InputId, producer: ProducerId) -> Option<&SealedOpen> {
        if !self.voted_seals.get(input).copied().unwrap_or(false) {
            return None;
        }
        self.input_seals.sealed_open_by(input, producer)
    }

    /// True when `record` is of a partition its producer already sealed on
    /// its input, the vote still open (see [`InstanceCore::sealed_open`]).
    fn sent_after_its_seal(&self, record: &HeldRecord) -> bool {
        self.sealed_open(record.input, record.producer)
            .is_some_and(|sealed| sealed.holds(|name| record.payload.field(name)))
    }

    /// [`InstanceCore::handle_run`] on the run's records but those in the
    /// `late` stretches (ascending, apart), which go to the dead letters as
    /// late.
    fn handle_run_but(
        &mut self,
        input: InputId,
        producer: ProducerId,
        seq: u64,
        run: &PayloadRun,
        late: &[Range<usize>],
    ) {
        let mut from = 0;
        for stretch in late {
            if stretch.start > from {
                let on_time = run.range(from..stretch.start);
                self.handle_run(input, producer, seq + from as u64, &on_time);
            }
            for at in stretch.clone() {
                let record = HeldRecord {
                    input,
                    producer,
                    seq: seq + at as u64,
                    payload: run.payload(at),
                };
                self.dead_letter_held(record, DeadLetterReason::Late);
            }
            from = stretch.end;
        }
        if from == 0 {
            if !run.is_empty() {
                self.handle_run(input, producer, seq, run);
            }
        } else if from < run.len() {
            let on_time = run.range(from..run.len());
            self.handle_run(input, producer, seq + from as u64, &on_time);
        }
    }

    fn accept_record(&mut self, record: HeldRecord, now: Time) {
        match self.modes[record.input].clone() {
            InputMode::Direct => {
                if self.sent_after_its_seal(&record) {
                    return self.dead_letter_held(record, DeadLetterReason::Late);
                }
                self.handle(record)
            }
            InputMode::Sealed { buffer } | InputMode::ReadGated { buffer } => {
                let admission = self.seal_buffers[buffer].offer(record, now);
                self.admitted(admission);
            }
            InputMode::StaticOrder { .. } => {
                let Some(o) = self.static_order_of[record.input] else {
                    return self.handle(record);
                };
                match self.static_orders[o].offer(record) {
                    Placement::Held => self.apply_static(o),
                    Placement::Late(r) => {
                        self.dead_letter_held(r, DeadLetterReason::OutOfSeqOrder);
                    }
                    Placement::MissingKey(a, r) => {
                        self.dead_letter_held(r, DeadLetterReason::MissingKey(a))
                    }
                    Placement::WrongKeyKind(w, r) => self.refuse_key_kind(r, w),
                }
            }
        }
    }

    /// Does what a seal buffer's answer to an offered record says.
    fn admitted(&mut self, admission: Admission) {
        match admission {
            Admission::Held => {}
            Admission::Ready(r) => self.handle(r),
            Admission::Late(r) => self.dead_letter_held(r, DeadLetterReason::Late),
            Admission::MissingKey(a, r) => {
                self.dead_letter_held(r, DeadLetterReason::MissingKey(a))
            }
            Admission::WrongKeyKind(w, r) => self.refuse_key_kind(r, w),
        }
    }

    fn accept_seal(&mut self, input: InputId, producer: ProducerId, key: Tuple, now: Time) {
        self.metrics.seals += 1;
        if !self.expected[input].contains(&producer) {
            self.metrics.unknown_sealers += 1;
            tracing::warn!(
                instance = %self.id(),
                component = %self.component,
                input = %self.inputs[input],
                %producer,
                partition = %key,
                "seal from a producer that is not a member of the stream: ignored"
            );
            return;
        }
        match self.modes[input].clone() {
            InputMode::Sealed { buffer } => {
                match self.seal_buffers[buffer].seal(input, producer, &key, now) {
                    SealOutcome::Released(release) => self.apply_release(release),
                    SealOutcome::Voted | SealOutcome::AlreadyReleased => {}
                    SealOutcome::UnknownProducer => self.metrics.unknown_sealers += 1,
                    SealOutcome::MissingKey(attr) => {
                        self.metrics.keyless_seals += 1;
                        tracing::warn!(
                            instance = %self.id(),
                            component = %self.component,
                            %attr,
                            %producer,
                            partition = %key,
                            "seal lacks a key attribute: ignored, not a vote"
                        );
                    }
                    SealOutcome::WrongKeyKind(wrong) => self.refuse_seal_key_kind(&key, &wrong),
                }
            }
            InputMode::StaticOrder { .. } => {
                let Some(o) = self.static_order_of[input] else {
                    return;
                };
                if let Err(wrong) = self.static_orders[o].seal(input, producer, &key) {
                    return self.refuse_seal_key_kind(&key, &wrong);
                }
                self.apply_static(o);
            }
            _ if self.votes_seals(input) => {
                if self.input_seals.seal(input, producer, &key) {
                    self.close_voted_partition(input, key);
                }
            }
            _ => {
                // Seals the analysis does not know of: each producer's seal
                // as it comes.
                self.handle_seal(input, &key);
                let outputs = self.forwarder.vote(input, producer, &key);
                self.seal_outputs(outputs, &key);
            }
        }
    }

    /// Dead-letters a record whose seal or `seq` key value has another kind
    /// than the attribute's first one (see `key_kinds`).
    fn refuse_key_kind(&mut self, record: HeldRecord, wrong: WrongKeyKind) {
        self.metrics.wrong_key_kinds += 1;
        self.dead_letter_held(record, DeadLetterReason::WrongKeyKind(wrong));
    }

    /// Ignores a seal whose key value has another kind than the attribute's
    /// first one: counted and logged, not a vote.
    fn refuse_seal_key_kind(&mut self, key: &Tuple, wrong: &WrongKeyKind) {
        self.metrics.wrong_key_kinds += 1;
        tracing::warn!(instance = %self.id(), component = %self.component, partition = %key,
            %wrong, "seal key of the wrong kind: ignored");
    }

    /// Refuses a seal that a driver found to come from a producer without
    /// the right to seal that partition (e.g. not the partition's master on
    /// an `independent` stream): counted with the seals of non-members, an
    /// error and not a vote.
    pub fn reject_seal(&mut self, input: InputId, producer: ProducerId, key: &Tuple, why: &str) {
        self.metrics.seals += 1;
        self.metrics.unknown_sealers += 1;
        tracing::warn!(
            instance = %self.id(),
            component = %self.component,
            input = self.inputs.get(input).map(String::as_str).unwrap_or("?"),
            %producer,
            partition = %key,
            why,
            "seal rejected: not a vote"
        );
    }

    fn apply_release(&mut self, release: Release) {
        let _span = tracing::debug_span!("partition", key = %release.key).entered();
        self.metrics.released_partitions += 1;
        tracing::debug!(instance = %self.id(), component = %self.component, partition = %release.key,
            records = release.records.len(), "partition sealed and released");
        for pieces in release.records.into_runs() {
            self.hand_pieces(pieces);
        }
        for input in &release.sealed_inputs {
            self.handle_seal(*input, &release.key);
        }
        let mut reads = release.reads;
        self.handle_records(&mut reads);
        for input in release.sealed_inputs {
            let outputs = self.forwarder.complete(input, &release.key);
            self.seal_outputs(outputs, &release.key);
        }
        // An output that waited for what this released may end now
        // (`end_outputs`).
        self.ends_arrived = true;
        let (modes, buffers) = (&self.modes, &self.seal_buffers);
        let ready = self
            .input_seals
            .ready(|input, partition| holds_read(modes, buffers, input, partition));
        for (input, partition) in ready {
            self.apply_voted_partition(input, &partition);
        }
    }

    /// A partition of input `input`, whose seals the instance votes, that
    /// every producer sealed: applied at once, or, on a read-gated input,
    /// once the reads of it the seal buffer holds (under the buffer's own
    /// key) are released, so `on_seal` follows them.
    fn close_voted_partition(&mut self, input: InputId, partition: Tuple) {
        let (modes, buffers) = (&self.modes, &self.seal_buffers);
        let now = self
            .input_seals
            .after_reads(input, partition, |i, p| holds_read(modes, buffers, i, p));
        if let Some(partition) = now {
            self.apply_voted_partition(input, &partition);
        }
    }

    /// `on_seal` for a whole partition of an input whose seals the instance
    /// votes, then the seals it completes on outputs it is forwarded to.
    fn apply_voted_partition(&mut self, input: InputId, partition: &Tuple) {
        self.handle_seal(input, partition);
        let outputs = self.forwarder.complete(input, partition);
        self.seal_outputs(outputs, partition);
    }

    /// Applies the batches orderer `o` has ready: the records of every
    /// input it orders, then, for each of those inputs, the batch's seal.
    fn apply_static(&mut self, o: usize) {
        let batches = self.static_orders[o].ready();
        if batches.is_empty() {
            // Most offers complete no batch: nothing to look up.
            return;
        }
        let inputs: Vec<InputId> = (0..self.static_order_of.len())
            .filter(|i| self.static_order_of[*i] == Some(o))
            .collect();
        for batch in batches {
            let _span = tracing::debug_span!("partition", key = %batch.seq).entered();
            self.metrics.released_partitions += 1;
            let mut records = batch.records;
            self.handle_records(&mut records);
            for &input in &inputs {
                self.handle_seal(input, &batch.seq);
                let outputs = self.forwarder.complete(input, &batch.seq);
                self.seal_outputs(outputs, &batch.seq);
            }
        }
    }

    /// Hands one record to the handler (see [`InstanceCore::handle_records`]).
    fn handle(&mut self, record: HeldRecord) {
        let mut run = std::mem::take(&mut self.run);
        run.push(record);
        self.handle_chunk(&mut run);
        self.run = run;
    }

    /// Hands `records` to the handler, in order, [`HANDLED_AT_ONCE`] at a
    /// time ([`InstanceCore::handle_chunk`]), and empties `records`.
    fn handle_records(&mut self, records: &mut Vec<HeldRecord>) {
        if records.len() <= HANDLED_AT_ONCE {
            return self.handle_chunk(records);
        }
        let mut chunk = std::mem::take(&mut self.run);
        let mut rest = records.drain(..);
        loop {
            chunk.extend(rest.by_ref().take(HANDLED_AT_ONCE));
            if chunk.is_empty() {
                break;
            }
            self.handle_chunk(&mut chunk);
        }
        self.run = chunk;
    }

    /// Hands `records` to the handler, in order, each run of one input as
    /// one [`Batch`] ([`Handler::handle_batch`]), and empties `records`.
    /// Each record is handled as a call of its own would handle it: a
    /// record the handler gives back is dead-lettered with the reason and
    /// what its call emitted is sent; a record whose call panics is
    /// dead-lettered with the panic's message, what that call emitted is
    /// discarded and the records after it are handed over again. Only the
    /// containment is per batch: one [`contained`] call while nothing
    /// panics.
    fn handle_chunk(&mut self, records: &mut Vec<HeldRecord>) {
        let mut outcomes = Outcomes::default();
        let mut start = 0;
        for run in records.chunk_by(|a, b| a.input == b.input) {
            self.call_handler(run[0].input, Records::Held(run), start, &mut outcomes);
            start += run.len();
        }
        if !self.holding_emits {
            self.flush_emits();
        }
        if outcomes.is_empty() {
            self.metrics.processed += records.len() as u64;
            records.clear();
            return;
        }
        self.settle_outcomes(records.drain(..), outcomes);
    }

    /// Hands `run`, records of `producer` on direct input `input` from
    /// `seq` on, to the handler as it arrived (no record taken out of it),
    /// as [`InstanceCore::handle_chunk`] hands held records.
    fn handle_run(&mut self, input: InputId, producer: ProducerId, seq: u64, run: &PayloadRun) {
        // Records picked out of their batch (routed by a key that changes
        // along the run) are gathered for a slice handler, so that they
        // come in one slice.
        let gathered = (!run.is_contiguous() && self.handler.takes_slices(&self.inputs[input]))
            .then(|| gather(run.payloads().collect::<Vec<_>>().iter()))
            .flatten();
        let run = gathered.as_ref().unwrap_or(run);
        self.hand_run(input, producer, run, &|i| seq + i as u64);
    }

    /// Hands `run`, records of `producer` on `input` (record `i` numbered
    /// `seq_of(i)`), to the handler as one batch.
    fn hand_run(
        &mut self,
        input: InputId,
        producer: ProducerId,
        run: &PayloadRun,
        seq_of: &dyn Fn(usize) -> u64,
    ) {
        let mut outcomes = Outcomes::default();
        self.call_handler(input, Records::Run(run), 0, &mut outcomes);
        if !self.holding_emits {
            self.flush_emits();
        }
        if outcomes.is_empty() {
            self.metrics.processed += run.len() as u64;
            return;
        }
        let records = (0..run.len()).map(|i| HeldRecord {
            input,
            producer,
            seq: seq_of(i),
            payload: run.payload(i),
        });
        self.settle_outcomes(records, outcomes);
    }

    /// Hands one producer's pieces of a released partition to the handler,
    /// in order: each run piece as it is, single records in batches; for a
    /// slice handler, the pieces of one input gathered into one batch when
    /// there are several (records of the partition held apart).
    fn hand_pieces(&mut self, pieces: Vec<Piece>) {
        let mut ones = Vec::new();
        let mut pieces = pieces.into_iter().peekable();
        while let Some(first) = pieces.next() {
            let input = first.input();
            let mut group = vec![first];
            while let Some(next) = pieces.next_if(|p| p.input() == input) {
                group.push(next);
            }
            let records: usize = group.iter().map(Piece::len).sum();
            // Pieces long enough on average go as they are: a copy would
            // cost more than the calls it saves.
            if group.len() > 1
                && records < GATHER_BELOW * group.len()
                && self.handler.takes_slices(&self.inputs[input])
            {
                let held: Vec<HeldRecord> = group.drain(..).flat_map(Piece::into_records).collect();
                match gather(held.iter().map(|r| &r.payload)) {
                    Some(run) => {
                        if !ones.is_empty() {
                            self.handle_records(&mut ones);
                        }
                        let seqs: Vec<u64> = held.iter().map(|r| r.seq).collect();
                        self.hand_run(input, held[0].producer, &run, &|i| seqs[i]);
                    }
                    None => ones.extend(held),
                }
                continue;
            }
            for piece in group {
                match piece {
                    Piece::One(record) => ones.push(record),
                    Piece::Run {
                        input,
                        producer,
                        seq,
                        records,
                    } => {
                        if !ones.is_empty() {
                            self.handle_records(&mut ones);
                        }
                        self.handle_run(input, producer, seq, &records);
                    }
                }
            }
        }
        if !ones.is_empty() {
            self.handle_records(&mut ones);
        }
    }

    /// Hands `records` (all of `input`) to the handler as one [`Batch`]
    /// ([`Handler::handle_batch`]), noting in `outcomes` (by index, from
    /// `start` on) the calls that panicked and the records given back. A
    /// record is handled as a call of its own would handle it: a record
    /// the handler gives back is dead-lettered with the reason and what its
    /// call emitted is sent; a record whose call panics is dead-lettered
    /// with the panic's message (a slice method's call: each of its
    /// records), what that call emitted is discarded and the records after
    /// it are handed over again. Only the containment is per batch: one
    /// [`contained`] call while nothing panics.
    fn call_handler(
        &mut self,
        input: InputId,
        records: Records<'_>,
        start: usize,
        outcomes: &mut Outcomes,
    ) {
        let name = &self.inputs[input];
        let handler = &mut self.handler;
        let mut batch = Batch::new(records, &mut self.emit);
        // A `handle_batch` that returns without taking a record is done
        // with: the rest go through `handle`, one by one.
        let mut each = false;
        while batch.remaining() > 0 {
            let before = batch.taken();
            batch.begin();
            let outcome = contained(|| {
                if each {
                    handle_each(&mut **handler, name, &mut batch);
                } else {
                    handler.handle_batch(name, &mut batch);
                }
            });
            match outcome {
                Ok(()) => each |= batch.taken() == before,
                Err(message) => {
                    let discarded = batch.discard_current();
                    if batch.taken() == before {
                        // It panicked before taking a tuple: charged to the
                        // next one, so that the batch moves on.
                        batch.skip();
                    }
                    let call = batch.current_call();
                    let records = start + call.start..start + call.end;
                    outcomes.panicked.push((records, message, discarded));
                }
            }
        }
        outcomes.refused.extend(
            batch
                .into_refused()
                .into_iter()
                .map(|(i, unknown)| (start + i, unknown)),
        );
    }

    /// Counts the records handed over and dead-letters those `outcomes`
    /// name (by index in `records`).
    fn settle_outcomes(&mut self, records: impl Iterator<Item = HeldRecord>, outcomes: Outcomes) {
        let mut panicked = outcomes.panicked.into_iter().peekable();
        let mut refused = outcomes.refused.into_iter().peekable();
        for (i, record) in records.enumerate() {
            let refusal = refused
                .next_if(|(r, _)| *r == i)
                .map(|(_, unknown)| unknown);
            while panicked.next_if(|(call, _, _)| call.end <= i).is_some() {}
            if let Some((call, message, discarded)) =
                panicked.peek().filter(|(call, _, _)| call.contains(&i))
            {
                if i == call.start {
                    self.note_panic("record", *discarded);
                }
                let reason = DeadLetterReason::HandlerPanicked(message.clone());
                self.dead_letter_held(record, reason);
            } else if let Some(unknown) = refusal {
                let reason = match unknown.undecodable {
                    None => DeadLetterReason::UnknownInput(unknown.input),
                    Some(error) => DeadLetterReason::Undecodable {
                        input: unknown.input,
                        error: error.to_string(),
                    },
                };
                self.dead_letter(
                    record.input,
                    record.producer,
                    record.seq,
                    unknown.tuple,
                    reason,
                );
            } else {
                self.metrics.processed += 1;
            }
        }
    }

    /// Tells the handler that `partition` of `input` is complete. A panic is
    /// counted and logged; the seal still completes (its records were
    /// handled) and is forwarded, without what the failed call emitted.
    fn handle_seal(&mut self, input: InputId, partition: &Tuple) {
        let (handler, emit, name) = (&mut self.handler, &mut self.emit, &self.inputs[input]);
        let outcome = contained(|| handler.on_seal(name, partition, emit));
        for refused in self.emit.take_refused_seals() {
            self.metrics.undecodable_seals += 1;
            tracing::warn!(instance = %self.id(), component = %self.component,
                input = %refused.input, partition = %refused.partition, error = %refused.error,
                "a released partition's key is not what the typed on_seal method takes: \
                 not handed to it");
        }
        match outcome {
            Ok(()) => self.flush_emits(),
            Err(message) => {
                self.discard_emits("seal");
                tracing::error!(instance = %self.id(), component = %self.component,
                    input = %self.inputs[input], %partition, panic = %message,
                    "the handler panicked in on_seal: its emits are discarded");
            }
        }
    }

    /// Drops what a panicking handler call emitted before it panicked, so
    /// that a failed call has no effect downstream, and counts the panic.
    fn discard_emits(&mut self, call: &str) {
        let discarded = self.emit.emitted_len();
        let emitted = self.emit.take_emitted();
        self.emit.give_back(emitted);
        self.note_panic(call, discarded);
    }

    /// Counts a panicking handler call, which emitted `discarded` tuples
    /// that were dropped.
    fn note_panic(&mut self, call: &str, discarded: usize) {
        self.metrics.handler_panics += 1;
        if discarded > 0 {
            tracing::warn!(instance = %self.id(), component = %self.component, call, discarded,
                "discarded the tuples a panicking handler call emitted");
        }
    }

    /// Numbers and queues what the handler emitted, in the order it
    /// emitted it: records, and punctuations of its outputs' partitions
    /// (each partition of an output sealed once, by the handler or by the
    /// forwarder, whichever comes first).
    #[inline]
    fn flush_emits(&mut self) {
        // Many calls (an aggregate's records) emit nothing.
        if self.emit.has_emitted() {
            self.flush_emitted();
        }
    }

    /// [`InstanceCore::flush_emits`] once something was emitted.
    #[inline(never)]
    fn flush_emitted(&mut self) {
        let mut emitted = self.emit.take_emitted();
        for emission in emitted.drain(..) {
            let outputs = &self.outputs;
            let known = self.emit.output_id(emission.output, |name| {
                outputs.iter().position(|x| x == name)
            });
            let Some(o) = known else {
                let output = self.emit.output_name(emission.output);
                self.metrics.unknown_outputs += 1;
                tracing::warn!(instance = %self.id(), component = %self.component, %output,
                    punctuation = emission.punctuation,
                    "emitted on an output the component does not have");
                continue;
            };
            let payload = match emission.records {
                Carried::One(payload) => payload,
                Carried::Run(run) => {
                    self.send_run(o, run);
                    continue;
                }
            };
            if self.refused_after_end(o, &payload) {
                continue;
            }
            if !emission.punctuation {
                if self.runs && self.extend_run(o, &payload) {
                    continue;
                }
                let envelope = self.numbering.record(payload);
                self.sends.push((o, envelope));
            } else if self.forwarder.punctuated(o, payload.tuple()) {
                self.metrics.punctuations += 1;
                let envelope = self.numbering.seal(payload.into_tuple());
                self.sends.push((o, envelope));
            } else {
                tracing::debug!(instance = %self.id(), component = %self.component,
                    output = %self.outputs[o], partition = %payload,
                    "partition already punctuated: sent once");
            }
        }
        self.emit.give_back(emitted);
    }

    /// Queues `run`, typed records emitted one after the other on output
    /// `o`: as runs of at most [`MOST_IN_RUN`] records where the links
    /// carry runs, one envelope per record where they do not.
    fn send_run(&mut self, o: OutputId, run: PayloadRun) {
        if self.output_ended[o] {
            for payload in run.payloads() {
                self.refuse_after_end(o, &payload);
            }
            return;
        }
        if !self.runs {
            for payload in run.payloads() {
                let envelope = self.numbering.record(payload);
                self.sends.push((o, envelope));
            }
            return;
        }
        for part in run.parts(MOST_IN_RUN) {
            let envelope = self.numbering.records(part);
            self.sends.push((o, envelope));
        }
    }

    /// Adds `payload`, emitted on output `o`, to the records sent last
    /// when they are on `o` and it is the next record of their typed batch
    /// (the numbering's next `seq` follows theirs): true when added.
    #[inline]
    fn extend_run(&mut self, o: OutputId, payload: &Payload) -> bool {
        let next = self.numbering.next_seq();
        let Some((last_output, last)) = self.sends.last_mut() else {
            return false;
        };
        if *last_output != o {
            return false;
        }
        match last {
            Envelope::Records { seq, records, .. } => {
                if *seq + records.len() as u64 != next
                    || records.len() >= MOST_IN_RUN
                    || !records.extend(payload)
                {
                    return false;
                }
            }
            Envelope::Record {
                producer,
                seq,
                payload: first,
            } => {
                if *seq + 1 != next {
                    return false;
                }
                let Some(mut run) = PayloadRun::of(first) else {
                    return false;
                };
                if !run.extend(payload) {
                    return false;
                }
                *last = Envelope::Records {
                    producer: *producer,
                    seq: *seq,
                    records: run,
                };
            }
            _ => return false,
        }
        self.numbering.take();
        true
    }

    /// True when output `o` has ended: what was to be sent on it (a
    /// record, or a seal of the partition `tuple`) is counted and logged
    /// instead, since no consumer reads past the end.
    #[inline]
    fn refused_after_end(&mut self, o: OutputId, tuple: &dyn std::fmt::Display) -> bool {
        self.output_ended[o] && self.refuse_after_end(o, tuple)
    }

    /// [`InstanceCore::refused_after_end`] for an output that has ended.
    #[cold]
    fn refuse_after_end(&mut self, o: OutputId, tuple: &dyn std::fmt::Display) -> bool {
        self.metrics.emitted_after_end += 1;
        tracing::error!(instance = %self.id(), component = %self.component,
            output = %self.outputs[o], %tuple,
            "sent on an output that has ended (no path of the handled input leads there): \
             not sent");
        true
    }

    fn seal_outputs(&mut self, outputs: Vec<OutputId>, key: &Tuple) {
        for o in outputs {
            // Never expected: a forwarded seal follows what its partition's
            // inputs emitted, and the output ends after them.
            if self.refused_after_end(o, key) {
                continue;
            }
            let envelope = self.numbering.seal(key.clone());
            self.sends.push((o, envelope));
        }
    }

    fn input_ended(&self, input: InputId) -> bool {
        self.expected[input]
            .iter()
            .all(|p| self.ended[input].contains(p))
    }

    /// Ends every output whose feeding inputs (those with a path into it)
    /// have all ended. Records or reads of those inputs that a seal buffer
    /// still holds under another input's seals (a read waiting for the
    /// writes it reads, a record for a partition other inputs also seal),
    /// or that a static order holds (a batch waiting for the same batch of
    /// another input ordered with it, which the order releases on a later
    /// input's end at the latest), are handled when released, and may emit on the
    /// output: it ends after them, once a release leaves none of them held,
    /// or when every input has ended and nothing can release them any more
    /// (the run's end dead-letters them).
    fn end_outputs(&mut self) {
        let mut every_input_ended = None;
        for o in 0..self.outputs.len() {
            if !self.output_ended[o] && self.feeds[o].iter().all(|i| self.input_ended(*i)) {
                let releasable = !*every_input_ended
                    .get_or_insert_with(|| (0..self.inputs.len()).all(|i| self.input_ended(i)));
                if releasable
                    && self.feeds[o].iter().any(|i| {
                        self.seal_buffers.iter().any(|b| b.holds_any_of(*i))
                            || self.static_orders.iter().any(|s| s.holds_any_of(*i))
                    })
                {
                    continue;
                }
                self.output_ended[o] = true;
                let envelope = if self.forwarder.output_retired(o) {
                    self.numbering.retire()
                } else {
                    self.numbering.end()
                };
                self.sends.push((o, envelope));
            }
        }
    }

    /// The `seq` this instance's next envelope will take: the position
    /// after everything it has sent.
    pub(crate) fn next_seq(&self) -> u64 {
        self.numbering.next_seq()
    }

    /// True when every input and output has ended.
    pub fn finished(&self) -> bool {
        self.output_ended.iter().all(|e| *e) && (0..self.inputs.len()).all(|i| self.input_ended(i))
    }

    fn dead_letter_held(&mut self, record: HeldRecord, reason: DeadLetterReason) {
        self.dead_letter(
            record.input,
            record.producer,
            record.seq,
            record.payload,
            reason,
        );
    }

    fn dead_letter(
        &mut self,
        input: InputId,
        producer: ProducerId,
        seq: u64,
        payload: impl Into<Tuple>,
        reason: DeadLetterReason,
    ) {
        let input = self.input_name(input);
        let payload = payload.into();
        self.push_dead_letter(self.id(), input, producer, seq, payload, reason);
    }

    /// Input `input`'s name (its index, for one the component lacks).
    fn input_name(&self, input: InputId) -> String {
        self.inputs
            .get(input)
            .cloned()
            .unwrap_or_else(|| input.to_string())
    }

    /// Keeps a dead letter refused at `instance` (this one, or where an
    /// abandoned send was going) on `input`.
    fn push_dead_letter(
        &mut self,
        instance: ProducerId,
        input: String,
        producer: ProducerId,
        seq: u64,
        payload: impl Into<Tuple>,
        reason: DeadLetterReason,
    ) {
        let payload = payload.into();
        self.metrics.dead_lettered += 1;
        *self
            .metrics
            .dead_letters_by_kind
            .entry(reason.kind())
            .or_default() += 1;
        if matches!(
            reason,
            DeadLetterReason::Late | DeadLetterReason::OutOfSeqOrder
        ) {
            self.metrics.late += 1;
        }
        // One line per record at debug: a never-sealed partition can hold
        // thousands, and the run's report and the warnings per partition
        // already name them (dead letters are counted by reason, see
        // `telemetry`).
        tracing::debug!(instance = %self.id(), component = %self.component, %input, %producer, seq,
            %payload, %reason, "record dead-lettered");
        let producer_name = self
            .producer_names
            .get(&producer)
            .cloned()
            .unwrap_or_else(|| producer.to_string());
        self.dead_letters.push(DeadLetter {
            instance,
            input,
            producer,
            producer_name,
            seq,
            payload,
            reason,
        });
    }

    /// Takes the envelopes to send, by output, in the order they were produced.
    pub fn take_sends(&mut self) -> Vec<(OutputId, Envelope)> {
        std::mem::take(&mut self.sends)
    }

    /// The envelopes waiting to be sent, by output, in the order they were
    /// produced, left in place.
    pub(crate) fn pending_sends(&self) -> impl Iterator<Item = &(OutputId, Envelope)> {
        self.sends.iter()
    }

    /// True when envelopes wait to be sent.
    pub(crate) fn has_sends(&self) -> bool {
        !self.sends.is_empty()
    }

    /// Drains the envelopes to send, by output, in the order they were
    /// produced, keeping the buffer's room for the next ones.
    pub fn drain_sends(&mut self) -> std::vec::Drain<'_, (OutputId, Envelope)> {
        self.sends.drain(..)
    }

    /// True when dead letters wait to be taken.
    pub fn has_dead_letters(&self) -> bool {
        !self.dead_letters.is_empty()
    }

    /// Takes the dead letters produced so far.
    pub fn take_dead_letters(&mut self) -> Vec<DeadLetter> {
        std::mem::take(&mut self.dead_letters)
    }

    /// Ends the run for this instance: every record still held (unsealed
    /// partitions, incomplete batches, order gaps) goes to the dead-letter path.
    /// The partitions it held are kept for the report
    /// ([`InstanceSnapshot::never_sealed`]), with the producers whose seals
    /// were missing.
    pub fn shutdown(&mut self, now: Time) {
        let (_, waiting) = self.input_seals.unfinished();
        if waiting > 0 {
            tracing::warn!(instance = %self.name, waiting,
                "run ended with sealed partitions of read inputs whose on_seal never ran: \
                 their reads were never released");
        }
        // A sealed input whose partition some producers never sealed: its
        // records were handled, but `on_seal` never ran for it.
        for vote in self.input_seals.open_votes() {
            let partition = self.named(UnsealedPartition {
                key: vote.partition,
                held: 0,
                missing: vote.missing,
                missing_names: Vec::new(),
                sealed: vote.sealed,
                sealed_names: Vec::new(),
                age: 0,
            });
            tracing::warn!(instance = %self.name, input = %self.inputs[vote.input],
                partition = %partition.key, missing = ?partition.missing_names,
                "partition never sealed: on_seal never ran for it");
            self.never_sealed.push(partition);
        }
        for b in 0..self.seal_buffers.len() {
            let unsealed = self.seal_buffers[b].unsealed(now);
            if !unsealed.is_empty() {
                tracing::warn!(instance = %self.name, partitions = unsealed.len(),
                    oldest_age = unsealed[0].age, "run ended with unsealed partitions");
            }
            for partition in unsealed {
                let partition = self.named(partition);
                tracing::warn!(instance = %self.name, partition = %partition.key,
                    missing = ?partition.missing_names, "partition never sealed");
                self.never_sealed.push(partition);
            }
            for record in self.seal_buffers[b].drain_unsealed() {
                self.dead_letter_held(record, DeadLetterReason::NeverSealed);
            }
        }
        for o in 0..self.static_orders.len() {
            for record in self.static_orders[o].drain_pending() {
                self.dead_letter_held(record, DeadLetterReason::NeverSealed);
            }
        }
        for (input, envelope) in self.total_order.drain() {
            if let Envelope::Record {
                producer,
                seq,
                payload,
            } = envelope
            {
                self.dead_letter(input, producer, seq, payload, DeadLetterReason::NeverSealed);
            }
        }
        self.metrics.held = self.held() as u64;
    }

    /// After the run: the instance answers probes of its state (the
    /// simulator's `probe_state`), whose answers are read, not routed, so
    /// its outputs take emissions again whatever ended them.
    pub(crate) fn open_outputs_for_probes(&mut self) {
        self.output_ended.fill(false);
        self.ends_arrived = false;
    }

    /// The run was stopped with `delivery` received here and not handled:
    /// counted as abandoned, and a record dead-lettered (nothing lost).
    pub(crate) fn abandon_received(&mut self, delivery: Delivery) {
        let input = self.input_name(delivery.input());
        self.abandon_unsent(self.id(), input, delivery);
    }

    /// The run was stopped with `delivery` not delivered at `to` (this
    /// instance, or where this instance had not sent it yet), on `input`
    /// there: counted as abandoned, and a record dead-lettered as refused
    /// at `to`.
    pub(crate) fn abandon_unsent(&mut self, to: ProducerId, input: String, delivery: Delivery) {
        if let Delivery::Direct {
            input: at,
            envelope: envelope @ Envelope::Records { .. },
        } = delivery
        {
            for single in envelope.into_singles() {
                let delivery = Delivery::Direct {
                    input: at,
                    envelope: single,
                };
                self.abandon_unsent(to, input.clone(), delivery);
            }
            return;
        }
        self.metrics.abandoned += 1;
        if let Delivery::Direct { envelope, .. } | Delivery::Ordered { envelope, .. } = delivery
            && let Envelope::Record {
                producer,
                seq,
                payload,
            } = envelope
        {
            self.push_dead_letter(
                to,
                input,
                producer,
                seq,
                payload,
                DeadLetterReason::Abandoned,
            );
        }
    }

    /// The instance's counters.
    pub fn metrics(&self) -> &InstanceMetrics {
        &self.metrics
    }

    /// Names the producers whose seals a partition misses, and those that
    /// sealed it.
    fn named(&self, mut partition: UnsealedPartition) -> UnsealedPartition {
        let name = |p: &ProducerId| {
            self.producer_names
                .get(p)
                .cloned()
                .unwrap_or_else(|| p.to_string())
        };
        partition.missing_names = partition.missing.iter().map(name).collect();
        partition.sealed_names = partition.sealed.iter().map(name).collect();
        partition
    }

    /// The partitions that have waited longer than `after` (driver units)
    /// at `now` and were not reported yet, with the producers whose seals
    /// are missing, named (runtime spec, "Liveness and membership"): each is
    /// logged as a warning and counted once
    /// ([`InstanceMetrics::overdue_partitions`]).
    pub fn report_overdue(&mut self, now: Time, after: u64) -> Vec<UnsealedPartition> {
        let overdue: Vec<UnsealedPartition> = (0..self.seal_buffers.len())
            .flat_map(|b| self.seal_buffers[b].overdue(now, after))
            .collect();
        let overdue: Vec<UnsealedPartition> = overdue.into_iter().map(|p| self.named(p)).collect();
        for partition in &overdue {
            self.metrics.overdue_partitions += 1;
            tracing::warn!(instance = %self.name, component = %self.component,
                partition = %partition.key, age = partition.age, held = partition.held,
                missing = ?partition.missing_names,
                "partition waiting past the configured time for the seals of its producers");
        }
        overdue
    }

    /// Brings `snapshot` (an earlier [`InstanceCore::snapshot`] of this
    /// instance) up to time `now`: its counters, and its unsealed
    /// partitions, each described again only if its votes changed (a busy
    /// instance refreshes its live snapshot often, with many partitions
    /// open).
    pub(crate) fn refresh_snapshot(&self, snapshot: &mut InstanceSnapshot, now: Time) {
        let mut previous = std::mem::take(&mut snapshot.unsealed);
        let mut unsealed = Vec::with_capacity(previous.len());
        if self.seal_buffers.len() > 1 {
            // An earlier entry does not say which buffer described it: two
            // buffers on the same key could take each other's (another
            // input's producers named). Each is described anew.
            previous.clear();
        }
        for buffer in &self.seal_buffers {
            for (partition, fresh) in buffer.unsealed_reusing(now, &mut previous) {
                unsealed.push(if fresh {
                    self.named(partition)
                } else {
                    partition
                });
            }
        }
        unsealed.sort_by(UnsealedPartition::oldest_first);
        snapshot.unsealed = unsealed;
        snapshot.metrics.clone_from(&self.metrics);
        if snapshot.never_sealed.len() != self.never_sealed.len() {
            let mut never_sealed = self.never_sealed.clone();
            never_sealed.sort_by(UnsealedPartition::oldest_first);
            snapshot.never_sealed = never_sealed;
        }
        snapshot.finished = self.finished();
    }

    /// Counters and unsealed partitions at time `now`.
    pub fn snapshot(&self, now: Time) -> InstanceSnapshot {
        let mut unsealed: Vec<_> = self
            .seal_buffers
            .iter()
            .flat_map(|b| b.unsealed(now))
            .map(|p| self.named(p))
            .collect();
        unsealed.sort_by(UnsealedPartition::oldest_first);
        let mut never_sealed = self.never_sealed.clone();
        never_sealed.sort_by(UnsealedPartition::oldest_first);
        InstanceSnapshot {
            instance: self.id(),
            bound: self.capacity,
            component: self.component.clone(),
            name: self.name.clone(),
            metrics: self.metrics.clone(),
            unsealed,
            never_sealed,
            finished: self.finished(),
        }
    }
}

/// One producer's share of the bound `capacity`: the bound divided by the
/// producers that feed a wrapper holding records (at least one record).
fn producer_share(
    capacity: usize,
    modes: &[InputMode],
    expected: &[BTreeSet<ProducerId>],
) -> usize {
    let holding: BTreeSet<ProducerId> = modes
        .iter()
        .zip(expected)
        .filter(|(mode, _)| {
            matches!(
                mode,
                InputMode::Sealed { .. }
                    | InputMode::ReadGated { .. }
                    | InputMode::StaticOrder { .. }
            )
        })
        .flat_map(|(_, producers)| producers.iter().copied())
        .collect();
    (capacity / holding.len().max(1)).max(1)
}

/// True when `input` is read-gated and its seal buffer holds a read of
/// `partition`.
fn holds_read(
    modes: &[InputMode],
    buffers: &[SealBuffer],
    input: InputId,
    partition: &Tuple,
) -> bool {
    match modes.get(input) {
        Some(InputMode::ReadGated { buffer }) => buffers
            .get(*buffer)
            .is_some_and(|b| b.holds_read(input, partition)),
        _ => false,
    }
}

/// One [`StaticOrder`] per set of `seq` attributes among the statically
/// ordered inputs, over the producers of all of its inputs, and the
/// orderer of each input.
fn static_orders(
    topology: &Topology,
    modes: &[InputMode],
    expected: &[BTreeSet<ProducerId>],
) -> (Vec<StaticOrder>, Vec<Option<usize>>) {
    let mut groups: Vec<(blazes_core::AttrSet, Vec<InputId>)> = Vec::new();
    let mut order_of = vec![None; modes.len()];
    for (input, mode) in modes.iter().enumerate() {
        let InputMode::StaticOrder { seq } = mode else {
            continue;
        };
        let at = match groups.iter().position(|(s, _)| s == seq) {
            Some(at) => at,
            None => {
                groups.push((seq.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        groups[at].1.push(input);
        order_of[input] = Some(at);
    }
    let orders = groups
        .into_iter()
        .map(|(seq, inputs)| {
            let feeders: BTreeSet<(InputId, ProducerId)> = inputs
                .iter()
                .flat_map(|&i| expected[i].iter().map(move |p| (i, *p)))
                .collect();
            let interleaving: Vec<(InputId, ProducerId)> = feeders
                .iter()
                .copied()
                .filter(|(_, p)| !topology.emits_in_seq_order(*p))
                .collect();
            StaticOrder::new(seq, feeders).with_interleaving(interleaving)
        })
        .collect();
    (orders, order_of)
}

/// The stretches of `run`'s records that belong to one of `sealed`, in
/// order and apart: a stretch of records equal on the partitions' one
/// attribute is looked up once.
fn late_in_run(sealed: &SealedOpen, run: &PayloadRun) -> Vec<Range<usize>> {
    let mut late: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    while at < run.len() {
        let equal = sealed.single_attribute().and_then(|name| {
            let value = run.field(at, name)?;
            Some(run.count_equal(at, run.len(), name, &value))
        });
        let end = at + equal.unwrap_or(1).max(1);
        if sealed.holds(|name| run.field(at, name)) {
            match late.last_mut() {
                Some(last) if last.end == at => last.end = end,
                _ => late.push(at..end),
            }
        }
        at = end;
    }
    late
}
