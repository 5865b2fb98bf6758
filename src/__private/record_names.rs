//! What `#[derive(blazes::Record)]` generates its conversions with: the
//! record type's field names sorted once, at compile time ([`SortedNames`]),
//! so that its tuple is built in one allocation in name order
//! ([`sorted_tuple`]) and read back by position ([`read_field_at`]).

use crate::record::{Field, RecordError};
use crate::tuple::{Tuple, Value};

/// A record type's field names in name order, distinct: built only by
/// [`SortedNames::new`], which refuses (at compile time, in a `static`)
/// names out of order or repeated.
#[derive(Debug)]
pub struct SortedNames<const N: usize>([&'static str; N]);

impl<const N: usize> SortedNames<N> {
    /// `names`, which must be sorted (as `str`s are ordered) and distinct.
    ///
    /// # Panics
    /// When they are not: in the `static` the derive writes, that is a
    /// compile error.
    pub const fn new(names: [&'static str; N]) -> SortedNames<N> {
        let mut i = 1;
        while i < N {
            assert!(
                before(names[i - 1], names[i]),
                "record field names must be sorted and distinct"
            );
            i += 1;
        }
        SortedNames(names)
    }

    /// The name at position `index` (in name order).
    pub const fn at(&self, index: usize) -> &'static str {
        self.0[index]
    }
}

/// True when `a` sorts strictly before `b` (byte order, as `str`'s `Ord`).
const fn before(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// The tuple of a record whose fields, in name order, have `values`: one
/// allocation, the names shared with every other record of the type.
pub fn sorted_tuple<const N: usize>(names: &'static SortedNames<N>, values: [Value; N]) -> Tuple {
    Tuple::from_sorted_static(&names.0, values)
}

/// Field `field` of a `record` read from `tuple`, looked for first at
/// position `index` (where the record type's own tuples hold it).
///
/// # Errors
/// When the field is missing or holds a value of another type.
pub fn read_field_at<T: Field>(
    tuple: &Tuple,
    index: usize,
    record: &'static str,
    field: &'static str,
) -> Result<T, RecordError> {
    super::typed::decode_field(tuple.get_at(index, field), record, field)
}

/// How many of `records`, from the first, `equal` holds for (a derived
/// [`Record::leading_equal`](crate::Record), one field's comparison inlined
/// into the loop).
#[inline]
pub fn leading_equal_by<R>(records: &[R], equal: impl Fn(&R) -> bool) -> usize {
    // Eight at a time while all eight are equal (compared without a branch
    // per record), then one at a time from the first eight that are not.
    let mut whole = 0;
    for eight in records.chunks_exact(8) {
        if !eight.iter().fold(true, |all, r| all & equal(r)) {
            break;
        }
        whole += 8;
    }
    whole + records[whole..].iter().take_while(|r| equal(r)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    static NAMES: SortedNames<3> = SortedNames::new(["a", "ab", "b"]);

    #[test]
    fn names_are_ordered_as_strs_are() {
        assert!(before("a", "ab") && before("ab", "b") && before("B", "a"));
        assert!(!before("a", "a") && !before("b", "ab"));
        let refused = std::panic::catch_unwind(|| SortedNames::new(["b", "a"]));
        assert!(refused.is_err(), "out of order");
        let refused = std::panic::catch_unwind(|| SortedNames::new(["a", "a"]));
        assert!(refused.is_err(), "repeated");
    }

    #[test]
    fn a_sorted_tuple_is_the_tuple_set_by_name_and_reads_back_by_position() {
        let t = sorted_tuple(&NAMES, [Value::Int(1), Value::from("x"), Value::Int(3)]);
        let by_name = Tuple::new().with("b", 3).with("ab", "x").with("a", 1);
        assert_eq!(t, by_name);
        assert_eq!(t.to_string(), by_name.to_string());
        assert_eq!(
            read_field_at::<String>(&t, 1, "R", "ab"),
            Ok("x".to_string())
        );
        // A tuple of another layout: found by name.
        let other = Tuple::new().with("ab", "y").with("z", 0);
        assert_eq!(
            read_field_at::<String>(&other, 1, "R", "ab"),
            Ok("y".to_string())
        );
        assert_eq!(
            read_field_at::<i64>(&other, 5, "R", "b").map_err(|e| e.missing),
            Err(true)
        );
        assert_eq!(
            read_field_at::<i64>(&other, 0, "R", "ab").map_err(|e| e.missing),
            Err(false)
        );
    }
}
