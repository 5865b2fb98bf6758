//! A record as it travels between instances of one process: the tuple, or
//! the user's typed record itself (issue 14, "typed payloads in
//! envelopes"). A typed component's output hands its record over typed, and
//! the next typed component receives it without a tuple being built,
//! decoded or freed; the tuple is made only where one is read (a sink, a
//! dead letter, the wire, a handler that takes tuples), once, and kept.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::record::Record;
use crate::tuple::{Tuple, Value};

/// The record an envelope carries: a [`Tuple`], or a typed record (a
/// struct deriving [`Record`](crate::Record)) held in a typed batch with
/// the other records sent with it (one allocation per batch, not per
/// record), its tuple made the first time it is read. Equal, printed and
/// serialized as its tuple (so on the wire a typed record is its tuple, and
/// reads back as one). A clone shares the batch.
pub struct Payload(Repr);

enum Repr {
    Tuple(Tuple),
    Typed {
        batch: Arc<dyn ErasedBatch>,
        index: usize,
    },
}

/// A batch of typed records behind the payloads that point into it: its
/// type erased, what the runtime reads of a record kept.
trait ErasedBatch: Send + Sync {
    /// The batch (a [`TypedBatch`]), to downcast.
    fn as_any(&self) -> &dyn Any;
    /// Record `i`'s tuple, made on the first call and kept.
    fn tuple_at(&self, i: usize) -> &Tuple;
    /// The value of record `i`'s field `name`, from its tuple if it was
    /// made.
    fn field_at(&self, i: usize, name: &str) -> Option<Cow<'_, Value>>;
    /// How many of records `from..to`, from the first on, have `value`
    /// for their field `name` (up to the first that does not).
    fn count_equal(&self, from: usize, to: usize, name: &str, value: &Value) -> usize;
    /// An empty builder of records of this batch's type (`None` for
    /// tuples: gathering them gains nothing).
    fn new_builder(&self) -> Option<Box<dyn BatchBuilder>>;
    /// Pushes a copy of record `i` onto `into` (a builder
    /// [`ErasedBatch::new_builder`] made): false when `into` holds another
    /// type or the record cannot be copied.
    fn copy_into(&self, i: usize, into: &mut dyn BatchBuilder) -> bool;
}

/// Typed records sent together, and their tuples once made.
struct TypedBatch<R> {
    records: Vec<R>,
    /// By record, its tuple: the slots made when a first tuple is read.
    tuples: OnceLock<Box<[OnceLock<Tuple>]>>,
}

impl<R: Record + Sync> TypedBatch<R> {
    fn made(&self, i: usize) -> Option<&Tuple> {
        self.tuples.get()?.get(i)?.get()
    }
}

impl<R: Record + Sync> ErasedBatch for TypedBatch<R> {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn tuple_at(&self, i: usize) -> &Tuple {
        let slots = self
            .tuples
            .get_or_init(|| (0..self.records.len()).map(|_| OnceLock::new()).collect());
        // `i` is the index of a payload made with this batch: in range.
        slots[i].get_or_init(|| self.records[i].to_tuple())
    }

    fn field_at(&self, i: usize, name: &str) -> Option<Cow<'_, Value>> {
        match self.made(i) {
            Some(tuple) => tuple.get(name).map(Cow::Borrowed),
            None => self.records.get(i)?.field_value(name).map(Cow::Owned),
        }
    }

    fn new_builder(&self) -> Option<Box<dyn BatchBuilder>> {
        if R::DYNAMIC {
            return None;
        }
        Some(Box::new(Vec::<R>::new()))
    }

    fn copy_into(&self, i: usize, into: &mut dyn BatchBuilder) -> bool {
        let Some(into) = into.as_any_mut().downcast_mut::<Vec<R>>() else {
            return false;
        };
        match self.records.get(i).and_then(R::duplicate) {
            Some(copy) => {
                into.push(copy);
                true
            }
            None => false,
        }
    }

    fn count_equal(&self, from: usize, to: usize, name: &str, value: &Value) -> usize {
        let Some(records) = self.records.get(from..to.min(self.records.len())) else {
            return 0;
        };
        R::leading_equal(records, name, value)
    }
}

/// Typed records of one type emitted since the last flush: turned into one
/// batch when what was emitted is taken ([`Emit`](crate::Emit)'s).
pub(crate) trait BatchBuilder: Send {
    /// The builder (a `Vec` of records), to downcast.
    fn as_any_mut(&mut self) -> &mut dyn Any;
    /// The records pushed since the last call, as one batch (`None` when
    /// there were none); the next ones go to a new `Vec` as large.
    fn freeze(&mut self) -> Option<Frozen>;
}

impl<R: Record + Sync> BatchBuilder for Vec<R> {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn freeze(&mut self) -> Option<Frozen> {
        if self.is_empty() {
            return None;
        }
        let records = std::mem::replace(self, Vec::with_capacity(self.len()));
        Some(Frozen::from_vec(records))
    }
}

impl fmt::Debug for dyn BatchBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BatchBuilder")
    }
}

/// A frozen batch of a [`BatchBuilder`], shared by the payloads of its
/// records.
#[derive(Clone)]
pub(crate) struct Frozen(Arc<dyn ErasedBatch>);

impl fmt::Debug for Frozen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Frozen")
    }
}

impl Frozen {
    /// `records` as one batch.
    fn from_vec<R: Record>(records: Vec<R>) -> Frozen {
        Frozen(Arc::new(TypedBatch {
            records,
            tuples: OnceLock::new(),
        }))
    }

    /// The batch `builder` holds, if it holds records.
    pub(crate) fn of(builder: &mut dyn BatchBuilder) -> Option<Frozen> {
        builder.freeze()
    }

    /// The batch's records `index..index + count` as one run (`None` when
    /// an index does not fit a run's).
    pub(crate) fn run(&self, index: usize, count: usize) -> Option<PayloadRun> {
        let start = u32::try_from(index).ok()?;
        let end = u32::try_from(index.checked_add(count)?).ok()?;
        Some(PayloadRun {
            batch: Arc::clone(&self.0),
            indices: Indices::Contiguous { start, end },
        })
    }

    /// The payload of record `index` of the batch.
    pub(crate) fn payload(&self, index: usize) -> Payload {
        Payload(Repr::Typed {
            batch: Arc::clone(&self.0),
            index,
        })
    }
}

/// Records of one typed batch sent together in one envelope (issue 14,
/// "envelopes that carry a run of a typed batch"): the batch, shared, and
/// which of its records, in order. Cloning shares the batch (and the list
/// of indices, when the run is not a contiguous range of the batch).
#[derive(Clone)]
pub struct PayloadRun {
    batch: Arc<dyn ErasedBatch>,
    indices: Indices,
}

#[derive(Clone)]
enum Indices {
    /// The batch's records `start..end`.
    Contiguous { start: u32, end: u32 },
    /// The batch's records at `list[from..to]`.
    Listed {
        list: Arc<[u32]>,
        from: u32,
        to: u32,
    },
}

/// Copies of typed records, gathered into one new batch in the order given,
/// as one run (records held apart, now one after the other, so that a slice
/// handler takes them in one call). `None` when there are none, when one is
/// a tuple or of another type than the first, or cannot be copied.
pub(crate) fn gather<'p>(payloads: impl IntoIterator<Item = &'p Payload>) -> Option<PayloadRun> {
    let mut builder: Option<Box<dyn BatchBuilder>> = None;
    let mut count = 0;
    for payload in payloads {
        let Repr::Typed { batch, index } = &payload.0 else {
            return None;
        };
        if builder.is_none() {
            builder = Some(batch.new_builder()?);
        }
        let into = builder.as_deref_mut()?;
        if !batch.copy_into(*index, into) {
            return None;
        }
        count += 1;
    }
    let frozen = Frozen::of(builder?.as_mut())?;
    frozen.run(0, count)
}

impl PayloadRun {
    /// True when the run's records are one after the other in their batch.
    pub(crate) fn is_contiguous(&self) -> bool {
        matches!(self.indices, Indices::Contiguous { .. })
    }

    /// A run of the one record `payload`, when it is carried typed (and
    /// its index fits the run's indices).
    pub(crate) fn of(payload: &Payload) -> Option<PayloadRun> {
        let Repr::Typed { batch, index } = &payload.0 else {
            return None;
        };
        let start = u32::try_from(*index).ok()?;
        Some(PayloadRun {
            batch: Arc::clone(batch),
            indices: Indices::Contiguous {
                start,
                end: start.checked_add(1)?,
            },
        })
    }

    /// `records`, carried typed as one batch and one run of all of them
    /// (given back for [`Tuple`]s, carried as themselves, and for no
    /// records).
    pub(crate) fn from_records<R: Record>(records: Vec<R>) -> Result<PayloadRun, Vec<R>> {
        if R::DYNAMIC || records.is_empty() {
            return Err(records);
        }
        let Ok(end) = u32::try_from(records.len()) else {
            return Err(records);
        };
        Ok(PayloadRun {
            batch: Frozen::from_vec(records).0,
            indices: Indices::Contiguous { start: 0, end },
        })
    }

    /// `tuples` as one run, in order (`None` for no tuples, or more than
    /// `u32::MAX`): how a run read from the wire is carried, and how a
    /// [`Frame`](crate::dist::wire::Frame) of a run
    /// ([`Envelope::Records`](super::envelope::Envelope::Records)) is
    /// built by hand.
    pub fn from_tuples(tuples: Vec<Tuple>) -> Option<PayloadRun> {
        let end = u32::try_from(tuples.len()).ok().filter(|n| *n > 0)?;
        Some(PayloadRun {
            batch: Frozen::from_vec(tuples).0,
            indices: Indices::Contiguous { start: 0, end },
        })
    }

    /// Adds `payload` at the run's end when it is the batch's record right
    /// after the run's last one: true when added.
    #[inline]
    pub(crate) fn extend(&mut self, payload: &Payload) -> bool {
        let (Repr::Typed { batch, index }, Indices::Contiguous { end, .. }) =
            (&payload.0, &mut self.indices)
        else {
            return false;
        };
        if *index != *end as usize || !Arc::ptr_eq(batch, &self.batch) {
            return false;
        }
        match end.checked_add(1) {
            Some(next) => {
                *end = next;
                true
            }
            None => false,
        }
    }

    /// How many records the run holds.
    #[inline]
    pub fn len(&self) -> usize {
        match self.indices {
            Indices::Contiguous { start, end } => (end - start) as usize,
            Indices::Listed { from, to, .. } => (to - from) as usize,
        }
    }

    /// True when the run holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch's index of the run's record `i` (`i < len`).
    #[inline]
    fn index(&self, i: usize) -> usize {
        match &self.indices {
            Indices::Contiguous { start, .. } => *start as usize + i,
            Indices::Listed { list, from, .. } => list[*from as usize + i] as usize,
        }
    }

    /// The run's record `i` (`i < len`), sharing the batch.
    #[inline]
    pub fn payload(&self, i: usize) -> Payload {
        Payload(Repr::Typed {
            batch: Arc::clone(&self.batch),
            index: self.index(i),
        })
    }

    /// The run's record `i`'s tuple (`i < len`), made on the first read
    /// and kept with its batch.
    #[inline]
    pub(crate) fn tuple(&self, i: usize) -> &Tuple {
        self.batch.tuple_at(self.index(i))
    }

    /// The run's record `i` (`i < len`) when the run carries `R`s, as
    /// [`Payload::typed_in`] reads one: `last` keeps the records of the
    /// batch found (the run's next record is not looked up again).
    #[inline]
    pub(crate) fn typed_in<'p, R: Record>(
        &'p self,
        i: usize,
        last: &mut Option<(usize, &'p [R])>,
    ) -> Option<&'p R> {
        let address = Arc::as_ptr(&self.batch).cast::<()>() as usize;
        if let Some((at, records)) = *last
            && at == address
        {
            return records.get(self.index(i));
        }
        let records = &self.batch.as_any().downcast_ref::<TypedBatch<R>>()?.records[..];
        *last = Some((address, records));
        records.get(self.index(i))
    }

    /// The run's records from the `from`-th on that are one after the
    /// other in their batch (all of them, for a contiguous run), as a
    /// slice, when the run carries `R`s (`None` past the end).
    #[inline]
    pub(crate) fn typed_slice<R: Record>(&self, from: usize) -> Option<&[R]> {
        if from >= self.len() {
            return None;
        }
        let records = &self.batch.as_any().downcast_ref::<TypedBatch<R>>()?.records;
        let (first, last) = match &self.indices {
            Indices::Contiguous { start, end } => (*start as usize + from, *end as usize),
            Indices::Listed { list, from: f, to } => {
                let listed = &list[*f as usize + from..*to as usize];
                let stretch = listed
                    .windows(2)
                    .take_while(|w| w[1] == w[0].wrapping_add(1))
                    .count();
                let first = listed[0] as usize;
                (first, first + stretch + 1)
            }
        };
        records.get(first..last)
    }

    /// The run's records, in order.
    pub fn payloads(&self) -> impl Iterator<Item = Payload> + '_ {
        (0..self.len()).map(|i| self.payload(i))
    }

    /// How many of the run's records `from..to` (positions in the run),
    /// from the first on, have `value` for attribute `name`.
    #[inline]
    pub(crate) fn count_equal(&self, from: usize, to: usize, name: &str, value: &Value) -> usize {
        let to = to.min(self.len());
        if from >= to {
            return 0;
        }
        match &self.indices {
            Indices::Contiguous { start, .. } => {
                let start = *start as usize;
                self.batch
                    .count_equal(start + from, start + to, name, value)
            }
            Indices::Listed { .. } => (from..to)
                .take_while(|i| self.field(*i, name).as_deref() == Some(value))
                .count(),
        }
    }

    /// The value of attribute `name` of the run's record `i`.
    #[inline]
    pub(crate) fn field(&self, i: usize, name: &str) -> Option<Cow<'_, Value>> {
        self.batch.field_at(self.index(i), name)
    }

    /// The run's records at positions `range`, sharing the batch.
    pub(crate) fn range(&self, range: std::ops::Range<usize>) -> PayloadRun {
        self.suffix(range.start).prefix(range.len())
    }

    /// The run cut, in order, into parts of at most `most` records.
    pub(crate) fn parts(&self, most: usize) -> impl Iterator<Item = PayloadRun> + '_ {
        let most = most.max(1);
        (0..self.len())
            .step_by(most)
            .map(move |from| self.range(from..(from + most).min(self.len())))
    }

    /// The run's records from the `from`-th on.
    pub(crate) fn suffix(&self, from: usize) -> PayloadRun {
        let from = from.min(self.len()) as u32;
        let indices = match &self.indices {
            Indices::Contiguous { start, end } => Indices::Contiguous {
                start: start + from,
                end: *end,
            },
            Indices::Listed { list, from: f, to } => Indices::Listed {
                list: Arc::clone(list),
                from: f + from,
                to: *to,
            },
        };
        PayloadRun {
            batch: Arc::clone(&self.batch),
            indices,
        }
    }

    /// The run's first `to` records.
    pub(crate) fn prefix(&self, to: usize) -> PayloadRun {
        let to = to.min(self.len()) as u32;
        let indices = match &self.indices {
            Indices::Contiguous { start, .. } => Indices::Contiguous {
                start: *start,
                end: start + to,
            },
            Indices::Listed { list, from, .. } => Indices::Listed {
                list: Arc::clone(list),
                from: *from,
                to: from + to,
            },
        };
        PayloadRun {
            batch: Arc::clone(&self.batch),
            indices,
        }
    }

    /// The run's records at `positions` (positions in the run, in the
    /// order given).
    pub(crate) fn select(&self, positions: &[u32]) -> PayloadRun {
        let list: Arc<[u32]> = positions
            .iter()
            .map(|p| self.index(*p as usize) as u32)
            .collect();
        let to = list.len() as u32;
        PayloadRun {
            batch: Arc::clone(&self.batch),
            indices: Indices::Listed { list, from: 0, to },
        }
    }
}

impl PartialEq for PayloadRun {
    fn eq(&self, other: &PayloadRun) -> bool {
        self.len() == other.len() && self.payloads().zip(other.payloads()).all(|(a, b)| a == b)
    }
}

impl Eq for PayloadRun {}

impl fmt::Debug for PayloadRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.payloads()).finish()
    }
}

impl Serialize for PayloadRun {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.payloads())
    }
}

impl<'de> Deserialize<'de> for PayloadRun {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PayloadRun, D::Error> {
        let tuples = Vec::<Tuple>::deserialize(deserializer)?;
        let len = u32::try_from(tuples.len()).map_err(serde::de::Error::custom)?;
        Ok(PayloadRun {
            batch: Arc::new(TypedBatch {
                records: tuples,
                tuples: OnceLock::new(),
            }),
            indices: Indices::Contiguous { start: 0, end: len },
        })
    }
}

impl Payload {
    /// `record`, carried typed, in a batch of its own (a [`Tuple`] is
    /// carried as itself).
    pub fn typed<R: Record>(record: R) -> Payload {
        if R::DYNAMIC {
            return Payload(Repr::Tuple(record.into_tuple()));
        }
        let mut batch = Payload::batch(vec![record]);
        batch.next().unwrap_or_default()
    }

    /// `records`, carried typed in one batch (one allocation for them all),
    /// in order; [`Tuple`]s are carried as themselves.
    pub fn batch<R: Record>(records: Vec<R>) -> impl Iterator<Item = Payload> {
        if R::DYNAMIC {
            BatchPayloads::Tuples(records.into_iter())
        } else {
            let count = records.len();
            let frozen = (count > 0).then(|| Frozen::from_vec(records));
            BatchPayloads::Typed {
                frozen,
                next: 0,
                count,
            }
        }
    }

    /// The record as a tuple (a typed record's is made on the first call
    /// and kept with its batch).
    #[inline]
    pub fn tuple(&self) -> &Tuple {
        match &self.0 {
            Repr::Tuple(tuple) => tuple,
            Repr::Typed { batch, index } => batch.tuple_at(*index),
        }
    }

    /// The record turned into its tuple.
    pub fn into_tuple(self) -> Tuple {
        match self.0 {
            Repr::Tuple(tuple) => tuple,
            Repr::Typed { batch, index } => batch.tuple_at(index).clone(),
        }
    }

    /// The typed record, when the payload carries an `R` (not a tuple).
    #[inline]
    pub fn typed_ref<R: Record>(&self) -> Option<&R> {
        match &self.0 {
            Repr::Tuple(_) => None,
            Repr::Typed { batch, index } => batch
                .as_any()
                .downcast_ref::<TypedBatch<R>>()?
                .records
                .get(*index),
        }
    }

    /// [`Payload::typed_ref`], remembering in `last` the records of the
    /// batch it found (by the batch's address): the next payload of the
    /// same batch (a run of a link, a released partition) is read without
    /// looking its type up again.
    #[inline]
    pub(crate) fn typed_in<'p, R: Record>(
        &'p self,
        last: &mut Option<(usize, &'p [R])>,
    ) -> Option<&'p R> {
        let Repr::Typed { batch, index } = &self.0 else {
            return None;
        };
        let address = Arc::as_ptr(batch).cast::<()>() as usize;
        if let Some((at, records)) = *last
            && at == address
        {
            return records.get(*index);
        }
        let records = &batch.as_any().downcast_ref::<TypedBatch<R>>()?.records[..];
        *last = Some((address, records));
        records.get(*index)
    }

    /// Where a typed record is carried: its batch's address and its index
    /// in the batch (`None` for a tuple). Two payloads of one batch at
    /// indices `i` and `i + 1` are records one after the other in it.
    #[inline]
    pub(crate) fn position(&self) -> Option<(usize, usize)> {
        match &self.0 {
            Repr::Tuple(_) => None,
            Repr::Typed { batch, index } => {
                Some((Arc::as_ptr(batch).cast::<()>() as usize, *index))
            }
        }
    }

    /// The records of the typed batch that carries this `R` record, and
    /// its index there (`None` for a tuple or a record of another type).
    #[inline]
    pub(crate) fn typed_batch<R: Record>(&self) -> Option<(&[R], usize)> {
        let Repr::Typed { batch, index } = &self.0 else {
            return None;
        };
        let records = &batch.as_any().downcast_ref::<TypedBatch<R>>()?.records[..];
        Some((records, *index))
    }

    /// True when the record is carried typed.
    pub fn is_typed(&self) -> bool {
        matches!(self.0, Repr::Typed { .. })
    }

    /// The value of attribute `name` (a typed record's field, read without
    /// making its tuple).
    #[inline]
    pub fn field(&self, name: &str) -> Option<Cow<'_, Value>> {
        match &self.0 {
            Repr::Tuple(tuple) => tuple.get(name).map(Cow::Borrowed),
            Repr::Typed { batch, index } => batch.field_at(*index, name),
        }
    }

    /// The tuple, when the payload is one (a typed record's tuple is not
    /// made for this).
    #[inline]
    pub(crate) fn as_tuple(&self) -> Option<&Tuple> {
        match &self.0 {
            Repr::Tuple(tuple) => Some(tuple),
            Repr::Typed { .. } => None,
        }
    }
}

/// The payloads of [`Payload::batch`], in order.
enum BatchPayloads<R> {
    Tuples(std::vec::IntoIter<R>),
    Typed {
        frozen: Option<Frozen>,
        next: usize,
        count: usize,
    },
}

impl<R: Record> Iterator for BatchPayloads<R> {
    type Item = Payload;

    #[inline]
    fn next(&mut self) -> Option<Payload> {
        match self {
            BatchPayloads::Tuples(records) => records
                .next()
                .map(|record| Payload(Repr::Tuple(record.into_tuple()))),
            BatchPayloads::Typed {
                frozen,
                next,
                count,
            } => {
                if *next >= *count {
                    return None;
                }
                let payload = frozen.as_ref()?.payload(*next);
                *next += 1;
                Some(payload)
            }
        }
    }
}

impl From<Tuple> for Payload {
    fn from(tuple: Tuple) -> Payload {
        Payload(Repr::Tuple(tuple))
    }
}

impl From<Payload> for Tuple {
    fn from(payload: Payload) -> Tuple {
        payload.into_tuple()
    }
}

impl Default for Payload {
    fn default() -> Payload {
        Payload::from(Tuple::new())
    }
}

impl Clone for Payload {
    fn clone(&self) -> Payload {
        match &self.0 {
            Repr::Tuple(tuple) => Payload::from(tuple.clone()),
            Repr::Typed { batch, index } => Payload(Repr::Typed {
                batch: Arc::clone(batch),
                index: *index,
            }),
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.tuple() == other.tuple()
    }
}

impl Eq for Payload {}

impl PartialEq<Tuple> for Payload {
    fn eq(&self, other: &Tuple) -> bool {
        self.tuple() == other
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.tuple(), f)
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.tuple(), f)
    }
}

impl Serialize for Payload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.tuple().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Payload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Payload, D::Error> {
        Tuple::deserialize(deserializer).map(Payload::from)
    }
}

/// A record type for tests elsewhere in the crate, carried typed.
#[cfg(test)]
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TestKey(pub(crate) i64);

#[cfg(test)]
impl Record for TestKey {
    const NAME: &'static str = "TestKey";
    const FIELDS: &'static [&'static str] = &["k"];

    fn to_tuple(&self) -> Tuple {
        Tuple::new().with("k", self.0)
    }

    fn from_tuple(tuple: &Tuple) -> Result<Self, crate::record::RecordError> {
        tuple
            .int("k")
            .map(TestKey)
            .ok_or(crate::record::RecordError {
                record: "TestKey",
                field: "k",
                missing: true,
            })
    }
}

/// A run of typed records `k` = each of `ks`, for tests.
#[cfg(test)]
pub(crate) fn test_run(ks: impl IntoIterator<Item = i64>) -> PayloadRun {
    match PayloadRun::from_records(ks.into_iter().map(TestKey).collect()) {
        Ok(run) => run,
        Err(_) => panic!("typed records make a run"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Field, RecordError};

    #[derive(Debug, PartialEq)]
    struct Reading {
        batch: i64,
        word: String,
    }

    impl Record for Reading {
        const NAME: &'static str = "Reading";
        const FIELDS: &'static [&'static str] = &["batch", "word"];

        fn to_tuple(&self) -> Tuple {
            Tuple::new()
                .with("batch", self.batch)
                .with("word", self.word.as_str())
        }

        fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
            let field = |name: &'static str| RecordError {
                record: "Reading",
                field: name,
                missing: true,
            };
            Ok(Reading {
                batch: tuple
                    .get("batch")
                    .and_then(i64::from_value)
                    .ok_or_else(|| field("batch"))?,
                word: tuple
                    .get("word")
                    .and_then(String::from_value)
                    .ok_or_else(|| field("word"))?,
            })
        }
    }

    fn reading() -> Reading {
        Reading {
            batch: 3,
            word: "seal".into(),
        }
    }

    #[test]
    fn a_typed_payload_reads_fields_and_equals_its_tuple() {
        let payload = Payload::typed(reading());
        assert!(payload.is_typed());
        assert_eq!(payload.typed_ref::<Reading>(), Some(&reading()));
        assert_eq!(payload.typed_ref::<Tuple>(), None);
        assert_eq!(payload.field("batch").as_deref(), Some(&Value::Int(3)));
        assert_eq!(payload.field("nope"), None);
        assert_eq!(payload, reading().to_tuple());
        // Read again once the tuple is made: from the tuple.
        assert_eq!(payload.field("word").as_deref(), Some(&Value::from("seal")));
        let copy = payload.clone();
        assert!(copy.is_typed(), "a clone shares the batch");
        assert_eq!(copy.into_tuple(), reading().to_tuple());
    }

    #[test]
    fn a_batch_keeps_its_records_in_order_and_each_reads_its_own() {
        let records: Vec<Reading> = (0..3)
            .map(|batch| Reading {
                batch,
                word: format!("w{batch}"),
            })
            .collect();
        let payloads: Vec<Payload> = Payload::batch(records).collect();
        assert_eq!(payloads.len(), 3);
        for (i, payload) in payloads.iter().enumerate() {
            assert_eq!(
                payload.field("batch").as_deref(),
                Some(&Value::Int(i as i64))
            );
            assert_eq!(
                payload.typed_ref::<Reading>().map(|r| r.batch),
                Some(i as i64)
            );
        }
        // One record's tuple made: the others still read by field.
        assert_eq!(payloads[1].tuple().int("batch"), Some(1));
        assert_eq!(
            payloads[2].field("word").as_deref(),
            Some(&Value::from("w2"))
        );
        let tuples: Vec<Payload> = Payload::batch(vec![Tuple::new().with("k", 1)]).collect();
        assert!(!tuples[0].is_typed());
        assert!(Payload::batch(Vec::<Reading>::new()).next().is_none());
    }

    #[test]
    fn a_tuple_is_carried_as_itself_and_a_typed_payload_serializes_as_its_tuple() {
        let tuple = reading().to_tuple();
        let dynamic = Payload::typed(tuple.clone());
        assert!(!dynamic.is_typed());
        assert_eq!(dynamic.as_tuple(), Some(&tuple));
        let typed = serde_json::to_string(&Payload::typed(reading())).expect("serializes");
        assert_eq!(typed, serde_json::to_string(&tuple).expect("serializes"));
        let back: Payload = serde_json::from_str(&typed).expect("reads back");
        assert!(!back.is_typed());
        assert_eq!(back, tuple);
    }
}
