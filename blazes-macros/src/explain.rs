//! The text of a violation at compile time: the shared explanation of
//! `blazes_core::explain` (sink, label against the requirement, derivation in
//! the paper's notation, fixes), followed by each fix spelled in the macros'
//! own syntax. This crate decides no rule itself.

use blazes_core::result::Cause;
use blazes_core::{Analysis, AttrSet, Dataflow, Fix, Permission, Violation, explain};

/// `a->B.c` as `a -> B.c`.
fn stream(name: &str) -> String {
    name.replace("->", " -> ")
}

fn attrs(set: &AttrSet) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// The full message of a violation, for the sink's stream declaration.
pub fn violation(dataflow: &Dataflow, analysis: &Analysis, v: &Violation) -> String {
    let mut out = format!("blazes: {}", explain::violation(v, analysis).trim_end());
    for cause in analysis.causes(v) {
        for fix in &cause.fixes {
            if let Some(text) = spelled(dataflow, analysis, fix) {
                out.push_str("\n  in this module: ");
                out.push_str(&text);
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

/// A fix written as the code that applies it, if it has one.
fn spelled(dataflow: &Dataflow, analysis: &Analysis, fix: &Fix) -> Option<String> {
    match fix {
        Fix::Seal { streams, gate } => Some(seal(dataflow, streams, gate)),
        Fix::Order { yields, .. } => {
            let mut options = Vec::new();
            if analysis.coordinate != Permission::Auto {
                options.push("coordinate = auto");
            }
            if yields.severity() > analysis.requires.max_severity() {
                options.push("requires = convergent");
            }
            Some(format!("`#[blazes::dataflow({})]`", options.join(", ")))
        }
        Fix::Sequence { streams } => {
            let declared: Vec<String> = streams
                .iter()
                .map(|s| format!("`{} {{ seq: [..] }}`", stream(s)))
                .collect();
            let permission = if analysis.coordinate == Permission::Auto {
                ""
            } else {
                ", with `coordinate = auto`"
            };
            Some(format!(
                "{} in `streams!`{permission}",
                declared.join(" and ")
            ))
        }
        Fix::Upstream { .. } => None,
    }
}

fn seal(dataflow: &Dataflow, streams: &[String], gate: &AttrSet) -> String {
    let example = gate.iter().next().cloned().unwrap_or_default();
    let parts: Vec<String> = streams
        .iter()
        .map(|name| {
            let declared = dataflow
                .streams
                .iter()
                .find(|s| s.name() == *name)
                .and_then(|s| s.annotation.seal.as_ref());
            let write = format!("`{} {{ seal: [{example}] }}`", stream(name));
            match declared {
                Some(key) => format!(
                    "`{}` is sealed on [{}], which is not compatible with the gate [{}]: \
                     write {write} in `streams!`",
                    stream(name),
                    attrs(key),
                    attrs(gate)
                ),
                None => format!("write {write} in `streams!`"),
            }
        })
        .collect();
    parts.join("; ")
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
    fn names_the_sink_and_spells_both_fixes_in_macro_syntax() {
        let dataflow = wordcount();
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(text.starts_with("blazes: sink `db` is Run"), "{text}");
        assert!(text.contains("(R2)"), "{text}");
        assert!(
            text.contains("write `tweets -> Splitter.tweets { seal: [batch] }` in `streams!`"),
            "{text}"
        );
        assert!(
            text.contains("`#[blazes::dataflow(coordinate = auto, requires = convergent)]`"),
            "{text}"
        );
        assert!(text.contains("{ seq: [..] }"), "{text}");
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
