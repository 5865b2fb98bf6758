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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "ValueRepr", from = "ValueRepr")]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A string.
    Str(Arc<str>),
}

/// How serde sees a [`Value`] (an owned string in place of the shared one).
#[derive(Serialize, Deserialize)]
enum ValueRepr {
    Int(i64),
    Str(String),
}

impl From<Value> for ValueRepr {
    fn from(v: Value) -> ValueRepr {
        match v {
            Value::Int(i) => ValueRepr::Int(i),
            Value::Str(s) => ValueRepr::Str(s.to_string()),
        }
    }
}

impl From<ValueRepr> for Value {
    fn from(v: ValueRepr) -> Value {
        match v {
            ValueRepr::Int(i) => Value::Int(i),
            ValueRepr::Str(s) => Value::from(s),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
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

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(v) => write!(f, "{v}"),
            Value::Str(s) => write!(f, "{s:?}"),
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
/// Cloning shares the fields; the first change to a shared tuple copies them
/// (`Arc::make_mut`). Names given as `'static` strings
/// ([`Tuple::set_static`], as derived records do) are not copied at all.
///
/// With serde, a tuple is its `(name, value)` pairs in name order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "Vec<(String, Value)>", from = "Vec<(String, Value)>")]
pub struct Tuple {
    fields: Arc<Vec<(Name, Value)>>,
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

    /// An empty tuple with room for `fields` attributes.
    pub fn with_capacity(fields: usize) -> Tuple {
        Tuple {
            fields: Arc::new(Vec::with_capacity(fields)),
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
        let pairs = names.iter().zip(values);
        if names.windows(2).all(|w| w[0] < w[1]) {
            let fields = pairs.map(|(n, v)| (Name::Shared(n.clone()), v)).collect();
            return Tuple {
                fields: Arc::new(fields),
            };
        }
        let mut tuple = Tuple::with_capacity(names.len());
        for (name, value) in pairs {
            tuple.put(name, || Name::Shared(name.clone()), value);
        }
        tuple
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
        let fields = Arc::make_mut(&mut self.fields);
        // Records are usually built in one order: try the end first.
        let at = match fields.last() {
            Some((last, _)) if last.as_str() < name => Err(fields.len()),
            None => Err(0),
            _ => fields.binary_search_by(|(n, _)| n.as_str().cmp(name)),
        };
        match at {
            Ok(i) => fields[i].1 = value,
            Err(i) => fields.insert(i, (owned(), value)),
        }
    }

    /// The value of an attribute.
    pub fn get(&self, name: &str) -> Option<&Value> {
        if self.fields.len() <= LINEAR_LOOKUP {
            // Records are small: comparing for equality (the same literal
            // first, then the length, then the bytes) beats ordering.
            return self.fields.iter().find(|(n, _)| n.is(name)).map(|(_, v)| v);
        }
        self.fields
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| &self.fields[i].1)
    }

    /// The value of an integer attribute.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Int(v) => Some(*v),
            Value::Str(_) => None,
        }
    }

    /// The value of a string attribute.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Str(s) => Some(s),
            Value::Int(_) => None,
        }
    }

    /// The tuple restricted to the given attributes; `None` if one is missing.
    pub fn project<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Option<Tuple> {
        let mut out = Tuple::new();
        for name in names {
            out.set(name, self.get(name)?.clone());
        }
        Some(out)
    }

    /// The attributes, sorted by name.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> + Clone {
        self.fields.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The tuple as a JSON object (integers as numbers, strings as strings).
    pub fn to_json(&self) -> serde_json::Value {
        let fields = self.fields().map(|(name, value)| {
            let value = match value {
                Value::Int(i) => serde_json::Value::from(*i),
                Value::Str(s) => serde_json::Value::from(&**s),
            };
            (name.to_string(), value)
        });
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
        let mut tuple = Tuple::with_capacity(fields.len());
        for (name, value) in fields {
            tuple.set(&name, value);
        }
        tuple
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
}
