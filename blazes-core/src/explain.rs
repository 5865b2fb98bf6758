//! Explanations in words: derivations in the paper's notation (Section V-A4)
//! and fixes as instructions. Shared by the command line and the macros.
//!
//! A derivation reads as in the paper, one inference per line:
//!
//! ```text
//! Count.counts = Run  [Count]
//!   (R2)  Async  OW[batch,word]  =>  Taint      via Count.words
//!   (p)   Async  OW[batch,word]  =>  Async      via Count.words
//!   reconcile: Taint, not rep  =>  Run
//!   merge Count: {Async, Run}  =>  Run
//! ```

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::label::{AttrSet, Label, attrs_to_string};
use crate::result::{Analysis, Derivation, Fix, OrderKind, Reconciled, Violation};

/// One derivation, in the paper's notation.
pub fn derivation(d: &Derivation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} = {}  [{}]",
        d.node,
        d.label,
        d.components.join(", ")
    );
    for c in &d.contributions {
        if let Some((rule, internal)) = &c.fired {
            let _ = writeln!(
                out,
                "  ({rule})  {}  {}  =>  {internal}      via {}",
                c.input, c.annotation, c.via
            );
        }
        let _ = writeln!(
            out,
            "  (p)   {}  {}  =>  {}      via {}",
            c.input, c.annotation, c.preserved, c.via
        );
    }
    let rep = if d.rep { "rep" } else { "not rep" };
    for r in &d.reconciled {
        let line = match r {
            Reconciled::Taint { added } => format!("Taint, {rep}  =>  {}", added_text(added)),
            Reconciled::Unprotected { gates, added } => format!(
                "NDRead{} unprotected, {rep}  =>  {}",
                gates_text(gates),
                added_text(added)
            ),
            Reconciled::Protected { gates, seals } if seals.is_empty() => format!(
                "NDRead{} protected: no path writes state",
                gates_text(gates)
            ),
            Reconciled::Protected { gates, seals } => format!(
                "NDRead{} protected by compatible seal{} {}",
                gates_text(gates),
                if seals.len() > 1 { "s" } else { "" },
                seals
                    .iter()
                    .map(attrs_to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let _ = writeln!(out, "  reconcile: {line}");
    }
    if let Some(order) = &d.ordered {
        let _ = writeln!(out, "  ordered: {order}");
    }
    let parts: BTreeSet<String> = d
        .contributions
        .iter()
        .map(|c| c.preserved.to_string())
        .chain(d.reconciled.iter().filter_map(|r| match r {
            Reconciled::Taint { added: Some(l) }
            | Reconciled::Unprotected { added: Some(l), .. } => Some(l.to_string()),
            _ => None,
        }))
        .collect();
    let _ = writeln!(
        out,
        "  merge {}: {{{}}}  =>  {}",
        d.components.join("+"),
        parts.into_iter().collect::<Vec<_>>().join(", "),
        d.label
    );
    out
}

fn added_text(added: &Option<Label>) -> String {
    added
        .as_ref()
        .map_or_else(|| "nothing (static order)".to_string(), Label::to_string)
}

fn gates_text(gates: &[AttrSet]) -> String {
    gates
        .iter()
        .map(attrs_to_string)
        .collect::<Vec<_>>()
        .join("&")
}

/// The derivation of `node` (an output `Comp.iface` or a sink) and of every
/// node it depends on, upstream first; `None` if there is no such node.
pub fn derivation_tree(analysis: &Analysis, node: &str) -> Option<String> {
    let derivations = &analysis.derivations;
    let mut roots: Vec<String> = Vec::new();
    let mut header = String::new();
    if derivations.contains_key(node) {
        roots.push(node.to_string());
    } else if let Some(label) = analysis.sinks.get(node) {
        let feeds = analysis.sink_feeds.get(node).cloned().unwrap_or_default();
        let _ = writeln!(
            header,
            "{node} = {label}  (sink, fed by {})",
            feeds.join(", ")
        );
        roots.extend(feeds);
    } else if let Some(label) = analysis.sources.get(node) {
        return Some(format!("{node} = {label}  (source, as annotated)\n"));
    } else {
        return None;
    }
    let mut order: Vec<&Derivation> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for root in &roots {
        visit(analysis, root, &mut seen, &mut order);
    }
    let mut out = String::new();
    for d in order {
        out.push_str(&derivation(d));
    }
    out.push_str(&header);
    Some(out)
}

/// Depth-first, upstream first; each derivation once (cycles share one).
fn visit<'a>(
    analysis: &'a Analysis,
    node: &str,
    seen: &mut BTreeSet<String>,
    order: &mut Vec<&'a Derivation>,
) {
    let Some(d) = analysis.derivations.get(node) else {
        return;
    };
    if !seen.insert(d.node.clone()) {
        return;
    }
    for c in &d.contributions {
        for up in &c.upstream {
            visit(analysis, up, seen, order);
        }
    }
    order.push(d);
}

/// A fix as an instruction.
pub fn fix(fix: &Fix, analysis: &Analysis) -> String {
    match fix {
        Fix::Seal { streams, gate } => {
            let examples: Vec<String> = gate.iter().map(|a| format!("`seal: [{a}]`")).collect();
            format!(
                "seal {} on a key compatible with the gate {} (a non-empty subset of it, or a key \
                 an injective FD maps into it), e.g. {}; blazes then synthesises a seal buffer \
                 instead of ordering",
                streams_text(streams),
                attrs_to_string(gate),
                examples.join(" or ")
            )
        }
        Fix::Order {
            component,
            kind,
            yields,
        } => {
            let how = match kind {
                OrderKind::Dynamic => {
                    "a sequencer orders its inputs (one order per run)".to_string()
                }
                OrderKind::Static { seq } => {
                    format!("its inputs are applied in {} order", attrs_to_string(seq))
                }
            };
            let mut text = format!(
                "or accept ordering at {component} (`coordinate: auto`): {how}; the output is \
                 then {yields}"
            );
            if yields.severity() > analysis.requires.max_severity() {
                text.push_str(
                    ", still above the requirement: ordering by a sequencer does not survive \
                     replay, so also set `requires: convergent` or use a static order (`seq`)",
                );
            }
            text
        }
        Fix::Sequence { streams } => format!(
            "or stamp {} with a replay-stable sequence attribute (e.g. `seq: [batch]`), so the \
             order is static and deterministic",
            streams_text(streams)
        ),
        Fix::Upstream { node } => format!("this is inherited from {node}: fix it there first"),
    }
}

fn streams_text(streams: &[String]) -> String {
    if streams.is_empty() {
        return "the inputs".to_string();
    }
    let named: Vec<String> = streams.iter().map(|s| format!("stream `{s}`")).collect();
    named.join(", ")
}

/// A violation with its causes, derivations and fixes.
pub fn violation(v: &Violation, analysis: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "sink `{}` is {}, above the requirement `{}` (at most {})",
        v.sink,
        v.label,
        analysis.requires,
        if analysis.requires.max_severity() == 2 {
            "Async"
        } else {
            "Run"
        }
    );
    for cause in &v.causes {
        let _ = writeln!(out, "  at {} ({}): {}", cause.node, cause.label, cause.why);
        if let Some(d) = analysis
            .residual_derivations
            .get(cause_port(&cause.node, analysis))
        {
            for line in derivation(d).lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
        for f in &cause.fixes {
            let _ = writeln!(out, "    fix: {}", fix(f, analysis));
        }
    }
    out
}

/// The derivation key of a cause: the node itself, or any port of a cycle.
fn cause_port<'a>(node: &'a str, analysis: &'a Analysis) -> &'a str {
    if analysis.residual_derivations.contains_key(node) {
        return node;
    }
    analysis
        .residual_derivations
        .iter()
        .find(|(_, d)| d.node == node)
        .map_or(node, |(k, _)| k.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Annotation, Component, Dataflow, Stream, analyze, attrs};

    fn wordcount() -> Dataflow {
        Dataflow::new()
            .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::ow(attrs(["word", "batch"])),
            ))
            .stream(Stream::between("tweets", "Splitter.tweets"))
            .stream(Stream::between("Splitter.words", "Count.words"))
            .stream(Stream::between("Count.counts", "db"))
    }

    #[test]
    fn derivation_shows_rule_reconciliation_and_merge() {
        let a = analyze(&wordcount()).unwrap();
        let text = derivation(&a.derivations["Count.counts"]);
        assert!(
            text.contains("(R2)  Async  OW[batch,word]  =>  Taint"),
            "{text}"
        );
        assert!(
            text.contains("reconcile: Taint, not rep  =>  Run"),
            "{text}"
        );
        assert!(
            text.contains("merge Count: {Async, Run}  =>  Run"),
            "{text}"
        );
    }

    #[test]
    fn tree_of_a_sink_lists_upstream_first() {
        let a = analyze(&wordcount()).unwrap();
        let text = derivation_tree(&a, "db").unwrap();
        let splitter = text.find("Splitter.words = Async").unwrap();
        let count = text.find("Count.counts = Run").unwrap();
        assert!(splitter < count, "{text}");
        assert!(
            text.contains("db = Run  (sink, fed by Count.counts)"),
            "{text}"
        );
        assert!(derivation_tree(&a, "nowhere").is_none());
    }

    #[test]
    fn violation_names_sink_cause_and_both_fixes() {
        let a = analyze(&wordcount()).unwrap();
        let text = violation(&a.violations[0], &a);
        assert!(text.contains("sink `db` is Run"), "{text}");
        assert!(text.contains("at Count.counts (Run)"), "{text}");
        assert!(
            text.contains("seal stream `tweets->Splitter.tweets`"),
            "{text}"
        );
        assert!(text.contains("`seal: [batch]`"), "{text}");
        assert!(text.contains("accept ordering at Count"), "{text}");
    }
}
