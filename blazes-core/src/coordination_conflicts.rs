//! Inputs the plan asks to coordinate in two ways that cannot both hold.
//!
//! A sequencer's order composes with anything: it only fixes the order in
//! which an input's messages arrive, and the input is then applied in its
//! mode (held by a seal buffer, gated, or handled as it comes). But an
//! input is held under one key at a time, and ordered by one `seq` at a
//! time: a read whose protecting writes are sealed on two keys would wait
//! under both (spec §5), and a sealed input that also needs a static order
//! would be held by two wrappers each of which releases in its own order.
//! The runtime refuses such a plan when it is deployed, and the macros when
//! the dataflow compiles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::label::{AttrSet, attrs_to_string};
use crate::result::{Coordination, OrderKind, Strategy};

/// How one applied coordination wraps one input, when it is not a
/// sequencer's order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputWrapper {
    /// Held (or its reads gated) by a seal buffer on the key.
    SealBuffer(AttrSet),
    /// Applied batch by batch in the order of these `seq` attributes.
    StaticOrder(AttrSet),
}

impl fmt::Display for InputWrapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputWrapper::SealBuffer(key) => write!(f, "a seal buffer on {}", attrs_to_string(key)),
            InputWrapper::StaticOrder(seq) => {
                write!(f, "a static order on seq {}", attrs_to_string(seq))
            }
        }
    }
}

/// An input the plan wraps in two ways the runtime cannot combine.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CoordinationConflict {
    /// The component.
    pub component: String,
    /// Its input.
    pub input: String,
    /// The first wrapper, and the output it protects (`Comp.iface`).
    pub first: (InputWrapper, String),
    /// The second wrapper, and the output it protects.
    pub second: (InputWrapper, String),
}

impl CoordinationConflict {
    /// What is wrong, in one sentence.
    pub fn problem(&self) -> String {
        format!(
            "input `{c}.{i}` needs {a} (for `{ao}`) and {b} (for `{bo}`), and the runtime holds an \
             input under only one of them",
            c = self.component,
            i = self.input,
            a = self.first.0,
            ao = self.first.1,
            b = self.second.0,
            bo = self.second.1,
        )
    }

    /// How to fix it.
    pub fn fix(&self) -> String {
        let c = &self.component;
        match (&self.first.0, &self.second.0) {
            (InputWrapper::SealBuffer(a), InputWrapper::SealBuffer(b)) => format!(
                "seal the writes that `{c}.{i}` observes on one key, {} or {}, each write's gate \
                 covering it (its order-sensitive paths then gated on that key), or drop their \
                 seals and let blazes order `{c}` through a sequencer (`coordinate = auto`)",
                attrs_to_string(a),
                attrs_to_string(b),
                i = self.input,
            ),
            (InputWrapper::StaticOrder(a), InputWrapper::StaticOrder(b)) => format!(
                "give the streams into `{c}` the same `seq` attributes ({} or {})",
                attrs_to_string(a),
                attrs_to_string(b)
            ),
            _ => format!(
                "drop `seq` from the stream into `{c}.{}` (a sequencer then orders it, which \
                 composes with the seal buffer), or drop its seal",
                self.input
            ),
        }
    }
}

/// The problem, then `= fix:` and the fix, as the compile error and the
/// runtime's refusal print them.
impl fmt::Display for CoordinationConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  = fix: {}", self.problem(), self.fix())
    }
}

/// Every input that the applied ones of `coordinations` (an analysis's
/// plan, or the part of it at one component) wrap in two ways that cannot
/// both hold (see the module's doc), once per input, in the plan's order.
pub fn coordination_conflicts<'a>(
    coordinations: impl IntoIterator<Item = &'a Coordination>,
) -> Vec<CoordinationConflict> {
    // The first wrapper of each (component, input), and the output it is for.
    let mut wrapped: BTreeMap<(&str, &str), (InputWrapper, &str)> = BTreeMap::new();
    let mut conflicting: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut conflicts: Vec<CoordinationConflict> = Vec::new();
    for coordination in coordinations.into_iter().filter(|c| c.applied) {
        let wrapper = match &coordination.strategy {
            Strategy::Seal { key, .. } => InputWrapper::SealBuffer(key.clone()),
            Strategy::Order {
                kind: OrderKind::Static { seq },
            } => InputWrapper::StaticOrder(seq.clone()),
            Strategy::Order {
                kind: OrderKind::Dynamic,
            } => continue,
        };
        for input in &coordination.inputs {
            let at = (coordination.component.as_str(), input.as_str());
            match wrapped.get(&at) {
                None => {
                    wrapped.insert(at, (wrapper.clone(), &coordination.output));
                }
                Some((first, output)) if *first != wrapper && conflicting.insert(at) => {
                    conflicts.push(CoordinationConflict {
                        component: coordination.component.clone(),
                        input: input.clone(),
                        first: (first.clone(), output.to_string()),
                        second: (wrapper.clone(), coordination.output.clone()),
                    });
                }
                Some(_) => {}
            }
        }
    }
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Annotation, Component, Dataflow, Permission, Stream, analyze, attrs};

    /// `C.a` is sealed on `k` (a seal buffer for its `OW[k]` path to `o1`)
    /// and stamped `seq: [b]`, which orders its ungated `OW` path to `o2`
    /// statically: two wrappers for one input.
    #[test]
    fn a_sealed_input_that_also_needs_a_static_order_is_a_conflict() {
        let dataflow = Dataflow::new()
            .component(
                Component::new("C")
                    .path("a", "o1", Annotation::ow(attrs(["k"])))
                    .path("a", "o2", Annotation::ow(attrs::<[&str; 0], &str>([]))),
            )
            .stream(
                Stream::between("src", "C.a")
                    .sealed(attrs(["k"]))
                    .sequenced(attrs(["b"])),
            )
            .stream(Stream::between("C.o1", "one"))
            .stream(Stream::between("C.o2", "two"))
            .coordinate(Permission::Auto);
        let analysis = analyze(&dataflow).expect("valid");
        let conflicts = coordination_conflicts(&analysis.coordination);
        let [conflict] = &conflicts[..] else {
            panic!("one conflict: {conflicts:?} in {:?}", analysis.coordination);
        };
        assert_eq!(
            (conflict.component.as_str(), conflict.input.as_str()),
            ("C", "a")
        );
        let wrappers = [&conflict.first.0, &conflict.second.0];
        assert!(wrappers.contains(&&InputWrapper::SealBuffer(attrs(["k"]))));
        assert!(wrappers.contains(&&InputWrapper::StaticOrder(attrs(["b"]))));
        assert!(
            conflict
                .fix()
                .starts_with("drop `seq` from the stream into `C.a`")
        );
        // Without the `seq`, a sequencer orders it: that composes.
        let dataflow = Dataflow::new()
            .component(
                Component::new("C")
                    .path("a", "o1", Annotation::ow(attrs(["k"])))
                    .path("a", "o2", Annotation::ow(attrs::<[&str; 0], &str>([]))),
            )
            .stream(Stream::between("src", "C.a").sealed(attrs(["k"])))
            .stream(Stream::between("C.o1", "one"))
            .stream(Stream::between("C.o2", "two"))
            .coordinate(Permission::Auto);
        let analysis = analyze(&dataflow).expect("valid");
        assert!(coordination_conflicts(&analysis.coordination).is_empty());
    }
}
