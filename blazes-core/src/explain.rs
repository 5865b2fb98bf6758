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
use crate::model::{Dataflow, Permission};
use crate::result::{
    Analysis, Cause, Coordination, Derivation, Fix, OrderKind, Reconciled, Strategy, Via, Violation,
};

/// One point of the coordination plan as a line: what, of which inputs,
/// protecting which output, and whether it was synthesised (`Count: seal
/// buffer on [batch] (unanimous vote) of inputs words (protects
/// Count.counts); synthesised`).
pub fn coordination(analysis: &Analysis, c: &Coordination) -> String {
    let what = match &c.strategy {
        Strategy::Seal { key, vote } => {
            format!("seal buffer on {} ({vote} vote)", attrs_to_string(key))
        }
        Strategy::Order { kind } => format!("ordering, {kind}"),
    };
    let status = if c.applied {
        "synthesised".to_string()
    } else {
        format!(
            "needed, not permitted by `coordinate: {}`",
            analysis.coordinate
        )
    };
    format!(
        "{}: {what} of inputs {} (protects {}); {status}",
        c.component,
        c.inputs.join(", "),
        c.output
    )
}

/// Why the plan chose a point's strategy, in a sentence.
fn coordination_reason(c: &Coordination) -> &'static str {
    match &c.strategy {
        Strategy::Seal { .. } => {
            "its input is sealed on a key compatible with the gate of the order-sensitive \
             path: holding each partition until every producer sealed it makes the output \
             deterministic, with no global ordering"
        }
        Strategy::Order {
            kind: OrderKind::Static { .. },
        } => {
            "its inputs carry a replay-stable sequence attribute: applying them batch by batch \
             in that order makes the output deterministic"
        }
        Strategy::Order { .. } => {
            "no seal compatible with the gate reaches it: a sequencer orders its inputs, so \
             every replica applies them in one order"
        }
    }
}

/// What the analysis of a dataflow derived, for a program to print (the
/// examples do): every output's label, every sink's before and after
/// coordination, the coordination plan with why each point was chosen and
/// the derivation of the output it protects, then each violation with its
/// fixes. `blazes check` prints the same facts, located in the file.
pub fn summary(analysis: &Analysis) -> String {
    let mut out = String::from("Labels\n");
    let width = analysis
        .outputs
        .keys()
        .chain(analysis.sinks.keys())
        .map(|k| k.len() + 5)
        .max()
        .unwrap_or(0);
    for (output, label) in &analysis.outputs {
        let _ = writeln!(out, "  {output:<width$}  {label}");
    }
    for (sink, label) in &analysis.sinks {
        let name = format!("sink {sink}");
        match analysis.residual.get(sink) {
            Some(after) if after != label => {
                let _ = writeln!(
                    out,
                    "  {name:<width$}  {after} after coordination ({label} without)"
                );
            }
            _ => {
                let _ = writeln!(out, "  {name:<width$}  {label}");
            }
        }
    }
    out.push_str("Coordination\n");
    if analysis.coordination.is_empty() {
        out.push_str("  none needed\n");
    }
    for c in &analysis.coordination {
        let _ = writeln!(out, "  {}", coordination(analysis, c));
        let _ = writeln!(out, "    why: {}", coordination_reason(c));
        if let Some(tree) = derivation_tree(analysis, &c.output) {
            for line in tree.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    for v in &analysis.violations {
        out.push_str(violation(v, analysis).trim_end());
        out.push('\n');
    }
    out
}

/// One derivation, in the paper's notation.
pub fn derivation(d: &Derivation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} = {}  [{}{}]",
        d.node,
        d.label,
        d.component,
        if d.in_cycle { ", in a cycle" } else { "" }
    );
    for c in &d.contributions {
        if let Via::State { .. } = c.via {
            let _ = writeln!(
                out,
                "  (s)   {}  {}  writes state read here      via {}",
                c.input, c.annotation, c.via
            );
            continue;
        }
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
        .filter(|c| matches!(c.via, Via::Path { .. }))
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
        d.component,
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

/// The derivation of `node` (an output `Comp.iface`, a sink, a source, or a
/// stream `from->to`) and of every node it depends on, upstream first; `None`
/// if there is no such node.
pub fn derivation_tree(analysis: &Analysis, node: &str) -> Option<String> {
    let mut roots: Vec<String> = Vec::new();
    let mut header = String::new();
    if let Some(label) = analysis.streams.get(node) {
        let (producer, _) = node.split_once("->")?;
        let _ = writeln!(header, "{node} = {label}  (stream from {producer})");
        if !analysis.outputs.contains_key(producer) {
            return Some(header);
        }
        roots.push(producer.to_string());
    } else if analysis.outputs.contains_key(node) {
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
    let mut order: Vec<Derivation> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for root in &roots {
        visit(analysis, root, &mut seen, &mut order);
    }
    let mut out = String::new();
    for d in &order {
        out.push_str(&derivation(d));
    }
    out.push_str(&header);
    Some(out)
}

/// Depth-first, upstream first; each derivation once (so cycles end).
/// Iterative, so long pipelines do not exhaust the stack.
fn visit(
    analysis: &Analysis,
    root: &str,
    seen: &mut BTreeSet<String>,
    order: &mut Vec<Derivation>,
) {
    // Each frame: a derivation and how many of its upstream names were pushed.
    let mut stack: Vec<(Derivation, Vec<String>)> = Vec::new();
    let push =
        |name: &str, seen: &mut BTreeSet<String>, stack: &mut Vec<(Derivation, Vec<String>)>| {
            if let Some(d) = analysis.derivation(name)
                && seen.insert(d.node.clone())
            {
                let ups: Vec<String> = d
                    .contributions
                    .iter()
                    .flat_map(|c| c.upstream.iter().cloned())
                    .rev()
                    .collect();
                stack.push((d, ups));
            }
        };
    push(root, seen, &mut stack);
    while let Some((_, ups)) = stack.last_mut() {
        match ups.pop() {
            Some(up) => push(&up, seen, &mut stack),
            None => {
                if let Some((d, _)) = stack.pop() {
                    order.push(d);
                }
            }
        }
    }
}

/// The placeholder a fix text shows where it needs an attribute name and the
/// dataflow declares none that fits.
pub const ATTRIBUTE_PLACEHOLDER: &str = "<attribute>";

/// Attributes the `seq` fix of `cause` can name as examples: the attributes of
/// the gates of the paths whose rule fired where the anomaly starts (a batch
/// or round number is usually one of them, e.g. `batch` in `OW[batch,word]`),
/// sorted. Every one is declared in the dataflow; empty when no such path has
/// a gate.
pub fn sequence_examples(analysis: &Analysis, cause: &Cause) -> Vec<String> {
    let derivation = analysis
        .residual_derivation(&cause.node)
        .or_else(|| analysis.derivation(&cause.node));
    let names: BTreeSet<String> = derivation
        .iter()
        .flat_map(|d| &d.contributions)
        .filter(|c| c.fired.is_some())
        .flat_map(|c| c.annotation.gates.iter().flatten().cloned())
        .collect();
    names.into_iter().collect()
}

/// `` `key: [a]` or `key: [b]` `` for each of `names`, or the placeholder.
fn examples(key: &str, names: &[String]) -> String {
    if names.is_empty() {
        return format!("`{key}: [{ATTRIBUTE_PLACEHOLDER}]`");
    }
    let each: Vec<String> = names.iter().map(|a| format!("`{key}: [{a}]`")).collect();
    each.join(" or ")
}

/// `` `seq: [<attribute>]` ``, or `` e.g. `seq: [a]` or `seq: [b]`, if it is one ``:
/// a gate attribute is a candidate, not a given (a key such as `word` is not
/// sent in order).
fn sequence_candidates(names: &[String]) -> String {
    if names.is_empty() {
        examples("seq", names)
    } else {
        format!("e.g. {}, if it is one", examples("seq", names))
    }
}

/// A fix as an instruction, without its cause: a `seq` fix then names no
/// attribute (`seq: [<attribute>]`); [`fix_of`] names the gate's.
pub fn fix(fix: &Fix, analysis: &Analysis) -> String {
    instruction(fix, analysis, &[], true)
}

/// A fix of `cause` as an instruction. Every attribute it names is declared
/// in the dataflow: a seal names the gate's attributes, a `seq` names those
/// of [`sequence_examples`], and either shows [`ATTRIBUTE_PLACEHOLDER`] when
/// there are none.
///
/// A fix upstream is a prerequisite; the other fixes of a cause are
/// alternatives: every one after the first begins with "or"
/// ([`is_alternative`]; [`instruction_of`] is the text without it).
pub fn fix_of(fix: &Fix, analysis: &Analysis, cause: &Cause) -> String {
    let text = instruction_of(fix, analysis, cause);
    if is_alternative(fix, cause) {
        format!("or {text}")
    } else {
        text
    }
}

/// [`fix_of`] without the "or" of an alternative: for a front end that
/// words some fixes its own way and keeps the analysis's words for others.
pub fn instruction_of(fix: &Fix, analysis: &Analysis, cause: &Cause) -> String {
    let sequence = match fix {
        Fix::Sequence { .. } => sequence_examples(analysis, cause),
        _ => Vec::new(),
    };
    // A static order is offered only where some stream can take a `seq`
    // (not inside a cycle, not fed by a nondeterministic producer).
    let static_order = cause
        .fixes
        .iter()
        .any(|f| matches!(f, Fix::Sequence { .. }));
    instruction(fix, analysis, &sequence, static_order)
}

/// True for a fix of `cause` that is an alternative to an earlier one (it
/// begins with "or" in [`fix_of`]): every fix after the first that is not
/// a prerequisite upstream.
pub fn is_alternative(fix: &Fix, cause: &Cause) -> bool {
    if matches!(fix, Fix::Upstream { .. }) {
        return false;
    }
    cause
        .fixes
        .iter()
        .find(|f| !matches!(f, Fix::Upstream { .. }))
        .is_some_and(|first| first != fix)
}

fn instruction(fix: &Fix, analysis: &Analysis, sequence: &[String], static_order: bool) -> String {
    match fix {
        Fix::Seal { streams, gate } => {
            let gate_names: Vec<String> = gate.iter().cloned().collect();
            format!(
                "seal {} on a key compatible with the gate {} (a non-empty subset of it, or a key \
                 an injective FD maps into it), e.g. {}; blazes then synthesises a seal buffer \
                 instead of ordering",
                streams_text(streams),
                attrs_to_string(gate),
                examples("seal", &gate_names)
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
            let mut text = if analysis.coordinate == Permission::Auto {
                format!(
                    "rely on the ordering synthesised at {component} (`coordinate: auto`): {how}; the \
                     output is then {yields}"
                )
            } else {
                format!(
                    "accept ordering at {component} (`coordinate: auto`): {how}; the output is \
                     then {yields}"
                )
            };
            if yields.severity() > analysis.requires.max_severity() {
                text.push_str(
                    ", still above the requirement: ordering by a sequencer does not survive \
                     replay, so also set `requires: convergent`",
                );
                if static_order {
                    text.push_str(" or use a static order (`seq`)");
                }
            }
            text
        }
        Fix::Sequence { streams } => format!(
            "stamp {} with a replay-stable sequence attribute, an epoch or transaction \
             number each producer sends in non-decreasing order, not a key ({}), so the order \
             is static and deterministic",
            streams_text(streams),
            sequence_candidates(sequence)
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
    for cause in analysis.causes(v) {
        let _ = writeln!(out, "  at {} ({}): {}", cause.node, cause.label, cause.why);
        if let Some(d) = analysis.residual_derivation(&cause.node) {
            for line in derivation(&d).lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
        for f in &cause.fixes {
            let _ = writeln!(out, "    fix: {}", fix_of(f, analysis, &cause));
        }
    }
    out
}

/// The plain (many-to-one) functional dependencies that stand between a
/// violating sink and its requirement: for each FD of `dataflow` that, read
/// as one-to-one, would let some of `analysis`' violating sinks meet the
/// requirement, its index in `dataflow.fds` and those sinks. Found by
/// analysing each variant (no rule is decided here); the fronts word the
/// hint in their own syntax.
pub fn many_to_one_fds_in_the_way(
    dataflow: &Dataflow,
    analysis: &Analysis,
) -> Vec<(usize, Vec<String>)> {
    let mut found = Vec::new();
    if analysis.violations.is_empty() {
        return found;
    }
    for (i, fd) in dataflow.fds.iter().enumerate() {
        if fd.injective {
            continue;
        }
        let mut variant = dataflow.clone();
        variant.fds[i].injective = true;
        let Ok(other) = crate::analyze(&variant) else {
            continue;
        };
        let met: Vec<String> = analysis
            .violations
            .iter()
            .filter(|v| !other.violations.iter().any(|o| o.sink == v.sink))
            .map(|v| v.sink.clone())
            .collect();
        if !met.is_empty() {
            found.push((i, met));
        }
    }
    found
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// source -> W (OW[k]) -> L (replicated, OW[k]) -> sink: W's output is
    /// Run, so a seal on `W.out->L.in` would count for nothing.
    pub(crate) fn nondeterministic_producer() -> Dataflow {
        Dataflow::new()
            .component(Component::new("W").path("in", "out", Annotation::ow(attrs(["k"]))))
            .component(Component::new("L").replicated(true).path(
                "in",
                "out",
                Annotation::ow(attrs(["k"])),
            ))
            .stream(Stream::between("src", "W.in"))
            .stream(Stream::between("W.out", "L.in"))
            .stream(Stream::between("L.out", "sink"))
    }

    #[test]
    fn a_summary_tells_labels_the_plan_and_why_and_the_violations() {
        let mut sealed = wordcount();
        sealed.streams[0] = Stream::between("tweets", "Splitter.tweets").sealed(attrs(["batch"]));
        let text = summary(&analyze(&sealed).unwrap());
        assert!(text.contains("  Count.counts  "), "{text}");
        assert!(
            text.contains(
                "  Count: seal buffer on [batch] (unanimous vote) of inputs words (protects \
                 Count.counts); synthesised\n    why: its input is sealed on a key compatible"
            ),
            "{text}"
        );
        assert!(text.contains("    Count.counts = Async  [Count]"), "{text}");
        assert!(!text.contains("error"), "{text}");

        let text = summary(&analyze(&wordcount()).unwrap());
        assert!(text.contains("sink db") && text.contains("Run"), "{text}");
        assert!(
            text.contains("needed, not permitted by `coordinate: seal`"),
            "{text}"
        );
        assert!(text.contains("sink `db` is Run"), "{text}");

        // Replicated, Count diverges without coordination; ordered, it is Run.
        let mut ordered = wordcount()
            .coordinate(Permission::Auto)
            .requires(crate::Requirement::Convergent);
        ordered.components[1].rep = true;
        let text = summary(&analyze(&ordered).unwrap());
        assert!(
            text.contains("Run after coordination (Diverge without)"),
            "{text}"
        );
        assert!(
            text.contains("why: no seal compatible with the gate reaches it"),
            "{text}"
        );

        let mut stamped = wordcount().coordinate(Permission::Auto);
        stamped.streams[0] =
            Stream::between("tweets", "Splitter.tweets").sequenced(attrs(["batch"]));
        let text = summary(&analyze(&stamped).unwrap());
        assert!(
            text.contains("why: its inputs carry a replay-stable sequence attribute"),
            "{text}"
        );
    }

    /// A seal or `seq` proposed on a stream whose producer is above `Async`
    /// would change nothing (spec §1); the fix is the producer first.
    #[test]
    fn no_seal_is_proposed_on_a_stream_whose_producer_is_nondeterministic() {
        let d = nondeterministic_producer();
        let a = analyze(&d).unwrap();
        assert_eq!(a.streams["W.out->L.in"], crate::Label::Run);
        let causes = a.causes(&a.violations[0]);
        let fixes: Vec<&Fix> = causes.iter().flat_map(|c| &c.fixes).collect();
        for fix in &fixes {
            if let Fix::Seal { streams, .. } | Fix::Sequence { streams } = fix {
                assert!(!streams.contains(&"W.out->L.in".to_string()), "{fixes:?}");
            }
        }
        let at_l = causes.iter().find(|c| c.node == "L.out").unwrap();
        // The producer comes first: it is a prerequisite, not an alternative.
        assert_eq!(
            at_l.fixes.first(),
            Some(&Fix::Upstream {
                node: "W.out".to_string()
            }),
            "{:?}",
            at_l.fixes
        );
        // Applying what the cause at W proposes fixes the stream into L.
        let sealed = Dataflow {
            streams: d
                .streams
                .iter()
                .map(|s| {
                    if s.name() == "src->W.in" {
                        s.clone().sealed(attrs(["k"]))
                    } else {
                        s.clone()
                    }
                })
                .collect(),
            ..d.clone()
        };
        let after = analyze(&sealed).unwrap();
        assert_ne!(after.streams["W.out->L.in"], crate::Label::Run);
    }

    /// Fixes are alternatives: the first is plain, the others begin with "or".
    #[test]
    fn only_the_fixes_after_the_first_begin_with_or() {
        let a = analyze(&wordcount()).unwrap();
        let cause = &a.causes(&a.violations[0])[0];
        let texts: Vec<String> = cause.fixes.iter().map(|f| fix_of(f, &a, cause)).collect();
        assert!(texts.len() > 1, "{texts:?}");
        assert!(!texts[0].starts_with("or "), "{texts:?}");
        assert!(texts[1..].iter().all(|t| t.starts_with("or ")), "{texts:?}");
    }

    #[test]
    fn derivation_shows_rule_reconciliation_and_merge() {
        let a = analyze(&wordcount()).unwrap();
        let text = derivation(&a.derivation("Count.counts").unwrap());
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
        let stream = derivation_tree(&a, "Splitter.words->Count.words").unwrap();
        assert!(stream.contains("Splitter.words = Async"), "{stream}");
        assert!(
            stream.ends_with("Splitter.words->Count.words = Async  (stream from Splitter.words)\n"),
            "{stream}"
        );
        let source = derivation_tree(&a, "tweets->Splitter.tweets").unwrap();
        assert_eq!(
            source,
            "tweets->Splitter.tweets = Async  (stream from tweets)\n"
        );
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

    #[test]
    fn an_order_already_synthesised_says_so_and_offers_no_seq_inside_a_cycle() {
        // A loop through an order-sensitive path, ordering permitted: the
        // sequencer is already planned, the sink stays Run, and no stream of
        // the loop can take a `seq` (spec §4.2).
        let d = Dataflow::new()
            .coordinate(Permission::Auto)
            .component(Component::new("Retry").path(
                "values",
                "failed",
                Annotation::ow(attrs(["user"])),
            ))
            .stream(Stream::between("values", "Retry.values").sealed(attrs(["user"])))
            .stream(Stream::between("Retry.failed", "Retry.values"))
            .stream(Stream::between("Retry.failed", "out"));
        let a = analyze(&d).unwrap();
        let text = violation(&a.violations[0], &a);
        assert!(
            text.contains("rely on the ordering synthesised at Retry (`coordinate: auto`)"),
            "{text}"
        );
        assert!(!text.contains("accept ordering"), "{text}");
        assert!(text.contains("set `requires: convergent`"), "{text}");
        assert!(!text.contains("static order (`seq`)"), "{text}");
        // Outside a cycle, the same order offers `seq` as the alternative.
        let mut wc = wordcount();
        wc.coordinate = Permission::Auto;
        let a = analyze(&wc).unwrap();
        let text = violation(&a.violations[0], &a);
        assert!(text.contains("or use a static order (`seq`)"), "{text}");
    }

    /// The word count with its attributes renamed: nothing is called `batch`.
    fn renamed_wordcount(gate: &[&str]) -> Dataflow {
        let mut dataflow = wordcount();
        dataflow.components[1].paths[0].annotation = Annotation::ow(attrs(gate.iter().copied()));
        dataflow
    }

    #[test]
    fn the_seq_fix_names_the_gate_attributes_of_the_tainting_path() {
        let a = analyze(&wordcount()).unwrap();
        let text = violation(&a.violations[0], &a);
        assert!(
            text.contains(
                "each producer sends in non-decreasing order, not a key (e.g. `seq: [batch]` or \
                 `seq: [word]`, if it is one)"
            ),
            "{text}"
        );
    }

    #[test]
    fn fixes_name_only_attributes_the_dataflow_declares() {
        let a = analyze(&renamed_wordcount(&["token", "round"])).unwrap();
        let text = violation(&a.violations[0], &a);
        assert!(!text.contains("batch"), "{text}");
        assert!(text.contains("`seq: [round]`"), "{text}");
        assert!(text.contains("`seal: [round]`"), "{text}");
        // Without the cause, the seq fix names no attribute at all.
        let cause = &a.causes(&a.violations[0])[0];
        for f in &cause.fixes {
            assert!(!fix(f, &a).contains("batch"), "{}", fix(f, &a));
        }
        let sequence = cause
            .fixes
            .iter()
            .find(|f| matches!(f, Fix::Sequence { .. }))
            .expect("a seq fix");
        assert!(fix(sequence, &a).contains("`seq: [<attribute>]`"));
    }

    #[test]
    fn a_gateless_path_gets_the_placeholder() {
        let a = analyze(&renamed_wordcount(&[])).unwrap();
        let text = violation(&a.violations[0], &a);
        assert!(!text.contains("batch"), "{text}");
        assert!(text.contains("`seq: [<attribute>]`"), "{text}");
    }
}
