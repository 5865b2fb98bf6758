//! Records are the user's own types (issue 11): `#[derive(blazes::Record)]`
//! on a struct with named fields gives its field list and its conversion to
//! and from [`Tuple`], the attribute-keyed form the runtime partitions, seals
//! and orders by (spec §1: attributes are named fields of the records on a
//! stream). [`Tuple`] itself is a [`Record`] too, the dynamic one, for
//! grey-box-driven runs and tests: its fields are known only at run time.
//!
//! A field's type implements [`Field`] (how it is written in a tuple); a
//! field that gates, seals, orders, routes or appears in an FD must also be a
//! [`Key`]: compared exactly, hashed and ordered the same on every replica.

use std::fmt;

use crate::tuple::{Tuple, Value};

/// A record type that travels on streams: the user's struct (with
/// `#[derive(blazes::Record)]`) or the dynamic [`Tuple`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a blazes record",
    label = "records on blazes streams implement `blazes::Record`",
    note = "add `#[derive(blazes::Record)]` to the struct `{Self}` (its fields named, of \
            integer, `String`, `bool`, `char` or float types), or use `blazes::Tuple`"
)]
pub trait Record: Sized + Send + 'static {
    /// The record type's name, for messages.
    const NAME: &'static str;
    /// Its field names, in declaration order.
    const FIELDS: &'static [&'static str];
    /// True when its fields are known only at run time ([`Tuple`]): the
    /// compile-time field checks then accept any name.
    const DYNAMIC: bool = false;

    /// The record as a tuple, one attribute per field.
    fn to_tuple(&self) -> Tuple;

    /// The record read back from a tuple.
    ///
    /// # Errors
    /// [`RecordError`] when a field is missing or has a value of another
    /// type (a record of another type arrived, or a workload is wrong).
    fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError>;
}

impl Record for Tuple {
    const NAME: &'static str = "Tuple";
    const FIELDS: &'static [&'static str] = &[];
    const DYNAMIC: bool = true;

    fn to_tuple(&self) -> Tuple {
        self.clone()
    }

    fn from_tuple(tuple: &Tuple) -> Result<Self, RecordError> {
        Ok(tuple.clone())
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
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of a field of a blazes record",
    label = "a field of this type cannot be written into a `blazes::Tuple`",
    note = "record fields are integers, `String`, `bool`, `char`, `f32` or `f64`; \
            store other data as one of those (a `String` of JSON, say), or implement \
            `blazes::Field` for your type"
)]
pub trait Field: Sized {
    /// The field's value as a tuple attribute.
    fn to_value(&self) -> Value;
    /// The field read back; `None` when the value has another type.
    fn from_value(value: &Value) -> Option<Self>;
}

/// A field type that can be a key: named by a gate, a seal, a `seq`, a
/// route or an FD. Keys are compared, hashed and ordered exactly.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be a blazes key (gate, seal, seq, route or FD)",
    label = "this field's type is `{Self}`, which is not `blazes::Key`",
    note = "keys partition, seal and order streams, so every replica must compare them \
            exactly: integers, `String`, `bool` or `char`",
    note = "name another field here, or change the field's type to one of those"
)]
pub trait Key: Field + Clone + Ord + std::hash::Hash {}

macro_rules! integer_fields {
    ($($ty:ty),*) => {$(
        impl Field for $ty {
            fn to_value(&self) -> Value {
                // Values beyond i64 (u64, usize) wrap, and are read back
                // as the same bits: equal keys stay equal.
                Value::Int(*self as i64)
            }
            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::Int(v) => Some(*v as $ty),
                    Value::Str(_) => None,
                }
            }
        }
        impl Key for $ty {}
    )*};
}

integer_fields!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl Field for String {
    fn to_value(&self) -> Value {
        Value::from(self.as_str())
    }
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Str(s) => Some(s.to_string()),
            Value::Int(_) => None,
        }
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
            Value::Str(_) => None,
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
            Value::Str(_) => None,
        }
    }
}
impl Key for char {}

macro_rules! float_fields {
    ($($ty:ty),*) => {$(
        /// Written as its shortest round-tripping decimal text: read back
        /// exactly. Not a [`Key`]: floats have no total equality.
        impl Field for $ty {
            fn to_value(&self) -> Value {
                Value::from(self.to_string())
            }
            fn from_value(value: &Value) -> Option<Self> {
                match value {
                    Value::Str(s) => s.parse().ok(),
                    Value::Int(_) => None,
                }
            }
        }
    )*};
}

float_fields!(f32, f64);

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_tuple_is_the_dynamic_record() {
        let t = Tuple::new().with("a", 1);
        assert_eq!(Tuple::from_tuple(&t.to_tuple()), Ok(t));
        const { assert!(<Tuple as Record>::DYNAMIC) };
    }
}
