//! Static ordering (runtime spec, "Sequencer"): inputs carry a replay-stable
//! `seq` attribute (a Storm-style batch id), and the wrapper applies whole
//! batches in `seq` order, with no service, like a transactional commit order.
//!
//! A producer that emits its batches in `seq` order (a source producer, or an
//! instance fed by one such producer) is done with batch `b` once it has sent
//! a record of a later batch, sealed `b` (or a later batch), or ended. A
//! producer that *interleaves* several upstream producers (a Splitter merging
//! two spouts, issue 15) sends batches in no particular order, so a later
//! batch proves nothing: it is done with `b` only once it sealed `b` or a
//! later batch (its forwarded seal, sent once all its own producers sealed
//! `b`), or ended ([`StaticOrder::with_interleaving`]; the topology tells
//! which producers interleave, `Topology::emits_in_seq_order`).
//! A batch is applied when every producer is done with it and with every
//! batch before it; its records go in input-then-producer-then-seq order,
//! followed by `on_seal` for the batch. One orderer serves every input of a
//! component ordered on the same `seq` attributes, so that the batches of
//! all of them are applied in one order (ordering each input alone would
//! leave the interleaving of two inputs' batches to arrival order). Its
//! producers are therefore counted per input: the same upstream instance
//! may feed two of them. Sans-IO like the seal buffer.
//!
//! `seq` values keep the kind the first record or seal gave each attribute
//! ([`KeyKinds`]): a string batch where integers were seen would sort after
//! every integer batch and move its producer past all of them (issue 15).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use blazes_core::AttrSet;

use crate::runtime::coordination::hashed::HashMap;
use crate::runtime::coordination::key_kinds::{KeyKinds, WrongKeyKind};
use crate::runtime::coordination::seal_buffer::HeldRecord;
use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::runtime::node::payload::Payload;
use crate::tuple::Tuple;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Progress {
    /// Every batch strictly below this one is done.
    below: Option<Tuple>,
    /// Every batch up to and including this one is done (seals).
    through: Option<Tuple>,
    ended: bool,
}

impl Progress {
    fn done_with(&self, batch: &Tuple) -> bool {
        self.ended
            || self.below.as_ref().is_some_and(|b| b > batch)
            || self.through.as_ref().is_some_and(|t| t >= batch)
    }
}

/// A batch ready to apply.
#[derive(Debug, PartialEq, Eq)]
pub struct Batch {
    /// The `seq` attribute values.
    pub seq: Tuple,
    /// Its records, by producer then seq.
    pub records: Vec<HeldRecord>,
}

/// What to do with an offered record.
#[derive(Debug, PartialEq, Eq)]
pub enum Placement {
    /// Held until its batch is applied.
    Held,
    /// Its batch was already applied, or its producer had moved past it:
    /// dead-letter it.
    Late(HeldRecord),
    /// It lacks this attribute of the `seq` key: dead-letter it.
    MissingKey(String, HeldRecord),
    /// A `seq` value has another kind than the attribute's first one (see
    /// [`KeyKinds`]): dead-letter it.
    WrongKeyKind(WrongKeyKind, HeldRecord),
}

/// A producer of one of the ordered inputs.
pub type Feeder = (InputId, ProducerId);

/// Applies the batches of its inputs in `seq` order.
#[derive(Debug)]
pub struct StaticOrder {
    seq: AttrSet,
    kinds: KeyKinds,
    producers: BTreeSet<Feeder>,
    /// Producers whose records come in no `seq` order: their records are
    /// no evidence of progress.
    interleaving: BTreeSet<Feeder>,
    progress: HashMap<Feeder, Progress>,
    pending: BTreeMap<Tuple, Vec<HeldRecord>>,
    applied_through: Option<Tuple>,
    held: usize,
    /// Records held, by producer.
    held_by: HashMap<ProducerId, usize>,
}

/// What a [`StaticOrder`] holds and knows, for a checkpoint: each
/// producer's progress, the pending batches, the last batch applied (its
/// configuration comes from the plan again).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StaticOrderState {
    kinds: KeyKinds,
    progress: HashMap<Feeder, Progress>,
    pending: BTreeMap<Tuple, Vec<HeldRecord>>,
    applied_through: Option<Tuple>,
    held: usize,
    held_by: HashMap<ProducerId, usize>,
}

impl StaticOrder {
    /// A copy of what the orderer holds and knows.
    pub(crate) fn state(&self) -> StaticOrderState {
        StaticOrderState {
            kinds: self.kinds.clone(),
            progress: self.progress.clone(),
            pending: self.pending.clone(),
            applied_through: self.applied_through.clone(),
            held: self.held,
            held_by: self.held_by.clone(),
        }
    }

    /// Takes back what [`StaticOrder::state`] copied.
    pub(crate) fn restore(&mut self, state: StaticOrderState) {
        self.kinds = state.kinds;
        self.progress = state.progress;
        self.pending = state.pending;
        self.applied_through = state.applied_through;
        self.held = state.held;
        self.held_by = state.held_by;
    }
    /// An orderer on the `seq` attributes for the given producers of its
    /// inputs.
    pub fn new(seq: AttrSet, producers: BTreeSet<Feeder>) -> StaticOrder {
        StaticOrder {
            kinds: KeyKinds::new(&seq),
            seq,
            producers,
            interleaving: BTreeSet::new(),
            progress: HashMap::default(),
            pending: BTreeMap::new(),
            applied_through: None,
            held: 0,
            held_by: HashMap::default(),
        }
    }

    /// Marks `producers` as interleaving: their records may come in any
    /// `seq` order (they merge several upstream producers), so only their
    /// seals and their end count as progress, and a record of theirs is late
    /// only when its batch was applied or they sealed it (builder style).
    pub fn with_interleaving(mut self, producers: impl IntoIterator<Item = Feeder>) -> StaticOrder {
        self.interleaving.extend(producers);
        self
    }

    /// Records currently held.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Records currently held from `producer`.
    pub fn held_from(&self, producer: ProducerId) -> usize {
        self.held_by.get(&producer).copied().unwrap_or(0)
    }

    fn seq_of(&self, payload: &Payload) -> Result<Tuple, String> {
        let mut key = Tuple::new();
        for attr in &self.seq {
            match payload.field(attr) {
                Some(v) => key.set(attr, v.into_owned()),
                None => return Err(attr.clone()),
            }
        }
        Ok(key)
    }

    /// True when offering a record with `payload` from `producer` would
    /// hold it (issue 15, fix 6): at the bound, records of new and of
    /// pending batches alike wait; a record that would be refused (late,
    /// without its `seq`, of the wrong kind) takes no room and does not.
    pub fn would_hold(&self, input: InputId, producer: ProducerId, payload: &Payload) -> bool {
        let Ok(batch) = self.seq_of(payload) else {
            return false;
        };
        if self
            .kinds
            .conflict(batch.fields().map(|(_, v)| v))
            .is_some()
            || self.applied_through.as_ref().is_some_and(|a| *a >= batch)
        {
            return false;
        }
        !self
            .progress
            .get(&(input, producer))
            .is_some_and(|progress| {
                progress.below.as_ref().is_some_and(|b| *b > batch)
                    || progress.through.as_ref().is_some_and(|t| *t >= batch)
            })
    }

    /// Offers a record.
    pub fn offer(&mut self, record: HeldRecord) -> Placement {
        let batch = match self.seq_of(&record.payload) {
            Ok(b) => b,
            Err(attr) => return Placement::MissingKey(attr, record),
        };
        if let Err(wrong) = self.kinds.check(batch.fields().map(|(_, v)| v)) {
            return Placement::WrongKeyKind(wrong, record);
        }
        if self.applied_through.as_ref().is_some_and(|a| *a >= batch) {
            return Placement::Late(record);
        }
        let feeder = (record.input, record.producer);
        let in_order = !self.interleaving.contains(&feeder);
        let progress = self.progress.entry(feeder).or_default();
        let behind = progress.below.as_ref().is_some_and(|b| *b > batch)
            || progress.through.as_ref().is_some_and(|t| *t >= batch);
        if behind {
            // The producer had already moved past this batch.
            return Placement::Late(record);
        }
        if in_order && progress.below.as_ref().is_none_or(|b| *b < batch) {
            progress.below = Some(batch.clone());
        }
        *self.held_by.entry(record.producer).or_default() += 1;
        self.pending.entry(batch).or_default().push(record);
        self.held += 1;
        Placement::Held
    }

    /// A seal from `producer`; only seals on exactly the `seq` attributes
    /// count as progress. Returns `Ok(false)` when the seal is not such a
    /// seal, and an error, counting nothing, when a value has another kind
    /// than its attribute's first one.
    pub fn seal(
        &mut self,
        input: InputId,
        producer: ProducerId,
        key: &Tuple,
    ) -> Result<bool, WrongKeyKind> {
        let names: AttrSet = key.fields().map(|(n, _)| n.to_string()).collect();
        if names != self.seq {
            return Ok(false);
        }
        self.kinds.check(key.fields().map(|(_, v)| v))?;
        let progress = self.progress.entry((input, producer)).or_default();
        if progress.through.as_ref().is_none_or(|t| t < key) {
            progress.through = Some(key.clone());
        }
        Ok(true)
    }

    /// True when the orderer holds a record of `input`, in any batch.
    pub fn holds_any_of(&self, input: InputId) -> bool {
        self.pending
            .values()
            .any(|records| records.iter().any(|r| r.input == input))
    }

    /// `producer` will send nothing more on `input`.
    pub fn end(&mut self, input: InputId, producer: ProducerId) {
        self.progress.entry((input, producer)).or_default().ended = true;
    }

    /// The batches that can now be applied, in `seq` order.
    pub fn ready(&mut self) -> Vec<Batch> {
        let mut out = Vec::new();
        while let Some((first, _)) = self.pending.first_key_value() {
            let done = self.producers.iter().all(|p| {
                self.progress
                    .get(p)
                    .is_some_and(|progress| progress.done_with(first))
            });
            if !done {
                break;
            }
            let Some((seq, mut records)) = self.pending.pop_first() else {
                break;
            };
            records.sort_by_key(|r| (r.input, r.producer, r.seq));
            self.held -= records.len();
            for record in &records {
                if let Some(count) = self.held_by.get_mut(&record.producer) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        self.held_by.remove(&record.producer);
                    }
                }
            }
            self.applied_through = Some(seq.clone());
            out.push(Batch { seq, records });
        }
        out
    }

    /// Empties the orderer at the end of a run: records whose batch never
    /// completed, for the dead-letter path.
    pub fn drain_pending(&mut self) -> Vec<HeldRecord> {
        self.held = 0;
        self.held_by.clear();
        std::mem::take(&mut self.pending)
            .into_values()
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    fn rec(producer: u32, seq: u64, batch: i64) -> HeldRecord {
        HeldRecord {
            input: 0,
            producer: ProducerId(producer),
            seq,
            payload: Tuple::new().with("batch", batch).into(),
        }
    }

    /// One orderer over two inputs: a batch waits for the producers of both,
    /// and its records go input by input, whatever their arrival order.
    #[test]
    fn a_batch_of_two_inputs_waits_for_both_and_applies_input_by_input() {
        let feeders = BTreeSet::from([(0, ProducerId(1)), (1, ProducerId(1))]);
        let mut o = StaticOrder::new(attrs(["batch"]), feeders);
        let on = |input: InputId, seq: u64, batch: i64| HeldRecord {
            input,
            ..rec(1, seq, batch)
        };
        // The same upstream producer feeds both inputs.
        assert_eq!(o.offer(on(1, 0, 0)), Placement::Held);
        assert_eq!(o.offer(on(0, 0, 0)), Placement::Held);
        assert_eq!(o.offer(on(0, 1, 1)), Placement::Held);
        assert!(o.ready().is_empty(), "input 1 may still send batch 0");
        assert_eq!(
            o.seal(1, ProducerId(1), &Tuple::new().with("batch", 0)),
            Ok(true)
        );
        let ready = o.ready();
        assert_eq!(ready.len(), 1);
        let inputs: Vec<InputId> = ready[0].records.iter().map(|r| r.input).collect();
        assert_eq!(inputs, [0, 1]);
        assert_eq!(o.held(), 1);
    }

    #[test]
    fn batches_apply_in_seq_order_once_every_producer_moved_on() {
        let p = BTreeSet::from([(0, ProducerId(1)), (0, ProducerId(2))]);
        let mut o = StaticOrder::new(attrs(["batch"]), p);
        o.offer(rec(2, 0, 2));
        o.offer(rec(1, 0, 1));
        assert!(o.ready().is_empty(), "producer 1 may still send batch 1");
        o.offer(rec(1, 1, 2));
        let ready = o.ready();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].seq, Tuple::new().with("batch", 1));
        assert!(matches!(o.offer(rec(2, 1, 1)), Placement::Late(_)));
        assert_eq!(
            o.seal(0, ProducerId(1), &Tuple::new().with("batch", 2)),
            Ok(true)
        );
        assert_eq!(
            o.seal(0, ProducerId(1), &Tuple::new().with("other", 2)),
            Ok(false)
        );
        assert!(o.ready().is_empty(), "producer 2 has not finished batch 2");
        o.end(0, ProducerId(2));
        let ready = o.ready();
        assert_eq!(ready[0].records.len(), 2);
        assert_eq!(o.held(), 0);
    }

    /// Issue 15, fix 1: a producer that merges two spouts sends batch 2
    /// before the rest of batch 1; that is no proof it is done with batch 1.
    #[test]
    fn an_interleaving_producer_is_done_with_a_batch_only_by_its_seal_or_end() {
        let p = BTreeSet::from([(0, ProducerId(1)), (0, ProducerId(2))]);
        let mut o = StaticOrder::new(attrs(["batch"]), p).with_interleaving([(0, ProducerId(1))]);
        assert_eq!(o.offer(rec(1, 0, 1)), Placement::Held);
        assert_eq!(o.offer(rec(1, 1, 2)), Placement::Held);
        o.end(0, ProducerId(2));
        assert!(o.ready().is_empty(), "producer 1 may still send batch 1");
        assert_eq!(o.offer(rec(1, 2, 1)), Placement::Held, "not late");
        assert_eq!(
            o.seal(0, ProducerId(1), &Tuple::new().with("batch", 1)),
            Ok(true)
        );
        let ready = o.ready();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].records.len(), 2);
        assert!(matches!(o.offer(rec(1, 3, 1)), Placement::Late(_)));
        o.end(0, ProducerId(1));
        assert_eq!(o.ready().len(), 1);
        assert_eq!(o.held(), 0);
    }

    /// Issue 15: a string batch where integers were seen sorts after every
    /// integer batch, so it moved its producer past all of them: batches 1
    /// and 2 were applied without waiting for it, and its next real record
    /// (batch 2) came late.
    #[test]
    fn a_seq_of_another_kind_is_refused_and_moves_no_producer() {
        let p = BTreeSet::from([(0, ProducerId(1)), (0, ProducerId(2))]);
        let mut o = StaticOrder::new(attrs(["batch"]), p);
        assert_eq!(o.offer(rec(1, 0, 1)), Placement::Held);
        assert_eq!(o.offer(rec(2, 0, 2)), Placement::Held);
        assert_eq!(
            o.seal(0, ProducerId(2), &Tuple::new().with("batch", 2)),
            Ok(true)
        );
        let mistyped = HeldRecord {
            payload: Tuple::new().with("batch", "9").into(),
            ..rec(1, 1, 0)
        };
        assert!(matches!(o.offer(mistyped), Placement::WrongKeyKind(..)));
        assert!(
            o.seal(0, ProducerId(1), &Tuple::new().with("batch", "9"))
                .is_err()
        );
        let applied: Vec<Tuple> = o.ready().into_iter().map(|b| b.seq).collect();
        assert!(
            applied.is_empty(),
            "producer 1 has not moved on: {applied:?}"
        );
        assert_eq!(o.offer(rec(1, 2, 2)), Placement::Held, "not late");
        o.end(0, ProducerId(1));
        let sizes: Vec<usize> = o.ready().iter().map(|b| b.records.len()).collect();
        assert_eq!(sizes, vec![1, 2]);
        let refused = Payload::from(Tuple::new().with("batch", "10"));
        assert!(
            !o.would_hold(0, ProducerId(2), &refused),
            "refused, not held back"
        );
    }
}
