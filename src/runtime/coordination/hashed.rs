//! The hashed maps and sets the coordination wrappers key by what
//! producers choose (seal keys, partitions, producers): hashed with a
//! random seed per map, so a producer that picks its keys cannot make them
//! collide and turn each lookup into a scan of the table, and as fast as an
//! unseeded hash on the small keys they hold (`foldhash`). Nothing reads
//! them in their hash order: where they are listed or saved they are
//! sorted first.

/// A map hashed with a random seed of its own.
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A set hashed with a random seed of its own.
pub(crate) type HashSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn each_map_hashes_with_a_seed_of_its_own() {
        // Unseeded, every map would hash a key alike: keys that collide in
        // one collide in all, and a producer could choose them to.
        let maps: Vec<HashMap<i64, ()>> = (0..4).map(|_| HashMap::default()).collect();
        let hashes: std::collections::BTreeSet<u64> =
            maps.iter().map(|m| m.hasher().hash_one(7_i64)).collect();
        assert_eq!(hashes.len(), maps.len(), "{hashes:?}");
        let set: HashSet<i64> = HashSet::default();
        assert!(!hashes.contains(&set.hasher().hash_one(7_i64)));
    }
}
