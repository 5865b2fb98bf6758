//! Indexing the record types of a typed component's interfaces, listed as
//! nested pairs (`(A, (B, ()))`): [`At<I>`](At) is the `I`-th. One impl of
//! `Typed` per component then names all of them (up to 32 of each kind).

use crate::record::Record;

/// The `I`-th type of a list of nested pairs (`(A, (B, ()))`).
pub trait At<const I: usize> {
    /// The type at that position.
    type Type: Record;
}

/// `(A, (B, Rest))` from `Rest; A B`.
macro_rules! nested {
    ($rest:ty;) => { $rest };
    ($rest:ty; $first:ident $($more:ident)*) => { ($first, nested!($rest; $($more)*)) };
}

/// `At<n>` for every position, `$before` being the types ahead of it.
macro_rules! at_impls {
    ([$($before:ident)*] $index:expr; $current:ident $($after:ident)*) => {
        impl<$($before,)* $current: Record, Rest> At<{ $index }>
            for nested!(Rest; $($before)* $current)
        {
            type Type = $current;
        }
        at_impls!([$($before)* $current] $index + 1; $($after)*);
    };
    ([$($before:ident)*] $index:expr;) => {};
}

at_impls!([] 0; T0 T1 T2 T3 T4 T5 T6 T7 T8 T9 T10 T11 T12 T13 T14 T15
    T16 T17 T18 T19 T20 T21 T22 T23 T24 T25 T26 T27 T28 T29 T30 T31);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tuple;
    use crate::record::RecordError;

    struct Probe;

    impl Record for Probe {
        const NAME: &'static str = "Probe";
        const FIELDS: &'static [&'static str] = &[];
        fn to_tuple(&self) -> Tuple {
            Tuple::new()
        }
        fn from_tuple(_: &Tuple) -> Result<Self, RecordError> {
            Ok(Probe)
        }
    }

    fn same<A: 'static, B: 'static>() -> bool {
        core::any::TypeId::of::<A>() == core::any::TypeId::of::<B>()
    }

    #[test]
    fn each_position_names_its_type_up_to_the_32nd() {
        type T = Tuple;
        type Short = nested!((); T Probe);
        assert!(same::<<Short as At<0>>::Type, Tuple>());
        assert!(same::<<Short as At<1>>::Type, Probe>());
        type Long =
            nested!((); T T T T T T T T T T T T T T T T T T T T T T T T T T T T T T T Probe);
        assert!(same::<<Long as At<30>>::Type, Tuple>());
        assert!(same::<<Long as At<31>>::Type, Probe>());
    }
}
