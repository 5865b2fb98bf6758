//! The rules of spec §4.4 and §5 for one node: inference (paper Fig. 9),
//! reconciliation (Fig. 10), merge, and the ordering repair. This is the only
//! place they are written down.

use smallvec::SmallVec;

use crate::attrs_closure::{Attrs, CompatMemo, SetId};
use crate::label::PathKind;
use crate::result::Rule;

/// A short list kept inline: a node has a handful of paths, gates and
/// steps, and the analysis builds one such list per output and pass, so
/// heap allocations would dominate its time on large dataflows.
pub(crate) type Few<T> = SmallVec<[T; 2]>;

/// The interned gates of one path (most paths have one gate set or none).
pub(crate) type Gates = SmallVec<[SetId; 2]>;

/// A stream label with interned seal key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lab {
    Seal(SetId),
    Async,
    Run,
    Inst,
    Diverge,
}

impl Lab {
    pub(crate) fn severity(self) -> u8 {
        match self {
            Lab::Seal(_) => 1,
            Lab::Async => 2,
            Lab::Run => 3,
            Lab::Inst => 4,
            Lab::Diverge => 5,
        }
    }

    fn from_severity(severity: u8) -> Lab {
        match severity {
            0..=2 => Lab::Async,
            3 => Lab::Run,
            4 => Lab::Inst,
            _ => Lab::Diverge,
        }
    }
}

/// What is known of a port or stream: its label, whether its seal is
/// independent (one producer per partition), and its `seq` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct State {
    pub(crate) label: Lab,
    pub(crate) independent: bool,
    pub(crate) seq: Option<SetId>,
}

impl State {
    /// An unannotated, deterministic input.
    pub(crate) const ASYNC: State = State {
        label: Lab::Async,
        independent: false,
        seq: None,
    };

    pub(crate) fn plain(label: Lab) -> State {
        State {
            label,
            independent: false,
            seq: None,
        }
    }
}

/// Merge (spec §4.4): the highest severity; a `Seal` survives only when every
/// part is a seal on one key; independence only through a single part; `seq`
/// only when every part carries the same one and contents are deterministic.
/// Nothing to merge gives `Async`.
pub(crate) fn merge(parts: impl IntoIterator<Item = State>) -> State {
    let mut count = 0usize;
    let mut seal: Option<SetId> = None;
    let mut all_same_seal = true;
    let mut max_severity = 0u8;
    let mut independent = true;
    let mut seq: Option<SetId> = None;
    let mut all_same_seq = true;
    for part in parts {
        count += 1;
        match part.label {
            Lab::Seal(k) => match seal {
                None if count == 1 => seal = Some(k),
                Some(s) if s == k => {}
                _ => all_same_seal = false,
            },
            other => {
                all_same_seal = false;
                max_severity = max_severity.max(other.severity());
            }
        }
        independent &= part.independent;
        match (part.seq, seq) {
            (Some(k), None) if count == 1 => seq = Some(k),
            (Some(k), Some(s)) if k == s => {}
            _ => all_same_seq = false,
        }
    }
    if count == 0 {
        return State::ASYNC;
    }
    let label = match seal {
        Some(k) if all_same_seal => Lab::Seal(k),
        _ => Lab::from_severity(max_severity),
    };
    State {
        label,
        independent: independent && count == 1 && matches!(label, Lab::Seal(_)),
        seq: if all_same_seq && label.severity() <= 2 {
            seq
        } else {
            None
        },
    }
}

/// One path of the node's component that matters at the node: a path into
/// the node's output, or (`observed`) a write path into another output of the
/// same component, whose state the node's `OR` paths read (spec §4.1).
#[derive(Clone, Debug)]
pub(crate) struct PathIn {
    pub(crate) input: State,
    pub(crate) kind: PathKind,
    pub(crate) gates: Gates,
    /// A write path into another output: it protects (or fails to protect)
    /// this node's reads, but adds no label of its own here.
    pub(crate) observed: bool,
}

/// An internal label added by inference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fired {
    NdRead,
    Taint,
}

/// A reconciliation step; `added` is what it added after any ordering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Taint {
        added: Option<Lab>,
    },
    /// A read of state that the write paths `unsealed` write from inputs
    /// not sealed on a key compatible with its gate.
    Unprotected {
        path: usize,
        unsealed: Few<usize>,
        added: Option<Lab>,
    },
    Protected {
        path: usize,
        seals: Few<SetId>,
    },
}

/// Ordering applied at a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    Static(SetId),
    Dynamic,
}

/// The outcome of the rules at one node.
#[derive(Clone, Debug)]
pub(crate) struct Outcome {
    /// Per path: the rule that fired, if any.
    pub(crate) fired: Few<Option<(Rule, Fired)>>,
    /// Per path: what it preserves (rule `(p)`).
    pub(crate) preserved: Few<State>,
    pub(crate) steps: Few<Step>,
    pub(crate) ordered: Option<Order>,
    pub(crate) state: State,
    /// Reconciliation (before any ordering) raised the label above every
    /// preserved part.
    pub(crate) introduced: bool,
    /// Paths whose inputs must be ordered to remove what was introduced.
    pub(crate) offending: Few<usize>,
    /// Seal buffers the node relies on: (path, key, independent).
    pub(crate) seals: Few<(usize, SetId, bool)>,
}

/// Inference for one path (paper Fig. 9, completed as in spec §4.4).
fn infer(path: &PathIn, attrs: &Attrs, memo: &mut CompatMemo) -> (Option<(Rule, Fired)>, State) {
    let l = path.input.label;
    if path.observed {
        return (None, path.input);
    }
    let fired = match (path.kind, l) {
        (PathKind::OR, Lab::Async | Lab::Run | Lab::Seal(_)) => Some((Rule::R1, Fired::NdRead)),
        (PathKind::OW, Lab::Async | Lab::Run) => Some((Rule::R2, Fired::Taint)),
        (PathKind::CW | PathKind::OW, Lab::Inst) => Some((Rule::R3, Fired::Taint)),
        (PathKind::OW, Lab::Seal(k)) if !attrs.compatible_all(memo, &path.gates, k) => {
            Some((Rule::R4, Fired::Taint))
        }
        _ => None,
    };
    let preserved = if path.kind.is_order_sensitive() {
        // An order-sensitive path consumes the punctuation and the order.
        State::plain(match l {
            Lab::Seal(_) => Lab::Async,
            other => other,
        })
    } else {
        path.input
    };
    (fired, preserved)
}

/// Applies the rules at one output. With `repair`, an output whose
/// reconciliation introduced an anomaly gets its offending inputs ordered
/// (spec §5). `inherited` is the severity the output inherits, when it is not
/// that of its own paths: for an output inside a cycle, the labels that enter
/// the cycle (spec §5).
pub(crate) fn derive(
    paths: &[PathIn],
    rep: bool,
    (attrs, memo): (&Attrs, &mut CompatMemo),
    repair: bool,
    inherited: Option<u8>,
) -> Outcome {
    let mut fired = Few::with_capacity(paths.len());
    let mut preserved = Few::with_capacity(paths.len());
    for p in paths {
        let (f, s) = infer(p, attrs, memo);
        fired.push(f);
        preserved.push(s);
    }
    let writes: Few<usize> = (0..paths.len())
        .filter(|&i| paths[i].kind.writes_state())
        .collect();

    // Reconciliation (paper Fig. 10).
    let mut steps = Few::new();
    let mut offending = Few::new();
    let mut seals = Few::new();
    let tainting: Few<usize> = (0..paths.len())
        .filter(|&i| matches!(fired[i], Some((_, Fired::Taint))))
        .collect();
    if !tainting.is_empty() {
        steps.push(Step::Taint {
            added: Some(if rep { Lab::Diverge } else { Lab::Run }),
        });
        offending.extend(tainting.iter().copied());
    }
    for (i, p) in paths.iter().enumerate() {
        if matches!(fired[i], Some((_, Fired::NdRead))) {
            let mut write_seals: Few<(usize, SetId, bool)> = Few::new();
            let mut unsealed: Few<usize> = Few::new();
            for &w in &writes {
                match paths[w].input.label {
                    Lab::Seal(k) if attrs.compatible_all(memo, &p.gates, k) => {
                        write_seals.push((w, k, paths[w].input.independent));
                    }
                    _ => unsealed.push(w),
                }
            }
            if unsealed.is_empty() {
                // The read waits under every key its writes are sealed on
                // (spec §5), each key once, whatever the order of the paths.
                let mut keys: Few<SetId> = write_seals.iter().map(|s| s.1).collect();
                attrs.sort_sets(&mut keys);
                keys.dedup();
                for &k in &keys {
                    let independent = write_seals.iter().filter(|s| s.1 == k).all(|s| s.2);
                    seals.push((i, k, independent));
                }
                seals.extend(write_seals.iter().copied());
                steps.push(Step::Protected {
                    path: i,
                    seals: keys,
                });
            } else {
                steps.push(Step::Unprotected {
                    path: i,
                    unsealed,
                    added: Some(if rep { Lab::Inst } else { Lab::Run }),
                });
                offending.push(i);
                offending.extend(writes.iter().copied());
            }
        }
    }
    for (i, p) in paths.iter().enumerate() {
        if p.kind == PathKind::OW
            && !p.observed
            && let Lab::Seal(k) = p.input.label
            && fired[i].is_none()
        {
            seals.push((i, k, p.input.independent));
        }
    }
    offending.sort_unstable();
    offending.dedup();

    let contributing = || {
        preserved
            .iter()
            .zip(paths)
            .filter(|(_, p)| !p.observed)
            .map(|(s, _)| *s)
    };
    let inherited = inherited.unwrap_or_else(|| {
        contributing()
            .map(|s| s.label.severity())
            .max()
            .unwrap_or(0)
    });
    let max_added = added_labels(&steps).map(Lab::severity).max().unwrap_or(0);
    let introduced = max_added > inherited;

    let mut ordered = None;
    if repair && introduced {
        let order = static_order(paths, &offending).map_or(Order::Dynamic, Order::Static);
        for step in &mut steps {
            if let Step::Taint { added } | Step::Unprotected { added, .. } = step {
                *added = match order {
                    Order::Static(_) => None,
                    Order::Dynamic => added.map(|_| Lab::Run),
                };
            }
        }
        ordered = Some(order);
    }

    let state = merge(contributing().chain(added_labels(&steps).map(State::plain)));
    Outcome {
        fired,
        preserved,
        steps,
        ordered,
        state,
        introduced,
        offending,
        seals,
    }
}

impl Outcome {
    /// The highest severity reconciliation added (after any ordering), or 0.
    pub(crate) fn added_severity(&self) -> u8 {
        added_labels(&self.steps)
            .map(Lab::severity)
            .max()
            .unwrap_or(0)
    }
}

fn added_labels(steps: &[Step]) -> impl Iterator<Item = Lab> + '_ {
    steps.iter().filter_map(|s| match s {
        Step::Taint { added } | Step::Unprotected { added, .. } => *added,
        Step::Protected { .. } => None,
    })
}

/// Static order applies when every offending input carries the same `seq`.
fn static_order(paths: &[PathIn], offending: &[usize]) -> Option<SetId> {
    let mut seq = None;
    for &i in offending {
        let s = paths[i].input.seq?;
        if seq.is_some_and(|q| q != s) {
            return None;
        }
        seq = Some(s);
    }
    seq
}
