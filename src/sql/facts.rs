//! What the derivation found about each input of a view (paper §VII-B1,
//! issue 12), and how it becomes the path's annotation: order-sensitive when
//! a non-monotone operator reads the input (gate: the intersection of the
//! operators' gates, sound since a smaller gate is compatible with fewer
//! seals, spec §3), writing state when an accumulating operator keeps its
//! rows. Each fact keeps the clause that caused it, for notes and locations.

use std::collections::BTreeSet;
use std::ops::Range;

use blazes_core::label::attrs_to_string;
use blazes_core::{Annotation, AttrSet, PathKind};

use crate::locations::Located;

/// A clause and why it matters.
#[derive(Clone, Debug)]
pub(crate) struct Reason {
    /// Where the clause is.
    pub at: Range<usize>,
    /// The clause, as written (on one line).
    pub clause: String,
    /// Why it decides what it decides, in the user's words.
    pub why: String,
}

/// An order-sensitive operator over an input.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    /// The partitions it operates over.
    pub gate: AttrSet,
    /// The clause.
    pub reason: Reason,
}

/// Everything found about one input of a view.
#[derive(Clone, Debug)]
pub(crate) struct InputFacts {
    /// Where the view first reads the input.
    pub read_at: Range<usize>,
    /// The non-monotone operators over it.
    pub order: Vec<Order>,
    /// The accumulating operators over it.
    pub writes: Vec<Reason>,
    /// Operators recognised as confluent although they look otherwise
    /// (the monotone threshold of the paper's THRESH).
    pub confluent: Vec<Reason>,
}

/// The facts of every input of one view, in the order they are first read.
#[derive(Clone, Debug, Default)]
pub(crate) struct ViewFacts {
    inputs: Vec<(String, InputFacts)>,
}

impl ViewFacts {
    /// Notes that the view reads `input` at `at` (the first read counts).
    pub fn read(&mut self, input: &str, at: Range<usize>) {
        if !self.inputs.iter().any(|(n, _)| n == input) {
            self.inputs.push((
                input.to_string(),
                InputFacts {
                    read_at: at,
                    order: Vec::new(),
                    writes: Vec::new(),
                    confluent: Vec::new(),
                },
            ));
        }
    }

    fn get(&mut self, input: &str) -> Option<&mut InputFacts> {
        self.inputs
            .iter_mut()
            .find(|(n, _)| n == input)
            .map(|(_, f)| f)
    }

    /// Records an order-sensitive operator over each of `inputs`.
    pub fn order(&mut self, inputs: &BTreeSet<String>, gate: &AttrSet, reason: &Reason) {
        for input in inputs {
            if let Some(f) = self.get(input) {
                f.order.push(Order {
                    gate: gate.clone(),
                    reason: reason.clone(),
                });
            }
        }
    }

    /// Records an accumulating operator over each of `inputs`.
    pub fn writes(&mut self, inputs: &BTreeSet<String>, reason: &Reason) {
        for input in inputs {
            if let Some(f) = self.get(input) {
                f.writes.push(reason.clone());
            }
        }
    }

    /// Records an operator recognised as confluent over each of `inputs`.
    pub fn confluent(&mut self, inputs: &BTreeSet<String>, reason: &Reason) {
        for input in inputs {
            if let Some(f) = self.get(input) {
                f.confluent.push(reason.clone());
            }
        }
    }

    /// The inputs and their facts, in the order first read.
    pub fn inputs(&self) -> &[(String, InputFacts)] {
        &self.inputs
    }
}

impl InputFacts {
    /// The path annotation these facts give.
    pub fn annotation(&self) -> Annotation {
        let order_sensitive = !self.order.is_empty();
        let kind = PathKind::from_properties(order_sensitive, !self.writes.is_empty());
        Annotation::new(kind, self.gate())
    }

    /// The gate: the attributes every order-sensitive operator partitions by.
    fn gate(&self) -> AttrSet {
        let mut gates = self.order.iter().map(|o| &o.gate);
        let Some(first) = gates.next() else {
            return AttrSet::new();
        };
        gates.fold(first.clone(), |acc, g| {
            acc.intersection(g).cloned().collect()
        })
    }

    /// The clause that decided the annotation: the first order-sensitive
    /// operator, else the first accumulating one, else the confluent one
    /// recognised, else the read.
    pub fn deciding(&self) -> Range<usize> {
        self.order
            .first()
            .map(|o| o.reason.at.clone())
            .or_else(|| self.writes.first().map(|r| r.at.clone()))
            .or_else(|| self.confluent.first().map(|r| r.at.clone()))
            .unwrap_or_else(|| self.read_at.clone())
    }

    /// The annotation and why, in the user's words: "OW[id]: order-sensitive
    /// because of `HAVING COUNT(*) < 100` at line 7 (...)".
    pub fn note(&self, text: &str) -> String {
        let line = |at: &Range<usize>| Located::in_text(text, at.clone()).line;
        let cite = |r: &Reason| format!("`{}` at line {} ({})", r.clause, line(&r.at), r.why);
        let annotation = self.annotation();
        let mut parts = Vec::new();
        if self.order.is_empty() {
            let mut confluent = String::from("confluent");
            if !self.confluent.is_empty() {
                confluent.push_str(" because of ");
                confluent.push_str(&join(self.confluent.iter().map(&cite)));
            } else {
                confluent.push_str(": only monotone operators read it");
            }
            parts.push(confluent);
        } else {
            parts.push(format!(
                "order-sensitive because of {}",
                join(self.order.iter().map(|o| cite(&o.reason)))
            ));
            let gate = self.gate();
            parts.push(if gate.is_empty() {
                "no gate, so no seal makes it deterministic".to_string()
            } else if self.order.len() == 1 {
                format!("gate {}", attrs_to_string(&gate))
            } else {
                format!("gate {} (common to every operator)", attrs_to_string(&gate))
            });
        }
        if self.writes.is_empty() {
            parts.push("writes no state".to_string());
        } else {
            parts.push(format!(
                "writes state because of {}",
                join(self.writes.iter().map(&cite))
            ));
        }
        format!("{annotation}: {}", parts.join("; "))
    }
}

/// `a`, `b` and `c`.
fn join(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    fn reason(clause: &str) -> Reason {
        Reason {
            at: 0..1,
            clause: clause.into(),
            why: "because".into(),
        }
    }

    #[test]
    fn two_gates_meet_in_their_intersection() {
        let mut facts = ViewFacts::default();
        facts.read("t", 0..1);
        let inputs = BTreeSet::from(["t".to_string()]);
        facts.order(&inputs, &attrs(["a", "b"]), &reason("GROUP BY a, b"));
        facts.order(&inputs, &attrs(["b", "c"]), &reason("DISTINCT ON (b, c)"));
        facts.writes(&inputs, &reason("GROUP BY a, b"));
        let a = facts.inputs()[0].1.annotation();
        assert_eq!(a, Annotation::ow(attrs(["b"])));
    }

    #[test]
    fn no_facts_is_a_confluent_read() {
        let mut facts = ViewFacts::default();
        facts.read("t", 0..1);
        let f = &facts.inputs()[0].1;
        assert_eq!(f.annotation(), Annotation::cr());
        assert!(f.note("x").starts_with("CR: confluent"));
    }

    #[test]
    fn facts_for_unknown_inputs_are_ignored() {
        let mut facts = ViewFacts::default();
        facts.writes(&BTreeSet::from(["nope".to_string()]), &reason("x"));
        assert!(facts.inputs().is_empty());
    }
}
