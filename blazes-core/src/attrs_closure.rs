//! Attribute interning and the `compatible` predicate (spec §3).

use rustc_hash::FxHashMap as HashMap;

use crate::label::AttrSet;
use crate::model::Fd;

/// Interned attribute sets (seal keys, seq keys, gates) and the FD closure.
pub(crate) struct Attrs {
    attr_ids: HashMap<String, u32>,
    sets: Vec<AttrSet>,
    set_ids: HashMap<AttrSet, u32>,
    /// Each FD as (determining attribute ids, determined id, injective).
    fds: Vec<(Vec<u32>, u32, bool)>,
}

/// Answers of `compatible` remembered while the passes run; a derivation
/// rebuilt on request starts from an empty one.
#[derive(Default)]
pub(crate) struct CompatMemo(HashMap<(SetId, SetId), bool>);

/// An interned attribute set.
pub(crate) type SetId = u32;

/// Spec §3: a seal on `key` is compatible with the gate `gate` under `fds`
/// (`key` is non-empty and within the gate's closure: identity, FDs
/// forwards, injective FDs backwards). The analysis's own predicate, for a
/// front end that proposes seals.
pub fn compatible(fds: &[Fd], gate: &AttrSet, key: &AttrSet) -> bool {
    let mut attrs = Attrs::new(fds);
    let (gate, key) = (attrs.intern(gate), attrs.intern(key));
    attrs.compatible(&mut CompatMemo::default(), gate, key)
}

/// The plain functional dependencies that, declared beside `fds`, would make
/// a seal on `key` compatible with `gate` (spec §3): one alternative per
/// attribute of the gate, determining from it every attribute of `key`
/// outside the gate (`meter -> region`). Empty when `key` is already
/// compatible, or is empty, or the gate is. For a
/// front end that tells a user whose seal does not fit the gate what would
/// make it fit, if it is true of the data.
pub fn dependencies_for(fds: &[Fd], gate: &AttrSet, key: &AttrSet) -> Vec<Vec<Fd>> {
    if gate.is_empty() || key.is_empty() || compatible(fds, gate, key) {
        return Vec::new();
    }
    let from_each = |from: &AttrSet| -> Vec<Fd> {
        key.iter()
            .filter(|k| !gate.contains(*k))
            .map(|k| Fd {
                from: from.clone(),
                to: k.clone(),
                injective: false,
            })
            .collect()
    };
    let works = |added: &[Fd]| {
        let mut all = fds.to_vec();
        all.extend(added.iter().cloned());
        compatible(&all, gate, key)
    };
    gate.iter()
        .map(|g| from_each(&std::iter::once(g.clone()).collect()))
        .filter(|added| works(added))
        .collect()
}

impl Attrs {
    pub(crate) fn new(fds: &[Fd]) -> Attrs {
        let mut attrs = Attrs {
            attr_ids: HashMap::default(),
            sets: Vec::new(),
            set_ids: HashMap::default(),
            fds: Vec::new(),
        };
        for fd in fds {
            let from = fd.from.iter().map(|a| attrs.attr(a)).collect();
            let to = attrs.attr(&fd.to);
            attrs.fds.push((from, to, fd.injective));
        }
        attrs
    }

    fn attr(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.attr_ids.get(name) {
            return id;
        }
        let id = self.attr_ids.len() as u32;
        self.attr_ids.insert(name.to_string(), id);
        id
    }

    /// Interns an attribute set.
    pub(crate) fn intern(&mut self, set: &AttrSet) -> SetId {
        if let Some(&id) = self.set_ids.get(set) {
            return id;
        }
        for a in set {
            self.attr(a);
        }
        let id = self.sets.len() as SetId;
        self.sets.push(set.clone());
        self.set_ids.insert(set.clone(), id);
        id
    }

    /// Sorts interned sets by their attributes, so that an order built from
    /// them does not depend on the order they were interned in.
    pub(crate) fn sort_sets(&self, ids: &mut [SetId]) {
        ids.sort_unstable_by(|&a, &b| self.set(a).cmp(self.set(b)));
    }

    /// The attribute set behind an id.
    pub(crate) fn set(&self, id: SetId) -> &AttrSet {
        &self.sets[id as usize]
    }

    fn ids_of(&self, id: SetId) -> Vec<u32> {
        self.sets[id as usize]
            .iter()
            .filter_map(|a| self.attr_ids.get(a).copied())
            .collect()
    }

    /// The closure of a gate: identity, FDs forwards, injective FDs backwards.
    fn closure(&self, gate: SetId) -> Vec<u32> {
        let mut have: Vec<u32> = self.ids_of(gate);
        have.sort_unstable();
        loop {
            let mut grew = false;
            for (from, to, injective) in &self.fds {
                if from.iter().all(|a| have.binary_search(a).is_ok())
                    && let Err(pos) = have.binary_search(to)
                {
                    have.insert(pos, *to);
                    grew = true;
                }
                if *injective && have.binary_search(to).is_ok() {
                    for a in from {
                        if let Err(pos) = have.binary_search(a) {
                            have.insert(pos, *a);
                            grew = true;
                        }
                    }
                }
            }
            if !grew {
                return have;
            }
        }
    }

    /// `compatible(g, k)`: `k` is non-empty and `k ⊆ closure(g)`.
    pub(crate) fn compatible(&self, memo: &mut CompatMemo, gate: SetId, key: SetId) -> bool {
        if let Some(&c) = memo.0.get(&(gate, key)) {
            return c;
        }
        let key_ids = self.ids_of(key);
        let result = !key_ids.is_empty() && {
            let closure = self.closure(gate);
            key_ids.iter().all(|a| closure.binary_search(a).is_ok())
        };
        memo.0.insert((gate, key), result);
        result
    }

    /// A seal on `key` is compatible with every gate.
    pub(crate) fn compatible_all(
        &self,
        memo: &mut CompatMemo,
        gates: &[SetId],
        key: SetId,
    ) -> bool {
        !gates.is_empty() && gates.iter().all(|&g| self.compatible(memo, g, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::attrs;

    fn check(fds: &[Fd], gate: &[&str], key: &[&str]) -> bool {
        compatible(
            fds,
            &attrs(gate.iter().copied()),
            &attrs(key.iter().copied()),
        )
    }

    fn injective(from: &[&str], to: &str) -> Fd {
        Fd {
            from: attrs(from.iter().copied()),
            to: to.to_string(),
            injective: true,
        }
    }

    #[test]
    fn spec_examples_of_compatibility() {
        assert!(check(&[], &["id", "campaign"], &["campaign"]));
        assert!(!check(&[], &["campaign"], &["campaign", "region"]));
        let fds = [injective(&["company"], "symbol")];
        assert!(check(&fds, &["symbol"], &["company"]));
        assert!(!check(&fds, &["city"], &["company"]));
    }

    #[test]
    fn the_dependencies_that_would_make_a_seal_fit_come_from_single_gate_attributes_first() {
        let written = |alternatives: Vec<Vec<Fd>>| -> Vec<String> {
            alternatives
                .iter()
                .map(|fds| {
                    let each: Vec<String> = fds
                        .iter()
                        .map(|fd| {
                            let from: Vec<&str> = fd.from.iter().map(String::as_str).collect();
                            format!("{} -> {}", from.join(","), fd.to)
                        })
                        .collect();
                    each.join("; ")
                })
                .collect()
        };
        let gate = attrs(["hour", "meter"]);
        // Seal on [region, hour], gated on [hour, meter]: either gate
        // attribute determining `region` would do.
        assert_eq!(
            written(dependencies_for(&[], &gate, &attrs(["region", "hour"]))),
            ["hour -> region", "meter -> region"]
        );
        // Already compatible, or an empty key: nothing to declare.
        assert!(dependencies_for(&[], &gate, &attrs(["hour"])).is_empty());
        assert!(dependencies_for(&[], &gate, &attrs(Vec::<String>::new())).is_empty());
        // Declared: nothing more to declare.
        let declared = [Fd {
            from: attrs(["meter"]),
            to: "region".to_string(),
            injective: false,
        }];
        assert!(dependencies_for(&declared, &gate, &attrs(["region", "hour"])).is_empty());
        // Two attributes outside the gate: one alternative per gate
        // attribute, each naming both.
        assert_eq!(
            written(dependencies_for(
                &[],
                &attrs(["meter"]),
                &attrs(["region", "zone"])
            )),
            ["meter -> region; meter -> zone"]
        );
    }

    #[test]
    fn empty_key_and_empty_gate_are_never_compatible() {
        assert!(!check(&[], &["a"], &[]));
        assert!(!check(&[], &[], &["a"]));
    }

    #[test]
    fn non_injective_fd_only_goes_forwards() {
        let fd = Fd {
            from: attrs(["company"]),
            to: "city".to_string(),
            injective: false,
        };
        assert!(check(std::slice::from_ref(&fd), &["company"], &["city"]));
        assert!(!check(&[fd], &["city"], &["company"]));
    }

    #[test]
    fn fds_chain_transitively() {
        let fds = [injective(&["a"], "b"), injective(&["b"], "c")];
        assert!(check(&fds, &["c"], &["a"]));
        assert!(check(&fds, &["a"], &["c"]));
    }
}
