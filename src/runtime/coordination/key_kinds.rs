//! Keeps the partitioning keys of a seal buffer or a static order to one
//! value kind per attribute (issue 15; runtime spec, "Seal buffer" and
//! "Sequencer").
//!
//! [`Value`]s of different kinds compare (every integer sorts before every
//! string), so one record or seal whose `batch` is a string where integers
//! were seen would move a static order's producer past every integer batch,
//! or open a seal-buffer partition no producer will ever seal. The kind of
//! each key attribute is therefore fixed by the first record or seal that
//! carries the key, and a later record or seal whose value has another kind
//! is refused ([`WrongKeyKind`]) without changing anything. An absent value
//! (`None` of an optional key) has every kind: it sorts before all values.

use std::fmt;

use blazes_core::AttrSet;
use serde::{Deserialize, Serialize};

use crate::tuple::Value;

/// The kind of a [`Value`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ValueKind {
    /// [`Value::Int`].
    Int,
    /// [`Value::Str`].
    Str,
    /// [`Value::Float`].
    Float,
    /// [`Value::List`].
    List,
    /// [`Value::Record`].
    Record,
    /// [`Value::Bytes`].
    Bytes,
}

impl ValueKind {
    /// The kind of `value`; `None` for an absent value ([`Value::Null`], or
    /// [`Value::Some`] of one): `None` of an optional key is a value of
    /// every kind (it sorts before all of them), so it neither fixes an
    /// attribute's kind nor conflicts with it.
    pub fn of(value: &Value) -> Option<ValueKind> {
        match value {
            Value::Int(_) => Some(ValueKind::Int),
            Value::Str(_) => Some(ValueKind::Str),
            Value::Float(_) => Some(ValueKind::Float),
            Value::List(_) => Some(ValueKind::List),
            Value::Record(_) => Some(ValueKind::Record),
            Value::Bytes(_) => Some(ValueKind::Bytes),
            Value::Null | Value::Some(_) => None,
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Int => "an integer",
            ValueKind::Str => "a string",
            ValueKind::Float => "a float",
            ValueKind::List => "a list",
            ValueKind::Record => "a record",
            ValueKind::Bytes => "bytes",
        })
    }
}

/// A key value of another kind than the attribute's earlier values.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WrongKeyKind {
    /// The key attribute.
    pub attribute: String,
    /// The kind its first value had.
    pub expected: ValueKind,
    /// The kind this value has.
    pub found: ValueKind,
}

impl fmt::Display for WrongKeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key attribute `{}` is {} where {} was seen first",
            self.attribute, self.found, self.expected
        )
    }
}

/// The kind of each attribute of one key, once seen.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyKinds {
    attributes: Vec<String>,
    kinds: Vec<Option<ValueKind>>,
}

impl KeyKinds {
    /// Nothing seen yet for the attributes of `key`.
    pub fn new(key: &AttrSet) -> KeyKinds {
        KeyKinds {
            attributes: key.iter().cloned().collect(),
            kinds: vec![None; key.len()],
        }
    }

    /// The first value of one key (given in the order of the key's
    /// attributes, the sorted order of the [`AttrSet`]) whose kind differs
    /// from its attribute's kind, if any.
    pub fn conflict<'a>(
        &self,
        values: impl IntoIterator<Item = &'a Value>,
    ) -> Option<WrongKeyKind> {
        self.kinds
            .iter()
            .zip(&self.attributes)
            .zip(values)
            .find_map(|((kind, attribute), value)| {
                let found = ValueKind::of(value)?;
                match kind {
                    Some(expected) if *expected != found => Some(WrongKeyKind {
                        attribute: attribute.clone(),
                        expected: *expected,
                        found,
                    }),
                    _ => None,
                }
            })
    }

    /// Checks one key's values like [`KeyKinds::conflict`]; when they
    /// match, the kinds not yet seen are fixed by them, and on a mismatch
    /// nothing is fixed.
    pub fn check<'a, I>(&mut self, values: I) -> Result<(), WrongKeyKind>
    where
        I: IntoIterator<Item = &'a Value>,
        I::IntoIter: Clone,
    {
        let values = values.into_iter();
        if let Some(wrong) = self.conflict(values.clone()) {
            return Err(wrong);
        }
        for (kind, value) in self.kinds.iter_mut().zip(values) {
            if let Some(found) = ValueKind::of(value) {
                kind.get_or_insert(found);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn the_first_key_fixes_each_kind_and_a_mismatch_fixes_nothing() {
        let mut k = KeyKinds::new(&attrs(["batch", "word"]));
        let (one, two, a) = (Value::from(1), Value::from(2), Value::from("a"));
        assert_eq!(
            k.check([&a, &one]),
            Ok(()),
            "batch is a string, word an integer"
        );
        assert_eq!(k.check([&Value::from("b"), &two]), Ok(()));
        assert_eq!(
            k.check([&one, &one]),
            Err(WrongKeyKind {
                attribute: "batch".into(),
                expected: ValueKind::Str,
                found: ValueKind::Int,
            })
        );
        assert_eq!(
            k.check([&a, &a]).map_err(|e| e.to_string()),
            Err("key attribute `word` is a string where an integer was seen first".into())
        );
    }

    #[test]
    fn a_refused_key_does_not_fix_the_kinds_it_would_have_seen_first() {
        let mut k = KeyKinds::new(&attrs(["a", "b"]));
        let (int, text) = (Value::from(1), Value::from("x"));
        // Fix `a` only, through a partial check.
        assert_eq!(k.check([&int]), Ok(()));
        assert!(k.check([&text, &text]).is_err());
        assert_eq!(k.check([&int, &int]), Ok(()), "`b` was still open");
    }

    #[test]
    fn an_absent_value_neither_fixes_nor_conflicts_with_a_kind() {
        let mut k = KeyKinds::new(&attrs(["a"]));
        let some_none = Value::Some(Box::new(Value::Null));
        assert_eq!(k.check([&Value::Null]), Ok(()));
        assert_eq!(k.check([&some_none]), Ok(()));
        assert_eq!(k.check([&Value::from(1)]), Ok(()), "`a` was still open");
        assert_eq!(k.check([&Value::Null]), Ok(()), "None of an integer key");
        assert_eq!(
            k.check([&Value::from(1.5)]),
            Err(WrongKeyKind {
                attribute: "a".into(),
                expected: ValueKind::Int,
                found: ValueKind::Float,
            })
        );
    }
}
