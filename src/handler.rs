//! The contract between a component's code and the runtime: a [`Handler`]
//! receives tuples on named input interfaces and emits on named outputs.
//! `#[component]` implements it from the annotated handler methods.

use std::fmt;

use crate::checkpointed::StateError;
use crate::record::RecordError;
use crate::runtime::coordination::seal_buffer::HeldRecord;
use crate::runtime::node::payload::{BatchBuilder, Frozen, Payload, PayloadRun};
use crate::tuple::Tuple;

/// One thing a handler produced, in the order it produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Emission {
    /// A record emitted on output `output`.
    Record {
        /// The output interface.
        output: String,
        /// The record.
        tuple: Tuple,
    },
    /// A punctuation: partition `partition` of output `output` is complete.
    Punctuation {
        /// The output interface.
        output: String,
        /// The seal-key values of the partition.
        partition: Tuple,
    },
}

/// Collects what a handler emits, by output interface: records and
/// punctuations, in one order (a punctuation is sent after the records
/// emitted before it, and before those emitted after it).
///
/// Output names are kept once each; an emission refers to its output by
/// index, so emitting costs no copy of the name.
#[derive(Debug, Default)]
pub struct Emit {
    /// The output names emitted on, in the order first used, each with
    /// the runtime's id of that output (`None` inside for a name the
    /// component lacks) once it was looked up.
    outputs: Vec<(String, Option<Option<usize>>)>,
    /// The emissions, in order: a slot may hold a run of typed records.
    emitted: Vec<Slot>,
    /// How many emissions `emitted` holds (a run counts its records).
    len: usize,
    /// The rest, made when first used.
    room: Option<Box<Room>>,
}

/// What an [`Emit`] keeps besides its outputs and emissions.
#[derive(Debug, Default)]
struct Room {
    refused_seals: Vec<RefusedSeal>,
    /// The typed records emitted since the last take, by record type:
    /// each type's become one batch when they are taken.
    builders: Vec<Box<dyn BatchBuilder>>,
    /// By builder, its batch while emissions are resolved (room reused).
    frozen: Vec<Option<Frozen>>,
    /// The room of the vector [`Emit::take_emitted`] returns, given back.
    ready: Vec<Emitted>,
    /// The `'static` output name a typed record was last emitted on (its
    /// address and length) and its index in `outputs`: the next one on
    /// the same name is not compared by its text.
    last_static: (usize, usize, usize),
}

/// One emission until it is taken: a typed record is still in its type's
/// builder.
#[derive(Clone, Debug)]
struct Slot {
    output: usize,
    punctuation: bool,
    what: Pending,
}

#[derive(Clone, Debug)]
enum Pending {
    /// A tuple, or a punctuation's partition.
    Payload(Payload),
    /// Records `index..index + count` of builder `builder`: typed records
    /// emitted one after the other on one output (`count` at least 1).
    Typed {
        builder: usize,
        index: usize,
        count: usize,
    },
}

/// One emission as [`Emit`] keeps it: its output by index in `outputs`.
#[derive(Clone, Debug)]
pub(crate) struct Emitted {
    /// The output's index among the names the collector keeps.
    pub(crate) output: usize,
    /// True for a punctuation (then `records` is the partition's tuple).
    pub(crate) punctuation: bool,
    /// The record (or the partition's seal-key values), or a run of typed
    /// records emitted one after the other on the output.
    pub(crate) records: Carried,
}

/// What one [`Emitted`] carries.
#[derive(Clone, Debug)]
pub(crate) enum Carried {
    /// One record, or a punctuation's partition.
    One(Payload),
    /// Two or more typed records of one batch, in order.
    Run(PayloadRun),
}

impl Carried {
    /// Its records, in order.
    pub(crate) fn into_payloads(self) -> impl Iterator<Item = Payload> {
        let (one, run) = match self {
            Carried::One(payload) => (Some(payload), None),
            Carried::Run(run) => (None, Some(run)),
        };
        one.into_iter().chain(
            run.into_iter()
                .flat_map(|run| (0..run.len()).map(move |i| run.payload(i))),
        )
    }
}

/// A released partition a typed `#[on_seal(input)]` method could not
/// receive: its seal-key tuple lacks a field the method takes, or holds a
/// value of another type. The runtime counts it
/// ([`InstanceMetrics::undecodable_seals`](crate::runtime::InstanceMetrics::undecodable_seals))
/// and logs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedSeal {
    /// The input interface the partition was released on.
    pub input: String,
    /// The partition's seal-key values.
    pub partition: Tuple,
    /// Which field is missing or mistyped.
    pub error: RecordError,
}

impl Emit {
    /// An empty collector.
    pub fn new() -> Emit {
        Emit::default()
    }

    fn output_index(&mut self, output: &str) -> usize {
        match self.outputs.iter().position(|(o, _)| o == output) {
            Some(i) => i,
            None => {
                self.outputs.push((output.to_string(), None));
                self.outputs.len() - 1
            }
        }
    }

    /// [`Emit::output_index`] of a `'static` name (a typed handle's): the
    /// name last used is recognised by its address (a `'static` string is
    /// never freed, so the same address and length are the same text).
    #[inline]
    fn static_output_index(&mut self, output: &'static str) -> usize {
        let key = (output.as_ptr() as usize, output.len());
        if let Some(room) = self.room.as_deref()
            && (room.last_static.0, room.last_static.1) == key
            && room.last_static.2 < self.outputs.len()
        {
            return room.last_static.2;
        }
        let index = self.output_index(output);
        self.room.get_or_insert_default().last_static = (key.0, key.1, index);
        index
    }

    fn push(&mut self, output: &str, punctuation: bool, what: Pending) {
        let output = self.output_index(output);
        self.len += 1;
        self.emitted.push(Slot {
            output,
            punctuation,
            what,
        });
    }

    /// Adds `records` to their type's builder: the builder's index, the
    /// first record's index in it and how many were added.
    #[inline]
    fn build<R: crate::Record>(
        &mut self,
        records: impl IntoIterator<Item = R>,
    ) -> (usize, usize, usize) {
        let builders = &mut self.room.get_or_insert_default().builders;
        for (builder, b) in builders.iter_mut().enumerate() {
            if let Some(built) = b.as_any_mut().downcast_mut::<Vec<R>>() {
                let first = built.len();
                built.extend(records);
                return (builder, first, built.len() - first);
            }
        }
        let built: Vec<R> = records.into_iter().collect();
        let added = built.len();
        builders.push(Box::new(built));
        (builders.len() - 1, 0, added)
    }

    /// Adds typed records `index..index + count` of builder `builder`,
    /// emitted on `output`, to the emissions: to the run of the last slot
    /// when they follow that run's records on the same output.
    #[inline]
    fn push_typed(&mut self, output: usize, builder: usize, index: usize, added: usize) {
        if added == 0 {
            return;
        }
        self.len += added;
        if let Some(Slot {
            output: last_output,
            punctuation: false,
            what:
                Pending::Typed {
                    builder: last_builder,
                    index: first,
                    count,
                },
        }) = self.emitted.last_mut()
            && *last_output == output
            && *last_builder == builder
            && *first + *count == index
        {
            *count += added;
            return;
        }
        self.emitted.push(Slot {
            output,
            punctuation: false,
            what: Pending::Typed {
                builder,
                index,
                count: added,
            },
        });
    }

    /// The emissions so far, in order, each typed record (or run of them)
    /// pointing into the batch of its type's records (one per type).
    fn resolve(&mut self, into: &mut Vec<Emitted>) {
        into.reserve(self.emitted.len());
        self.len = 0;
        let Some(room) = self.room.as_deref_mut() else {
            for slot in self.emitted.drain(..) {
                if let Pending::Payload(payload) = slot.what {
                    into.push(Emitted {
                        output: slot.output,
                        punctuation: slot.punctuation,
                        records: Carried::One(payload),
                    });
                }
            }
            return;
        };
        room.frozen.clear();
        room.frozen
            .extend(room.builders.iter_mut().map(|b| Frozen::of(b.as_mut())));
        for slot in self.emitted.drain(..) {
            let records = match slot.what {
                Pending::Payload(payload) => Carried::One(payload),
                Pending::Typed {
                    builder,
                    index,
                    count,
                } => {
                    // Every typed slot's builder holds its records.
                    let Some(Some(batch)) = room.frozen.get(builder) else {
                        continue;
                    };
                    match batch.run(index, count) {
                        Some(run) if count > 1 => Carried::Run(run),
                        _ if count == 1 => Carried::One(batch.payload(index)),
                        // Indices past a run's range: one by one.
                        _ => {
                            into.extend((index..index + count).map(|i| Emitted {
                                output: slot.output,
                                punctuation: false,
                                records: Carried::One(batch.payload(i)),
                            }));
                            continue;
                        }
                    }
                }
            };
            into.push(Emitted {
                output: slot.output,
                punctuation: slot.punctuation,
                records,
            });
        }
        room.frozen.clear();
    }

    /// The name of output `index` (see [`Emitted::output`]).
    pub(crate) fn output_name(&self, index: usize) -> &str {
        self.outputs
            .get(index)
            .map_or("", |(name, _)| name.as_str())
    }

    /// The runtime's id of output `index` (see [`Emitted::output`]):
    /// `lookup` finds it by name the first time only, later emissions on
    /// the output reuse what it found (`None` for a name it does not know).
    #[inline]
    pub(crate) fn output_id(
        &mut self,
        index: usize,
        lookup: impl FnOnce(&str) -> Option<usize>,
    ) -> Option<usize> {
        let (name, known) = self.outputs.get_mut(index)?;
        *known.get_or_insert_with(|| lookup(name))
    }

    /// True when something was emitted since the last take.
    #[inline]
    pub(crate) fn has_emitted(&self) -> bool {
        !self.emitted.is_empty()
    }

    /// How many emissions are waiting (records and punctuations; a run
    /// counts its records).
    #[inline]
    pub(crate) fn emitted_len(&self) -> usize {
        self.len
    }

    /// Drops the emissions after the first `len`, returning how many it
    /// dropped: what a handler call that panicked had emitted (the end of
    /// a run, when the call's first records extended an earlier call's).
    pub(crate) fn truncate_emitted(&mut self, len: usize) -> usize {
        let dropped = self.len.saturating_sub(len);
        let mut excess = dropped;
        while excess > 0 {
            let Some(slot) = self.emitted.last_mut() else {
                break;
            };
            match &mut slot.what {
                Pending::Typed { count, .. } if *count > excess => {
                    *count -= excess;
                    excess = 0;
                }
                Pending::Typed { count, .. } => {
                    excess -= *count;
                    self.emitted.pop();
                }
                Pending::Payload(_) => {
                    excess -= 1;
                    self.emitted.pop();
                }
            }
        }
        self.len -= dropped;
        dropped
    }

    /// Takes what was emitted so far, in order, without naming outputs;
    /// hand the emptied vector back with [`Emit::give_back`] to reuse it.
    pub(crate) fn take_emitted(&mut self) -> Vec<Emitted> {
        let mut taken = self
            .room
            .as_deref_mut()
            .map(|room| std::mem::take(&mut room.ready))
            .unwrap_or_default();
        self.resolve(&mut taken);
        taken
    }

    /// Returns a vector taken with [`Emit::take_emitted`], emptied, so its
    /// room serves the next emissions.
    pub(crate) fn give_back(&mut self, mut emitted: Vec<Emitted>) {
        let room = self.room.get_or_insert_default();
        if room.ready.capacity() == 0 {
            emitted.clear();
            room.ready = emitted;
        }
    }

    fn named(&self, e: Emitted) -> impl Iterator<Item = Emission> + '_ {
        let output = self.output_name(e.output);
        let punctuation = e.punctuation;
        e.records.into_payloads().map(move |payload| {
            let output = output.to_string();
            if punctuation {
                Emission::Punctuation {
                    output,
                    partition: payload.into_tuple(),
                }
            } else {
                Emission::Record {
                    output,
                    tuple: payload.into_tuple(),
                }
            }
        })
    }

    /// Takes the emissions of one kind (punctuations or records), in order,
    /// leaving the others.
    fn drain_kind(&mut self, punctuation: bool) -> Vec<(String, Tuple)> {
        let (taken, rest): (Vec<Emitted>, Vec<Emitted>) = self
            .take_emitted()
            .into_iter()
            .partition(|e| e.punctuation == punctuation);
        self.emitted = rest
            .into_iter()
            .flat_map(|e| {
                let (output, punctuation) = (e.output, e.punctuation);
                e.records.into_payloads().map(move |payload| Slot {
                    output,
                    punctuation,
                    what: Pending::Payload(payload),
                })
            })
            .collect();
        self.len = self.emitted.len();
        taken
            .into_iter()
            .flat_map(|e| {
                let output = self.output_name(e.output);
                e.records
                    .into_payloads()
                    .map(move |payload| (output.to_string(), payload.into_tuple()))
            })
            .collect()
    }

    /// Emits `tuple` on the output interface `output`.
    pub fn emit(&mut self, output: &str, tuple: Tuple) {
        self.push(output, false, Pending::Payload(Payload::from(tuple)));
    }

    /// Emits `record` on `output`, typed (its tuple is made only where one
    /// is read: a sink, a dead letter, the wire, a handler that takes
    /// tuples): the body of a typed handle's output method
    /// (`#[component(outputs { .. })]`).
    #[doc(hidden)]
    #[inline]
    pub fn emit_record<R: crate::Record>(&mut self, output: &'static str, record: R) {
        self.emit_records(output, std::iter::once(record));
    }

    /// Emits `records` on `output`, typed, in order ([`Emit::emit_record`]
    /// on each, with one lookup of the output and of the records' type):
    /// the body of a typed handle's `<output>_all` method.
    #[doc(hidden)]
    #[inline]
    pub fn emit_records<R: crate::Record>(
        &mut self,
        output: &'static str,
        records: impl IntoIterator<Item = R>,
    ) {
        let index = self.static_output_index(output);
        if R::DYNAMIC {
            for record in records {
                self.len += 1;
                self.emitted.push(Slot {
                    output: index,
                    punctuation: false,
                    what: Pending::Payload(Payload::from(record.into_tuple())),
                });
            }
        } else {
            let (builder, first, added) = self.build(records);
            self.push_typed(index, builder, first, added);
        }
    }

    /// Takes the records emitted so far, in emission order (the
    /// punctuations stay; see [`Emit::drain_all`] for both in order).
    pub fn drain(&mut self) -> Vec<(String, Tuple)> {
        self.drain_kind(false)
    }

    /// Declares partition `partition` (the seal-key values) of output
    /// `output` complete: this instance emits no more records of it. The
    /// runtime sends the punctuation after the records emitted before it,
    /// numbered by this instance like a record (so it is deduplicated and
    /// replayed like one), to every consumer instance of the output.
    pub fn punctuate(&mut self, output: &str, partition: Tuple) {
        self.push(output, true, Pending::Payload(Payload::from(partition)));
    }

    /// Takes the punctuations declared so far, in declaration order (the
    /// records stay; see [`Emit::drain_all`] for both in order).
    pub fn drain_punctuations(&mut self) -> Vec<(String, Tuple)> {
        self.drain_kind(true)
    }

    /// Records that partition `partition` of input `input` could not be
    /// handed to a typed `#[on_seal(input)]` method (generated code calls
    /// this; the runtime counts and logs what it records).
    pub fn refuse_seal(&mut self, input: &str, partition: &Tuple, error: RecordError) {
        self.room
            .get_or_insert_default()
            .refused_seals
            .push(RefusedSeal {
                input: input.to_string(),
                partition: partition.clone(),
                error,
            });
    }

    /// Takes the seals refused so far (see [`Emit::refuse_seal`]).
    pub fn take_refused_seals(&mut self) -> Vec<RefusedSeal> {
        self.room
            .as_deref_mut()
            .map(|room| std::mem::take(&mut room.refused_seals))
            .unwrap_or_default()
    }

    /// Takes every record and punctuation, in the order they were made.
    pub fn drain_all(&mut self) -> Vec<Emission> {
        let emitted = self.take_emitted();
        emitted.into_iter().flat_map(|e| self.named(e)).collect()
    }
}

/// A tuple the handler could not handle: it arrived on an interface the
/// handler does not have, or (for a typed component) it is not the record
/// type of its input. It gives the tuple back, so that the runtime can
/// dead-letter the record with its payload and the reason (issue 15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownInput {
    /// The input interface the tuple arrived on.
    pub input: String,
    /// The tuple, unhandled.
    pub tuple: Tuple,
    /// Set when the input exists but the tuple is not its record type.
    pub undecodable: Option<RecordError>,
}

impl UnknownInput {
    /// `tuple` arrived on `input`, which the handler does not have.
    pub fn new(input: &str, tuple: Tuple) -> UnknownInput {
        UnknownInput {
            input: input.to_string(),
            tuple,
            undecodable: None,
        }
    }

    /// `tuple` arrived on `input` but is not its record type.
    pub fn undecodable(input: &str, tuple: Tuple, error: RecordError) -> UnknownInput {
        UnknownInput {
            input: input.to_string(),
            tuple,
            undecodable: Some(error),
        }
    }
}

impl fmt::Display for UnknownInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.undecodable {
            None => write!(f, "no handler for input interface `{}`", self.input),
            Some(error) => write!(
                f,
                "the record on input `{}` is not a `{}`: {error}",
                self.input, error.record
            ),
        }
    }
}

impl std::error::Error for UnknownInput {}

/// A run of tuples arriving on one input interface, in order, handed to
/// [`Handler::handle_batch`] in one call: the records of a released
/// partition, or consecutive records of a link. The runtime keeps the
/// tuples (the handler reads each by reference) and each one's outcome:
/// [`Batch::next`] starts a tuple's call, [`Batch::refuse`] gives one back
/// as [`Handler::handle`] would, and a panic is the current tuple's alone
/// (the runtime dead-letters that tuple, discards what its call emitted,
/// and calls `handle_batch` again for the tuples after it).
pub struct Batch<'a> {
    records: Records<'a>,
    /// The next record's index in `records`.
    next: usize,
    /// The index of the first record the current call took (a slice
    /// method's call takes several).
    call: usize,
    /// Emissions `out` held before the current record's call.
    mark: usize,
    out: &'a mut Emit,
    /// Records given back, by index, in order.
    refused: Vec<(usize, UnknownInput)>,
}

/// The records of a [`Batch`]: held one by one, or a run of a typed batch
/// as it arrived (no record taken out of it).
#[derive(Clone, Copy)]
pub(crate) enum Records<'a> {
    /// Records held one by one (released by a wrapper, or deferred).
    Held(&'a [HeldRecord]),
    /// A run as it arrived on a link.
    Run(&'a PayloadRun),
}

impl Records<'_> {
    fn len(&self) -> usize {
        match self {
            Records::Held(held) => held.len(),
            Records::Run(run) => run.len(),
        }
    }
}

/// A record of a [`Batch`] as a typed handler reads it: its own record
/// type, carried typed, or a tuple to decode (a tuple, or a record of
/// another type).
#[doc(hidden)]
pub enum Incoming<'a, R> {
    /// The record itself.
    Typed(&'a R),
    /// Its tuple.
    Tuple(&'a Tuple),
}

impl<'a> Batch<'a> {
    /// A batch of `records` (all of one input), emitting into `out`.
    pub(crate) fn new(records: Records<'a>, out: &'a mut Emit) -> Batch<'a> {
        Batch {
            records,
            next: 0,
            call: 0,
            mark: out.emitted_len(),
            out,
            refused: Vec::new(),
        }
    }

    /// Starts the call of the next record: its index.
    #[inline]
    fn start_one(&mut self) -> Option<usize> {
        if self.next >= self.records.len() {
            return None;
        }
        self.start_call(1);
        Some(self.call)
    }

    /// Starts a call that takes the next `taken` records: what `out`
    /// holds now is the earlier calls'.
    #[inline]
    fn start_call(&mut self, taken: usize) {
        self.call = self.next;
        self.next += taken;
        self.mark = self.out.emitted_len();
    }

    /// The next tuple, with the emitter its call emits into; `None` once
    /// every tuple was taken. Taking a tuple starts its call: what is
    /// emitted until the next call of `next` is its emission.
    #[allow(clippy::should_implement_trait)] // lends the emitter: not an Iterator
    #[inline]
    pub fn next(&mut self) -> Option<(&'a Tuple, &mut Emit)> {
        let i = self.start_one()?;
        let tuple = match self.records {
            Records::Held(held) => held[i].payload.tuple(),
            Records::Run(run) => run.tuple(i),
        };
        Some((tuple, &mut *self.out))
    }

    /// [`Batch::next`], the record as a typed handler taking `R` reads
    /// it: the record itself when it is carried typed (no tuple made), its
    /// tuple otherwise. `last` keeps the records of the typed batch the
    /// previous record was in (the next of the same batch is not looked up
    /// again).
    #[doc(hidden)]
    #[inline]
    pub fn next_typed<R: crate::Record>(
        &mut self,
        last: &mut Option<(usize, &'a [R])>,
    ) -> Option<(Incoming<'a, R>, &mut Emit)> {
        let i = self.start_one()?;
        let incoming = match self.records {
            Records::Held(held) => {
                let payload = &held[i].payload;
                match payload.typed_in::<R>(last) {
                    Some(record) => Incoming::Typed(record),
                    None => Incoming::Tuple(payload.tuple()),
                }
            }
            Records::Run(run) => match run.typed_in::<R>(i, last) {
                Some(record) => Incoming::Typed(record),
                None => Incoming::Tuple(run.tuple(i)),
            },
        };
        Some((incoming, &mut *self.out))
    }

    /// The records from the next one on that are `R`s carried typed one
    /// after the other in one typed batch of a run, borrowed in place,
    /// without taking any: a handler of one record at a time then starts
    /// each one's call with [`Batch::start_typed`], and looks no record
    /// up again. `None` when the next record is not such a record (or the
    /// records are held one by one: [`Batch::next_typed`] takes them).
    #[inline]
    pub(crate) fn typed_stretch<R: crate::Record>(&self) -> Option<&'a [R]> {
        match self.records {
            Records::Run(run) => run.typed_slice::<R>(self.next).filter(|s| !s.is_empty()),
            Records::Held(_) => None,
        }
    }

    /// Takes the emitter out of the batch, to lend it to a typed handle
    /// for a stretch of calls ([`Batch::typed_stretch`]); the batch holds
    /// an empty one until [`Batch::give_emitter_back`].
    #[inline]
    pub(crate) fn lend_emitter(&mut self) -> Emit {
        std::mem::take(self.out)
    }

    /// Puts back the emitter [`Batch::lend_emitter`] lent.
    #[inline]
    pub(crate) fn give_emitter_back(&mut self, emit: Emit) {
        *self.out = emit;
    }

    /// Starts the call of the next record of a stretch
    /// [`Batch::typed_stretch`] gave, while the emitter is lent:
    /// `emitted` is what the lent emitter holds before the call.
    #[inline]
    pub(crate) fn start_typed_lent(&mut self, emitted: usize) {
        self.call = self.next;
        self.next += 1;
        self.mark = emitted;
    }

    /// The next records as one slice of `R`s, with the emitter the call
    /// emits into: the longest stretch of the records not taken yet that
    /// are `R`s carried typed one after the other in one typed batch (so
    /// the slice borrows them in place). `None` once every record was
    /// taken, or when the next one is not such a record (a tuple: take it
    /// with [`Batch::next_typed`]). Taking a slice starts one call for
    /// all its records: if the call panics, every record of the slice is
    /// dead-lettered and what the call emitted is discarded.
    #[doc(hidden)]
    #[inline]
    pub fn next_slice<R: crate::Record>(&mut self) -> Option<(&'a [R], &mut Emit)> {
        let (slice, taken) = match self.records {
            Records::Run(_) => {
                let slice = self.typed_stretch::<R>()?;
                (slice, slice.len())
            }
            Records::Held(held) => {
                let first = held.get(self.next)?;
                let (records, index) = first.payload.typed_batch::<R>()?;
                let (address, _) = first.payload.position()?;
                let mut end = index + 1;
                for h in &held[self.next + 1..] {
                    if h.payload.position() != Some((address, end)) {
                        break;
                    }
                    end += 1;
                }
                (records.get(index..end)?, end - index)
            }
        };
        if taken == 0 {
            return None;
        }
        self.start_call(taken);
        Some((slice, &mut *self.out))
    }

    /// Gives the current tuple back, unhandled (see [`UnknownInput`]): the
    /// runtime dead-letters it with the reason, keeping what its call
    /// emitted, as when [`Handler::handle`] returns the error.
    pub fn refuse(&mut self, unknown: UnknownInput) {
        if let Some(current) = self.next.checked_sub(1) {
            self.refused.push((current, unknown));
        }
    }

    /// Tuples not taken yet.
    pub fn remaining(&self) -> usize {
        self.records.len() - self.next
    }

    /// How many tuples were taken.
    pub(crate) fn taken(&self) -> usize {
        self.next
    }

    /// The records of the current call, by index: the one record it
    /// took, or a slice method's records.
    pub(crate) fn current_call(&self) -> std::ops::Range<usize> {
        self.call..self.next.max(self.call + 1).min(self.records.len())
    }

    /// A call of [`Handler::handle_batch`] starts: what it emits before
    /// taking a tuple is its own (see [`Batch::discard_current`]).
    pub(crate) fn begin(&mut self) {
        self.mark = self.out.emitted_len();
        self.call = self.next;
    }

    /// Takes the next tuple without handing it over: the one a call that
    /// panicked before taking any is charged with.
    pub(crate) fn skip(&mut self) {
        self.next = (self.next + 1).min(self.records.len());
    }

    /// The current tuple's call panicked (or the batch's call, before it
    /// took a tuple): drops what it emitted and returns how many emissions
    /// that was.
    pub(crate) fn discard_current(&mut self) -> usize {
        self.out.truncate_emitted(self.mark)
    }

    /// The tuples given back, by index, in order.
    pub(crate) fn into_refused(self) -> Vec<(usize, UnknownInput)> {
        self.refused
    }
}

/// [`Handler::handle_batch`]'s default: each tuple of `batch` through
/// [`Handler::handle`], in order.
pub(crate) fn handle_each<H: Handler + ?Sized>(
    handler: &mut H,
    input: &str,
    batch: &mut Batch<'_>,
) {
    while let Some((tuple, out)) = batch.next() {
        if let Err(unknown) = handler.handle(input, tuple.clone(), out) {
            batch.refuse(unknown);
        }
    }
}

/// A component's behaviour, called by the runtime (and its coordination
/// wrappers) one input at a time.
pub trait Handler: Send + 'static {
    /// Handles one tuple arriving on input interface `input`; on an input
    /// it does not have, gives the tuple back in [`UnknownInput`].
    fn handle(&mut self, input: &str, tuple: Tuple, out: &mut Emit) -> Result<(), UnknownInput>;

    /// Handles a run of tuples arriving on `input`, in order, exactly as
    /// [`Handler::handle`] on each would (the default does that, with a
    /// clone of each tuple): take each with [`Batch::next`], and give back
    /// one it cannot handle with [`Batch::refuse`]. The runtime calls this
    /// once for many tuples (a released partition, a link's batch), and
    /// contains a panic per batch instead of per tuple; an override (typed
    /// components have one) saves the per-tuple work of a call. It must
    /// take every tuple: what it leaves is handled through
    /// [`Handler::handle`].
    fn handle_batch(&mut self, input: &str, batch: &mut Batch<'_>) {
        handle_each(self, input, batch);
    }

    /// True when the handler of `input` takes slices of records (a typed
    /// method taking `&[R]`): the runtime then gathers records held apart
    /// (a released partition's, records routed by a key that changes along
    /// a run) into one batch before handing them over, so that they come in
    /// one slice.
    #[doc(hidden)]
    fn takes_slices(&self, input: &str) -> bool {
        let _ = input;
        false
    }

    /// The name and field names of the record a typed handler of `input`
    /// takes (`None`, the default, for a handler of tuples or of the
    /// dynamic `Tuple`): what a deployment's routing keys are checked
    /// against before a run.
    #[doc(hidden)]
    fn input_record(&self, input: &str) -> Option<(&'static str, &'static [&'static str])> {
        let _ = input;
        None
    }

    /// Called when partition `partition` (the seal-key values) of input
    /// `input` is sealed. Where the plan puts a seal buffer (or a static
    /// order) on the input, once it released the partition: every producer
    /// sealed it and every tuple of it has been handled. On a read input
    /// waiting in a seal buffer on another key, once every producer sealed
    /// the partition and the reads of it the buffer held were handled. On an
    /// input no wrapper holds but whose streams are sealed (its label is
    /// `Seal`: a confluent path), once every producer sealed the partition
    /// (its tuples were handled as they came). On an input whose streams
    /// carry seals the analysis does not know of (its label is not `Seal`),
    /// or with coordination turned off, once per producer's seal as it
    /// arrives.
    fn on_seal(&mut self, input: &str, partition: &Tuple, out: &mut Emit) {
        let _ = (input, partition, out);
    }

    /// The handler's state, encoded, for a checkpoint; `None` (the default)
    /// when the component keeps no checkpoint, and a restarted instance of
    /// it reads its inputs from the start of the run instead. Wrap a handler
    /// in [`Checkpointed`](crate::checkpointed::Checkpointed) to opt in.
    fn checkpoint(&self) -> Option<Result<Vec<u8>, StateError>> {
        None
    }

    /// Replaces the handler's state by one [`Handler::checkpoint`] saved;
    /// on an error the state is left as it was.
    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        let _ = state;
        Err(StateError::NotCheckpointed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Record, RecordError};

    #[derive(Debug, PartialEq)]
    struct N(i64);
    impl Record for N {
        const NAME: &'static str = "N";
        const FIELDS: &'static [&'static str] = &["n"];
        fn to_tuple(&self) -> Tuple {
            Tuple::new().with("n", self.0)
        }
        fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
            tuple.int("n").map(N).ok_or(RecordError {
                record: "N",
                field: "n",
                missing: true,
            })
        }
    }

    #[test]
    fn typed_records_one_after_the_other_on_one_output_become_one_run() {
        let mut out = Emit::new();
        for n in 0..3 {
            out.emit_record("a", N(n));
        }
        out.emit_record("b", N(10));
        out.emit_record("a", N(3));
        out.emit_record("a", N(4));
        // The second call's records extend the run; it panicked after two.
        let mark = out.emitted_len();
        out.emit_record("a", N(5));
        out.emit_record("a", N(6));
        assert_eq!(out.emitted_len(), mark + 2);
        assert_eq!(out.truncate_emitted(mark), 2);
        out.punctuate("a", Tuple::new().with("n", 4));
        assert_eq!(out.emitted_len(), 7);
        let taken = out.take_emitted();
        assert_eq!(out.emitted_len(), 0);
        let shape: Vec<(usize, bool, Vec<i64>)> = taken
            .iter()
            .map(|e| {
                let run = matches!(e.records, Carried::Run(_));
                let values = e
                    .records
                    .clone()
                    .into_payloads()
                    .map(|p| p.tuple().int("n").unwrap_or(-1))
                    .collect();
                (e.output, run, values)
            })
            .collect();
        assert_eq!(
            shape,
            [
                (0, true, vec![0, 1, 2]),
                (1, false, vec![10]),
                (0, true, vec![3, 4]),
                (0, false, vec![4]),
            ]
        );
        out.give_back(taken);
    }

    #[test]
    fn records_and_punctuations_keep_one_order_and_each_drain_leaves_the_other() {
        let mut out = Emit::new();
        let batch = Tuple::new().with("batch", 1);
        out.emit("sums", batch.clone().with("sum", 3));
        out.punctuate("sums", batch.clone());
        out.emit("sums", batch.clone().with("sum", 4));
        let mut copy = Emit::new();
        copy.outputs = out.outputs.clone();
        copy.emitted = out.emitted.clone();
        assert_eq!(
            out.drain_all(),
            vec![
                Emission::Record {
                    output: "sums".into(),
                    tuple: batch.clone().with("sum", 3)
                },
                Emission::Punctuation {
                    output: "sums".into(),
                    partition: batch.clone()
                },
                Emission::Record {
                    output: "sums".into(),
                    tuple: batch.clone().with("sum", 4)
                },
            ]
        );
        assert_eq!(copy.drain().len(), 2);
        assert_eq!(copy.drain_punctuations(), vec![("sums".to_string(), batch)]);
        assert!(copy.drain_all().is_empty());
    }

    #[test]
    fn typed_records_become_one_batch_per_type_and_keep_their_order_with_punctuations() {
        let mut out = Emit::new();
        out.emit_record("a", N(1));
        out.punctuate("a", Tuple::new().with("n", 1));
        out.emit("b", Tuple::new().with("t", 0));
        out.emit_record("a", N(2));
        // A record whose call panicked is dropped from the emissions.
        out.emit_record("a", N(99));
        assert_eq!(out.truncate_emitted(4), 1);
        let taken = out.take_emitted();
        let one = |e: &Emitted| match &e.records {
            Carried::One(payload) => payload.clone(),
            Carried::Run(_) => panic!("one record expected"),
        };
        let kinds: Vec<(bool, bool)> = taken
            .iter()
            .map(|e| (e.punctuation, one(e).is_typed()))
            .collect();
        assert_eq!(
            kinds,
            [(false, true), (true, false), (false, false), (false, true)]
        );
        assert_eq!(one(&taken[0]).typed_ref::<N>(), Some(&N(1)));
        assert_eq!(one(&taken[3]).typed_ref::<N>(), Some(&N(2)));
        assert_eq!(one(&taken[3]).tuple(), &N(2).to_tuple());
        out.give_back(taken);
        // The next records go to a new batch: the first is record 0.
        out.emit_record("a", N(3));
        assert_eq!(out.drain(), vec![("a".to_string(), N(3).to_tuple())]);
    }

    #[test]
    fn an_output_is_looked_up_once_and_each_name_keeps_its_own_id() {
        let mut out = Emit::new();
        out.emit("b", Tuple::new());
        out.emit("a", Tuple::new());
        out.emit("zz", Tuple::new());
        let names = ["a", "b"];
        let mut lookups = Vec::new();
        let mut lookup = |index: usize, out: &mut Emit| {
            out.output_id(index, |name| {
                lookups.push(name.to_string());
                names.iter().position(|n| *n == name)
            })
        };
        let ids: Vec<_> = (0..3).map(|i| lookup(i, &mut out)).collect();
        assert_eq!(ids, [Some(1), Some(0), None]);
        let again: Vec<_> = (0..3).map(|i| lookup(i, &mut out)).collect();
        assert_eq!(again, ids);
        assert_eq!(lookups, ["b", "a", "zz"], "each name looked up once");
    }
}
