//! The orders in which an annotation check feeds a path its inputs (issue 13,
//! point 3): every permutation and duplication for a confluent path, every
//! interleaving of the gate's partitions (each partition keeping its own
//! order) for an order-sensitive one. Enumerated in lexicographic order up to
//! a budget, so the first arrangement found is the one closest to the given
//! order; sampled with a seeded generator past the budget.

use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed of the sampled arrangements: the same check samples the same.
const SAMPLE_SEED: u64 = 0xb1a2_e5e5;

/// Rearranges `items` into the next lexicographic permutation (equal items
/// are not told apart, so a multiset's permutations come once each); false
/// after the last one.
pub(crate) fn next_permutation<T: Ord>(items: &mut [T]) -> bool {
    let Some(pivot) = items.windows(2).rposition(|w| w[0] < w[1]) else {
        return false;
    };
    let Some(successor) = items.iter().rposition(|x| *x > items[pivot]) else {
        return false;
    };
    items.swap(pivot, successor);
    items[pivot + 1..].reverse();
    true
}

/// Orders of the input indices `0..n` for a confluent path: every
/// permutation but the identity, then each input delivered twice (right
/// after itself, and again at the end). Past `budget` arrangements, random
/// permutations with one random duplicate (seed fixed).
pub(crate) fn confluent(n: usize, budget: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut order: Vec<usize> = (0..n).collect();
    while out.len() < budget && next_permutation(&mut order) {
        out.push(order.clone());
    }
    for i in 0..n {
        if out.len() + 2 > budget {
            break;
        }
        let mut twice: Vec<usize> = (0..n).collect();
        twice.insert(i, i);
        out.push(twice);
        let mut again: Vec<usize> = (0..n).collect();
        again.push(i);
        out.push(again);
    }
    if factorial_at_least(n, budget) {
        let mut rng = ChaCha8Rng::seed_from_u64(SAMPLE_SEED);
        for _ in 0..budget {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rng);
            let extra = rng.random_range(0..n);
            order.insert(rng.random_range(0..=n), extra);
            out.push(order);
        }
    }
    out
}

/// Orders of the input indices for an order-sensitive path whose inputs
/// fall in the gate partitions `partition[i]`: every interleaving of the
/// partitions that keeps each partition's own order, but the given one.
/// Past `budget`, random interleavings (seed fixed).
pub(crate) fn interleavings(partition: &[usize], budget: usize) -> Vec<Vec<usize>> {
    let mut members: Vec<Vec<usize>> = Vec::new();
    for (i, p) in partition.iter().enumerate() {
        if members.len() <= *p {
            members.resize(*p + 1, Vec::new());
        }
        members[*p].push(i);
    }
    let realise = |labels: &[usize]| -> Vec<usize> {
        let mut next = vec![0; members.len()];
        labels
            .iter()
            .map(|p| {
                next[*p] += 1;
                members[*p][next[*p] - 1]
            })
            .collect()
    };
    let identity: Vec<usize> = (0..partition.len()).collect();
    let mut labels: Vec<usize> = partition.to_vec();
    labels.sort_unstable();
    let mut out = Vec::new();
    loop {
        let order = realise(&labels);
        if order != identity {
            out.push(order);
        }
        if out.len() >= budget || !next_permutation(&mut labels) {
            break;
        }
    }
    if out.len() >= budget {
        let mut rng = ChaCha8Rng::seed_from_u64(SAMPLE_SEED);
        for _ in 0..budget {
            labels.shuffle(&mut rng);
            out.push(realise(&labels));
        }
    }
    out
}

/// True when `n!` reaches `bound`.
fn factorial_at_least(n: usize, bound: usize) -> bool {
    let mut f: usize = 1;
    for k in 1..=n {
        f = f.saturating_mul(k);
        if f >= bound {
            return true;
        }
    }
    f >= bound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_inputs_have_five_other_permutations_and_six_duplications() {
        let orders = confluent(3, 1_000);
        assert_eq!(orders.len(), 5 + 6);
        assert_eq!(orders[0], vec![0, 2, 1]);
        assert!(orders.contains(&vec![0, 0, 1, 2]));
        assert!(orders.contains(&vec![0, 1, 2, 2]));
    }

    #[test]
    fn interleavings_keep_each_partition_in_order() {
        // Partitions a = {0, 1}, b = {2}: a a b is the given order; a b a
        // and b a a are the other two (3! / 2! = 3 in all).
        let orders = interleavings(&[0, 0, 1], 1_000);
        assert_eq!(orders, vec![vec![0, 2, 1], vec![2, 0, 1]]);
    }

    #[test]
    fn past_the_budget_orders_are_sampled() {
        assert_eq!(confluent(8, 10).len(), 10 + 10);
    }
}
