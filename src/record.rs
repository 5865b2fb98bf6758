//! Records are the user's own types (issue 11): `#[derive(blazes::Record)]`
//! on a struct with named fields gives its field list and its conversion to
//! and from [`Tuple`], the attribute-keyed form the runtime partitions, seals
//! and orders by (spec §1: attributes are named fields of the records on a
//! stream). [`Tuple`] itself is a [`Record`] too, the dynamic one, for
//! grey-box-driven runs and tests: its fields are known only at run time.
//!
//! A field's type implements [`Field`] (how it is written in a tuple, read
//! back exactly): integers, `String`, `bool`, `char`, floats, `Option`s and
//! `Vec`s of fields, and records (another struct with
//! `#[derive(blazes::Record)]`). A field that gates, seals, orders, routes or
//! appears in an FD must also be a [`Key`]: compared exactly, hashed and
//! ordered the same on every replica (not a float, a list or a record).

use std::fmt;

use crate::tuple::{Tuple, Value};

/// A record type that travels on streams: the user's struct (with
/// `#[derive(blazes::Record)]`) or the dynamic [`Tuple`].
///
/// Records are `Send` and `Sync`: typed records travel between the
/// instances of a process in shared batches, read by the instances they go
/// to.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a blazes record",
    label = "records on blazes streams implement `blazes::Record`",
    note = "add `#[derive(blazes::Record)]` to the struct `{Self}` (its fields named, each \
            a `blazes::Field`: integers, `String`, `bool`, `char`, floats, `Option`s, \
            `Vec`s or other records), or use `blazes::Tuple`"
)]
pub trait Record: Sized + Send + Sync + 'static {
    /// The record type's name, for messages.
    const NAME: &'static str;
    /// Its field names, in declaration order.
    const FIELDS: &'static [&'static str];
    /// True when its fields are known only at run time ([`Tuple`]): the
    /// compile-time field checks then accept any name.
    const DYNAMIC: bool = false;

    /// The record as a tuple, one attribute per field.
    fn to_tuple(&self) -> Tuple;

    /// The record turned into its tuple: [`Record::to_tuple`], but a
    /// [`Tuple`] is itself, with no clone of its fields' reference count
    /// to give back.
    fn into_tuple(self) -> Tuple {
        self.to_tuple()
    }

    /// The record read back from a tuple.
    ///
    /// # Errors
    /// [`RecordError`] when a field is missing or has a value of another
    /// type (a record of another type arrived, or a workload is wrong).
    fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError>;

    /// The value of field `name` as its tuple would hold it, without
    /// building the tuple (`None` for a name the record lacks): what the
    /// runtime reads a record's seal key and route key by, when it carries
    /// the record typed. The default builds the tuple; the derive reads the
    /// field.
    fn field_value(&self, name: &str) -> Option<Value> {
        self.to_tuple().get(name).cloned()
    }

    /// A copy of the record, for the runtime to hand a typed record to a
    /// handler by value while it keeps its own (to dead-letter it if the
    /// handler panics). `None` when a field does not read back what it
    /// wrote (then the runtime reads the record from its tuple). The
    /// default goes through the tuple; the derive copies field by field
    /// ([`Field::duplicate`]).
    fn duplicate(&self) -> Option<Self> {
        Self::from_tuple(&self.to_tuple()).ok()
    }

    /// How many of `records`, from the first, hold `value` in field `name`:
    /// how the runtime finds where a run of records changes partition (its
    /// seal key) or destination (its route key). The default reads each
    /// record's [`Record::field_value`]; the derive picks the field once
    /// and compares it in a loop of the field's own type.
    #[doc(hidden)]
    fn leading_equal(records: &[Self], name: &str, value: &Value) -> usize {
        records
            .iter()
            .take_while(|r| r.field_value(name).as_ref() == Some(value))
            .count()
    }
}

impl Record for Tuple {
    const NAME: &'static str = "Tuple";
    const FIELDS: &'static [&'static str] = &[];
    const DYNAMIC: bool = true;

    fn to_tuple(&self) -> Tuple {
        self.clone()
    }

    fn into_tuple(self) -> Tuple {
        self
    }

    fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
        Ok(tuple.clone())
    }

    fn field_value(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }

    fn duplicate(&self) -> Option<Self> {
        Some(self.clone())
    }
}

/// A boxed record is the record: what lets a record hold another by `Box`
/// (a recursive type, or a large field kept on the heap). Through the
/// records-as-fields impl below, a `Box<R>` field is a
/// [`Value::Record`] of `R`'s tuple.
impl<R: Record> Record for Box<R> {
    const NAME: &'static str = R::NAME;
    const FIELDS: &'static [&'static str] = R::FIELDS;
    const DYNAMIC: bool = R::DYNAMIC;

    fn to_tuple(&self) -> Tuple {
        R::to_tuple(self)
    }

    fn into_tuple(self) -> Tuple {
        R::into_tuple(*self)
    }

    fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
        R::from_tuple(tuple).map(Box::new)
    }

    fn field_value(&self, name: &str) -> Option<Value> {
        R::field_value(self, name)
    }

    fn duplicate(&self) -> Option<Self> {
        R::duplicate(self).map(Box::new)
    }
}

/// A tuple that is not a record of the expected type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    /// The record type expected.
    pub record: &'static str,
    /// The field that is missing or of another type.
    pub field: &'static str,
    /// True when the field is absent (false: present with another type).
    pub missing: bool,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problem = if self.missing {
            "is missing"
        } else {
            "has a value of another type"
        };
        write!(
            f,
            "not a `{}` record: field `{}` {problem}",
            self.record, self.field
        )
    }
}

impl std::error::Error for RecordError {}

/// A type a record field can have: how it is written as a tuple attribute.
///
/// Implemented for the integers, `String`, `bool` and `char` (written as
/// [`Value::Int`] or [`Value::Str`]), `f32` and `f64` ([`Value::Float`], bit
/// for bit), `Option<T>` ([`Value::Null`] for `None`, `Some(x)` as `x`),
/// `Vec<T>` ([`Value::List`]) and every [`Record`] (a struct with
/// `#[derive(blazes::Record)]`, or a [`Tuple`]) used as a field of another
/// ([`Value::Record`]). Each reads back exactly what it wrote.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a field of a blazes record",
    label = "a field of this type cannot be written into a `blazes::Tuple`",
    note = "record fields are integers, `String`, `bool`, `char`, `f32`, `f64`, \
            `Option` or `Vec` of those, or structs with `#[derive(blazes::Record)]` \
            (also in a `Box`); store other data as one of those, or implement `blazes::Field` for your type"
)]
pub trait Field: Sized {
    /// The field's value as a tuple attribute.
    fn to_value(&self) -> Value;
    /// The field read back; `None` when the value has another type.
    fn from_value(value: &Value) -> Option<Self>;

    /// A copy of the field (see [`Record::duplicate`]); the default reads
    /// back its value, the field types of this crate copy themselves.
    fn duplicate(&self) -> Option<Self> {
        Self::from_value(&self.to_value())
    }

    /// True when the field's value is `value` (see
    /// [`Record::leading_equal`]): the default builds the value, the
    /// integers and `String` compare themselves.
    #[doc(hidden)]
    fn equals_value(&self, value: &Value) -> bool {
        self.to_value() == *value
    }

    /// A `Vec` of this field's type as a value: a [`Value::List`] of the
    /// items' values (bytes override it: a `Vec<u8>` is [`Value::Bytes`]).
    fn list_to_value(items: &[Self]) -> Value {
        Value::List(items.iter().map(Field::to_value).collect())
    }

    /// A `Vec` of this field's type read back from a [`Value::List`].
    fn list_from_value(value: &Value) -> Option<Vec<Self>> {
        match value {
            Value::List(items) => items.iter().map(Self::from_value).collect(),
            _ => None,
        }
    }
}

/// A field type that can be a key: named by a gate, a seal, a `seq`, a
/// route or an FD. Keys are compared, hashed and ordered exactly.
///
/// The integers, `String`, `bool`, `char`, and `Option<K>` of a key `K`
/// (`None` is one more value, ordered before every `Some`). Floats are not
/// keys (a float's equality is not a value's: `NaN != NaN`, `0.0 == -0.0`),
/// nor are lists or records. A `u64` or `usize` beyond `i64::MAX` is kept
/// as its 64 bits: equal and routed alike, but ordered before `0` (keep a
/// `seq` attribute below 2^63).
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be a blazes key (gate, seal, seq, route or FD)",
    label = "this field's type is `{Self}`, which is not `blazes::Key`",
    note = "keys partition, seal and order streams, so every replica must compare them \
            exactly: integers, `String`, `bool`, `char`, or an `Option` of one of those \
            (not floats, `Vec`s or records)",
    note = "name another field here, or change the field's type to one of those"
)]
pub trait Key: Field + Clone + Ord + std::hash::Hash {}

/// Integers as [`Value::Int`]. Those that fit in an `i64` are read back
/// `checked`: a value out of the type's range (a dynamic tuple's `300` read
/// as a `u8`) reads as no value, not truncated. Wider ones (`u64`, and
/// `usize`/`isize` on any target) keep their 64 `bits`: a value beyond
/// `i64` (`u64::MAX` is `Value::Int(-1)`) reads back exactly, so equal keys
/// stay equal and route alike, but orders as a negative number, before `0`
/// (a `seq` attribute that orders batches must stay below 2^63).
macro_rules! integer_fields {
    ($($ty:ty: $read:ident $({ $($lists:item)* })?),*) => {$(
        impl Field for $ty {
            fn to_value(&self) -> Value {
                Value::Int(*self as i64)
            }
            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::Int(v) => integer_fields!(@$read $ty, *v),
                    _ => None,
                }
            }
            fn duplicate(&self) -> Option<Self> {
                Some(*self)
            }
            #[inline]
            fn equals_value(&self, value: &Value) -> bool {
                matches!(value, Value::Int(v) if *v == *self as i64)
            }
            $($($lists)*)?
        }
        impl Key for $ty {}
    )*};
    (@checked $ty:ty, $v:expr) => { <$ty>::try_from($v).ok() };
    (@bits $ty:ty, $v:expr) => { Some($v as $ty) };
}

integer_fields!(
    i8: checked, i16: checked, i32: checked, i64: checked,
    u8: checked {
        /// A `Vec<u8>` is [`Value::Bytes`], a byte each on the wire.
        fn list_to_value(items: &[u8]) -> Value {
            Value::Bytes(items.into())
        }
        /// Bytes, or a list of integers that are bytes (a dynamic tuple's).
        fn list_from_value(value: &Value) -> Option<Vec<u8>> {
            match value {
                Value::Bytes(bytes) => Some(bytes.to_vec()),
                Value::List(items) => items.iter().map(u8::from_value).collect(),
                _ => None,
            }
        }
    },
    u16: checked, u32: checked,
    u64: bits, usize: bits, isize: bits
);

impl Field for String {
    fn to_value(&self) -> Value {
        Value::from(self.as_str())
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Str(s) => Some(s.to_string()),
            _ => None,
        }
    }
    fn duplicate(&self) -> Option<Self> {
        Some(self.clone())
    }
    #[inline]
    fn equals_value(&self, value: &Value) -> bool {
        matches!(value, Value::Str(s) if **s == **self)
    }
}
impl Key for String {}

impl Field for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(v) => Some(*v != 0),
            _ => None,
        }
    }
}
impl Key for bool {}

impl Field for char {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(u32::from(*self)))
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Int(v) => u32::try_from(*v).ok().and_then(char::from_u32),
            _ => None,
        }
    }
}
impl Key for char {}

/// Written as [`Value::Float`], bit for bit (NaNs with their payload,
/// `-0.0`, infinities). Also reads the shortest round-tripping decimal text
/// ([`Value::Str`]) that floats were written as before they had a kind of
/// their own. Not a [`Key`].
impl Field for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Float(v) => Some(*v),
            Value::Str(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// Widened to a [`Value::Float`] exactly (a NaN keeps its sign and payload),
/// and read back only from a float that is exactly an `f32`. Also reads
/// decimal text, as `f64` does. Not a [`Key`].
impl Field for f32 {
    fn to_value(&self) -> Value {
        Value::Float(widen(*self))
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Float(v) => narrow(*v),
            Value::Str(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// The bits of an `f64` NaN below those of an `f32` NaN's payload.
const NARROWED_BITS: u32 = 52 - 23;

/// `v` as an `f64`, exactly: `as` may change a NaN's payload, so a NaN's
/// sign and payload are moved bit by bit.
fn widen(v: f32) -> f64 {
    if !v.is_nan() {
        return f64::from(v);
    }
    let bits = v.to_bits();
    let sign = u64::from(bits >> 31) << 63;
    let payload = u64::from(bits & 0x007f_ffff) << NARROWED_BITS;
    f64::from_bits(sign | 0x7ff0_0000_0000_0000 | payload)
}

/// The `f32` that [`widen`]s to `v`, if there is one.
fn narrow(v: f64) -> Option<f32> {
    let bits = v.to_bits();
    if v.is_nan() {
        if bits & ((1 << NARROWED_BITS) - 1) != 0 {
            return None;
        }
        // The sign and the 23 high payload bits, not all zero (else `v`
        // would be infinite).
        let sign = ((bits >> 63) as u32) << 31;
        let payload = ((bits >> NARROWED_BITS) as u32) & 0x007f_ffff;
        return Some(f32::from_bits(sign | 0x7f80_0000 | payload));
    }
    let narrowed = v as f32;
    (f64::from(narrowed).to_bits() == bits).then_some(narrowed)
}

/// `None` is [`Value::Null`]; `Some(x)` is `x`'s value, so a dynamic
/// producer's `Int` reads as `Some` of an integer. Only where `x`'s value is
/// itself absent (an `Option<Option<T>>`'s `Some(None)`) is it wrapped, as
/// [`Value::Some`]: every value reads back as the one written.
impl<T: Field> Field for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            None => Value::Null,
            Some(x) => match x.to_value() {
                nullable @ (Value::Null | Value::Some(_)) => Value::Some(Box::new(nullable)),
                value => value,
            },
        }
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            Value::Some(inner) if matches!(**inner, Value::Null | Value::Some(_)) => {
                T::from_value(inner).map(Some)
            }
            Value::Some(_) => None,
            value => T::from_value(value).map(Some),
        }
    }
    fn duplicate(&self) -> Option<Self> {
        match self {
            None => Some(None),
            Some(x) => x.duplicate().map(Some),
        }
    }
}

/// `None` is one more key value, ordered before every `Some` (as
/// [`Value::Null`] is before every other kind).
impl<K: Key> Key for Option<K> {}

/// A [`Value::List`] of the items' values; a `Vec<u8>` is
/// [`Value::Bytes`] (see [`Field::list_to_value`]).
impl<T: Field> Field for Vec<T> {
    fn to_value(&self) -> Value {
        T::list_to_value(self)
    }
    fn from_value(value: &Value) -> Option<Self> {
        T::list_from_value(value)
    }
    fn duplicate(&self) -> Option<Self> {
        self.iter().map(Field::duplicate).collect()
    }
}

/// A record used as a field of another: a [`Value::Record`] of its tuple.
/// (No code per record type: `#[derive(blazes::Record)]` gives the
/// [`Record`] impl this reads.)
#[diagnostic::do_not_recommend]
impl<R: Record> Field for R {
    fn to_value(&self) -> Value {
        Value::Record(self.to_tuple())
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Record(tuple) => R::from_tuple(tuple).ok(),
            _ => None,
        }
    }
    fn duplicate(&self) -> Option<Self> {
        R::duplicate(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `v` written and read back.
    fn round_trip<T: Field>(v: &T) -> Option<T> {
        T::from_value(&v.to_value())
    }

    #[test]
    fn a_vec_of_bytes_is_bytes_and_reads_back_from_bytes_or_a_list_of_bytes() {
        let blob: Vec<u8> = vec![0, 7, 255];
        assert_eq!(blob.to_value(), Value::Bytes(vec![0, 7, 255].into()));
        assert_eq!(round_trip(&blob), Some(blob.clone()));
        // A dynamic tuple's list of integers still reads as bytes, when
        // every integer is one.
        let listed = Value::List(vec![Value::Int(0), Value::Int(7), Value::Int(255)].into());
        assert_eq!(Vec::<u8>::from_value(&listed), Some(blob));
        let too_big = Value::List(vec![Value::Int(256)].into());
        assert_eq!(Vec::<u8>::from_value(&too_big), None);
        // Other integer lists are lists, and do not read bytes.
        assert_eq!(
            vec![1u16, 2].to_value(),
            Value::List(vec![Value::Int(1), Value::Int(2)].into())
        );
        assert_eq!(Vec::<u16>::from_value(&Value::Bytes(vec![1].into())), None);
    }

    #[test]
    fn an_integer_out_of_its_types_range_reads_as_no_value() {
        assert_eq!(u8::from_value(&Value::Int(300)), None);
        assert_eq!(u8::from_value(&Value::Int(-1)), None);
        assert_eq!(
            i16::from_value(&Value::Int(i64::from(i16::MIN))),
            Some(i16::MIN)
        );
        assert_eq!(
            u32::from_value(&Value::Int(i64::from(u32::MAX))),
            Some(u32::MAX)
        );
        // Wide types keep their 64 bits: they read back what they wrote.
        assert_eq!(u64::from_value(&Value::Int(-1)), Some(u64::MAX));
    }

    #[test]
    fn fields_round_trip_through_values() {
        assert_eq!(u64::from_value(&u64::MAX.to_value()), Some(u64::MAX));
        assert_eq!(i8::from_value(&(-3i8).to_value()), Some(-3));
        assert_eq!(
            String::from_value(&"a b".to_string().to_value()),
            Some("a b".to_string())
        );
        assert_eq!(bool::from_value(&true.to_value()), Some(true));
        assert_eq!(char::from_value(&'é'.to_value()), Some('é'));
        assert_eq!(f64::from_value(&0.1f64.to_value()), Some(0.1));
        assert_eq!(String::from_value(&Value::Int(1)), None);
        assert_eq!(i64::from_value(&Value::from("1")), None);
    }

    /// Floats that `==` cannot tell apart or that are not `==` themselves.
    fn awkward_f64s() -> Vec<f64> {
        vec![
            0.0,
            -0.0,
            0.1,
            -1.5e300,
            f64::MIN_POSITIVE,
            f64::from_bits(1), // the smallest subnormal
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001), // a signalling NaN
            f64::from_bits(0xfff8_0000_dead_beef), // a NaN with a payload
        ]
    }

    #[test]
    fn f64_fields_keep_their_bits() {
        for v in awkward_f64s() {
            assert_eq!(v.to_value(), Value::Float(v), "{v:?} is a float");
            let back = round_trip(&v).map(f64::to_bits);
            assert_eq!(back, Some(v.to_bits()), "{v:?}");
        }
        assert_eq!(f64::from_value(&Value::Int(1)), None);
        // The decimal text floats used to be written as still reads.
        assert_eq!(f64::from_value(&Value::from("0.1")), Some(0.1));
        assert_eq!(f64::from_value(&Value::from("x")), None);
    }

    #[test]
    fn f32_fields_keep_their_bits_and_refuse_wider_floats() {
        let awkward = [
            0.0f32,
            -0.0,
            0.1,
            f32::MAX,
            f32::from_bits(1),
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7f80_0001), // a signalling NaN
            f32::from_bits(0xffc0_beef), // a NaN with a payload
        ];
        for v in awkward {
            let Value::Float(wide) = v.to_value() else {
                panic!("{v:?} is not written as a float");
            };
            assert_eq!(wide.is_nan(), v.is_nan(), "{v:?}");
            if !v.is_nan() {
                assert_eq!(wide.to_bits(), f64::from(v).to_bits(), "{v:?} widened");
            }
            assert_eq!(round_trip(&v).map(f32::to_bits), Some(v.to_bits()), "{v:?}");
        }
        // Distinct NaNs stay distinct when widened.
        assert_ne!(
            f32::from_bits(0x7f80_0001).to_value(),
            f32::from_bits(0x7f80_0002).to_value()
        );
        assert_eq!(f32::from_value(&Value::Float(0.1)), None, "not an f32");
        assert_eq!(f32::from_value(&Value::Float(1e300)), None, "not an f32");
        let low_bits_nan = f64::from_bits(0x7ff8_0000_0000_0001);
        assert_eq!(f32::from_value(&Value::Float(low_bits_nan)), None);
        assert_eq!(f32::from_value(&Value::Float(0.5)), Some(0.5));
    }

    #[test]
    fn options_round_trip_at_any_depth() {
        assert_eq!(None::<u32>.to_value(), Value::Null);
        assert_eq!(Some(3u32).to_value(), Value::Int(3), "Some(x) is x");
        assert_eq!(round_trip(&None::<u32>), Some(None));
        assert_eq!(round_trip(&Some(3u32)), Some(Some(3)));
        let nested: [Option<Option<String>>; 3] = [None, Some(None), Some(Some("x".into()))];
        for v in &nested {
            assert_eq!(round_trip(v).as_ref(), Some(v), "{v:?}");
        }
        assert_ne!(nested[0].to_value(), nested[1].to_value());
        let deeper: [Option<Option<Option<i64>>>; 4] =
            [None, Some(None), Some(Some(None)), Some(Some(Some(-1)))];
        for (i, v) in deeper.iter().enumerate() {
            assert_eq!(round_trip(v).as_ref(), Some(v), "{v:?}");
            for w in &deeper[i + 1..] {
                assert_ne!(v.to_value(), w.to_value(), "{v:?} and {w:?}");
                // In the order of the option, as `None < Some(_)`.
                assert!(v.to_value() < w.to_value(), "{v:?} < {w:?}");
            }
        }
        let nan = round_trip(&Some(f64::NAN)).map(|v| v.map(f64::to_bits));
        assert_eq!(nan, Some(Some(f64::NAN.to_bits())));
        // A wrapper around a present value is not how one is written.
        assert_eq!(
            Option::<u32>::from_value(&Value::Some(Box::new(Value::Int(3)))),
            None
        );
        assert_eq!(Option::<u32>::from_value(&Value::from("3")), None);
    }

    #[test]
    fn vecs_round_trip_empty_and_nested() {
        let empty: Vec<u32> = Vec::new();
        assert_eq!(empty.to_value(), Value::List(Vec::new().into()));
        assert_eq!(round_trip(&empty), Some(empty));
        let bytes: Vec<u8> = vec![0, 255, 7];
        assert_eq!(round_trip(&bytes), Some(bytes));
        let words: Vec<Vec<String>> = vec![vec![], vec!["a".into(), "b c".into()], vec![]];
        assert_eq!(round_trip(&words), Some(words.clone()));
        assert_ne!(
            words.to_value(),
            vec![vec!["a".to_string(), "b c".to_string()]].to_value(),
            "empty lists count"
        );
        let options: Vec<Option<f64>> = vec![None, Some(-0.0), Some(0.0)];
        let back = round_trip(&options).expect("reads");
        assert_eq!(
            back.iter().map(|v| v.map(f64::to_bits)).collect::<Vec<_>>(),
            options
                .iter()
                .map(|v| v.map(f64::to_bits))
                .collect::<Vec<_>>()
        );
        // One item of another type refuses the whole list.
        let mixed = Value::from(vec![Value::Int(1), Value::from("x")]);
        assert_eq!(Vec::<i64>::from_value(&mixed), None);
        assert_eq!(Vec::<i64>::from_value(&Value::Int(1)), None);
    }

    /// A record type, written by hand as `#[derive(blazes::Record)]` would.
    #[derive(Clone, Debug, PartialEq)]
    struct Point {
        x: f64,
        tags: Vec<String>,
        parent: Option<Box<Point>>,
    }

    impl Record for Point {
        const NAME: &'static str = "Point";
        const FIELDS: &'static [&'static str] = &["x", "tags", "parent"];

        fn to_tuple(&self) -> Tuple {
            let mut t = Tuple::new();
            t.set_static("x", self.x.to_value());
            t.set_static("tags", self.tags.to_value());
            let parent = self.parent.as_deref().map(|p| p.to_value());
            t.set_static("parent", parent.unwrap_or(Value::Null));
            t
        }

        fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
            let field = |name: &'static str| {
                tuple.get(name).ok_or(RecordError {
                    record: "Point",
                    field: name,
                    missing: true,
                })
            };
            let wrong = |field| RecordError {
                record: "Point",
                field,
                missing: false,
            };
            let parent = match field("parent")? {
                Value::Null => None,
                v => Some(Box::new(Point::from_value(v).ok_or(wrong("parent"))?)),
            };
            Ok(Point {
                x: f64::from_value(field("x")?).ok_or(wrong("x"))?,
                tags: Vec::from_value(field("tags")?).ok_or(wrong("tags"))?,
                parent,
            })
        }
    }

    #[test]
    fn records_round_trip_as_fields_of_records() {
        let root = Point {
            x: -0.0,
            tags: vec![],
            parent: None,
        };
        let child = Point {
            x: 2.5,
            tags: vec!["a".into()],
            parent: Some(Box::new(root.clone())),
        };
        let Value::Record(tuple) = child.to_value() else {
            panic!("a record is written as a record");
        };
        assert_eq!(tuple.get("parent"), Some(&Value::Record(root.to_tuple())));
        assert_eq!(round_trip(&child), Some(child.clone()));
        assert_eq!(
            round_trip(&vec![root.clone(), child.clone()]).map(|v| v.len()),
            Some(2)
        );
        assert_eq!(Option::<Point>::from_value(&Value::Null), Some(None));
        // A record of another shape, or not a record, does not read.
        let other = Value::Record(Tuple::new().with("x", 1));
        assert_eq!(Point::from_value(&other), None);
        assert_eq!(Point::from_value(&Value::Int(1)), None);
        // The dynamic record nests too.
        let t = Tuple::new().with("a", Value::Null);
        assert_eq!(round_trip(&t), Some(t));
    }

    #[test]
    fn a_tuple_is_the_dynamic_record() {
        let t = Tuple::new().with("a", 1);
        assert_eq!(Tuple::from_tuple(&t.to_tuple()), Ok(t));
        const { assert!(<Tuple as Record>::DYNAMIC) };
    }
}
