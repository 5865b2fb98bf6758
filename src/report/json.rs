//! The machine-readable result (spec §7): builds the serde types of
//! [`super::check_result`] from one file's outcome. Several files print as
//! JSON Lines, one object per file per line (see [`render`]).

use std::collections::BTreeMap;

use blazes_core::{Analysis, Coordination, Fix, Label, OrderKind, Origin, Strategy, Vote, explain};

use super::check_result::{
    CauseEntry, CheckResult, CoordinationEntry, ErrorEntry, FileResult, FixEntry, FixKind,
    InvalidInput, LabelEntry, LabelKind, LabelMaps, LabelText, LocationEntry, OrderKindEntry,
    OriginEntry, SCHEMA_VERSION, StrategyEntry, ViolationEntry, VoteEntry, WarningEntry,
};
use super::findings::{self, Finding, Rule};
use super::input::LoadError;
use super::outcome::{Checked, Outcome};
use crate::locations::Located;

/// The result for one file.
pub fn result(outcome: &Outcome) -> FileResult {
    match outcome {
        Outcome::Checked(checked) => FileResult::Checked(Box::new(checked_result(checked))),
        Outcome::Rejected(error) => FileResult::Invalid(invalid(error)),
    }
}

/// Every file's result as one compact JSON object per line (JSON Lines).
pub fn render(outcomes: &[Outcome]) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for outcome in outcomes {
        out.push_str(&serde_json::to_string(&result(outcome))?);
        out.push('\n');
    }
    Ok(out)
}

fn text(label: &Label) -> LabelText {
    LabelText(label.to_string())
}

fn texts(map: &BTreeMap<String, Label>) -> BTreeMap<String, LabelText> {
    map.iter().map(|(k, v)| (k.clone(), text(v))).collect()
}

/// A label as a structure.
pub fn structured(label: &Label) -> LabelEntry {
    let (kind, keys) = match label {
        Label::Seal(key) => (LabelKind::Seal, Some(key.iter().cloned().collect())),
        Label::Async => (LabelKind::Async, None),
        Label::Run => (LabelKind::Run, None),
        Label::Inst => (LabelKind::Inst, None),
        Label::Diverge => (LabelKind::Diverge, None),
    };
    LabelEntry { kind, keys }
}

fn structures(map: &BTreeMap<String, Label>) -> BTreeMap<String, LabelEntry> {
    map.iter()
        .map(|(k, v)| (k.clone(), structured(v)))
        .collect()
}

fn location(file: &str, at: &Located) -> LocationEntry {
    LocationEntry {
        file: file.to_string(),
        line: at.line,
        column: at.column,
        end_line: at.end_line,
        end_column: at.end_column,
    }
}

fn order_kind(kind: &OrderKind) -> (OrderKindEntry, Option<Vec<String>>) {
    match kind {
        OrderKind::Dynamic => (OrderKindEntry::Dynamic, None),
        OrderKind::Static { seq } => (OrderKindEntry::Static, Some(seq.iter().cloned().collect())),
    }
}

fn coordination(c: &Coordination) -> CoordinationEntry {
    let strategy = match &c.strategy {
        Strategy::Seal { key, vote } => StrategyEntry::Seal {
            key: key.iter().cloned().collect(),
            vote: match vote {
                Vote::Unanimous => VoteEntry::Unanimous,
                Vote::Independent => VoteEntry::Independent,
            },
        },
        Strategy::Order { kind } => {
            let (kind, seq) = order_kind(kind);
            StrategyEntry::Order { kind, seq }
        }
    };
    CoordinationEntry {
        component: c.component.clone(),
        strategy,
        inputs: c.inputs.clone(),
        output: c.output.clone(),
        applied: c.applied,
    }
}

fn fix_kind(fix: &Fix) -> FixKind {
    match fix {
        Fix::Seal { streams, gate } => FixKind::Seal {
            streams: streams.clone(),
            gate: gate.iter().cloned().collect(),
        },
        Fix::Order {
            component,
            kind,
            yields,
        } => {
            let (order, seq) = order_kind(kind);
            FixKind::Order {
                component: component.clone(),
                order,
                seq,
                yields: text(yields),
            }
        }
        Fix::Sequence { streams } => FixKind::Sequence {
            streams: streams.clone(),
        },
        Fix::Upstream { node } => FixKind::Upstream { node: node.clone() },
    }
}

/// The violations, each with its finding (`found` lists the violations
/// first, in the analysis' order, as [`findings::of_checked`] does).
fn violations(checked: &Checked, found: &[Finding]) -> Vec<ViolationEntry> {
    let analysis: &Analysis = &checked.analysis;
    let file = checked.file();
    analysis
        .violations
        .iter()
        .zip(found)
        .map(|(v, finding)| {
            let causes = analysis.causes(v);
            let fixes = causes
                .iter()
                .flat_map(|c| {
                    c.fixes.iter().map(|f| FixEntry {
                        cause: c.node.clone(),
                        fix: fix_kind(f),
                        text: explain::fix_of(f, analysis, c),
                    })
                })
                .collect();
            ViolationEntry {
                sink: v.sink.clone(),
                label: text(&v.label),
                rule: finding.rule.id(),
                location: finding.primary.as_ref().map(|s| location(file, &s.at)),
                causes: causes
                    .iter()
                    .map(|c| CauseEntry {
                        node: c.node.clone(),
                        label: text(&c.label),
                        why: c.why.clone(),
                        fixes: c
                            .fixes
                            .iter()
                            .map(|f| explain::fix_of(f, analysis, c))
                            .collect(),
                        origins: c
                            .origins
                            .iter()
                            .map(|origin| {
                                let at =
                                    checked.locations.path(origin).map(|at| location(file, at));
                                match origin {
                                    Origin::Path {
                                        component,
                                        from,
                                        to,
                                    } => OriginEntry {
                                        component: component.clone(),
                                        from: from.clone(),
                                        to: to.clone(),
                                        location: at,
                                    },
                                }
                            })
                            .collect(),
                    })
                    .collect(),
                fixes,
            }
        })
        .collect()
}

fn checked_result(checked: &Checked) -> CheckResult {
    let a = &checked.analysis;
    let file = checked.file();
    let found = findings::of_checked(checked);
    let warnings = checked
        .warnings
        .iter()
        .map(|w| WarningEntry {
            rule: Rule::Warning(w.code.clone()).id(),
            message: w.message.clone(),
            location: w.at.as_ref().map(|at| location(file, at)),
            notes: w.notes.clone(),
        })
        .collect();
    CheckResult {
        schema_version: SCHEMA_VERSION,
        file: file.to_string(),
        name: a.name.clone(),
        requires: a.requires.to_string(),
        coordinate: a.coordinate.to_string(),
        outputs: texts(&a.outputs),
        inputs: texts(&a.inputs),
        sources: texts(&a.sources),
        sinks: texts(&a.sinks),
        streams: texts(&a.streams),
        coordination: a.coordination.iter().map(coordination).collect(),
        residual: texts(&a.residual),
        residual_outputs: texts(&a.residual_outputs),
        violations: violations(checked, &found),
        warnings,
        ok: a.ok(),
        labels: LabelMaps {
            outputs: structures(&a.outputs),
            inputs: structures(&a.inputs),
            sources: structures(&a.sources),
            sinks: structures(&a.sinks),
            streams: structures(&a.streams),
            residual: structures(&a.residual),
            residual_outputs: structures(&a.residual_outputs),
        },
    }
}

fn invalid(error: &LoadError) -> InvalidInput {
    let file = error.file();
    InvalidInput {
        schema_version: SCHEMA_VERSION,
        file: file.to_string(),
        ok: false,
        errors: findings::of_rejected(error)
            .into_iter()
            .map(|f| ErrorEntry {
                location: f.primary.as_ref().map(|s| location(file, &s.at)),
                message: f.message,
                notes: f.notes,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazes_core::attrs;

    #[test]
    fn labels_are_structured_with_sorted_keys() {
        let seal = serde_json::to_value(structured(&Label::Seal(attrs(["word", "batch"]))))
            .expect("serialises");
        assert_eq!(
            seal,
            serde_json::json!({"kind": "seal", "keys": ["batch", "word"]})
        );
        let run = serde_json::to_value(structured(&Label::Run)).expect("serialises");
        assert_eq!(run, serde_json::json!({"kind": "run"}));
    }

    #[test]
    fn coordination_entries_keep_the_spec_field_names() {
        let seal = Coordination {
            component: "Count".into(),
            strategy: Strategy::Seal {
                key: attrs(["batch"]),
                vote: Vote::Unanimous,
            },
            inputs: vec!["words".into()],
            output: "Count.counts".into(),
            applied: true,
        };
        let v = serde_json::to_value(coordination(&seal)).expect("serialises");
        assert_eq!(
            v,
            serde_json::json!({"component": "Count", "strategy": "seal", "key": ["batch"],
                "vote": "unanimous", "inputs": ["words"], "output": "Count.counts", "applied": true})
        );
        let order = Coordination {
            strategy: Strategy::Order {
                kind: OrderKind::Static {
                    seq: attrs(["batch"]),
                },
            },
            applied: false,
            ..seal
        };
        let v = serde_json::to_value(coordination(&order)).expect("serialises");
        assert_eq!(v["strategy"], "order");
        assert_eq!(v["kind"], "static");
        assert_eq!(v["seq"], serde_json::json!(["batch"]));
    }

    #[test]
    fn an_unreadable_file_is_an_invalid_result() {
        let error = crate::report::input::read("no/such/file.yaml").unwrap_err();
        let v = serde_json::to_value(result(&Outcome::Rejected(error))).expect("serialises");
        assert_eq!(v["ok"], false);
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["file"], "no/such/file.yaml");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("cannot read"))
        );
        assert!(v["errors"][0]["location"].is_null());
    }
}
