//! The text of a violation: the sink, its label against the requirement, the
//! derivation of each node that introduces the anomaly, and the fixes, all
//! read from the engine's `Analysis` (this crate decides no rule itself).

use std::fmt::Write;

use blazes_core::result::Cause;
use blazes_core::{
    Analysis, AttrSet, Dataflow, Fix, Label, OrderKind, Permission, Requirement, Violation,
};

/// The most severe label the requirement allows.
fn allowed(requires: Requirement) -> &'static str {
    match requires {
        Requirement::Deterministic => "Async",
        Requirement::Convergent => "Run",
    }
}

/// `a->B.c` as `a -> B.c`.
fn stream(name: &str) -> String {
    name.replace("->", " -> ")
}

fn attrs(set: &AttrSet) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The full message of a violation, for the sink's stream declaration.
pub fn violation(dataflow: &Dataflow, analysis: &Analysis, v: &Violation) -> String {
    let mut out = format!(
        "blazes: sink `{}` is {}, but `requires = {}` allows at most {}",
        v.sink,
        v.label,
        analysis.requires,
        allowed(analysis.requires)
    );
    for cause in &v.causes {
        let _ = write!(
            out,
            "\n  derivation: {} is {}: {}",
            cause.node, cause.label, cause.why
        );
        for fix in &cause.fixes {
            if let Some(text) = fix_text(dataflow, analysis, cause, fix) {
                let _ = write!(out, "\n  fix: {text}");
            }
        }
    }
    out
}

/// The message at the path or stream where a cause introduces the anomaly.
pub fn introduced_here(v: &Violation, cause: &Cause) -> String {
    format!(
        "blazes: `{}` becomes {} here, so sink `{}` is {}: {}",
        cause.node, cause.label, v.sink, v.label, cause.why
    )
}

fn fix_text(dataflow: &Dataflow, analysis: &Analysis, cause: &Cause, fix: &Fix) -> Option<String> {
    match fix {
        Fix::Seal { streams, gate } => Some(seal_fix(dataflow, streams, gate)),
        Fix::Order {
            component,
            kind,
            yields,
        } => Some(order_fix(analysis, cause, component, kind, yields)),
        Fix::Sequence { streams } => {
            let names: Vec<String> = streams.iter().map(|s| format!("`{}`", stream(s))).collect();
            let permission = if analysis.coordinate == Permission::Auto {
                "then `coordinate = auto` orders them statically, with no sequencer"
            } else {
                "and set `coordinate = auto`: a static order needs no sequencer"
            };
            Some(format!(
                "or give {} a replay-stable order, `{{ seq: [attr] }}` with an attribute such as \
                 a batch id (a `seq` carries through confluent paths, so an upstream stream \
                 works too), {permission}",
                names.join(" and ")
            ))
        }
        Fix::Upstream { node } if *node != cause.node => Some(format!(
            "fix `{node}` first: its anomaly flows into `{}`",
            cause.node
        )),
        Fix::Upstream { .. } => None,
    }
}

fn seal_fix(dataflow: &Dataflow, streams: &[String], gate: &AttrSet) -> String {
    let example = gate.iter().next().cloned().unwrap_or_default();
    let mut parts = Vec::new();
    for name in streams {
        let declared = dataflow
            .streams
            .iter()
            .find(|s| s.name() == *name)
            .and_then(|s| s.annotation.seal.as_ref());
        match declared {
            Some(key) => parts.push(format!(
                "`{}` is sealed on [{}], which is not compatible with the gate [{}]: seal it on \
                 attributes of the gate instead, e.g. `{{ seal: [{example}] }}`",
                stream(name),
                attrs(key),
                attrs(gate)
            )),
            None => parts.push(format!(
                "seal `{}` on attributes of the gate [{}], e.g. `{} {{ seal: [{example}] }}` \
                 in `streams!`",
                stream(name),
                attrs(gate),
                stream(name)
            )),
        }
    }
    parts.join("; ")
}

fn order_fix(
    analysis: &Analysis,
    cause: &Cause,
    component: &str,
    kind: &OrderKind,
    yields: &Label,
) -> String {
    let mut options = Vec::new();
    if analysis.coordinate != Permission::Auto {
        options.push("coordinate = auto".to_string());
    }
    if yields.severity() > analysis.requires.max_severity() {
        options.push("requires = convergent".to_string());
    }
    let how = match kind {
        OrderKind::Dynamic => "a sequencer decides one order per run".to_string(),
        OrderKind::Static { seq } => format!("static order on seq [{}]", attrs(seq)),
    };
    format!(
        "or let blazes order the inputs of {component} ({how}; `{}` is then {yields}): \
         `#[blazes::dataflow({})]`",
        cause.node,
        options.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::{Annotation, Component, Stream, analyze, attrs as set};

    fn wordcount() -> Dataflow {
        Dataflow::new()
            .component(Component::new("Splitter").path("tweets", "words", Annotation::cr()))
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::ow(set(["word", "batch"])),
            ))
            .stream(Stream::between("tweets", "Splitter.tweets"))
            .stream(Stream::between("Splitter.words", "Count.words"))
            .stream(Stream::between("Count.counts", "db"))
    }

    #[test]
    fn names_the_sink_label_derivation_and_both_fixes() {
        let dataflow = wordcount();
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(text.contains("sink `db` is Run"), "{text}");
        assert!(text.contains("allows at most Async"), "{text}");
        assert!(text.contains("derivation: Count.counts is Run"), "{text}");
        assert!(text.contains("R2"), "{text}");
        assert!(text.contains("seal `tweets -> Splitter.tweets`"), "{text}");
        assert!(
            text.contains("coordinate = auto, requires = convergent"),
            "{text}"
        );
        assert!(text.contains("seq"), "{text}");
    }

    #[test]
    fn says_when_a_declared_seal_does_not_fit_the_gate() {
        let mut dataflow = wordcount();
        dataflow.streams[0] = Stream::between("tweets", "Splitter.tweets").sealed(set(["region"]));
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(
            text.contains("is sealed on [region], which is not compatible"),
            "{text}"
        );
    }
}
