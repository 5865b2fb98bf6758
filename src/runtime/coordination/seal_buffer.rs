//! The seal buffer (runtime spec, "Seal buffer"; paper §V-B1) as a sans-IO
//! state machine: it is told about records, reads and seals, and answers with
//! what to hand to the handler, what is late, and what it still holds. It
//! never calls the handler itself, so the tokio runner and the simulator
//! drive the same code. Seal-key values keep the kind the first record or
//! seal gave each attribute ([`KeyKinds`]).

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use blazes_core::{AttrSet, Vote};

use crate::runtime::coordination::hashed::HashMap;
use crate::runtime::coordination::input_seals::in_partition;
use crate::runtime::coordination::key_kinds::{KeyKinds, WrongKeyKind};
use crate::runtime::coordination::recent::{DEFAULT_LATE_WINDOW, RecentSet};
use crate::runtime::coordination::votes::{Ballot, Electorate, PartitionValues};
use crate::runtime::metrics::UnsealedPartition;
use crate::runtime::node::clock::Time;
use crate::runtime::node::envelope::{InputId, ProducerId};
use crate::runtime::node::payload::{Payload, PayloadRun};
use crate::tuple::{Tuple, Value};

mod runs;
pub use runs::{Piece, Runs};

/// A record the buffer holds or hands back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldRecord {
    /// The input it arrived on.
    pub input: InputId,
    /// Its producer.
    pub producer: ProducerId,
    /// Its position in the producer's output.
    pub seq: u64,
    /// The record.
    pub payload: Payload,
}

/// What to do with an offered record.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Held until its partition is released.
    Held,
    /// A read of a released partition: handle it now.
    Ready(HeldRecord),
    /// A record of an already released partition, or sent after its
    /// producer sealed the partition: dead-letter it.
    Late(HeldRecord),
    /// The record lacks this attribute of the seal key: dead-letter it.
    MissingKey(String, HeldRecord),
    /// A seal-key value has another kind than the attribute's first one
    /// (the first value seen of each seal attribute fixes its kind):
    /// dead-letter it.
    WrongKeyKind(WrongKeyKind, HeldRecord),
}

/// A partition whose vote completed, in the order it must be applied.
#[derive(Debug, PartialEq, Eq)]
pub struct Release {
    /// The seal-key values.
    pub key: Tuple,
    /// Its records: iterated, by producer then seq.
    pub records: Runs,
    /// The sealed inputs, for `on_seal`.
    pub sealed_inputs: SmallVec<[InputId; 2]>,
    /// The reads that waited for it, ordered by producer then seq.
    pub reads: Vec<HeldRecord>,
}

/// What a seal did.
#[derive(Debug, PartialEq, Eq)]
pub enum SealOutcome {
    /// Counted as a vote; the partition is still open.
    Voted,
    /// The vote completed: apply this release.
    Released(Release),
    /// The partition was already released: nothing to do.
    AlreadyReleased,
    /// The sealer is not a member of the stream: an error, not a vote.
    UnknownProducer,
    /// The seal lacks this attribute of the key.
    MissingKey(String),
    /// A key value has another kind than the attribute's first one: not a
    /// vote (it would open a partition no record belongs to).
    WrongKeyKind(WrongKeyKind),
}

/// A partition's seal-key values, in the order of the key's attributes
/// (inline for one attribute: building, keeping and remembering a
/// partition's key allocates nothing).
type Key = PartitionValues;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Partition {
    records: Runs,
    reads: Vec<HeldRecord>,
    votes: Ballot,
    opened_at: Time,
    /// Already reported as overdue.
    reported: bool,
}

/// Holds each partition of the seal key until the producers that must seal
/// it have, then releases it as one batch in a deterministic order.
#[derive(Debug)]
pub struct SealBuffer {
    /// The seal key's attributes, in the key's order.
    key: Vec<String>,
    kinds: KeyKinds,
    /// Per sealed input, the producers that vote on its partitions and
    /// those retired: each retired one has sealed every partition, present
    /// and future ([`SealBuffer::retire`]).
    electorate: Electorate,
    /// The open partitions, each in its slot of `slots`: hashed, as
    /// producers far apart leave many partitions open; ordered by key only
    /// where listed.
    open: HashMap<Key, usize>,
    /// The open partitions' records, reads and votes, by slot; a released
    /// partition's slot is taken again by the next one opened.
    slots: Vec<Partition>,
    /// The slots no open partition takes.
    free: Vec<usize>,
    /// The most recently released partitions, to recognise late records.
    released: RecentSet<Key>,
    /// The open partition the last record held went to: records of a
    /// partition tend to arrive together, and this spares building their
    /// key and looking it up among the open ones.
    last: Option<LastPartition>,
    /// Where the key's attributes were in that record, and their names
    /// there when `'static` (hints: a record of the same type has them at
    /// the same positions, under the same literals, compared as pointers).
    last_at: Vec<(usize, Option<&'static str>)>,
    held: usize,
    /// Records (and reads) held, by producer.
    held_by: HeldBy,
    /// How many records the last released partition held from its
    /// busiest producer (at most [`PRESIZE_LIMIT`]): a producer's first
    /// record in a new partition reserves that much, so a partition of a
    /// steady size grows its buffers once instead of doubling them a dozen
    /// times (each large reallocation makes the allocator consolidate its
    /// free small chunks).
    typical: usize,
}

/// The open partition the last held record went to (see `SealBuffer::last`).
#[derive(Debug)]
struct LastPartition {
    key: Key,
    /// Its slot in `SealBuffer::slots`.
    slot: usize,
    /// The sealed input that record arrived on: a record of another input
    /// (a read) goes elsewhere in the partition.
    input: InputId,
}

/// How many records a buffer holds from each producer: a few producers
/// feed a buffer, so a short list searched from the last one counted beats
/// a hash map on every record.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct HeldBy {
    counts: Vec<(ProducerId, usize)>,
    #[serde(skip)]
    last: usize,
}

impl HeldBy {
    fn at(&self, producer: ProducerId) -> Option<usize> {
        match self.counts.get(self.last) {
            Some((p, _)) if *p == producer => Some(self.last),
            _ => self.counts.iter().position(|(p, _)| *p == producer),
        }
    }

    fn add(&mut self, producer: ProducerId) {
        self.add_many(producer, 1);
    }

    fn add_many(&mut self, producer: ProducerId, records: usize) {
        match self.at(producer) {
            Some(i) => {
                self.counts[i].1 += records;
                self.last = i;
            }
            None => {
                self.last = self.counts.len();
                self.counts.push((producer, records));
            }
        }
    }

    fn remove(&mut self, producer: ProducerId, records: usize) {
        if let Some(i) = self.at(producer) {
            self.counts[i].1 = self.counts[i].1.saturating_sub(records);
            if self.counts[i].1 == 0 {
                self.counts.swap_remove(i);
                self.last = 0;
            }
        }
    }

    fn of(&self, producer: ProducerId) -> usize {
        self.at(producer).map_or(0, |i| self.counts[i].1)
    }

    fn clear(&mut self) {
        self.counts.clear();
        self.last = 0;
    }
}

/// The most records a new partition reserves room for ahead.
const PRESIZE_LIMIT: usize = 4096;

/// What a [`SealBuffer`] holds and remembers, for a checkpoint: its open
/// partitions with their records and votes, the released partitions it
/// remembers and the kinds of its key's attributes (its configuration comes
/// from the plan again).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SealBufferState {
    kinds: KeyKinds,
    /// Per input, the producers retired: a retirement is read once.
    retired: BTreeMap<InputId, BTreeSet<ProducerId>>,
    open: BTreeMap<Key, Partition>,
    released: RecentSet<Key>,
    held: usize,
    held_by: HeldBy,
}

impl SealBuffer {
    /// A copy of what the buffer holds and remembers.
    pub(crate) fn state(&self) -> SealBufferState {
        SealBufferState {
            kinds: self.kinds.clone(),
            retired: self.electorate.retired().clone(),
            open: self
                .open
                .iter()
                .map(|(key, slot)| (key.clone(), self.slots[*slot].clone()))
                .collect(),
            released: self.released.clone(),
            held: self.held,
            held_by: self.held_by.clone(),
        }
    }

    /// Takes back what [`SealBuffer::state`] copied.
    pub(crate) fn restore(&mut self, state: SealBufferState) {
        self.kinds = state.kinds;
        self.electorate.restore_retired(state.retired);
        self.open = HashMap::default();
        self.slots = Vec::with_capacity(state.open.len());
        self.free = Vec::new();
        for (key, partition) in state.open {
            self.open.insert(key, self.slots.len());
            self.slots.push(partition);
        }
        self.released = state.released;
        self.held = state.held;
        self.held_by = state.held_by;
        self.last = None;
    }
    /// A buffer on `key`: `voters` maps each sealed input to the producers
    /// expected to seal it. The records of its read-gated inputs wait for
    /// their partition's release too; the instance bounds what it holds.
    pub fn new(
        key: AttrSet,
        vote: Vote,
        voters: BTreeMap<InputId, BTreeSet<ProducerId>>,
    ) -> SealBuffer {
        SealBuffer {
            kinds: KeyKinds::new(&key),
            key: key.iter().cloned().collect(),
            electorate: Electorate::new(vote, voters),
            open: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            released: RecentSet::new(DEFAULT_LATE_WINDOW),
            last: None,
            last_at: Vec::new(),
            held: 0,
            held_by: HeldBy::default(),
            typical: 0,
        }
    }

    /// Remembers the last `partitions` released partitions (at least one) to
    /// recognise late records, instead of [`DEFAULT_LATE_WINDOW`]; a record
    /// of an older released partition opens it again (builder style).
    pub fn with_late_window(mut self, partitions: usize) -> SealBuffer {
        self.released = RecentSet::new(partitions);
        self
    }

    /// True when `input` is a sealed (voted) input.
    pub fn is_sealed_input(&self, input: InputId) -> bool {
        self.electorate.counts(input)
    }

    /// Records currently held.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Records (and reads) currently held from `producer`.
    pub fn held_from(&self, producer: ProducerId) -> usize {
        self.held_by.of(producer)
    }

    fn hold(held_by: &mut HeldBy, producer: ProducerId) {
        held_by.add(producer);
    }

    fn unhold(held_by: &mut HeldBy, records: &[HeldRecord]) {
        // Records of one producer come in runs: one update per run.
        for run in records.chunk_by(|a, b| a.producer == b.producer) {
            held_by.remove(run[0].producer, run.len());
        }
    }

    /// True when offering a record with `payload` from `producer` on
    /// `input` would hold it (issue 15, fix 6): a record of a new or of an
    /// open partition takes room until its partition is released, so at the
    /// bound both wait. A record that would be refused (late, without its
    /// key, of the wrong kind) or a read of a released partition takes no
    /// room and is not held back.
    pub fn would_hold(&self, input: InputId, producer: ProducerId, payload: &Payload) -> bool {
        let sealed_by_producer =
            |partition: &Partition| self.has_sealed(partition, input, producer);
        if let Some(last) = &self.last
            && self.is_last(last, payload)
        {
            let partition = &self.slots[last.slot];
            return !(self.is_sealed_input(input) && sealed_by_producer(partition));
        }
        let Ok(key) = self.key_of(payload) else {
            return false;
        };
        if self.kinds.conflict(&key).is_some() || self.released.contains(&key) {
            return false;
        }
        !(self.is_sealed_input(input)
            && self
                .open
                .get(&key)
                .is_some_and(|slot| sealed_by_producer(&self.slots[*slot])))
    }

    /// Released partitions forgotten because more than the late-detection
    /// window were released after them (see [`SealBuffer::with_late_window`]).
    pub fn forgotten(&self) -> u64 {
        self.released.forgotten()
    }

    /// The key's values `value_of` reads, by attribute; the first
    /// attribute it lacks is the error.
    fn key_from<'v>(
        &self,
        value_of: impl Fn(&str) -> Option<Cow<'v, Value>>,
    ) -> Result<Key, String> {
        let mut key = Key::new();
        for attr in &self.key {
            key.push(value_of(attr).ok_or_else(|| attr.clone())?.into_owned());
        }
        Ok(key)
    }

    fn key_of_tuple(&self, tuple: &Tuple) -> Result<Key, String> {
        self.key_from(|attr| tuple.get(attr).map(Cow::Borrowed))
    }

    fn key_of(&self, payload: &Payload) -> Result<Key, String> {
        self.key_from(|attr| payload.field(attr))
    }

    /// True when `tuple` belongs to the partition `last`: its key values,
    /// looked for where the last held record had them.
    #[inline(always)]
    fn is_last(&self, last: &LastPartition, tuple: &Payload) -> bool {
        match &last.key[..] {
            [value] => self.has_at(tuple, 0, value),
            key => key
                .iter()
                .enumerate()
                .all(|(i, value)| self.has_at(tuple, i, value)),
        }
    }

    /// True when `payload` has `value` for the key's attribute `i`: a
    /// typed record's field read by name, a tuple's looked for where the
    /// last held record had it.
    #[inline(always)]
    fn has_at(&self, payload: &Payload, i: usize, value: &Value) -> bool {
        let Some(tuple) = payload.as_tuple() else {
            return match (payload.field(&self.key[i]).as_deref(), value) {
                (Some(Value::Int(a)), Value::Int(b)) => a == b,
                (Some(a), b) => a == b,
                (None, _) => false,
            };
        };
        let (at, literal) = self.last_at[i];
        let name = match literal {
            Some(literal) => literal,
            None => self.key[i].as_str(),
        };
        match (tuple.get_at(at, name), value) {
            // The usual seal key: an integer (a batch, a window).
            (Some(Value::Int(a)), Value::Int(b)) => a == b,
            (Some(a), b) => a == b,
            (None, _) => false,
        }
    }

    fn to_tuple(&self, key: &Key) -> Tuple {
        let mut t = Tuple::new();
        for (attr, v) in self.key.iter().zip(key) {
            t.set(attr, v.clone());
        }
        t
    }

    /// Offers a record of a sealed input or a read of a read input.
    #[inline]
    pub fn offer(&mut self, record: HeldRecord, now: Time) -> Admission {
        // A record of the open partition the last one went to, on the
        // same (sealed) input, from a producer that has neither sealed it
        // nor retired: held without building its key.
        if let Some(last) = &self.last
            && last.input == record.input
            && self.is_last(last, &record.payload)
        {
            let slot = last.slot;
            let sealed = self.slots[slot].votes.of(record.input);
            if !self
                .electorate
                .has_sealed(record.input, record.producer, sealed)
            {
                Self::hold(&mut self.held_by, record.producer);
                self.slots[slot].records.push(record, self.typical);
                self.held += 1;
                return Admission::Held;
            }
        }
        self.offer_by_key(record, now)
    }

    /// [`SealBuffer::offer`] on the records of a run (`records`, the
    /// `i`-th numbered `seq + i`) from the `from`-th on, at most `most` of
    /// them, for as long as each is one [`SealBuffer::offer`] holds at
    /// once: of the open partition the last record held went to, on the
    /// same sealed input, from a producer that has neither sealed it nor
    /// retired (checked once for the run). Returns how many it held; the
    /// next one goes through [`SealBuffer::offer`].
    pub(crate) fn hold_run_in_last(
        &mut self,
        input: InputId,
        producer: ProducerId,
        seq: u64,
        records: &PayloadRun,
        from: usize,
        most: usize,
    ) -> usize {
        let Some(last) = &self.last else {
            return 0;
        };
        if last.input != input {
            return 0;
        }
        let slot = last.slot;
        let sealed = self.slots[slot].votes.of(input);
        if self.electorate.has_sealed(input, producer, sealed) {
            return 0;
        }
        // The records of the last partition, from `from` on: each attribute
        // of the key compared across the run in one pass.
        let mut end = records.len().min(from.saturating_add(most));
        for (name, value) in self.key.iter().zip(&last.key) {
            end = from + records.count_equal(from, end, name, value);
        }
        let held = end - from;
        if held > 0 {
            let part = records.range(from..end);
            // What this run's records before them left in the partition
            // (the one that opened it, taken alone; a stretch held before
            // the bound stopped) joins them: the run in one piece.
            let joined = |first: u64| {
                let start = usize::try_from(first.checked_sub(seq)?).ok()?;
                (start < from).then(|| records.range(start..end))
            };
            self.slots[slot]
                .records
                .push_run(input, producer, seq + from as u64, part, joined);
            self.held_by.add_many(producer, held);
            self.held += held;
        }
        held
    }

    /// [`SealBuffer::offer`] for a record not known to belong to the last
    /// partition: its key built and looked up.
    #[inline(never)]
    fn offer_by_key(&mut self, record: HeldRecord, now: Time) -> Admission {
        let is_read = !self.electorate.counts(record.input);
        let retired = self.electorate.is_retired(record.input, record.producer);
        let key = match self.key_of(&record.payload) {
            Ok(k) => k,
            Err(attr) => return Admission::MissingKey(attr, record),
        };
        if let Err(wrong) = self.kinds.check(&key) {
            return Admission::WrongKeyKind(wrong, record);
        }
        if self.released.contains(&key) {
            return if is_read {
                Admission::Ready(record)
            } else {
                Admission::Late(record)
            };
        }
        if !is_read && retired {
            // Its retirement sealed every partition: sent after it.
            return Admission::Late(record);
        }
        let slot = self.slot_of(&key, now);
        let partition = &mut self.slots[slot];
        let producer_sealed = partition
            .votes
            .of(record.input)
            .is_some_and(|v| v.contains(&record.producer));
        if !is_read && producer_sealed {
            // Links are FIFO: this record was sent after its producer's seal.
            return Admission::Late(record);
        }
        Self::hold(&mut self.held_by, record.producer);
        if is_read {
            partition.reads.push(record);
        } else {
            self.last_at.clear();
            if let Some(tuple) = record.payload.as_tuple() {
                for attr in &self.key {
                    let at = tuple.position(attr).unwrap_or(0);
                    self.last_at.push((at, tuple.static_name_at(at)));
                }
            } else {
                self.last_at.resize(self.key.len(), (0, None));
            }
            let input = record.input;
            partition.records.push(record, self.typical);
            self.last = Some(LastPartition { key, slot, input });
        }
        self.held += 1;
        Admission::Held
    }

    /// A seal of partition `key` by `producer` on sealed input `input`.
    pub fn seal(
        &mut self,
        input: InputId,
        producer: ProducerId,
        key_tuple: &Tuple,
        now: Time,
    ) -> SealOutcome {
        if !self.electorate.is_member(input, producer) {
            return SealOutcome::UnknownProducer;
        }
        let key = match self.key_of_tuple(key_tuple) {
            Ok(k) => k,
            Err(attr) => return SealOutcome::MissingKey(attr),
        };
        // The partition the last record held went to, as a run's seal
        // usually follows its records: open, so neither released nor of a
        // wrong kind, and its slot known without a lookup.
        let slot = match &self.last {
            Some(last) if last.key == key => last.slot,
            _ => {
                if let Err(wrong) = self.kinds.check(&key) {
                    return SealOutcome::WrongKeyKind(wrong);
                }
                if self.released.contains(&key) {
                    return SealOutcome::AlreadyReleased;
                }
                self.slot_of(&key, now)
            }
        };
        let partition = &mut self.slots[slot];
        partition.votes.cast(input, producer);
        if !self.electorate.decides(&partition.votes) {
            return SealOutcome::Voted;
        }
        // A seal naming exactly the key's attributes is the partition's
        // tuple as `to_tuple` would build it: kept rather than rebuilt.
        let tuple = (key_tuple.fields().count() == self.key.len()).then(|| key_tuple.clone());
        SealOutcome::Released(self.release(key, tuple))
    }

    /// True when the buffer holds a record or a read of `input`, in any
    /// partition.
    pub fn holds_any_of(&self, input: InputId) -> bool {
        self.open.values().any(|slot| {
            let partition = &self.slots[*slot];
            partition.reads.iter().any(|r| r.input == input) || partition.records.holds_input(input)
        })
    }

    /// True when the buffer holds a read of `input` in `partition` (values
    /// of the input's own seal key, which may differ from the buffer's).
    pub fn holds_read(&self, input: InputId, partition: &Tuple) -> bool {
        self.open
            .values()
            .flat_map(|slot| &self.slots[*slot].reads)
            .any(|r| r.input == input && in_partition(r.payload.tuple(), partition))
    }

    /// Retires `producer` on sealed input `input` (runtime spec, "Liveness
    /// and membership"): from now on it counts as having sealed every
    /// partition, open or opened later, and a record it sends is late. The
    /// partitions whose vote this completes are released, in key order.
    /// Idempotent; a producer that is not a member of `input` changes
    /// nothing. On an `independent` input a partition needs one seal, so a
    /// retirement stands for a seal only once every member is retired (a
    /// retired producer cannot release the partitions another one masters).
    pub fn retire(&mut self, input: InputId, producer: ProducerId) -> Vec<Release> {
        if !self.electorate.retire(input, producer) {
            return Vec::new();
        }
        let mut complete: Vec<Key> = self
            .open
            .iter()
            .filter(|(_, slot)| self.electorate.decides(&self.slots[**slot].votes))
            .map(|(k, _)| k.clone())
            .collect();
        complete.sort_unstable();
        complete
            .into_iter()
            .map(|k| self.release(k, None))
            .collect()
    }

    /// True when `producer` sealed `partition` on `input`, itself or by
    /// its retirement.
    fn has_sealed(&self, partition: &Partition, input: InputId, producer: ProducerId) -> bool {
        self.electorate
            .has_sealed(input, producer, partition.votes.of(input))
    }

    /// The slot of open partition `key`, opened at `now` if it is not open.
    fn slot_of(&mut self, key: &Key, now: Time) -> usize {
        // One lookup, whether the partition is open or opened here.
        let vacant = match self.open.entry(key.clone()) {
            Entry::Occupied(open) => return *open.get(),
            Entry::Vacant(vacant) => vacant,
        };
        let partition = Partition {
            opened_at: now,
            ..Partition::default()
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = partition;
                slot
            }
            None => {
                self.slots.push(partition);
                self.slots.len() - 1
            }
        };
        vacant.insert(slot);
        slot
    }

    /// Removes the open partition `key` and hands back its release, named
    /// by `tuple` when the caller has it (else built from `key`).
    fn release(&mut self, key: Key, tuple: Option<Tuple>) -> Release {
        let partition = match self.open.remove(&key) {
            Some(slot) => {
                if self.last.as_ref().is_some_and(|last| last.slot == slot) {
                    self.last = None;
                }
                self.free.push(slot);
                std::mem::take(&mut self.slots[slot])
            }
            None => Partition::default(),
        };
        if !partition.records.is_empty() {
            self.typical = partition.records.longest().min(PRESIZE_LIMIT);
        }
        self.held -= partition.records.len() + partition.reads.len();
        for (producer, records) in partition.records.counts() {
            self.held_by.remove(producer, records);
        }
        Self::unhold(&mut self.held_by, &partition.reads);
        let records = partition.records.into_ordered();
        let mut reads = partition.reads;
        reads.sort_by_key(|r| (r.producer, r.seq));
        let tuple = tuple.unwrap_or_else(|| self.to_tuple(&key));
        self.released.insert(key);
        Release {
            key: tuple,
            records,
            sealed_inputs: self.electorate.inputs().collect(),
            reads,
        }
    }

    /// The open partitions older than `after` at `now` that were not
    /// reported yet, marked reported (so each is reported once), oldest first.
    pub fn overdue(&mut self, now: Time, after: u64) -> Vec<UnsealedPartition> {
        let mut keys = Vec::new();
        for (key, slot) in &self.open {
            let partition = &mut self.slots[*slot];
            if !partition.reported && now.since(partition.opened_at) > after {
                partition.reported = true;
                keys.push(key.clone());
            }
        }
        let mut out: Vec<UnsealedPartition> = keys
            .iter()
            .filter_map(|key| {
                self.open
                    .get(key)
                    .map(|slot| self.describe(key, &self.slots[*slot], now))
            })
            .collect();
        out.sort_by(UnsealedPartition::oldest_first);
        out
    }

    /// [`SealBuffer::unsealed`], unordered, taking from `previous` (an
    /// earlier answer, as its reader keeps it) the entry of each partition
    /// whose votes did not change since: only its held records and its age
    /// are brought up to date, its producers not listed again. Each entry
    /// comes with `true` when it was described anew.
    pub fn unsealed_reusing(
        &self,
        now: Time,
        previous: &mut Vec<UnsealedPartition>,
    ) -> Vec<(UnsealedPartition, bool)> {
        // The earlier entries by their key's values, in the key's order.
        let mut earlier: HashMap<Key, Vec<usize>> =
            HashMap::with_capacity_and_hasher(previous.len(), Default::default());
        for (at, u) in previous.iter().enumerate() {
            if let Some(key) = self.key_in(&u.key) {
                earlier.entry(key).or_default().push(at);
            }
        }
        let mut taken = vec![false; previous.len()];
        let out = self
            .open
            .iter()
            .map(|(key, slot)| {
                let p = &self.slots[*slot];
                let (missing, sealed) = self.electorate.inputs().fold((0, 0), |(m, s), input| {
                    let votes = p.votes.of(input);
                    (
                        m + self.electorate.missing(input, votes).count(),
                        s + self.electorate.sealers(input, votes).count(),
                    )
                });
                let same = earlier.get(key).and_then(|ats| {
                    ats.iter().copied().find(|at| {
                        let u = &previous[*at];
                        !taken[*at] && u.missing.len() == missing && u.sealed.len() == sealed
                    })
                });
                match same {
                    Some(at) => {
                        taken[at] = true;
                        let mut u = std::mem::take(&mut previous[at]);
                        u.held = p.records.len() + p.reads.len();
                        u.age = now.since(p.opened_at);
                        (u, false)
                    }
                    None => (self.describe(key, p, now), true),
                }
            })
            .collect();
        previous.clear();
        out
    }

    /// The key's values in `tuple`, when it holds exactly the key's
    /// attributes.
    fn key_in(&self, tuple: &Tuple) -> Option<Key> {
        if tuple.fields().count() != self.key.len() {
            return None;
        }
        self.key
            .iter()
            .map(|name| tuple.get(name).cloned())
            .collect()
    }

    fn describe(&self, key: &Key, p: &Partition, now: Time) -> UnsealedPartition {
        UnsealedPartition {
            key: self.to_tuple(key),
            held: p.records.len() + p.reads.len(),
            missing: self
                .electorate
                .inputs()
                .flat_map(|input| self.electorate.missing(input, p.votes.of(input)))
                .collect(),
            missing_names: Vec::new(),
            sealed: self
                .electorate
                .inputs()
                .flat_map(|input| self.electorate.sealers(input, p.votes.of(input)))
                .collect(),
            sealed_names: Vec::new(),
            age: now.since(p.opened_at),
        }
    }

    /// The partitions still open, oldest first.
    pub fn unsealed(&self, now: Time) -> Vec<UnsealedPartition> {
        let mut out: Vec<UnsealedPartition> = self
            .open
            .iter()
            .map(|(key, slot)| self.describe(key, &self.slots[*slot], now))
            .collect();
        out.sort_by(UnsealedPartition::oldest_first);
        out
    }

    /// Empties the buffer at the end of a run: every record and read still
    /// held, for the dead-letter path.
    pub fn drain_unsealed(&mut self) -> Vec<HeldRecord> {
        let mut open: Vec<(Key, usize)> = std::mem::take(&mut self.open).into_iter().collect();
        open.sort_unstable();
        let mut slots = std::mem::take(&mut self.slots);
        self.free.clear();
        self.held = 0;
        self.held_by.clear();
        self.last = None;
        open.into_iter()
            .flat_map(|(_, slot)| {
                let p = std::mem::take(&mut slots[slot]);
                p.records.into_ordered().into_iter().chain(p.reads)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    fn rec(input: InputId, producer: u32, seq: u64, batch: i64, word: &str) -> HeldRecord {
        HeldRecord {
            input,
            producer: ProducerId(producer),
            seq,
            payload: Tuple::new().with("batch", batch).with("word", word).into(),
        }
    }

    fn two_producer_buffer(vote: Vote) -> SealBuffer {
        let voters = BTreeMap::from([(0, BTreeSet::from([ProducerId(1), ProducerId(2)]))]);
        SealBuffer::new(attrs(["batch"]), vote, voters)
    }

    #[test]
    fn a_run_is_held_together_in_the_last_partition_and_stops_where_another_begins() {
        let voters = BTreeMap::from([(0, BTreeSet::from([ProducerId(1), ProducerId(2)]))]);
        let mut b = SealBuffer::new(attrs(["k"]), Vote::Unanimous, voters);
        let run = crate::runtime::node::payload::test_run([0, 0, 0, 1, 1]);
        let (p1, p2, t) = (ProducerId(1), ProducerId(2), Time::from_ticks(0));
        assert_eq!(
            b.hold_run_in_last(0, p1, 10, &run, 0, usize::MAX),
            0,
            "no partition yet"
        );
        let first = HeldRecord {
            input: 0,
            producer: p1,
            seq: 10,
            payload: run.payload(0),
        };
        assert_eq!(b.offer(first, t), Admission::Held);
        // The rest of partition 0, at most `most` at a time, up to where
        // partition 1 begins.
        assert_eq!(b.hold_run_in_last(0, p1, 10, &run, 1, 1), 1);
        assert_eq!(b.hold_run_in_last(0, p1, 10, &run, 2, usize::MAX), 1);
        assert_eq!((b.held(), b.held_from(p1)), (3, 3));
        // Not on another input, nor from a producer that sealed it.
        assert_eq!(b.hold_run_in_last(1, p1, 10, &run, 0, usize::MAX), 0);
        let zero = Tuple::new().with("k", 0);
        assert!(matches!(b.seal(0, p2, &zero, t), SealOutcome::Voted));
        assert_eq!(b.hold_run_in_last(0, p2, 0, &run, 0, usize::MAX), 0);
        // Released with its records, in seq order.
        let SealOutcome::Released(r) = b.seal(0, p1, &zero, t) else {
            panic!("both producers sealed partition 0");
        };
        let runs = r.records.into_ordered();
        let seqs: Vec<u64> = runs.records().map(|h| h.seq).collect();
        assert_eq!(seqs, [10, 11, 12]);
        // The record that opened the partition and the stretches held after
        // it are one piece of the run.
        let pieces: Vec<(usize, Option<u64>)> = runs
            .into_runs()
            .flatten()
            .map(|piece| (piece.len(), piece.into_records().next().map(|r| r.seq)))
            .collect();
        assert_eq!(pieces, [(3, Some(10))]);
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn unsealed_partitions_described_again_only_when_their_votes_change() {
        let t = Time::from_ticks;
        let mut b = two_producer_buffer(Vote::Unanimous);
        let two = Tuple::new().with("batch", 2);
        assert_eq!(b.offer(rec(0, 1, 0, 1, "a"), t(0)), Admission::Held);
        assert_eq!(b.offer(rec(0, 2, 0, 2, "b"), t(1)), Admission::Held);
        let sorted = |mut v: Vec<UnsealedPartition>| {
            v.sort_by(|a, b| a.key.cmp(&b.key));
            v
        };
        let mut previous = b.unsealed(t(2));
        // Marked, to tell a kept entry from one described again.
        for u in &mut previous {
            u.missing_names = vec!["kept".to_string()];
        }
        assert_eq!(b.offer(rec(0, 2, 1, 1, "c"), t(3)), Admission::Held);
        assert_eq!(b.seal(0, ProducerId(1), &two, t(4)), SealOutcome::Voted);
        let reused = b.unsealed_reusing(t(9), &mut previous);
        let fresh: Vec<(i64, bool)> = reused
            .iter()
            .map(|(u, fresh)| (u.key.int("batch").unwrap_or(-1), *fresh))
            .collect();
        assert_eq!(fresh.len(), 2);
        assert!(
            fresh.contains(&(1, false)) && fresh.contains(&(2, true)),
            "{fresh:?}"
        );
        // Apart from the names (named by the instance), the same as
        // describing every partition anew.
        let mut reused: Vec<UnsealedPartition> = reused.into_iter().map(|(u, _)| u).collect();
        for u in &mut reused {
            u.missing_names.clear();
        }
        assert_eq!(sorted(reused), sorted(b.unsealed(t(9))));
    }

    #[test]
    fn held_counts_follow_each_producer() {
        let mut held = HeldBy::default();
        for p in [3, 3, 5, 3, 5, 7] {
            held.add(ProducerId(p));
        }
        assert_eq!((held.of(ProducerId(3)), held.of(ProducerId(5))), (3, 2));
        held.remove(ProducerId(5), 2);
        assert_eq!(held.of(ProducerId(5)), 0);
        assert_eq!((held.of(ProducerId(3)), held.of(ProducerId(7))), (3, 1));
        held.remove(ProducerId(3), 5);
        assert_eq!(held.of(ProducerId(3)), 0, "never below zero");
        held.add(ProducerId(3));
        assert_eq!((held.of(ProducerId(3)), held.of(ProducerId(7))), (1, 1));
    }

    #[test]
    fn unanimous_vote_releases_in_producer_then_seq_order() {
        let mut b = two_producer_buffer(Vote::Unanimous);
        let key = Tuple::new().with("batch", 1);
        assert_eq!(
            b.offer(rec(0, 2, 5, 1, "b"), Time::from_ticks(0)),
            Admission::Held
        );
        assert_eq!(
            b.offer(rec(0, 1, 9, 1, "a"), Time::from_ticks(1)),
            Admission::Held
        );
        assert_eq!(
            b.offer(rec(1, 7, 0, 1, "read"), Time::from_ticks(2)),
            Admission::Held
        );
        assert_eq!(
            b.seal(0, ProducerId(2), &key, Time::from_ticks(3)),
            SealOutcome::Voted
        );
        assert!(
            matches!(
                b.offer(rec(0, 2, 6, 1, "after-seal"), Time::from_ticks(3)),
                Admission::Late(_)
            ),
            "a record after its producer's own seal is late even before the release"
        );
        assert_eq!(
            b.unsealed(Time::from_ticks(10))[0].missing,
            vec![ProducerId(1)]
        );
        assert_eq!(b.unsealed(Time::from_ticks(10))[0].age, 10);
        let SealOutcome::Released(r) = b.seal(0, ProducerId(1), &key, Time::from_ticks(4)) else {
            panic!("vote complete");
        };
        let order: Vec<(u32, u64)> = r.records.records().map(|h| (h.producer.0, h.seq)).collect();
        assert_eq!(order, vec![(1, 9), (2, 5)]);
        assert_eq!(r.reads.len(), 1);
        assert_eq!(b.held(), 0);
        assert!(matches!(
            b.offer(rec(0, 1, 10, 1, "x"), Time::from_ticks(5)),
            Admission::Late(_)
        ));
        assert!(matches!(
            b.offer(rec(1, 7, 1, 1, "q"), Time::from_ticks(5)),
            Admission::Ready(_)
        ));
        assert_eq!(
            b.seal(0, ProducerId(1), &key, Time::from_ticks(6)),
            SealOutcome::AlreadyReleased
        );
    }

    /// The partition the last record went to stays the fast one after a
    /// producer sealed it: the others' records of it are held, the
    /// sealer's (and a retired producer's) are late, and a record of
    /// another partition in between moves it.
    #[test]
    fn the_last_partition_after_a_seal_holds_the_others_records_only() {
        let voters = BTreeMap::from([(
            0,
            BTreeSet::from([ProducerId(1), ProducerId(2), ProducerId(3)]),
        )]);
        let mut b = SealBuffer::new(attrs(["batch"]), Vote::Unanimous, voters);
        let one = Tuple::new().with("batch", 1);
        let t = Time::from_ticks;
        assert_eq!(b.offer(rec(0, 1, 0, 1, "a"), t(0)), Admission::Held);
        assert_eq!(b.seal(0, ProducerId(1), &one, t(1)), SealOutcome::Voted);
        assert!(matches!(
            b.offer(rec(0, 1, 2, 1, "late"), t(2)),
            Admission::Late(_)
        ));
        assert_eq!(b.offer(rec(0, 2, 0, 1, "b"), t(2)), Admission::Held);
        assert_eq!(b.offer(rec(0, 2, 1, 2, "other"), t(3)), Admission::Held);
        assert_eq!(b.offer(rec(0, 2, 2, 1, "c"), t(4)), Admission::Held);
        assert!(b.retire(0, ProducerId(3)).is_empty(), "2 has not sealed 1");
        assert!(matches!(
            b.offer(rec(0, 3, 0, 1, "retired"), t(5)),
            Admission::Late(_)
        ));
        let record = Payload::from(one.clone());
        assert!(!b.would_hold(0, ProducerId(1), &record), "sealed by 1");
        assert!(b.would_hold(0, ProducerId(2), &record));
        assert_eq!(b.held(), 4, "a, b and c of batch 1, one of batch 2");
        let SealOutcome::Released(r) = b.seal(0, ProducerId(2), &one, t(6)) else {
            panic!("1 and 2 sealed, 3 retired");
        };
        let words: Vec<Value> = r
            .records
            .records()
            .filter_map(|h| h.payload.tuple().get("word").cloned())
            .collect();
        assert_eq!(
            words,
            [Value::from("a"), Value::from("b"), Value::from("c")]
        );
        assert!(matches!(
            b.offer(rec(0, 2, 3, 1, "after release"), t(7)),
            Admission::Late(_)
        ));
        assert_eq!(b.held(), 1, "batch 2 still open");
        assert_eq!(b.drain_unsealed().len(), 1);
    }

    #[test]
    fn independent_vote_needs_one_member_seal_and_strangers_do_not_vote() {
        let mut b = two_producer_buffer(Vote::Independent);
        let key = Tuple::new().with("batch", 3);
        b.offer(rec(0, 1, 0, 3, "a"), Time::from_ticks(0));
        assert_eq!(
            b.seal(0, ProducerId(9), &key, Time::from_ticks(1)),
            SealOutcome::UnknownProducer
        );
        assert!(matches!(
            b.seal(0, ProducerId(1), &key, Time::from_ticks(2)),
            SealOutcome::Released(_)
        ));
    }

    /// Issue 15: a string `batch` where integers were seen opened a
    /// partition that never closes.
    #[test]
    fn a_key_of_another_kind_is_refused_and_opens_no_partition() {
        let mut b = two_producer_buffer(Vote::Unanimous);
        assert_eq!(
            b.offer(rec(0, 1, 0, 1, "a"), Time::from_ticks(0)),
            Admission::Held
        );
        let mistyped = HeldRecord {
            input: 0,
            producer: ProducerId(2),
            seq: 0,
            payload: Tuple::new().with("batch", "1").with("word", "b").into(),
        };
        let refused = mistyped.payload.clone();
        assert!(matches!(
            b.offer(mistyped, Time::from_ticks(1)),
            Admission::WrongKeyKind(WrongKeyKind { ref attribute, .. }, _) if attribute == "batch"
        ));
        assert!(matches!(
            b.seal(
                0,
                ProducerId(2),
                &Tuple::new().with("batch", "1"),
                Time::from_ticks(2)
            ),
            SealOutcome::WrongKeyKind(_)
        ));
        assert_eq!(
            b.unsealed(Time::from_ticks(3)).len(),
            1,
            "only batch 1 is open"
        );
        assert_eq!(b.held(), 1);
        b.seal(
            0,
            ProducerId(1),
            &Tuple::new().with("batch", 1),
            Time::from_ticks(4),
        );
        assert!(matches!(
            b.seal(
                0,
                ProducerId(2),
                &Tuple::new().with("batch", 1),
                Time::from_ticks(5)
            ),
            SealOutcome::Released(_)
        ));
        assert!(b.unsealed(Time::from_ticks(6)).is_empty());
        assert!(
            !b.would_hold(0, ProducerId(2), &refused),
            "refused, not held back"
        );
    }

    #[test]
    fn records_without_the_key_and_unsealed_partitions_are_reported() {
        let mut b = two_producer_buffer(Vote::Unanimous);
        let keyless = HeldRecord {
            input: 0,
            producer: ProducerId(1),
            seq: 0,
            payload: Tuple::new().with("word", "a").into(),
        };
        assert!(
            matches!(b.offer(keyless, Time::from_ticks(0)), Admission::MissingKey(a, _) if a == "batch")
        );
        b.offer(rec(0, 1, 1, 4, "a"), Time::from_ticks(0));
        assert_eq!(b.drain_unsealed().len(), 1);
        assert_eq!(b.held(), 0);
    }

    #[test]
    fn an_overdue_partition_is_reported_once_with_its_missing_sealers() {
        let mut b = two_producer_buffer(Vote::Unanimous);
        b.offer(rec(0, 1, 0, 1, "a"), Time::from_ticks(0));
        b.seal(
            0,
            ProducerId(1),
            &Tuple::new().with("batch", 1),
            Time::from_ticks(1),
        );
        b.offer(rec(0, 1, 1, 2, "b"), Time::from_ticks(5));
        assert!(
            b.overdue(Time::from_ticks(10), 10).is_empty(),
            "not older than 10 yet"
        );
        let overdue = b.overdue(Time::from_ticks(11), 10);
        assert_eq!(overdue.len(), 1);
        assert_eq!(overdue[0].key, Tuple::new().with("batch", 1));
        assert_eq!(overdue[0].missing, vec![ProducerId(2)]);
        assert_eq!(overdue[0].age, 11);
        assert!(
            b.overdue(Time::from_ticks(12), 10).is_empty(),
            "reported once"
        );
        let later = b.overdue(Time::from_ticks(16), 10);
        assert_eq!(later.len(), 1, "batch 2 in its turn");
        assert_eq!(later[0].missing, vec![ProducerId(1), ProducerId(2)]);
    }

    /// Issue 15: a producer that stops without sealing blocked its
    /// partitions for good; retired, it seals every partition it has not.
    #[test]
    fn a_retired_producer_releases_the_partitions_it_blocked_and_later_ones() {
        let mut b = two_producer_buffer(Vote::Unanimous);
        let one = Tuple::new().with("batch", 1);
        b.offer(rec(0, 1, 0, 1, "a"), Time::from_ticks(0));
        b.offer(rec(0, 2, 0, 1, "b"), Time::from_ticks(0));
        b.offer(rec(1, 7, 0, 1, "read"), Time::from_ticks(0));
        assert_eq!(
            b.seal(0, ProducerId(1), &one, Time::from_ticks(1)),
            SealOutcome::Voted
        );
        b.offer(rec(0, 1, 1, 2, "c"), Time::from_ticks(2));
        assert_eq!(
            b.unsealed(Time::from_ticks(3))[0].missing,
            vec![ProducerId(2)]
        );
        let released = b.retire(0, ProducerId(2));
        assert_eq!(released.len(), 1, "batch 2 still waits for producer 1");
        assert_eq!(released[0].key, one);
        let words: Vec<Value> = released[0]
            .records
            .records()
            .filter_map(|r| r.payload.tuple().get("word").cloned())
            .collect();
        assert_eq!(words, [Value::from("a"), Value::from("b")]);
        assert_eq!(released[0].reads.len(), 1);
        assert_eq!(
            b.unsealed(Time::from_ticks(4))[0].missing,
            vec![ProducerId(1)],
            "not the retired one"
        );
        assert!(b.retire(0, ProducerId(2)).is_empty(), "idempotent");
        assert!(matches!(
            b.offer(rec(0, 2, 1, 3, "after"), Time::from_ticks(5)),
            Admission::Late(_)
        ));
        assert!(!b.would_hold(0, ProducerId(2), &Tuple::new().with("batch", 2).into()));
        // A partition opened after the retirement needs the others only.
        b.offer(rec(0, 1, 2, 4, "d"), Time::from_ticks(6));
        assert!(matches!(
            b.seal(
                0,
                ProducerId(1),
                &Tuple::new().with("batch", 2),
                Time::from_ticks(7)
            ),
            SealOutcome::Released(_)
        ));
        assert!(matches!(
            b.seal(0, ProducerId(1), &Tuple::new().with("batch", 4), Time::from_ticks(8)),
            SealOutcome::Released(r) if r.records.len() == 1
        ));
        assert_eq!(b.held(), 0);
        assert!(b.retire(0, ProducerId(9)).is_empty(), "not a member");
    }

    #[test]
    fn on_an_independent_input_only_the_last_retirement_stands_for_a_seal() {
        let mut b = two_producer_buffer(Vote::Independent);
        b.offer(rec(0, 1, 0, 1, "a"), Time::from_ticks(0));
        assert!(b.retire(0, ProducerId(2)).is_empty(), "1 may still seal it");
        assert_eq!(b.retire(0, ProducerId(1)).len(), 1);
    }
}
