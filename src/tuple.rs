//! Records as named attribute values (Bloom-style tuples): the data model the
//! runtime partitions, seals and orders by attribute name.
//!
//! A tuple's fields live behind one reference count, copied on write: a
//! clone costs one atomic increment, so the runtime can keep a record's
//! payload while its handler runs (to dead-letter it if the handler panics,
//! issue 15) and fan a record out to several consumers without copying it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One attribute value.
///
/// Integers and strings are what the analysis, SQL and grey-box paths write;
/// the other kinds carry the fields of the user's record types exactly
/// (issue 11): a float keeps its bits, `None` is [`Value::Null`], a `Vec` is a
/// [`Value::List`] and a record used as a field is a [`Value::Record`].
///
/// # Equality, order and hash
///
/// Values are equal when they are of the same kind and hold the same data; a
/// [`Value::Float`] is equal to another only with the same bits (so
/// `NaN == NaN` when the NaNs have the same bits, and `0.0 != -0.0`). Floats
/// are ordered by [`f64::total_cmp`] (`-NaN < -inf < ... < -0.0 < 0.0 < ...
/// < inf < NaN`), which is equal exactly when the bits are, and hashed by
/// their bits: `Eq`, `Ord` and `Hash` agree. Values of different kinds are
/// ordered by kind: `Null < Some < Int < Str < Float < List < Record` (every
/// integer still sorts before every string; an absent value before every
/// present one, as `None < Some(_)`). Lists and records compare
/// lexicographically.
///
/// # Printing
///
/// `Display` (used in reports) writes integers as digits, strings quoted
/// (`"a\"b"`), floats as Rust's `{:?}` does (`1.0`, `-0.0`, `NaN`, `inf`,
/// `1e300`: always distinguishable from an integer), [`Value::Null`] as
/// `None`, [`Value::Some`] as `Some(..)`, lists as `[1, 2]` and records as
/// tuples (`{a: 1, b: "x"}`).
///
/// # Serde
///
/// Externally tagged, the variants numbered in declaration order: `Int` (0,
/// an `i64`) and `Str` (1, a string) as they always were, then `Float` (2,
/// the `u64` of [`f64::to_bits`], exact in every format, JSON included),
/// `Null` (3, a unit variant), `Some` (4, a value), `List` (5, a sequence of
/// values) and `Record` (6, a [`Tuple`]). Deserializing refuses values nested
/// deeper than [`Value::MAX_DEPTH`], so a hostile input cannot exhaust the
/// stack.
///
/// More kinds may come: the enum is `#[non_exhaustive]`, so a `match` on a
/// value outside this crate has a `_` arm.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string.
    Str(Arc<str>),
    /// A float (an `f32` is widened exactly), compared by its bits.
    Float(f64),
    /// An absent value: `None` of an optional field.
    Null,
    /// A present optional value whose own value is absent: `Some(None)` of
    /// an `Option<Option<T>>` is `Some(Null)`. A `Some(x)` whose value is
    /// anything else is written as `x`'s value itself.
    Some(Box<Value>),
    /// A list (a `Vec` field).
    List(Arc<[Value]>),
    /// A record used as a field of another record.
    Record(Tuple),
    /// Bytes: a `Vec<u8>` field (one byte each on the wire, not a list of
    /// integers).
    Bytes(Arc<[u8]>),
}

impl Value {
    /// How deep values may nest (a list in a list, a record in a record, ...)
    /// when they are deserialized.
    pub const MAX_DEPTH: usize = 64;

    /// The position of the value's kind in the order of kinds.
    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Some(_) => 1,
            Value::Int(_) => 2,
            Value::Str(_) => 3,
            Value::Float(_) => 4,
            Value::List(_) => 5,
            Value::Record(_) => 6,
            Value::Bytes(_) => 7,
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            // As `total_cmp`: equal exactly when the bits are.
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Null, Value::Null) => true,
            (Value::Some(a), Value::Some(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Record(a), Value::Record(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            (Value::Str(a), Value::Str(b)) => a.cmp(b),
            (Value::Float(a), Value::Float(b)) => a.total_cmp(b),
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Some(a), Value::Some(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => a.cmp(b),
            (Value::Record(a), Value::Record(b)) => a.cmp(b),
            (Value::Bytes(a), Value::Bytes(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::Int(v) => v.hash(state),
            Value::Str(s) => s.hash(state),
            Value::Float(v) => v.to_bits().hash(state),
            Value::Null => {}
            Value::Some(v) => v.hash(state),
            Value::List(items) => items.hash(state),
            Value::Record(tuple) => tuple.hash(state),
            Value::Bytes(bytes) => bytes.hash(state),
        }
    }
}

/// How serde sees a [`Value`] (owned data in place of the shared, a float
/// as its bits). Only appended to: a variant's number is its encoding.
#[derive(Serialize, Deserialize)]
enum ValueRepr {
    Int(i64),
    Str(SharedStr),
    Float(u64),
    Null,
    Some(Box<Value>),
    List(Vec<Value>),
    Record(Tuple),
    Bytes(Vec<u8>),
}

/// A string read straight into its shared form: the text the deserializer
/// hands over (borrowed from the frame, for postcard) is copied once, into
/// the `Arc<str>`, with no `String` in between.
struct SharedStr(Arc<str>);

impl Serialize for SharedStr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<SharedStr, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = SharedStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SharedStr, E> {
                Ok(SharedStr(Arc::from(text)))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// [`ValueRepr`] borrowed from a [`Value`], to serialize without copying:
/// the same names and variants, so the same encoding.
#[derive(Serialize)]
#[serde(rename = "ValueRepr")]
enum ValueReprRef<'a> {
    Int(i64),
    Str(&'a str),
    Float(u64),
    Null,
    Some(&'a Value),
    List(&'a [Value]),
    Record(&'a Tuple),
    Bytes(&'a [u8]),
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Int(i) => ValueReprRef::Int(*i),
            Value::Str(s) => ValueReprRef::Str(s),
            Value::Float(f) => ValueReprRef::Float(f.to_bits()),
            Value::Null => ValueReprRef::Null,
            Value::Some(v) => ValueReprRef::Some(v),
            Value::List(items) => ValueReprRef::List(items),
            Value::Record(tuple) => ValueReprRef::Record(tuple),
            Value::Bytes(bytes) => ValueReprRef::Bytes(bytes),
        }
        .serialize(serializer)
    }
}

impl From<ValueRepr> for Value {
    fn from(v: ValueRepr) -> Value {
        match v {
            ValueRepr::Int(i) => Value::Int(i),
            ValueRepr::Str(SharedStr(s)) => Value::Str(s),
            ValueRepr::Float(bits) => Value::Float(f64::from_bits(bits)),
            ValueRepr::Null => Value::Null,
            ValueRepr::Some(v) => Value::Some(v),
            ValueRepr::List(items) => Value::List(items.into()),
            ValueRepr::Record(tuple) => Value::Record(tuple),
            ValueRepr::Bytes(bytes) => Value::Bytes(bytes.into()),
        }
    }
}

thread_local! {
    /// How many values are being deserialized, one inside another, on this
    /// thread (serde deserializes depth first, on one thread).
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of [`DEPTH`], given back when dropped (also on an error).
struct Nested;

impl Nested {
    fn enter() -> Option<Nested> {
        DEPTH.with(|depth| {
            let now = depth.get();
            (now < Value::MAX_DEPTH).then(|| {
                depth.set(now + 1);
                Nested
            })
        })
    }
}

impl Drop for Nested {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        let Some(_level) = Nested::enter() else {
            return Err(serde::de::Error::custom(format_args!(
                "values nested more than {} deep",
                Value::MAX_DEPTH
            )));
        };
        ValueRepr::deserialize(deserializer).map(Value::from)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Float(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(Arc::from(v))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(Arc::from(v))
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::List(items.into())
    }
}

impl From<Tuple> for Value {
    fn from(tuple: Tuple) -> Value {
        Value::Record(tuple)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Float(v) => write!(f, "{v:?}"),
            Value::Null => f.write_str("None"),
            Value::Some(v) => write!(f, "Some({v})"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Record(tuple) => write!(f, "{tuple}"),
            Value::Bytes(bytes) => {
                f.write_str("b\"")?;
                for &b in bytes.iter() {
                    write!(f, "{}", std::ascii::escape_default(b))?;
                }
                f.write_str("\"")
            }
        }
    }
}

impl Value {
    /// The value as JSON, for reports: integers and finite floats as
    /// numbers, strings as strings, a float that is not finite as the text
    /// `Display` writes (`"NaN"`, `"inf"`, `"-inf"`), `Null` as `null`, a
    /// `Some` as its inner value (so `Some(None)` is `null` too), lists as
    /// arrays and records as objects.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Str(s) => serde_json::Value::from(&**s),
            Value::Float(v) => serde_json::Number::from_f64(*v)
                .map_or_else(|| serde_json::Value::from(format!("{v:?}")), Into::into),
            Value::Null => serde_json::Value::Null,
            Value::Some(v) => v.to_json(),
            Value::List(items) => items.iter().map(Value::to_json).collect(),
            Value::Record(tuple) => tuple.to_json(),
            Value::Bytes(bytes) => bytes.iter().copied().map(serde_json::Value::from).collect(),
        }
    }
}

/// An attribute name: a `'static` one (a record type's field name, written
/// without allocating) or one made at run time. Compared, ordered and
/// hashed as its text, whichever it is.
#[derive(Clone)]
enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Name {
    #[inline]
    fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Shared(s) => s,
        }
    }
}

/// Tuples with at most this many attributes are searched linearly.
const LINEAR_LOOKUP: usize = 8;

impl Name {
    /// True when the name is `name`: the same string (a record type's
    /// literal) or the same text.
    #[inline]
    fn is(&self, name: &str) -> bool {
        let own = self.as_str();
        std::ptr::eq(own, name) || own == name
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// A record: attribute values by name, kept sorted by name.
///
/// The fields are one shared allocation (names and values side by side):
/// cloning shares them, and setting an attribute of a shared tuple copies
/// them first. Names given as `'static` strings ([`Tuple::set_static`], as
/// derived records do) are not copied at all; a derived record builds its
/// tuple in one allocation, its names already in order.
///
/// With serde, a tuple is its `(name, value)` pairs in name order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "Vec<(String, Value)>", from = "Vec<(String, Value)>")]
pub struct Tuple {
    fields: Arc<[(Name, Value)]>,
}

impl Tuple {
    /// An empty tuple.
    pub fn new() -> Tuple {
        Tuple::default()
    }

    /// Sets an attribute (builder style).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Tuple {
        self.set(name, value);
        self
    }

    /// An empty tuple that will hold `fields` attributes. The count is a
    /// hint only: a tuple's fields are one allocation, made again when an
    /// attribute is added.
    pub fn with_capacity(fields: usize) -> Tuple {
        let _ = fields;
        Tuple::new()
    }

    /// A tuple of `'static` names paired in order with `values`: one
    /// allocation, no name copied. The names must be sorted and distinct,
    /// as a derived record's are ([`SortedNames`](crate::__private::SortedNames)
    /// checks them when it is built, at compile time).
    pub(crate) fn from_sorted_static<const N: usize>(
        names: &[&'static str; N],
        values: [Value; N],
    ) -> Tuple {
        debug_assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        let mut at = 0;
        let fields = values.map(|v| {
            let name = Name::Static(names[at]);
            at += 1;
            (name, v)
        });
        Tuple {
            fields: Arc::from(fields),
        }
    }

    /// A tuple of `pairs` in any order; of a repeated name, the last value
    /// wins (as setting them one by one would).
    fn from_pairs(mut pairs: Vec<(Name, Value)>) -> Tuple {
        if !pairs.windows(2).all(|w| w[0].0 < w[1].0) {
            // Stable: a repeated name's values stay in the order given.
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            let mut kept: Vec<(Name, Value)> = Vec::with_capacity(pairs.len());
            for pair in pairs {
                match kept.last_mut() {
                    Some(last) if last.0 == pair.0 => *last = pair,
                    _ => kept.push(pair),
                }
            }
            pairs = kept;
        }
        Tuple {
            fields: Arc::from(pairs),
        }
    }

    /// A tuple of `names` paired in order with `values`, sharing the names
    /// (a decoder makes each name once for many tuples: a clone is one
    /// reference count). Names not sorted and distinct are set one by one,
    /// as [`Tuple::set`] would (the last value of a repeated name wins).
    #[cfg_attr(not(feature = "nats"), allow(dead_code))] // the wire decoder's
    pub(crate) fn with_shared_names(
        names: &[Arc<str>],
        values: impl IntoIterator<Item = Value>,
    ) -> Tuple {
        let pairs = names
            .iter()
            .zip(values)
            .map(|(n, v)| (Name::Shared(n.clone()), v))
            .collect();
        Tuple::from_pairs(pairs)
    }

    /// Sets an attribute, replacing any previous value.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        self.put(name, || Name::Shared(Arc::from(name)), value.into());
    }

    /// Sets an attribute whose name is a `'static` string (a record type's
    /// field name), replacing any previous value: the name is kept by
    /// reference, not copied.
    pub fn set_static(&mut self, name: &'static str, value: impl Into<Value>) {
        self.put(name, || Name::Static(name), value.into());
    }

    fn put(&mut self, name: &str, owned: impl FnOnce() -> Name, value: Value) {
        // Records are usually built in one order: try the end first.
        let at = match self.fields.last() {
            Some((last, _)) if last.as_str() < name => Err(self.fields.len()),
            None => Err(0),
            _ => self.fields.binary_search_by(|(n, _)| n.as_str().cmp(name)),
        };
        match at {
            Ok(i) => match Arc::get_mut(&mut self.fields) {
                Some(fields) => fields[i].1 = value,
                None => {
                    let mut fields = self.fields.to_vec();
                    fields[i].1 = value;
                    self.fields = Arc::from(fields);
                }
            },
            Err(i) => {
                let (before, after) = self.fields.split_at(i);
                // Exact-size pieces: collected straight into one allocation.
                self.fields = before
                    .iter()
                    .cloned()
                    .chain(std::iter::once((owned(), value)))
                    .chain(after.iter().cloned())
                    .collect();
            }
        }
    }

    /// The position of attribute `name`.
    pub(crate) fn position(&self, name: &str) -> Option<usize> {
        if self.fields.len() <= LINEAR_LOOKUP {
            // Records are small: comparing for equality (the same literal
            // first, then the length, then the bytes) beats ordering.
            return self.fields.iter().position(|(n, _)| n.is(name));
        }
        self.fields
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
    }

    /// The name at position `index` when it is a `'static` literal (a
    /// derived record's): a later record of the same type has the same
    /// literal there, found by comparing pointers.
    pub(crate) fn static_name_at(&self, index: usize) -> Option<&'static str> {
        match self.fields.get(index) {
            Some((Name::Static(name), _)) => Some(name),
            _ => None,
        }
    }

    /// The value of an attribute.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.fields[i].1)
    }

    /// The value at position `index` when the name there is `name` (the
    /// same literal, or the same text).
    #[inline]
    pub(crate) fn value_named_at(&self, index: usize, name: &str) -> Option<&Value> {
        match self.fields.get(index) {
            Some((n, v)) if n.is(name) => Some(v),
            _ => None,
        }
    }

    /// The value of attribute `name`, looked for first at position `index`
    /// (in name order): a record read back by the type that wrote it finds
    /// each field where it put it, by the same `'static` name, with one
    /// comparison of pointers.
    #[inline]
    pub(crate) fn get_at(&self, index: usize, name: &str) -> Option<&Value> {
        match self.fields.get(index) {
            Some((n, v)) if n.is(name) => Some(v),
            _ => self.get(name),
        }
    }

    /// The value of an integer attribute.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The value of a string attribute.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The tuple restricted to the given attributes; `None` if one is missing.
    pub fn project<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Option<Tuple> {
        let mut pairs = Vec::new();
        for name in names {
            let (n, v) = &self.fields[self.position(name)?];
            pairs.push((n.clone(), v.clone()));
        }
        Some(Tuple::from_pairs(pairs))
    }

    /// The attributes, sorted by name.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> + Clone {
        self.fields.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The tuple as a JSON object, each value as [`Value::to_json`] writes
    /// it (integers as numbers, strings as strings).
    pub fn to_json(&self) -> serde_json::Value {
        let fields = self
            .fields()
            .map(|(name, value)| (name.to_string(), value.to_json()));
        serde_json::Value::Object(fields.collect())
    }
}

impl fmt::Display for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (n, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}: {v}", n.as_str())?;
        }
        f.write_str("}")
    }
}

impl From<Tuple> for Vec<(String, Value)> {
    fn from(tuple: Tuple) -> Vec<(String, Value)> {
        tuple
            .fields()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }
}

impl From<Vec<(String, Value)>> for Tuple {
    fn from(fields: Vec<(String, Value)>) -> Tuple {
        let pairs = fields
            .into_iter()
            .map(|(name, value)| (Name::Shared(Arc::from(name)), value))
            .collect();
        Tuple::from_pairs(pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_json_keeps_types_and_names() {
        let t = Tuple::new().with("word", "a\"b").with("n", -3);
        assert_eq!(t.to_json().to_string(), r#"{"n":-3,"word":"a\"b"}"#);
    }

    #[test]
    fn set_keeps_fields_sorted_and_replaces() {
        let t = Tuple::new()
            .with("word", "a")
            .with("batch", 3)
            .with("word", "b");
        assert_eq!(t.to_string(), r#"{batch: 3, word: "b"}"#);
        assert_eq!(t.int("batch"), Some(3));
        assert_eq!(t.str("word"), Some("b"));
        assert_eq!(t.project(["batch"]), Some(Tuple::new().with("batch", 3)));
        assert_eq!(t.project(["missing"]), None);
    }

    #[test]
    fn static_and_run_time_names_are_the_same_attribute() {
        let name = String::from("batch");
        let mut a = Tuple::with_capacity(2);
        a.set_static("word", "x");
        a.set_static("batch", 1);
        let b = Tuple::new().with(&name, 1).with("word", "x");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), r#"{batch: 1, word: "x"}"#);
        use std::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(&a), state.hash_one(&b));
        a.set("batch", 2);
        assert_eq!(a.int("batch"), Some(2), "replaced, not added");
        assert_eq!(a.fields().count(), 2);
        assert!(b < a, "ordered by name, then value");
    }

    #[test]
    fn lookups_find_every_attribute_in_small_and_large_tuples() {
        for size in [1, LINEAR_LOOKUP, LINEAR_LOOKUP + 5] {
            let mut t = Tuple::new();
            for i in (0..size).rev() {
                t.set(&format!("f{i:02}"), i as i64);
            }
            for i in 0..size {
                assert_eq!(t.int(&format!("f{i:02}")), Some(i as i64), "size {size}");
            }
            assert_eq!(t.get("f"), None);
            assert_eq!(t.get("zz"), None);
        }
    }

    #[test]
    fn a_clone_shares_until_one_side_changes() {
        let original = Tuple::new().with("batch", 1);
        let kept = original.clone();
        assert!(Arc::ptr_eq(&original.fields, &kept.fields));
        let changed = original.with("batch", 2);
        assert_eq!(kept.int("batch"), Some(1), "the kept copy did not change");
        assert_eq!(changed.int("batch"), Some(2));
    }

    /// One value of each kind, and floats `==` gets wrong.
    fn assorted() -> Vec<Value> {
        vec![
            Value::Int(-1),
            Value::Int(1),
            Value::from(""),
            Value::from("a"),
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(1.0),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(f64::NAN),
            Value::Float(-f64::NAN),
            Value::Float(f64::from_bits(0x7ff0_0000_0000_0001)),
            Value::Null,
            Value::Some(Box::new(Value::Null)),
            Value::from(Vec::new()),
            Value::from(vec![Value::Int(1)]),
            Value::from(vec![Value::from(vec![]), Value::Null]),
            Value::from(Tuple::new()),
            Value::from(Tuple::new().with("a", 1.5).with("b", vec![Value::Null])),
        ]
    }

    #[test]
    fn equality_order_and_hash_agree_for_every_kind() {
        use std::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        let values = assorted();
        for (i, a) in values.iter().enumerate() {
            let copy = a.clone();
            assert_eq!(*a, copy, "{a} equals its copy (NaN included)");
            assert_eq!(a.cmp(&copy), Ordering::Equal, "{a}");
            assert_eq!(state.hash_one(a), state.hash_one(&copy), "{a}");
            for (j, b) in values.iter().enumerate() {
                assert_eq!(a == b, i == j, "{a} and {b}");
                assert_eq!(a.cmp(b) == Ordering::Equal, i == j, "{a} and {b}");
                assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a} and {b}");
                assert_eq!(a.partial_cmp(b), Some(a.cmp(b)));
                if i != j {
                    assert_ne!(state.hash_one(a), state.hash_one(b), "{a} and {b}");
                }
            }
        }
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_value_is_still_24_bytes() {
        // Tuples hold many values: the new kinds keep each as small as an
        // integer or a shared string was.
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn floats_are_ordered_by_their_total_order() {
        let floats = [
            -f64::NAN,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            f64::from_bits(1),
            1.0,
            f64::INFINITY,
            f64::NAN,
        ];
        let values: Vec<Value> = floats.iter().map(|f| Value::Float(*f)).collect();
        let mut sorted = values.clone();
        sorted.reverse();
        sorted.sort();
        assert_eq!(sorted, values);
        assert!(Value::Float(-0.0) < Value::Float(0.0));
    }

    #[test]
    fn kinds_are_ordered_absent_first_and_integers_before_strings() {
        let ordered = [
            Value::Null,
            Value::Some(Box::new(Value::Null)),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::from(""),
            Value::Float(f64::NEG_INFINITY),
            Value::from(vec![]),
            Value::from(Tuple::new()),
        ];
        for pair in ordered.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
        }
        assert!(Value::from(vec![Value::Int(1)]) < Value::from(vec![Value::Int(1), Value::Null]));
    }

    #[test]
    fn values_print_by_kind() {
        let t = Tuple::new()
            .with("f", 1.0)
            .with("g", -0.0)
            .with("h", f64::NAN)
            .with("i", f64::NEG_INFINITY)
            .with("n", Value::Null)
            .with("s", Value::Some(Box::new(Value::Null)))
            .with(
                "l",
                vec![Value::Int(1), Value::from("x"), Value::from(vec![])],
            )
            .with("r", Tuple::new().with("a", 2));
        assert_eq!(
            t.to_string(),
            r#"{f: 1.0, g: -0.0, h: NaN, i: -inf, l: [1, "x", []], n: None, r: {a: 2}, s: Some(None)}"#
        );
        assert_eq!(
            t.to_json().to_string(),
            r#"{"f":1.0,"g":-0.0,"h":"NaN","i":"-inf","l":[1,"x",[]],"n":null,"r":{"a":2},"s":null}"#
        );
    }

    #[test]
    fn bytes_cost_a_byte_each_and_display_escaped() {
        let blob = Value::Bytes(vec![7u8; 1000].into());
        let encoded = postcard::to_allocvec(&blob).expect("encodes");
        // Its variant (7), its length (1000, two varint bytes), the bytes.
        assert_eq!(encoded.len(), 1 + 2 + 1000);
        assert_eq!(encoded[..3], [7, 0xe8, 0x07]);
        assert_eq!(postcard::from_bytes::<Value>(&encoded), Ok(blob));
        let listed = Value::List(vec![Value::Int(200); 1000].into());
        assert!(postcard::to_allocvec(&listed).expect("encodes").len() > 3 * 1000);
        assert_eq!(
            Value::Bytes(b"a\n\xff".to_vec().into()).to_string(),
            r#"b"a\n\xff""#
        );
    }

    #[test]
    fn integers_and_strings_keep_their_serde_encoding() {
        // The bytes and text every checkpoint and fuzz seed so far holds.
        let int = Value::Int(-3);
        let text = Value::from("ab");
        assert_eq!(postcard::to_allocvec(&int).expect("encodes"), [0, 5]);
        assert_eq!(
            postcard::to_allocvec(&text).expect("encodes"),
            [1, 2, b'a', b'b']
        );
        assert_eq!(
            serde_json::to_string(&int).expect("encodes"),
            r#"{"Int":-3}"#
        );
        assert_eq!(
            serde_json::to_string(&text).expect("encodes"),
            r#"{"Str":"ab"}"#
        );
        assert_eq!(postcard::from_bytes::<Value>(&[0, 5]), Ok(int));
        assert_eq!(
            serde_json::from_str::<Value>(r#"{"Str":"ab"}"#).expect("decodes"),
            text
        );
        let t = Tuple::new().with("n", 1);
        assert_eq!(
            serde_json::to_string(&t).expect("encodes"),
            r#"[["n",{"Int":1}]]"#
        );
    }

    #[test]
    fn every_kind_round_trips_through_postcard_and_json() {
        for v in assorted() {
            let bytes = postcard::to_allocvec(&v).expect("encodes");
            assert_eq!(postcard::from_bytes::<Value>(&bytes), Ok(v.clone()), "{v}");
            let text = serde_json::to_string(&v).expect("encodes");
            let back: Value = serde_json::from_str(&text).expect("decodes");
            assert_eq!(back, v, "{v} as {text}");
        }
        let nan = Value::Float(f64::from_bits(0xfff8_0000_dead_beef));
        let text = serde_json::to_string(&nan).expect("encodes");
        assert_eq!(
            text,
            format!(r#"{{"Float":{}}}"#, 0xfff8_0000_dead_beef_u64)
        );
        assert_eq!(
            postcard::to_allocvec(&Value::Null).expect("encodes"),
            [3],
            "new kinds are appended"
        );
    }

    #[test]
    fn values_nested_too_deep_are_refused() {
        let mut deep = Value::Null;
        for _ in 0..Value::MAX_DEPTH - 1 {
            deep = Value::from(vec![deep]);
        }
        let bytes = postcard::to_allocvec(&deep).expect("encodes");
        assert_eq!(postcard::from_bytes::<Value>(&bytes), Ok(deep.clone()));
        let deeper = Value::from(vec![deep]);
        let bytes = postcard::to_allocvec(&deeper).expect("encodes");
        assert!(postcard::from_bytes::<Value>(&bytes).is_err());
        // A hostile input: a million lists, one inside the other.
        let hostile: Vec<u8> = [5u8, 1].repeat(1_000_000);
        assert!(postcard::from_bytes::<Value>(&hostile).is_err());
        // The depth is given back after an error.
        assert_eq!(postcard::from_bytes::<Value>(&[0, 5]), Ok(Value::Int(-3)));
    }
}
