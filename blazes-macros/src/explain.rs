//! The text of a violation at compile time: the shared explanation of
//! `blazes_core::explain` (sink, label against the requirement, derivation in
//! the paper's notation, fixes), followed by each fix spelled in the macros'
//! own syntax. This crate decides no rule itself.

use blazes_core::explain::ATTRIBUTE_PLACEHOLDER;
use blazes_core::result::Cause;
use blazes_core::{Analysis, AttrSet, Dataflow, Fd, Fix, Permission, Violation, explain};

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
    // Two causes can share a fix (ordering opted into once for both): each
    // spelled once.
    let mut written: Vec<String> = Vec::new();
    for cause in analysis.causes(v) {
        for fix in &cause.fixes {
            if let Some(text) = spelled(dataflow, analysis, &cause, fix)
                && !written.contains(&text)
            {
                out.push_str("\n  in this module: ");
                out.push_str(&text);
                written.push(text);
            }
        }
    }
    out
}

/// The message at the path or stream where a cause introduces the anomaly.
/// It names the `#[path]`s too: a component of another crate has no span
/// in this one, and the message then sits on the dataflow's attribute.
pub fn introduced_here(v: &Violation, cause: &Cause) -> String {
    let paths: Vec<String> = cause
        .origins
        .iter()
        .map(|origin| {
            let blazes_core::result::Origin::Path {
                component,
                from,
                to,
            } = origin;
            format!("`#[path(from = {from}, to = {to}, ..)]` of `{component}`")
        })
        .collect();
    let at = if paths.is_empty() {
        String::new()
    } else {
        format!(" (at {})", paths.join(" and "))
    };
    format!(
        "blazes: `{}` becomes {} here{at}, so sink `{}` is {}: {}",
        cause.node, cause.label, v.sink, v.label, cause.why
    )
}

/// What to write when the plain FD `fd` would, as one-to-one, let a seal
/// cover the gate that rejects the dataflow.
pub fn one_to_one_hint(fd: &Fd) -> String {
    let from = attrs(&fd.from);
    let (written, two_way) = if fd.from.len() == 1 {
        (
            format!("{from} -> {}", fd.to),
            format!("{from} <-> {}", fd.to),
        )
    } else {
        (
            format!("[{from}] -> {}", fd.to),
            format!("[{from}] <-> {}", fd.to),
        )
    };
    format!(
        "`{written}` in `fds!` is many-to-one: `{to}` does not determine `{from}`, so a seal on \
         `{from}` does not cover a gate on `{to}`; this sink would meet the requirement if it \
         were one-to-one: only if each `{to}` has exactly one `{from}`, write `{two_way}`",
        to = fd.to
    )
}

/// A fix written as the code that applies it, if it has one. Every attribute
/// it names is declared in the dataflow (or it shows a placeholder).
fn spelled(dataflow: &Dataflow, analysis: &Analysis, cause: &Cause, fix: &Fix) -> Option<String> {
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
            let examples = explain::sequence_examples(analysis, cause);
            let example = examples
                .first()
                .map_or(ATTRIBUTE_PLACEHOLDER, String::as_str);
            let declared: Vec<String> = streams
                .iter()
                .map(|s| format!("`{} {{ seq: [{example}] }}`", stream(s)))
                .collect();
            let permission = if analysis.coordinate == Permission::Auto {
                ""
            } else {
                ", with `coordinate = auto`"
            };
            let which = if examples.is_empty() {
                format!(" (`{ATTRIBUTE_PLACEHOLDER}`: an epoch or transaction number")
            } else {
                format!(" (if `{example}` is an epoch or transaction number")
            };
            Some(format!(
                "{} in `streams!`{permission}{which} each producer sends in non-decreasing order)",
                declared.join(" and ")
            ))
        }
        Fix::Upstream { .. } => None,
    }
}

fn seal(dataflow: &Dataflow, streams: &[String], gate: &AttrSet) -> String {
    let example = gate
        .iter()
        .next()
        .map_or(ATTRIBUTE_PLACEHOLDER, String::as_str);
    let parts: Vec<String> = streams
        .iter()
        .map(|name| {
            let declared = dataflow
                .streams
                .iter()
                .find(|s| s.name() == *name)
                .and_then(|s| s.annotation.seal.as_ref());
            let found = dataflow.streams.iter().find(|s| s.name() == *name);
            let write = format!("`{} {{ seal: [{example}] }}`", stream(name));
            // A seal on a component's output is kept by that component's
            // own punctuations: the new key needs them too.
            let producer = match found.map(|s| &s.from) {
                Some(blazes_core::Endpoint::Port {
                    component,
                    interface,
                }) => format!(
                    ", and have `{component}` punctuate `{interface}` on [{example}] \
                     (`{interface}: .. {{ punctuates: [{example}] }}` in its \
                     `#[component(outputs {{ .. }})]`, calling `punctuate_{interface}` once a \
                     partition is complete), unless seals on [{example}] reach `{interface}` \
                     through its confluent paths"
                ),
                _ => String::new(),
            };
            match declared {
                Some(key) => {
                    let many_to_one = many_to_one(dataflow, key, gate);
                    // Where a many-to-one FD is in the way, the one-to-one
                    // hint says what to declare.
                    let keep = if many_to_one.is_empty() {
                        keep_the_seal(dataflow, key, gate)
                    } else {
                        String::new()
                    };
                    format!(
                        "`{}` is sealed on [{}], which is not compatible with the gate \
                         [{}]{many_to_one}: write {write} in `streams!`{producer}{keep}",
                        stream(name),
                        attrs(key),
                        attrs(gate),
                    )
                }
                None => format!("write {write} in `streams!`{producer}"),
            }
        })
        .collect();
    parts.join("; ")
}

/// `; or keep the seal ...`: the `fds!` that would make the declared seal
/// on `key` fit `gate` (one per gate attribute that would do), if it is
/// true of the data; empty when none would.
fn keep_the_seal(dataflow: &Dataflow, key: &AttrSet, gate: &AttrSet) -> String {
    let alternatives: Vec<String> = blazes_core::dependencies_for(&dataflow.fds, gate, key)
        .iter()
        .map(|fds| {
            let written: Vec<String> = fds
                .iter()
                .map(|fd| format!("{} -> {};", attrs(&fd.from), fd.to))
                .collect();
            let claim: Vec<String> = fds
                .iter()
                .map(|fd| format!("each `{}` has one `{}`", attrs(&fd.from), fd.to))
                .collect();
            format!(
                "`fds! {{ {} }}` if {}",
                written.join(" "),
                claim.join(" and ")
            )
        })
        .collect();
    if alternatives.is_empty() {
        return String::new();
    }
    format!(
        "; or keep the seal and declare what makes it fit: {}",
        alternatives.join(", or ")
    )
}

/// Why a plain FD from the seal key into the gate does not make the seal
/// compatible, when the dataflow declares one: a group of the gate spans
/// several partitions of the seal, so no single seal completes it.
fn many_to_one(dataflow: &Dataflow, key: &AttrSet, gate: &AttrSet) -> String {
    dataflow
        .fds
        .iter()
        .find(|fd| {
            !fd.injective && gate.contains(&fd.to) && fd.from.iter().all(|a| key.contains(a))
        })
        .map_or_else(String::new, |fd| {
            format!(
                " (`{} -> {}` is many-to-one: a group of `{}` spans several partitions of [{}])",
                attrs(&fd.from),
                fd.to,
                fd.to,
                attrs(key)
            )
        })
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

    /// W (OW[k]) feeds the replicated L (OW[k]) under `requires:
    /// convergent`: both causes propose ordering, spelled once.
    #[test]
    fn a_fix_two_causes_share_is_spelled_once() {
        let dataflow = Dataflow::new()
            .component(Component::new("W").path("in", "out", Annotation::ow(set(["k"]))))
            .component(Component::new("L").replicated(true).path(
                "in",
                "out",
                Annotation::ow(set(["k"])),
            ))
            .stream(Stream::between("src", "W.in"))
            .stream(Stream::between("W.out", "L.in"))
            .stream(Stream::between("L.out", "sink"))
            .requires(blazes_core::Requirement::Convergent);
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert_eq!(
            text.matches("in this module: `#[blazes::dataflow(coordinate = auto)]`")
                .count(),
            1,
            "{text}"
        );
        // Both causes are explained, the producer first.
        let w = text.find("at W.out (Run)").expect(&text);
        let l = text.find("at L.out (Diverge)").expect(&text);
        assert!(w < l, "{text}");
    }

    #[test]
    fn a_seal_behind_a_many_to_one_fd_is_explained() {
        let mut dataflow = Dataflow::new()
            .component(Component::new("Stats").path(
                "sessions",
                "stats",
                Annotation::ow(set(["user"])),
            ))
            .stream(Stream::between("sessions", "Stats.sessions").sealed(set(["session"])))
            .stream(Stream::between("Stats.stats", "screen"));
        dataflow.fds.push(Fd {
            from: set(["session"]),
            to: "user".to_string(),
            injective: false,
        });
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(
            text.contains(
                "is sealed on [session], which is not compatible with the gate [user] \
                 (`session -> user` is many-to-one"
            ),
            "{text}"
        );
        // An injective FD makes the seal compatible: nothing to explain.
        dataflow.fds[0].injective = true;
        assert!(analyze(&dataflow).expect("valid").violations.is_empty());
    }

    /// Re-sealing a component's output on the gate needs that component's
    /// punctuations on the new key: the fix says so (a source's stream is
    /// sealed by whoever feeds it, so it does not).
    #[test]
    fn a_seal_on_a_components_output_names_the_punctuation_it_needs() {
        let dataflow = Dataflow::new()
            .component(Component::new("Reserve").path(
                "orders",
                "shipped",
                Annotation::ow(set(["sku"])),
            ))
            .component(Component::new("Ledger").path(
                "shipped",
                "totals",
                Annotation::ow(set(["warehouse"])),
            ))
            .stream(Stream::between("orders", "Reserve.orders").sealed(set(["sku"])))
            .stream(Stream::between("Reserve.shipped", "Ledger.shipped").sealed(set(["sku"])))
            .stream(Stream::between("Ledger.totals", "totals"));
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(
            text.contains(
                "write `Reserve.shipped -> Ledger.shipped { seal: [warehouse] }` in `streams!`, \
                 and have `Reserve` punctuate `shipped` on [warehouse] (`shipped: .. { \
                 punctuates: [warehouse] }`"
            ),
            "{text}"
        );
        assert!(text.contains("calling `punctuate_shipped`"), "{text}");
        // A source's stream: no producer to ask.
        let plain = wordcount();
        let analysis = analyze(&plain).expect("valid");
        let text = violation(&plain, &analysis, &analysis.violations[0]);
        assert!(!text.contains("punctuate"), "{text}");
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
        assert!(
            text.contains("`tweets -> Splitter.tweets { seq: [batch] }` in `streams!`"),
            "{text}"
        );
    }

    #[test]
    fn fixes_name_only_declared_attributes() {
        let mut dataflow = wordcount();
        dataflow.components[1].paths[0].annotation = Annotation::ow(set(["token", "round"]));
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(!text.contains("batch"), "{text}");
        assert!(text.contains("{ seq: [round] }"), "{text}");
        assert!(text.contains("{ seal: [round] }"), "{text}");
        dataflow.components[1].paths[0].annotation = Annotation::ow(set(Vec::<String>::new()));
        let analysis = analyze(&dataflow).expect("valid");
        let text = violation(&dataflow, &analysis, &analysis.violations[0]);
        assert!(text.contains("{ seq: [<attribute>] }"), "{text}");
        assert!(!text.contains("seal: []"), "{text}");
    }

    #[test]
    fn the_one_to_one_hint_says_what_to_write_and_when() {
        let fd = Fd {
            from: set(["session"]),
            to: "user".into(),
            injective: false,
        };
        let text = one_to_one_hint(&fd);
        assert!(
            text.starts_with("`session -> user` in `fds!` is many-to-one"),
            "{text}"
        );
        assert!(
            text.ends_with(
                "only if each `user` has exactly one `session`, write `session <-> user`"
            ),
            "{text}"
        );
    }

    /// A component of another crate has no span here: the message at the
    /// dataflow's attribute still says which `#[path]` to look at.
    #[test]
    fn the_message_where_an_anomaly_starts_names_its_path() {
        let dataflow = wordcount();
        let analysis = analyze(&dataflow).expect("valid");
        let violation = &analysis.violations[0];
        let cause = analysis.causes(violation).remove(0);
        let text = introduced_here(violation, &cause);
        assert!(
            text.starts_with(
                "blazes: `Count.counts` becomes Run here (at `#[path(from = words, to = counts, \
                 ..)]` of `Count`), so sink `db` is Run"
            ),
            "{text}"
        );
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
        assert!(
            text.contains(
                "; or keep the seal and declare what makes it fit: `fds! { batch -> region; }` \
                 if each `batch` has one `region`, or `fds! { word -> region; }` if each `word` \
                 has one `region`"
            ),
            "{text}"
        );
        // Declared, the seal fits and nothing is reported.
        dataflow.fds.push(Fd {
            from: set(["word"]),
            to: "region".into(),
            injective: false,
        });
        assert!(analyze(&dataflow).expect("valid").violations.is_empty());
    }
}
