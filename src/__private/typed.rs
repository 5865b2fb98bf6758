//! What the code generated for typed dataflows names (issue 11): field ids,
//! the compile-time field checks (const evaluation, so a wrong field name
//! fails `cargo check` with a message built here), the type-level lookups of
//! a record's field types and of a component's interface record types.
//! Not public API.

use super::at::At;
use crate::record::{Field, Key, Record, RecordError};
use crate::tuple::{Tuple, Value};

/// The type of field `ID` of a record (implemented by the derive; `ID` is
/// the name's FNV-1a hash, computed by the macros). Looked up directly only
/// for a field whose existence another check reports by name (a seal
/// argument on a field the component punctuates): this message then
/// accompanies that one.
#[diagnostic::on_unimplemented(
    message = "record `{Self}` has no field of this name",
    label = "not a field of `{Self}`",
    note = "the error naming the field, at the output's `punctuates: [..]`, lists the fields of `{Self}`: name one of them, or add the field to `{Self}`"
)]
pub trait FieldOf<const ID: u64> {
    /// The field's type.
    type Type;
}

/// A typed component (`#[component(outputs { .. })]` on its impl block, one
/// impl per component): its [`Parts`] (the record types of its interfaces,
/// its output handle, its compile-time checks and its typed seal methods,
/// as one tuple type) and the methods the runtime calls. Its struct must be
/// a `#[component]` ([`Annotated`](crate::Annotated)), which the impl
/// reports when it is not, and `Send + 'static`, as every
/// [`Handler`](crate::Handler) (reported at the impl too, not where the
/// component is first used as a handler).
pub trait Typed: crate::Annotated + Send + 'static {
    /// `(Inputs, Outputs, Out, Checks, Seals)`, read through [`Parts`]:
    /// one associated type, not five (each associated item is some queries
    /// that every incremental session marks green again).
    type Parts: Parts<Self>;
    /// The component's methods by input: with this constant, the
    /// component is a [`Handler`](crate::Handler) (one generic impl for
    /// every typed component, not one generated impl each).
    const DISPATCH: Dispatch<Self>;
}

/// What [`Typed::Parts`] holds, implemented by the tuple
/// `(Inputs, Outputs, Out, Checks, Seals)` only.
pub trait Parts<C: ?Sized> {
    /// The record types of the input interfaces, in the order of their
    /// handlers, as nested pairs (`(A, (B, ()))`, read with [`At`]).
    type Inputs: HandlerList<C>;
    /// The record types of the output interfaces, in declaration order,
    /// as nested pairs.
    type Outputs;
    /// The typed output handle, `<Name>Out`.
    type Out;
    /// The typed `#[on_seal(input)]` methods, as nested pairs of [`Seal`]s
    /// (`()` when there are none). Bound by [`SealList`] where they are
    /// called, not here: a seal method's type names the handle, `Out<C>`,
    /// which is read through this trait.
    type Seals;
}

/// The fourth element, the compile-time checks of the component's gates
/// and typed seal arguments, is a tuple of [`KeyField`]s and [`SealArg`]s,
/// types whose well-formedness is the check (`()` when there are none):
/// checked with the impl, they need no constant of their own to evaluate,
/// and nothing reads them.
impl<C: ?Sized, I: HandlerList<C>, O, H, K, S> Parts<C> for (I, O, H, K, S) {
    type Inputs = I;
    type Outputs = O;
    type Out = H;
    type Seals = S;
}

/// The record types of the inputs of typed component `C` ([`Parts::Inputs`]).
pub type Inputs<C> = <<C as Typed>::Parts as Parts<C>>::Inputs;

/// The output handle of typed component `C` ([`Parts::Out`]).
pub type Out<C> = <<C as Typed>::Parts as Parts<C>>::Out;

/// The typed seal methods of component `C` ([`Parts::Seals`]).
pub type Seals<C> = <<C as Typed>::Parts as Parts<C>>::Seals;

/// What a typed component's [`Handler`](crate::Handler) dispatches on,
/// generated as one constant per component ([`Typed::DISPATCH`]).
pub struct Dispatch<C: Typed + ?Sized> {
    /// The names of the inputs, in the order of [`Parts::Inputs`].
    pub inputs: &'static [&'static str],
    /// The handler method of each input, in the same order.
    pub handlers: HandlerFns<C>,
    /// The typed seal methods.
    pub seals: Seals<C>,
    /// Wraps the runtime's emitter in the output handle (the handle's
    /// constructor).
    pub wrap: fn(crate::Emit) -> Out<C>,
    /// Gives the emitter back.
    pub unwrap: fn(Out<C>) -> crate::Emit,
    /// The emitter inside the handle, read (what it holds so far).
    pub view: fn(&Out<C>) -> &crate::Emit,
}

/// The handler methods of component `C`, one per record type of
/// [`Inputs<C>`]: `(fn(&mut C, A, &mut Out<C>), (fn(&mut C, B, &mut Out<C>), ()))`.
pub type HandlerFns<C> = <Inputs<C> as HandlerList<C>>::Fns;

/// A list of input record types (`(A, (B, ()))`) whose handler methods
/// component `C` has ([`HandlerFns`]).
pub trait HandlerList<C: ?Sized> {
    /// The methods' types, as nested pairs of fn pointers.
    type Fns;
    /// Calls method `index` of `fns` on `tuple`, decoded as its record
    /// ([`call_typed`]).
    ///
    /// # Errors
    /// When `tuple` is not that record, or there is no method `index`.
    fn call(
        fns: &Self::Fns,
        index: usize,
        component: &mut C,
        input: &str,
        tuple: Tuple,
        out: &mut crate::Emit,
    ) -> Result<(), crate::UnknownInput>;
    /// Calls method `index` of `fns` on each tuple of `batch`, decoded
    /// as its record ([`call_typed_batch`]); with no method `index`, gives
    /// every tuple back.
    fn call_batch(
        fns: &Self::Fns,
        index: usize,
        component: &mut C,
        input: &str,
        batch: &mut crate::Batch<'_>,
    );
    /// The name of record type `index` (`None` past the last).
    fn record_name(index: usize) -> Option<&'static str>;
    /// The field names of record type `index` (`None` past the last, and
    /// for the dynamic `Tuple`, whose fields are known at run time only).
    fn record_fields(index: usize) -> Option<&'static [&'static str]>;
    /// True when method `index` takes a slice of records.
    fn takes_slices(fns: &Self::Fns, index: usize) -> bool;
}

/// The index of typed component `C`'s input `input` among its handlers'
/// (`None` when `C` has no typed handler for it).
fn input_index<C: Typed>(input: &str) -> Option<usize> {
    C::DISPATCH.inputs.iter().position(|name| *name == input)
}

/// The name of the record that typed component `C`'s input `input` takes
/// (`""` when `C` has no typed handler for it).
fn input_record<C: Typed>(input: &str) -> &'static str {
    input_index::<C>(input)
        .and_then(Inputs::<C>::record_name)
        .unwrap_or("")
}

impl<C: ?Sized> HandlerList<C> for () {
    type Fns = ();
    fn call(
        (): &(),
        _: usize,
        _: &mut C,
        input: &str,
        tuple: Tuple,
        _: &mut crate::Emit,
    ) -> Result<(), crate::UnknownInput> {
        Err(crate::UnknownInput::new(input, tuple))
    }
    fn call_batch(_: &(), _: usize, _: &mut C, input: &str, batch: &mut crate::Batch<'_>) {
        while let Some((tuple, _)) = batch.next() {
            batch.refuse(crate::UnknownInput::new(input, tuple.clone()));
        }
    }
    fn record_name(_: usize) -> Option<&'static str> {
        None
    }
    fn record_fields(_: usize) -> Option<&'static [&'static str]> {
        None
    }
    fn takes_slices((): &(), _: usize) -> bool {
        false
    }
}

/// A typed handler method of component `C` taking records `R`: one record
/// by value per call, or a slice of records (`&[R]`) per call.
pub enum Method<C: Typed + ?Sized, R> {
    /// `fn(&mut C, R, &mut Out<C>)`.
    Each(fn(&mut C, R, &mut Out<C>)),
    /// `fn(&mut C, &[R], &mut Out<C>)`.
    Slice(fn(&mut C, &[R], &mut Out<C>)),
}

impl<C: Typed, R: Record, Rest: HandlerList<C>> HandlerList<C> for (R, Rest) {
    type Fns = (Method<C, R>, Rest::Fns);
    fn call(
        fns: &Self::Fns,
        index: usize,
        component: &mut C,
        input: &str,
        tuple: Tuple,
        out: &mut crate::Emit,
    ) -> Result<(), crate::UnknownInput> {
        match (index, &fns.0) {
            (0, Method::Each(method)) => call_typed(component, *method, input, tuple, out),
            (0, Method::Slice(method)) => call_typed(
                component,
                |component: &mut C, record: R, out: &mut Out<C>| {
                    method(component, core::slice::from_ref(&record), out)
                },
                input,
                tuple,
                out,
            ),
            _ => Rest::call(&fns.1, index - 1, component, input, tuple, out),
        }
    }
    fn call_batch(
        fns: &Self::Fns,
        index: usize,
        component: &mut C,
        input: &str,
        batch: &mut crate::Batch<'_>,
    ) {
        match (index, &fns.0) {
            (0, Method::Each(method)) => call_typed_batch(component, *method, input, batch),
            (0, Method::Slice(method)) => call_typed_slices(component, *method, input, batch),
            _ => Rest::call_batch(&fns.1, index - 1, component, input, batch),
        }
    }
    fn record_name(index: usize) -> Option<&'static str> {
        match index {
            0 => Some(R::NAME),
            _ => Rest::record_name(index - 1),
        }
    }
    fn record_fields(index: usize) -> Option<&'static [&'static str]> {
        match index {
            0 => (!R::DYNAMIC).then_some(R::FIELDS),
            _ => Rest::record_fields(index - 1),
        }
    }
    fn takes_slices(fns: &Self::Fns, index: usize) -> bool {
        match (index, &fns.0) {
            (0, method) => matches!(method, Method::Slice(_)),
            _ => Rest::takes_slices(&fns.1, index - 1),
        }
    }
}

/// A typed `#[on_seal(input)]` method of `C` whose key arguments have the
/// types `K` (a tuple), its handle being `H` (`Out<C>`, written out: the
/// list of seal types is part of `Typed::Parts`, through which `Out<C>` is
/// read): `(input, keys, method)`, the input whose released
/// partitions it receives (its record's name, for a refused seal's error,
/// is read from [`Parts::Inputs`]), the key fields, one per argument, in
/// order, and the method. A tuple, not a struct: the compiler reads a tuple
/// expression for less than a struct literal, at every incremental check.
pub type Seal<C, H, K> = (
    &'static str,
    &'static [&'static str],
    <K as SealKeys>::Method<C, H>,
);

/// The type of a typed seal method of `C`, `fn(&mut C, A, .., &mut Out<C>)`
/// ([`SealKeys::Method`]): its key argument types, read back from it.
pub trait SealFn<C: Typed>: Copy + SealMethod<C, Self::Keys> {
    /// The key arguments' types, as a tuple.
    type Keys: SealKeys;
}

/// The typed seal methods of component `C`, as nested pairs of [`Seal`]s.
pub trait SealList<C: ?Sized> {
    /// Calls the seal method of `input`, if there is one ([`seal_typed`]).
    fn seal(&self, component: &mut C, input: &str, partition: &Tuple, out: &mut crate::Emit);
}

impl<C: ?Sized> SealList<C> for () {
    fn seal(&self, _: &mut C, _: &str, _: &Tuple, _: &mut crate::Emit) {}
}

impl<C: Typed, M: SealFn<C>, Rest: SealList<C>> SealList<C>
    for ((&'static str, &'static [&'static str], M), Rest)
{
    fn seal(&self, component: &mut C, input: &str, partition: &Tuple, out: &mut crate::Emit) {
        let (seal_input, keys, method) = self.0;
        if seal_input == input {
            seal_typed::<C, M::Keys, M>(
                component,
                method,
                input_record::<C>(input),
                keys,
                input,
                partition,
                out,
            );
        } else {
            self.1.seal(component, input, partition, out);
        }
    }
}

/// Every typed component is a [`Handler`](crate::Handler): each input
/// calls its method with the tuple decoded as the input's record, each
/// released partition of an input with a typed `#[on_seal(input)]` method
/// calls that method with the partition's key fields.
impl<C: Typed> crate::Handler for C
where
    Seals<C>: SealList<C>,
{
    fn handle(
        &mut self,
        input: &str,
        tuple: Tuple,
        out: &mut crate::Emit,
    ) -> Result<(), crate::UnknownInput> {
        match input_index::<C>(input) {
            Some(index) => Inputs::<C>::call(&C::DISPATCH.handlers, index, self, input, tuple, out),
            None => Err(crate::UnknownInput::new(input, tuple)),
        }
    }

    fn handle_batch(&mut self, input: &str, batch: &mut crate::Batch<'_>) {
        match input_index::<C>(input) {
            Some(index) => {
                Inputs::<C>::call_batch(&C::DISPATCH.handlers, index, self, input, batch)
            }
            None => <() as HandlerList<C>>::call_batch(&(), 0, self, input, batch),
        }
    }

    fn on_seal(&mut self, input: &str, partition: &Tuple, out: &mut crate::Emit) {
        C::DISPATCH.seals.seal(self, input, partition, out);
    }

    fn input_record(&self, input: &str) -> Option<(&'static str, &'static [&'static str])> {
        let index = input_index::<C>(input)?;
        Some((
            Inputs::<C>::record_name(index)?,
            Inputs::<C>::record_fields(index)?,
        ))
    }

    fn takes_slices(&self, input: &str) -> bool {
        input_index::<C>(input)
            .is_some_and(|index| Inputs::<C>::takes_slices(&C::DISPATCH.handlers, index))
    }
}

/// Whether a record has a field (a const generic argument): selects, in
/// [`Pick`], the field's type or [`Absent`], so that a missing field is
/// reported once (by [`check_field`]) rather than again by a trait lookup.
pub struct Exists<const B: bool>;

/// The type of field `ID` of `R` when it exists, [`Absent`] otherwise.
pub trait Pick<R, const ID: u64> {
    /// The field's type, or [`Absent`].
    type Type;
}

impl<R, const ID: u64> Pick<R, ID> for Exists<false> {
    type Type = Absent;
}

impl<R: FieldOf<ID>, const ID: u64> Pick<R, ID> for Exists<true> {
    type Type = <R as FieldOf<ID>>::Type;
}

/// The type of field `ID` of `R` when it exists, `D` otherwise (a typed
/// `#[on_seal]` argument's own type, so that a missing field is reported
/// once, by [`check_field`], not again as a type mismatch).
pub trait PickOr<R, const ID: u64, D> {
    /// The field's type, or `D`.
    type Type;
}

impl<R, const ID: u64, D> PickOr<R, ID, D> for Exists<false> {
    type Type = D;
}

impl<R: FieldOf<ID>, const ID: u64, D> PickOr<R, ID, D> for Exists<true> {
    type Type = <R as FieldOf<ID>>::Type;
}

/// The type of field `ID` of `R` when `HAS` (it exists: [`has`]),
/// [`Absent`] otherwise: one short path in the generated checks.
pub type FieldType<R, const ID: u64, const HAS: bool> = <Exists<HAS> as Pick<R, ID>>::Type;

/// The type of field `ID` of `R`, which exists (checked elsewhere: see
/// [`FieldOf`]).
pub type FieldTy<R, const ID: u64> = <R as FieldOf<ID>>::Type;

/// The type of field `ID` of `R` when `HAS`, `D` otherwise (see [`PickOr`]).
pub type FieldTypeOr<R, const ID: u64, const HAS: bool, D> =
    <Exists<HAS> as PickOr<R, ID, D>>::Type;

/// The record type of the `I`-th input interface of component `C`.
pub type InRecord<C, const I: usize> = <Inputs<C> as At<I>>::Type;

/// The record type of the `I`-th output interface of component `C`.
pub type OutRecord<C, const I: usize> = <<<C as Typed>::Parts as Parts<C>>::Outputs as At<I>>::Type;

/// True when record `R` declares field `name` (false for the dynamic
/// `Tuple`, whose fields have no static type).
pub const fn has<R: Record>(name: &str) -> bool {
    has_field(R::FIELDS, name)
}

/// True when `R` has field `field`; otherwise, unless `R` is dynamic, fails
/// compilation with [`check_field`]'s message naming `what` (the existence
/// flag of a typed punctuation key's type: its check needs no item of its
/// own).
pub const fn has_checked<R: Record>(field: &str, what: &str) -> bool {
    check_field::<R>(field, what);
    has::<R>(field)
}

/// The value of a punctuation key (generated `punctuate_<output>` with
/// several keys): its bound reports, at the key's name, a field whose type
/// cannot be a key.
pub fn key_value<K: Key>(key: &K) -> crate::tuple::Value {
    key.to_value()
}

/// Declares the partition `name = key` of output `output` complete: the
/// body of a generated `punctuate_<output>` with one key, one call (fewer
/// expressions for the compiler to type-check and to cache than building the
/// partition in place). Its bound reports, at the key's name, a field
/// whose type cannot be a key.
pub fn punctuate<K: Key>(out: &mut crate::Emit, output: &str, name: &str, key: &K) {
    out.punctuate(output, Tuple::new().with(name, key.to_value()));
}

/// Declares the partition with the key values `keys` of output `output`
/// complete (a generated `punctuate_<output>` with several keys, each read
/// through [`key_value`]).
pub fn punctuate_keys<const N: usize>(
    out: &mut crate::Emit,
    output: &str,
    keys: [(&str, Value); N],
) {
    let mut partition = Tuple::new();
    for (name, value) in keys {
        partition.set(name, value);
    }
    out.punctuate(output, partition);
}

/// Implemented by `T` for itself only: [`SealArg`]'s bound.
#[diagnostic::on_unimplemented(
    message = "a typed `#[on_seal]` argument has type `{Self}`, but the record's field it names has type `{T}`",
    label = "the field's type is `{T}`",
    note = "declare the argument with the field's type, `{T}`"
)]
pub trait SameType<T> {}

impl<T> SameType<T> for T {}

/// A record type with fields known at compile time: every
/// `#[derive(blazes::Record)]` struct (not the dynamic `Tuple`).
pub trait StaticRecord: Record {}

/// A stream's record types fit: the record its consumer takes (`Self`) is
/// the record its producer emits (`Out`), unless one of them is the dynamic
/// `Tuple` (fields known only at run time). A trait of the records
/// themselves, so that a stream's check is one call with no constant to
/// evaluate.
#[diagnostic::on_unimplemented(
    message = "this stream carries `{Out}`, but its consumer's input takes `{Self}`",
    label = "the producer's output emits `{Out}`; the consumer's input takes `{Self}`",
    note = "connect an output of record type `{Self}` to this input, or make the producer emit `{Self}` (or the consumer take `{Out}`)"
)]
pub trait Takes<Out> {}

impl<T: Record> Takes<T> for T {}

#[diagnostic::do_not_recommend]
impl<T: StaticRecord> Takes<T> for Tuple {}

#[diagnostic::do_not_recommend]
impl<T: StaticRecord> Takes<Tuple> for T {}

/// Well-formed only when a stream's consumer takes the record type its
/// producer emits ([`Takes`]): a dataflow's stream check, a type in its
/// checks (no constant to evaluate).
pub struct StreamRecord<Out, In: Takes<Out>>(core::marker::PhantomData<(Out, In)>);

/// A field id as a type: an element of the key lists of [`SealedStream`]
/// (`(KeyId<A>, (KeyId<B>, ()))`).
pub struct KeyId<const ID: u64>;

/// Implemented by a record type whose fields `Ids` (nested pairs of
/// [`KeyId`]s) all exist and can be keys.
pub trait KeyFields<Ids> {}

impl<R> KeyFields<()> for R {}

impl<R: FieldOf<ID>, const ID: u64, Rest> KeyFields<(KeyId<ID>, Rest)> for R
where
    <R as FieldOf<ID>>::Type: Key,
    R: KeyFields<Rest>,
{
}

/// A sealed stream's record types fit, and its seal key `Keys` (nested
/// pairs of [`KeyId`]s) is a key of the consumer's record (`Self`): the
/// check of a stream sealed on exactly the key its producer punctuates.
/// When both ends carry the same record, the producer's `punctuate_<output>`
/// method has already checked that record's key fields (that they exist and
/// are keys), so the check is the record types' alone; a dynamic `Tuple`
/// consumer needs nothing; a dynamic `Tuple` producer into a typed input
/// needs each key field in the input's record.
#[diagnostic::on_unimplemented(
    message = "this sealed stream carries `{Out}`, but its consumer's input takes `{Self}`",
    label = "the producer's output emits `{Out}`; the consumer's input takes `{Self}`",
    note = "connect an output of record type `{Self}` to this input, or make the producer emit `{Self}` (or the consumer take `{Out}`); a dynamic `Tuple` output sealed into a typed input needs each seal key to be a field of `{Self}` of a type that can be a key"
)]
pub trait TakesSealed<Out, Keys> {}

impl<T: StaticRecord, Keys> TakesSealed<T, Keys> for T {}

#[diagnostic::do_not_recommend]
impl<T: StaticRecord, Keys> TakesSealed<T, Keys> for Tuple {}

#[diagnostic::do_not_recommend]
impl<Keys> TakesSealed<Tuple, Keys> for Tuple {}

#[diagnostic::do_not_recommend]
impl<T: StaticRecord + KeyFields<Keys>, Keys> TakesSealed<Tuple, Keys> for T {}

/// Well-formed only when a sealed stream's consumer takes the record type
/// its producer emits and its seal key `Keys` is a key of that record
/// ([`TakesSealed`]): one check in place of a [`StreamRecord`] and a
/// [`KeyField`] per key, for a stream sealed on its producer's punctuation
/// key.
pub struct SealedStream<Out, In: TakesSealed<Out, Keys>, Keys>(
    core::marker::PhantomData<(Out, In, Keys)>,
);

/// Well-formed only when field `ID` of `R` can be a key: a gate, seal,
/// `seq` or route key check, a type in the checks of a component or a
/// dataflow. `HAS` is [`has_checked`], which fails the build with
/// [`check_field`]'s message when the field does not exist (then the
/// field's type is [`Absent`], so that it is reported once).
pub struct KeyField<R, const ID: u64, const HAS: bool>(core::marker::PhantomData<R>)
where
    Exists<HAS>: Pick<R, ID>,
    FieldType<R, ID, HAS>: Key;

/// Well-formed only when a typed `#[on_seal]` argument's type `A` is the
/// type `F` of the field it names ([`SameType`]): a type in a component's
/// checks. `F` is written with [`FieldTypeOr`] over [`has_checked`], so
/// that a missing field fails the build with [`check_field`]'s message
/// (and is not reported again as a type mismatch).
pub struct SealArg<A: SameType<F>, F>(core::marker::PhantomData<(A, F)>);

/// Stands for the type of a field that does not exist (already reported).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Absent;

impl Field for Absent {
    fn to_value(&self) -> crate::tuple::Value {
        crate::tuple::Value::Int(0)
    }
    fn from_value(_: &crate::tuple::Value) -> Option<Self> {
        Some(Absent)
    }
}

#[diagnostic::do_not_recommend]
impl Key for Absent {}

/// Well-formed only when `C` is a `#[component]` struct (else the build
/// fails with [`Annotated`](crate::Annotated)'s message): a type among the
/// checks of a dataflow naming its components by path.
pub struct IsComponent<C: crate::Annotated>(core::marker::PhantomData<C>);

/// Fails to compile (with [`Key`]'s message) unless `K` can be a key.
pub const fn assert_key<K: Key>() {}

/// True when `fields` holds `name`.
pub const fn has_field(fields: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < fields.len() {
        if eq(fields[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

const fn eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A message built at compile time, in a fixed buffer.
pub struct Message {
    buf: [u8; 1536],
    len: usize,
}

impl Message {
    /// An empty message.
    pub const fn new() -> Message {
        Message {
            buf: [0; 1536],
            len: 0,
        }
    }

    /// Appends `text` (cut at the buffer's end).
    pub const fn push(mut self, text: &str) -> Message {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < self.buf.len() {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        self
    }

    /// Appends `` `a`, `b`, `c` ``.
    pub const fn push_list(mut self, items: &[&str]) -> Message {
        let mut i = 0;
        while i < items.len() {
            if i > 0 {
                self = self.push(", ");
            }
            self = self.push("`").push(items[i]).push("`");
            i += 1;
        }
        self
    }

    /// Fails compilation with the message.
    pub const fn fail(&self) -> ! {
        let (text, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(text) {
            Ok(text) => panic!("{}", text),
            Err(_) => panic!("blazes: a field name is not a field of its record"),
        }
    }
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

/// Fails compilation, with a message listing the record's fields, unless
/// `field` is a field of `R` (or `R` is dynamic). `what` says which
/// annotation names it (`the gate of path `events -> sessions``).
pub const fn check_field<R: Record>(field: &str, what: &str) {
    if R::DYNAMIC || has_field(R::FIELDS, field) {
        return;
    }
    Message::new()
        .push("blazes: `")
        .push(field)
        .push("` is not a field of record `")
        .push(R::NAME)
        .push("`, named in ")
        .push(what)
        .push(". The fields of `")
        .push(R::NAME)
        .push("` are: ")
        .push_list(R::FIELDS)
        .push(". Name one of them, or add a field `")
        .push(field)
        .push("` to `")
        .push(R::NAME)
        .push("`")
        .fail()
}

/// Fails compilation unless `field` is a field of at least one of the
/// records of a dataflow (an FD relates fields of its records).
pub const fn check_fd_field(records: &[(&str, &[&str], bool)], field: &str, fd: &str) {
    let mut i = 0;
    while i < records.len() {
        if records[i].2 || has_field(records[i].1, field) {
            return;
        }
        i += 1;
    }
    let mut message = Message::new()
        .push("blazes: `")
        .push(field)
        .push("` in the functional dependency `")
        .push(fd)
        .push("` is a field of no record of this dataflow. Its records: ");
    let mut i = 0;
    while i < records.len() {
        if listed_before(records, i) {
            i += 1;
            continue;
        }
        if i > 0 {
            message = message.push("; ");
        }
        message = message
            .push("`")
            .push(records[i].0)
            .push("` (")
            .push_list(records[i].1)
            .push(")");
        i += 1;
    }
    message
        .push(". Name one of their fields, or remove the dependency")
        .fail()
}

/// True when `field` is a field of `R` (or `R` is dynamic).
pub const fn field_ok<R: Record>(field: &str) -> bool {
    R::DYNAMIC || has_field(R::FIELDS, field)
}

/// True when `field` is a field of one of `records` (or one is dynamic).
pub const fn fd_field_ok(records: &[(&str, &[&str], bool)], field: &str) -> bool {
    let mut i = 0;
    while i < records.len() {
        if records[i].2 || has_field(records[i].1, field) {
            return true;
        }
        i += 1;
    }
    false
}

/// Fails compilation with `message` (an unresolved anomaly the analysis
/// found) when `fields_ok`: when a gate, seal, `seq` or FD names an unknown
/// field, that is reported instead, since the analysis then read a typo.
pub const fn violation(fields_ok: bool, message: &str) {
    if fields_ok {
        panic!("{}", message)
    }
}

/// True when a record named like `records[i]` comes before it.
const fn listed_before(records: &[(&str, &[&str], bool)], i: usize) -> bool {
    let mut j = 0;
    while j < i {
        if eq(records[j].0, records[i].0) {
            return true;
        }
        j += 1;
    }
    false
}

/// Decodes `tuple` as the record `R` of `input` and calls the typed handler
/// `method` with a typed handle over `out` (the typed components' `Handler::handle`,
/// through [`HandlerList`]).
///
/// # Errors
/// When `tuple` is not a `R`: the record is refused, naming the input.
pub fn call_typed<C: Typed, R: Record>(
    component: &mut C,
    method: impl FnOnce(&mut C, R, &mut Out<C>),
    input: &str,
    tuple: Tuple,
    out: &mut crate::Emit,
) -> Result<(), crate::UnknownInput> {
    let record = match R::from_tuple(&tuple) {
        Ok(record) => record,
        Err(error) => return Err(crate::UnknownInput::undecodable(input, tuple, error)),
    };
    let mut typed = (C::DISPATCH.wrap)(core::mem::take(out));
    method(component, record, &mut typed);
    let emptied = core::mem::replace(out, (C::DISPATCH.unwrap)(typed));
    // What `take` left behind is a new `Emit`, without an allocation:
    // forgetting it leaks nothing and skips its drop, once per record.
    core::mem::forget(emptied);
    Ok(())
}

/// [`call_typed`] on each tuple of `batch`, read by reference: the input
/// looked up once for the whole batch, and no tuple cloned (one that is
/// not an `R` is given back with a clone).
pub fn call_typed_batch<C: Typed, R: Record>(
    component: &mut C,
    method: fn(&mut C, R, &mut Out<C>),
    input: &str,
    batch: &mut crate::Batch<'_>,
) {
    let mut last = None;
    loop {
        // A stretch of typed `R`s in one batch: each record's call started
        // in turn, none looked up again, the emitter lent to the typed
        // handle once for the whole stretch.
        if let Some(stretch) = batch.typed_stretch::<R>() {
            let mut lent = LentToStretch::<C>::new(batch);
            for record in stretch {
                let (typed, batch) = lent.start_one();
                match copied(record) {
                    Ok(record) => method(component, record, typed),
                    Err((tuple, error)) => {
                        batch.refuse(crate::UnknownInput::undecodable(input, tuple, error));
                    }
                }
            }
            continue;
        }
        let Some((incoming, out)) = batch.next_typed::<R>(&mut last) else {
            break;
        };
        // A typed record of its own type is copied (the runtime keeps its
        // own, to dead-letter it if the call panics); a tuple is decoded.
        let decoded = match incoming {
            crate::handler::Incoming::Typed(record) => copied(record),
            crate::handler::Incoming::Tuple(tuple) => {
                R::from_tuple(tuple).map_err(|error| (tuple.clone(), error))
            }
        };
        match decoded {
            Ok(record) => call_lent(component, method, out, record),
            Err((tuple, error)) => {
                batch.refuse(crate::UnknownInput::undecodable(input, tuple, error));
            }
        }
    }
}

/// A copy of a typed record for a handler that takes it by value: the
/// runtime keeps its own, to dead-letter it if the call panics (a record
/// that cannot copy itself goes through its tuple).
#[inline]
fn copied<R: Record>(record: &R) -> Result<R, (Tuple, RecordError)> {
    match R::duplicate(record) {
        Some(copy) => Ok(copy),
        None => {
            let tuple = record.to_tuple();
            R::from_tuple(&tuple).map_err(|error| (tuple, error))
        }
    }
}

/// `method` on `record`, its typed output handle lent the emitter `out`
/// for the call (and given back, also if the call panics).
#[inline]
fn call_lent<C: Typed, R>(
    component: &mut C,
    method: fn(&mut C, R, &mut Out<C>),
    out: &mut crate::Emit,
    record: R,
) {
    let mut lent = Lent::<C> {
        typed: Some((C::DISPATCH.wrap)(core::mem::take(out))),
        out,
    };
    if let Some(typed) = lent.typed.as_mut() {
        method(component, record, typed);
    }
}

/// A typed slice method (`fn(&mut C, &[R], &mut Out<C>)`) on the records
/// of `batch`: each stretch of `R`s carried typed one after the other in
/// one typed batch in one call, borrowed in place; a record carried as a
/// tuple (from the wire, or a handler that emits tuples) decoded and
/// handed alone (one that is not an `R` is given back).
pub fn call_typed_slices<C: Typed, R: Record>(
    component: &mut C,
    method: fn(&mut C, &[R], &mut Out<C>),
    input: &str,
    batch: &mut crate::Batch<'_>,
) {
    while batch.remaining() > 0 {
        if let Some((records, out)) = batch.next_slice::<R>() {
            let mut lent = Lent::<C> {
                typed: Some((C::DISPATCH.wrap)(core::mem::take(out))),
                out,
            };
            if let Some(typed) = lent.typed.as_mut() {
                method(component, records, typed);
            }
            continue;
        }
        let mut last = None;
        let Some((incoming, out)) = batch.next_typed::<R>(&mut last) else {
            return;
        };
        let decoded;
        let record = match incoming {
            crate::handler::Incoming::Typed(record) => record,
            crate::handler::Incoming::Tuple(tuple) => match R::from_tuple(tuple) {
                Ok(record) => {
                    decoded = record;
                    &decoded
                }
                Err(error) => {
                    let unknown = crate::UnknownInput::undecodable(input, tuple.clone(), error);
                    batch.refuse(unknown);
                    continue;
                }
            },
        };
        let mut lent = Lent::<C> {
            typed: Some((C::DISPATCH.wrap)(core::mem::take(out))),
            out,
        };
        if let Some(typed) = lent.typed.as_mut() {
            method(component, core::slice::from_ref(record), typed);
        }
    }
}

/// The emitter of a batch, lent to a typed method inside its output
/// handle: given back when dropped, also when the method panics, so that
/// what the batch's earlier tuples emitted is not lost with the handle
/// (the runtime then drops only what the panicking call emitted).
struct Lent<'o, C: Typed> {
    typed: Option<Out<C>>,
    out: &'o mut crate::Emit,
}

impl<C: Typed> Drop for Lent<'_, C> {
    #[inline]
    fn drop(&mut self) {
        if let Some(typed) = self.typed.take() {
            let emptied = core::mem::replace(self.out, (C::DISPATCH.unwrap)(typed));
            // As in `call_typed`: what `take` left behind owns no
            // allocation.
            core::mem::forget(emptied);
        }
    }
}

/// The emitter of a batch, lent to a typed method inside its output
/// handle for a stretch of records, one call each: each call started on
/// the batch with what the handle holds so far (so a call that panics
/// loses only what it emitted), and the emitter given back when dropped,
/// also when a call panics.
struct LentToStretch<'b, 'a, C: Typed> {
    typed: Out<C>,
    batch: &'b mut crate::Batch<'a>,
}

impl<'b, 'a, C: Typed> LentToStretch<'b, 'a, C> {
    #[inline]
    fn new(batch: &'b mut crate::Batch<'a>) -> Self {
        LentToStretch {
            typed: (C::DISPATCH.wrap)(batch.lend_emitter()),
            batch,
        }
    }

    /// Starts the call of the next record: the handle it emits into, and
    /// the batch (to give the record back).
    #[inline]
    fn start_one(&mut self) -> (&mut Out<C>, &mut crate::Batch<'a>) {
        self.batch
            .start_typed_lent((C::DISPATCH.view)(&self.typed).emitted_len());
        (&mut self.typed, &mut *self.batch)
    }
}

impl<C: Typed> Drop for LentToStretch<'_, '_, C> {
    #[inline]
    fn drop(&mut self) {
        // The handle left behind wraps a new emitter, without an
        // allocation.
        let typed = core::mem::replace(&mut self.typed, (C::DISPATCH.wrap)(crate::Emit::new()));
        self.batch.give_emitter_back((C::DISPATCH.unwrap)(typed));
    }
}

/// The key arguments of a typed `#[on_seal(input)]` method, as a tuple of
/// their types: read from a released partition by name, in order.
#[diagnostic::on_unimplemented(
    message = "a typed `#[on_seal]` method takes at most 8 key fields, each of a type that can be a record field",
    label = "the key arguments of this seal method"
)]
pub trait SealKeys: Sized {
    /// A seal method of component `C` with output handle `H` taking these
    /// key arguments.
    type Method<C: ?Sized, H>: Copy;
    /// Reads the fields `names` (as many as the tuple has) of `record`'s
    /// partition.
    ///
    /// # Errors
    /// When a field is missing or holds a value of another type.
    fn read(
        partition: &Tuple,
        record: &'static str,
        names: &[&'static str],
    ) -> Result<Self, RecordError>;
}

/// A typed `#[on_seal(input)]` method of `C` taking the key arguments `K`
/// (a tuple of their types) and the output handle.
#[diagnostic::on_unimplemented(
    message = "a typed `#[on_seal]` method takes `&mut self`, at most 8 key fields and the output handle",
    label = "this seal handler's signature is not `fn(&mut self, <key>: <type>, .., out: &mut <Name>Out)`"
)]
pub trait SealMethod<C: Typed, K> {
    /// Calls the method.
    fn call(self, component: &mut C, keys: K, out: &mut Out<C>);
}

/// The name at `i`, or `""` when there is none (never read: a generated
/// [`Seal`] lists one name per key argument).
fn name_at(names: &[&'static str], i: usize) -> &'static str {
    names.get(i).copied().unwrap_or("")
}

macro_rules! seal_arity {
    ($($key:ident $index:tt),+) => {
        impl<$($key: Field),+> SealKeys for ($($key,)+) {
            type Method<C: ?Sized, Handle> = fn(&mut C, $($key,)+ &mut Handle);
            fn read(
                partition: &Tuple,
                record: &'static str,
                names: &[&'static str],
            ) -> Result<Self, RecordError> {
                Ok(($(read_field::<$key>(partition, record, name_at(names, $index))?,)+))
            }
        }

        impl<C: Typed, $($key: Field),+> SealFn<C> for fn(&mut C, $($key,)+ &mut Out<C>) {
            type Keys = ($($key,)+);
        }

        impl<C: Typed, $($key,)+ M> SealMethod<C, ($($key,)+)> for M
        where
            M: FnOnce(&mut C, $($key,)+ &mut Out<C>),
        {
            #[allow(non_snake_case)]
            fn call(self, component: &mut C, keys: ($($key,)+), out: &mut Out<C>) {
                let ($($key,)+) = keys;
                self(component, $($key,)+ out)
            }
        }
    };
}

impl SealKeys for () {
    type Method<C: ?Sized, H> = fn(&mut C, &mut H);
    fn read(_: &Tuple, _: &'static str, _: &[&'static str]) -> Result<(), RecordError> {
        Ok(())
    }
}

impl<C: Typed> SealFn<C> for fn(&mut C, &mut Out<C>) {
    type Keys = ();
}

impl<C: Typed, M: FnOnce(&mut C, &mut Out<C>)> SealMethod<C, ()> for M {
    fn call(self, component: &mut C, (): (), out: &mut Out<C>) {
        self(component, out)
    }
}

seal_arity!(A 0);
seal_arity!(A 0, B 1);
seal_arity!(A 0, B 1, D 2);
seal_arity!(A 0, B 1, D 2, E 3);
seal_arity!(A 0, B 1, D 2, E 3, F 4);
seal_arity!(A 0, B 1, D 2, E 3, F 4, G 5);
seal_arity!(A 0, B 1, D 2, E 3, F 4, G 5, H 6);
seal_arity!(A 0, B 1, D 2, E 3, F 4, G 5, H 6, I 7);

/// Calls the typed `#[on_seal(input)]` `method` with the key fields `names`
/// read from `partition` (of `input`, whose record is `record`) and a typed
/// handle over `out` (the typed components' `Handler::on_seal`, through
/// [`SealList`]). A
/// partition lacking a key, or holding a value of another type, is refused
/// through [`Emit::refuse_seal`](crate::Emit::refuse_seal), which the
/// runtime counts and logs.
pub fn seal_typed<C: Typed, K: SealKeys, M: SealMethod<C, K>>(
    component: &mut C,
    method: M,
    record: &'static str,
    names: &[&'static str],
    input: &str,
    partition: &Tuple,
    out: &mut crate::Emit,
) {
    match K::read(partition, record, names) {
        Ok(keys) => {
            let mut typed = (C::DISPATCH.wrap)(core::mem::take(out));
            method.call(component, keys, &mut typed);
            *out = (C::DISPATCH.unwrap)(typed);
        }
        Err(error) => out.refuse_seal(input, partition, error),
    }
}

/// Reads field `field` of record `record` from `tuple` (derive helper).
///
/// # Errors
/// When the field is missing or holds a value of another type.
pub fn read_field<T: Field>(
    tuple: &Tuple,
    record: &'static str,
    field: &'static str,
) -> Result<T, RecordError> {
    decode_field(tuple.get(field), record, field)
}

/// A field's value read as `T`: missing, or of another type, is the
/// field's [`RecordError`].
pub(crate) fn decode_field<T: Field>(
    value: Option<&Value>,
    record: &'static str,
    field: &'static str,
) -> Result<T, RecordError> {
    let value = value.ok_or(RecordError {
        record,
        field,
        missing: true,
    })?;
    T::from_value(value).ok_or(RecordError {
        record,
        field,
        missing: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record with fields known at compile time, as the derive writes one.
    struct Probe;

    impl Record for Probe {
        const NAME: &'static str = "Probe";
        const FIELDS: &'static [&'static str] = &["n"];
        fn to_tuple(&self) -> Tuple {
            Tuple::new()
        }
        fn from_tuple(_: &Tuple) -> Result<Self, RecordError> {
            Ok(Probe)
        }
    }

    impl StaticRecord for Probe {}

    #[test]
    fn a_stream_fits_its_own_record_or_the_dynamic_tuple_on_either_side() {
        // Compile-time checks: each type is well-formed only with its impl
        // of `Takes` (a mismatch is `tests/ui/typed/fail/typed_stream_record_mismatch.rs`).
        let _: [Option<StreamRecord<Probe, Probe>>; 0] = [];
        let _: [Option<StreamRecord<Tuple, Probe>>; 0] = [];
        let _: [Option<StreamRecord<Probe, Tuple>>; 0] = [];
        let _: [Option<StreamRecord<Tuple, Tuple>>; 0] = [];
    }

    /// Field `n` of `Probe` (`ID` 1 here: the ids are arbitrary), an `i64`.
    impl FieldOf<1> for Probe {
        type Type = i64;
    }

    #[test]
    fn a_sealed_stream_fits_its_own_record_or_a_dynamic_end_with_the_key() {
        // Compile-time checks, as above: each type is well-formed only with
        // its impl of `TakesSealed` (mismatches are
        // `tests/ui/typed/fail/typed_sealed_stream_*.rs`).
        type Key = (KeyId<1>, ());
        let _: [Option<SealedStream<Probe, Probe, Key>>; 0] = [];
        let _: [Option<SealedStream<Probe, Tuple, Key>>; 0] = [];
        let _: [Option<SealedStream<Tuple, Tuple, Key>>; 0] = [];
        // A `Tuple` producer into a typed input: the key must be a key
        // field of the input's record.
        let _: [Option<SealedStream<Tuple, Probe, Key>>; 0] = [];
        let _: [Option<SealedStream<Tuple, Probe, ()>>; 0] = [];
    }

    #[test]
    fn has_field_finds_exact_names_only() {
        const { assert!(has_field(&["a", "user"], "user")) };
        const { assert!(!has_field(&["a", "users"], "user")) };
    }

    #[test]
    fn a_message_lists_items_and_is_cut_at_its_end() {
        let m = Message::new().push("x: ").push_list(&["a", "b"]);
        assert_eq!(core::str::from_utf8(&m.buf[..m.len]), Ok("x: `a`, `b`"));
        let long = "y".repeat(4000);
        assert_eq!(Message::new().push(&long).len, 1536);
    }

    #[test]
    fn read_field_tells_missing_from_mistyped() {
        let t = Tuple::new().with("n", 1);
        assert_eq!(read_field::<i64>(&t, "R", "n"), Ok(1));
        assert!(read_field::<String>(&t, "R", "n").is_err_and(|e| !e.missing));
        assert!(read_field::<i64>(&t, "R", "m").is_err_and(|e| e.missing));
    }
}
