//! Stream labels (paper Fig. 8) and component path annotations (paper Fig. 7).

use std::collections::BTreeSet;
use std::fmt;

/// A set of attribute names: a seal key, a `seq` key, or a gate.
///
/// Kept sorted so that equal sets print and compare equally.
pub type AttrSet = BTreeSet<String>;

/// Builds an [`AttrSet`] from attribute names.
pub fn attrs<I, S>(names: I) -> AttrSet
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    names.into_iter().map(Into::into).collect()
}

/// Writes an attribute set as `[a,b]`, sorted.
pub fn write_attrs(set: &AttrSet, out: &mut impl fmt::Write) -> fmt::Result {
    out.write_str("[")?;
    for (i, a) in set.iter().enumerate() {
        if i > 0 {
            out.write_str(",")?;
        }
        out.write_str(a)?;
    }
    out.write_str("]")
}

/// Renders an attribute set as `[a,b]`.
pub fn attrs_to_string(set: &AttrSet) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_attrs(set, &mut s);
    s
}

/// The anomaly class of a stream (spec §2), ordered by severity.
///
/// The internal labels `NDRead` and `Taint` never leave the analysis of one
/// node; they are [`Internal`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Label {
    /// Deterministic contents, punctuated on the key (severity 1).
    Seal(AttrSet),
    /// Deterministic contents whose order may differ (severity 2).
    Async,
    /// Contents may differ across runs: replay breaks (severity 3).
    Run,
    /// Replicas may emit different contents in one run (severity 4).
    Inst,
    /// Replica state may diverge permanently (severity 5).
    Diverge,
}

impl Label {
    /// The severity of the label: 1 (`Seal`) to 5 (`Diverge`).
    pub fn severity(&self) -> u8 {
        match self {
            Label::Seal(_) => 1,
            Label::Async => 2,
            Label::Run => 3,
            Label::Inst => 4,
            Label::Diverge => 5,
        }
    }

    /// The seal key, if this is a `Seal` label.
    pub fn seal_key(&self) -> Option<&AttrSet> {
        match self {
            Label::Seal(k) => Some(k),
            _ => None,
        }
    }

    /// True when contents are deterministic (`Seal` or `Async`).
    pub fn is_deterministic(&self) -> bool {
        self.severity() <= 2
    }

    /// Parses `Seal[a,b]`, `Async`, `Run`, `Inst` or `Diverge`.
    pub fn parse(text: &str) -> Option<Label> {
        match text {
            "Async" => Some(Label::Async),
            "Run" => Some(Label::Run),
            "Inst" => Some(Label::Inst),
            "Diverge" => Some(Label::Diverge),
            _ => {
                let inner = text.strip_prefix("Seal[")?.strip_suffix(']')?;
                let key: AttrSet = inner
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                (!key.is_empty()).then_some(Label::Seal(key))
            }
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Seal(k) => {
                f.write_str("Seal")?;
                write_attrs(k, f)
            }
            Label::Async => f.write_str("Async"),
            Label::Run => f.write_str("Run"),
            Label::Inst => f.write_str("Inst"),
            Label::Diverge => f.write_str("Diverge"),
        }
    }
}

/// The internal labels of inference (paper Fig. 9), consumed by reconciliation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Internal {
    /// A read that may race with writes, over the given gates.
    NdRead(Vec<AttrSet>),
    /// Component state may be corrupted by input order.
    Taint,
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Internal::NdRead(gates) => {
                f.write_str("NDRead")?;
                write_gates(gates, f)
            }
            Internal::Taint => f.write_str("Taint"),
        }
    }
}

/// The four path annotations of the paper, without their gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathKind {
    /// Confluent, read-only (severity 1).
    CR,
    /// Confluent, writes state (severity 2).
    CW,
    /// Order-sensitive, read-only (severity 3).
    OR,
    /// Order-sensitive, writes state (severity 4).
    OW,
}

impl PathKind {
    /// True for `OR` and `OW`.
    pub fn is_order_sensitive(self) -> bool {
        matches!(self, PathKind::OR | PathKind::OW)
    }

    /// True for `CW` and `OW`.
    pub fn writes_state(self) -> bool {
        matches!(self, PathKind::CW | PathKind::OW)
    }

    /// The kind with the given two properties.
    pub fn from_properties(order_sensitive: bool, writes: bool) -> PathKind {
        match (order_sensitive, writes) {
            (false, false) => PathKind::CR,
            (false, true) => PathKind::CW,
            (true, false) => PathKind::OR,
            (true, true) => PathKind::OW,
        }
    }

    /// Parses `CR`, `CW`, `OR` or `OW` (also `OR_gate`/`OW_gate` spellings).
    pub fn parse(text: &str) -> Option<PathKind> {
        match text {
            "CR" => Some(PathKind::CR),
            "CW" => Some(PathKind::CW),
            "OR" | "OR_gate" | "OR_g" => Some(PathKind::OR),
            "OW" | "OW_gate" | "OW_g" => Some(PathKind::OW),
            _ => None,
        }
    }

    /// The names accepted by [`PathKind::parse`], for error messages.
    pub const NAMES: [&'static str; 4] = ["CR", "CW", "OR", "OW"];
}

impl fmt::Display for PathKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathKind::CR => "CR",
            PathKind::CW => "CW",
            PathKind::OR => "OR",
            PathKind::OW => "OW",
        })
    }
}

/// A path annotation: its kind and, for order-sensitive kinds, its gates.
///
/// A declared path has at most one gate; a path joined with a cycle (spec §4.2)
/// carries every gate of the cycle, and a seal must be compatible with each.
/// An order-sensitive path declared without a gate has one empty gate, which is
/// compatible with no seal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Annotation {
    /// Confluent or order-sensitive, read-only or writing.
    pub kind: PathKind,
    /// The partitions the path operates over; empty for confluent kinds.
    pub gates: Vec<AttrSet>,
}

impl Annotation {
    /// `CR`: confluent, read-only.
    pub fn cr() -> Annotation {
        Annotation {
            kind: PathKind::CR,
            gates: Vec::new(),
        }
    }

    /// `CW`: confluent, writes state.
    pub fn cw() -> Annotation {
        Annotation {
            kind: PathKind::CW,
            gates: Vec::new(),
        }
    }

    /// `OR_gate`: order-sensitive read over the given gate (empty: ungated).
    pub fn or(gate: AttrSet) -> Annotation {
        Annotation {
            kind: PathKind::OR,
            gates: vec![gate],
        }
    }

    /// `OW_gate`: order-sensitive write over the given gate (empty: ungated).
    pub fn ow(gate: AttrSet) -> Annotation {
        Annotation {
            kind: PathKind::OW,
            gates: vec![gate],
        }
    }

    /// The annotation of the given kind; `gate` is ignored for confluent kinds.
    pub fn new(kind: PathKind, gate: AttrSet) -> Annotation {
        let gates = if kind.is_order_sensitive() {
            vec![gate]
        } else {
            Vec::new()
        };
        Annotation { kind, gates }
    }
}

impl fmt::Display for Annotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if self.kind.is_order_sensitive() {
            write_gates(&self.gates, f)?;
        }
        Ok(())
    }
}

/// Writes gates as `[a,b]` (several gates, if ever given, as `[a]&[b]`).
fn write_gates(gates: &[AttrSet], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, g) in gates.iter().enumerate() {
        if i > 0 {
            f.write_str("&")?;
        }
        write_attrs(g, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_print_and_parse_round_trip() {
        for text in ["Seal[a,b]", "Async", "Run", "Inst", "Diverge"] {
            let label = Label::parse(text).expect("parses");
            assert_eq!(label.to_string(), text);
        }
        assert_eq!(Label::parse("Seal[]"), None);
        assert_eq!(Label::parse("Sealed"), None);
    }

    #[test]
    fn seal_prints_attributes_sorted() {
        assert_eq!(Label::Seal(attrs(["z", "a"])).to_string(), "Seal[a,z]");
    }
}
