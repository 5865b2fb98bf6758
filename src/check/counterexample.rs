//! What an annotation check returns: the claim holds, or it is a lie shown
//! by a minimised counterexample that prints like "path `words -> counts`
//! is declared CW, but inputs [a, b] and [b, a] give {..} and {..}".

use std::collections::BTreeSet;
use std::fmt;

use crate::handler::UnknownInput;
use crate::tuple::Tuple;

/// What one run of the handler showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The distinct records emitted on the path's output.
    pub outputs: BTreeSet<Tuple>,
    /// The final state, when the check reads one.
    pub state: Option<String>,
}

/// One record a check fed the handler, and the input it came on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fed {
    /// The input interface.
    pub input: String,
    /// The record.
    pub record: Tuple,
}

/// A record fed equals the tuple it carries, whatever its input.
impl PartialEq<Tuple> for Fed {
    fn eq(&self, other: &Tuple) -> bool {
        self.record == *other
    }
}

/// A path that does not behave as declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// `from -> to`.
    pub path: String,
    /// The claim: `CR`, `OW[word,batch]`.
    pub declared: String,
    /// The (minimised) inputs, in the order that gave `left`: the path's
    /// own, and those fed beside them on inputs whose state the path may
    /// read ([`PathCheck::beside`](super::PathCheck::beside)).
    pub inputs: Vec<Fed>,
    /// The same inputs in the order that gave `right`.
    pub rearranged: Vec<Fed>,
    /// What the handler did on `inputs`.
    pub left: Observed,
    /// What it did on `rearranged`.
    pub right: Observed,
    /// Arrangements tried before the lie showed, on the full inputs.
    pub tried: usize,
}

impl Counterexample {
    /// True when the outputs agree and only the final states differ.
    pub fn state_differs_only(&self) -> bool {
        self.left.outputs == self.right.outputs
    }

    /// The other inputs whose records the two arrangements place
    /// differently relative to the path's own records (records fed
    /// [`beside`](super::PathCheck::beside) them), sorted: the lie is then
    /// the path observing what those inputs write.
    pub fn moved_writes(&self) -> Vec<String> {
        let path_input = self.path.split(" -> ").next().unwrap_or_default();
        // For each record fed beside, the path records that come before it.
        fn before<'a>(order: &'a [Fed], at: usize, path_input: &str) -> Vec<&'a Tuple> {
            order[..at]
                .iter()
                .filter(|f| f.input == path_input)
                .map(|f| &f.record)
                .collect()
        }
        let mut moved: BTreeSet<String> = BTreeSet::new();
        for (i, item) in self.inputs.iter().enumerate() {
            if item.input == path_input {
                continue;
            }
            let Some(j) = self.rearranged.iter().position(|r| r == item) else {
                continue;
            };
            let mut left = before(&self.inputs, i, path_input);
            let mut right = before(&self.rearranged, j, path_input);
            left.sort();
            right.sort();
            if left != right {
                moved.insert(item.input.clone());
            }
        }
        moved.into_iter().collect()
    }

    /// What the lie says about the annotation, when the arrangements differ
    /// by where records fed beside the path fall among its own: the path
    /// observes state those inputs write, which its claim does not cover.
    pub fn hint(&self) -> Option<String> {
        let moved = self.moved_writes();
        if moved.is_empty() {
            return None;
        }
        let names: Vec<String> = moved.iter().map(|m| format!("`{m}`")).collect();
        let names = names.join(" and ");
        let kind = self.declared.split('[').next().unwrap_or_default();
        Some(match kind {
            "CR" | "CW" => format!(
                "the path reads the state {names} writes: declare it `OR[..]` (or `OW[..]` if \
                 it also writes), gated on what its reads are grouped by"
            ),
            "OW" => format!(
                "the path observes the state {names} writes, and its claim covers only the \
                 order of its own input: declare the path of {names} order-sensitive too \
                 (`OW`), so that blazes orders it with this one"
            ),
            _ => format!(
                "the path reads what {names} writes outside its gate: widen the gate, or key \
                 the writes it reads on it"
            ),
        })
    }
}

/// Writes `[a, b]`, a record fed on another input than the path's as
/// `input: record`.
fn fed(f: &mut fmt::Formatter<'_>, path_input: &str, items: &[Fed]) -> fmt::Result {
    f.write_str("[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        if item.input != path_input {
            write!(f, "{}: ", item.input)?;
        }
        write!(f, "{}", item.record)?;
    }
    f.write_str("]")
}

/// Writes `{a, b}`.
fn list<'a>(f: &mut fmt::Formatter<'_>, items: impl Iterator<Item = &'a Tuple>) -> fmt::Result {
    f.write_str("{")?;
    for (i, t) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{t}")?;
    }
    f.write_str("}")
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "path `{}` is declared {}, but inputs ",
            self.path, self.declared
        )?;
        let path_input = self.path.split(" -> ").next().unwrap_or_default();
        fed(f, path_input, &self.inputs)?;
        f.write_str(" and ")?;
        fed(f, path_input, &self.rearranged)?;
        if self.state_differs_only() {
            let none = String::new();
            write!(
                f,
                " end in states {} and {}",
                self.left.state.as_ref().unwrap_or(&none),
                self.right.state.as_ref().unwrap_or(&none)
            )?;
        } else {
            f.write_str(" give ")?;
            list(f, self.left.outputs.iter())?;
            f.write_str(" and ")?;
            list(f, self.right.outputs.iter())?;
        }
        match self.hint() {
            Some(hint) => write!(f, "; {hint}"),
            None => Ok(()),
        }
    }
}

/// The outcome of checking one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every arrangement tried agreed.
    Holds {
        /// How many arrangements besides the given order were tried.
        arrangements: usize,
    },
    /// The claim is a lie.
    Lie(Box<Counterexample>),
}

impl Verdict {
    /// The counterexample, for a lie.
    pub fn lie(&self) -> Option<&Counterexample> {
        match self {
            Verdict::Lie(c) => Some(c),
            Verdict::Holds { .. } => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Holds { arrangements } => {
                write!(f, "holds on {arrangements} other arrangement(s)")
            }
            Verdict::Lie(c) => write!(f, "{c}"),
        }
    }
}

/// A check that could not run.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The handler refused an input of the path.
    #[error("checking path `{path}`: the handler refused an input")]
    Handler {
        /// `from -> to`.
        path: String,
        /// What the handler said.
        #[source]
        source: UnknownInput,
    },
}
