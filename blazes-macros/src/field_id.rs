//! Field names as numbers usable as const generic arguments
//! (`FieldOf<123u64>`): computed here, when the macros
//! expand, so the generated code carries a literal and the compiler has no
//! constant to evaluate per lookup.

use proc_macro2::Literal;

/// The id of a name: FNV-1a, 64 bits. Every id in the generated code comes
/// from this one function, so the derive's `FieldOf` impls and the lookups
/// of `#[component]` and `#[blazes::dataflow]` agree.
pub fn field_id(name: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The id of `name` as a suffixed literal (`123u64`).
pub fn id_literal(name: &str) -> Literal {
    Literal::u64_suffixed(field_id(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_fnv1a_and_differ_by_name() {
        // FNV-1a 64 of "a" (reference value of the algorithm).
        assert_eq!(field_id("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(field_id("user"), field_id("session"));
        assert_eq!(id_literal("a").to_string(), format!("{}u64", field_id("a")));
    }
}
