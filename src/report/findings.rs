//! The findings of one file, independent of the output format: each
//! violation of the requirement (spec §7), each warning and each input error,
//! with its rule, its message, where it starts in the user's file (the path
//! annotations of [`Cause::origins`](blazes_core::result::Cause), then the
//! stream into the sink), why, and the fixes. The terminal, SARIF, GitHub and
//! JSON reports all render these.

use std::fmt::Write as _;

use blazes_core::{Analysis, Label, Violation, explain};

use super::input::LoadError;
use super::outcome::Checked;
use crate::line_index::LineIndex;
use crate::locations::Located;
use crate::warnings::Warning;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// A violation or invalid input: the exit status is not 0.
    Error,
    /// Worth a look; does not change the exit status.
    Warning,
}

/// The kind of a finding; reports use [`Rule::id`] as the rule id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A sink is `Run` above the requirement (non-deterministic across runs).
    Run,
    /// A sink is `Inst` (replicas disagree within a run).
    Inst,
    /// A sink is `Diverge` (replicas disagree for ever).
    Diverge,
    /// A sink is above the requirement with a label below `Run`; no
    /// requirement of spec §7 allows this today, kept so every label maps.
    Requirement,
    /// The file could not be read or analysed.
    InvalidInput,
    /// A warning, by its code.
    Warning(String),
}

impl Rule {
    /// The rules every report declares (warnings are declared as they occur).
    pub const FIXED: [Rule; 4] = [Rule::Run, Rule::Inst, Rule::Diverge, Rule::InvalidInput];

    /// The rule of a violation whose sink has `label`.
    pub fn of_label(label: &Label) -> Rule {
        match label {
            Label::Run => Rule::Run,
            Label::Inst => Rule::Inst,
            Label::Diverge => Rule::Diverge,
            Label::Seal(_) | Label::Async => Rule::Requirement,
        }
    }

    /// The rule id: `blazes/run`, `blazes/inst`, `blazes/diverge`,
    /// `blazes/requirement`, `blazes/invalid-input`, `blazes/<warning code>`.
    pub fn id(&self) -> String {
        let tail = match self {
            Rule::Run => "run",
            Rule::Inst => "inst",
            Rule::Diverge => "diverge",
            Rule::Requirement => "requirement",
            Rule::InvalidInput => "invalid-input",
            Rule::Warning(code) => code,
        };
        format!("blazes/{tail}")
    }

    /// A short name in PascalCase (SARIF `name`).
    pub fn name(&self) -> String {
        match self {
            Rule::Run => "RunAnomaly".into(),
            Rule::Inst => "InstAnomaly".into(),
            Rule::Diverge => "DivergeAnomaly".into(),
            Rule::Requirement => "AboveRequirement".into(),
            Rule::InvalidInput => "InvalidInput".into(),
            Rule::Warning(code) => code
                .split(|c: char| !c.is_ascii_alphanumeric())
                .map(|word| {
                    let mut chars = word.chars();
                    chars.next().map_or_else(String::new, |first| {
                        first.to_ascii_uppercase().to_string() + chars.as_str()
                    })
                })
                .collect(),
        }
    }

    /// One sentence.
    pub fn short_description(&self) -> String {
        match self {
            Rule::Run => "A sink's contents depend on message order: runs may differ (Run).".into(),
            Rule::Inst => "Replicas of a sink may disagree within a run (Inst).".into(),
            Rule::Diverge => "Replicas of a sink may disagree for ever (Diverge).".into(),
            Rule::Requirement => "A sink is above the dataflow's requirement.".into(),
            Rule::InvalidInput => "The annotation file could not be read or analysed.".into(),
            Rule::Warning(code) => format!("Warning `{code}` of the blazes analysis."),
        }
    }

    /// What the rule means and how to fix it (BLAZES, ICDE 2014, Sections IV–V).
    pub fn full_description(&self) -> String {
        let fix = "Fix it by sealing the offending input on a key compatible with the gate \
                   of the order-sensitive path (blazes then synthesises a seal buffer), or by \
                   accepting ordering at the component (`coordinate: auto`).";
        match self {
            Rule::Run => format!(
                "An order-sensitive path reads an input whose order is not fixed, so the \
                 sink's contents depend on the order messages arrive in: two runs over the \
                 same input may give different results (label Run). {fix}"
            ),
            Rule::Inst => format!(
                "A replicated component reads state that unsealed writes race with, so its \
                 replicas may answer differently within one run (label Inst). {fix}"
            ),
            Rule::Diverge => format!(
                "A replicated component's state depends on message order, so its replicas \
                 may disagree permanently (label Diverge). {fix}"
            ),
            Rule::Requirement => {
                "The sink's label is above what `requires:` allows for this dataflow.".into()
            }
            Rule::InvalidInput => "The grey-box file is not valid YAML in the format of the \
                                   paper's annotation blocks, or it describes an invalid \
                                   dataflow; the message says what was found and what was \
                                   expected."
                .into(),
            Rule::Warning(code) => {
                format!("A finding of kind `{code}` that does not change the outcome of the check.")
            }
        }
    }

    /// Errors for violations and invalid input, warnings for warnings.
    pub fn level(&self) -> Level {
        match self {
            Rule::Warning(_) => Level::Warning,
            _ => Level::Error,
        }
    }
}

/// A located piece of the user's text with what to say under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spot {
    /// Where.
    pub at: Located,
    /// The text shown under it.
    pub label: String,
}

/// One cause of a violation, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CauseText {
    /// `at NODE (LABEL): why`.
    pub why: String,
    /// The node's derivation in the paper's notation, when it has one.
    pub derivation: Option<String>,
    /// Each fix as an instruction.
    pub fixes: Vec<String>,
}

/// One finding of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Its kind.
    pub rule: Rule,
    /// The file it is in, as named on the command line.
    pub file: String,
    /// What is wrong, in one line.
    pub message: String,
    /// Where it starts, when known.
    pub primary: Option<Spot>,
    /// Other places worth showing.
    pub secondary: Vec<Spot>,
    /// For a violation: each cause with its derivation and fixes.
    pub causes: Vec<CauseText>,
    /// Hints (for input errors and warnings).
    pub notes: Vec<String>,
}

impl Finding {
    /// Error or warning.
    pub fn level(&self) -> Level {
        self.rule.level()
    }

    /// The message, each cause's why and fixes, and the notes, one per line:
    /// the text SARIF and GitHub annotations show (no derivations).
    pub fn full_text(&self) -> String {
        let mut text = self.message.clone();
        for cause in &self.causes {
            let _ = write!(text, "\n{}", cause.why);
            for fix in &cause.fixes {
                let _ = write!(text, "\nfix: {fix}");
            }
        }
        for note in &self.notes {
            let _ = write!(text, "\n{note}");
        }
        text
    }

    /// Every fix of every cause, in order.
    pub fn fixes(&self) -> impl Iterator<Item = &String> {
        self.causes.iter().flat_map(|c| &c.fixes)
    }
}

/// The findings of an analysed file: its violations, then its warnings.
pub fn of_checked(checked: &Checked) -> Vec<Finding> {
    let in_the_way = explain::many_to_one_fds_in_the_way(&checked.dataflow, &checked.analysis);
    let violations = checked.analysis.violations.iter().map(|v| {
        let mut finding = of_violation(checked, v);
        for (fd, sinks) in &in_the_way {
            if sinks.contains(&v.sink) {
                finding.notes.push(many_to_one_note(
                    &checked.dataflow.fds[*fd],
                    super::is_sql(checked.file()),
                ));
            }
        }
        finding
    });
    let warnings = checked
        .warnings
        .iter()
        .map(|w| of_warning(checked.file(), w));
    violations.chain(warnings).collect()
}

/// The findings of a refused file: one per located error.
pub fn of_rejected(error: &LoadError) -> Vec<Finding> {
    let finding = |message: String, primary: Option<Spot>, notes: Vec<String>| Finding {
        rule: Rule::InvalidInput,
        file: error.file().to_string(),
        message,
        primary,
        secondary: Vec::new(),
        causes: Vec::new(),
        notes,
    };
    match error {
        LoadError::GreyBox(diagnostics) => {
            let lines = LineIndex::new(diagnostics.text());
            diagnostics
                .errors()
                .iter()
                .map(|e| {
                    let spot = Spot {
                        at: lines.locate(e.span()),
                        label: e.label().to_string(),
                    };
                    let mut f = finding(e.message().to_string(), Some(spot), e.notes().to_vec());
                    f.secondary = e
                        .related()
                        .iter()
                        .map(|(bytes, label)| Spot {
                            at: lines.locate(bytes.clone()),
                            label: label.clone(),
                        })
                        .collect();
                    f
                })
                .collect()
        }
        LoadError::Dataflow { errors, .. } => errors
            .iter()
            .map(|e| finding(e.to_string(), None, Vec::new()))
            .collect(),
        other => vec![finding(other.to_string(), None, Vec::new())],
    }
}

/// A warning as a finding.
pub fn of_warning(file: &str, warning: &Warning) -> Finding {
    Finding {
        rule: Rule::Warning(warning.code.clone()),
        file: file.to_string(),
        message: warning.message.clone(),
        primary: warning.at.clone().map(|at| Spot {
            at,
            label: String::new(),
        }),
        secondary: Vec::new(),
        causes: Vec::new(),
        notes: warning.notes.clone(),
    }
}

/// The highest label `requires:` allows, in words.
fn allowed(analysis: &Analysis) -> &'static str {
    if analysis.requires.max_severity() == Label::Async.severity() {
        "Async"
    } else {
        "Run"
    }
}

/// A violation as a finding: located at the path annotations where its
/// anomaly starts, with the stream into the sink beside them.
/// Why a many-to-one FD keeps a seal from covering a gate, and what would
/// change were it one-to-one.
fn many_to_one_note(fd: &blazes_core::Fd, sql: bool) -> String {
    let from = fd.from.iter().cloned().collect::<Vec<_>>().join(", ");
    let to = &fd.to;
    let how = if sql {
        format!("in 'blazes.fds', `{from} <-> {to}`")
    } else {
        "in a grey-box file, an FD without `injective: false`".to_string()
    };
    format!(
        "the functional dependency [{from}] -> {to} is many-to-one: `{to}` does not determine \
         [{from}], so a seal on [{from}] does not cover a gate on `{to}`; this sink would meet \
         the requirement were it one-to-one (only if each `{to}` has exactly one [{from}]: \
         {how})"
    )
}

/// A fix as the file's own language writes it: a `.sql` file is told the
/// `WITH (...)` options to write, any other file the grey-box keys.
fn fix_lines(
    checked: &Checked,
    fix: &blazes_core::Fix,
    cause: &blazes_core::result::Cause,
) -> Vec<String> {
    #[cfg(feature = "sql")]
    if super::is_sql(checked.file()) {
        return crate::sql::fix_in_sql(
            fix,
            &checked.analysis,
            cause,
            &checked.dataflow,
            &checked.locations,
        );
    }
    crate::greybox::fix_in_greybox(fix, &checked.analysis, cause, &checked.dataflow)
}

fn of_violation(checked: &Checked, v: &Violation) -> Finding {
    let analysis = &checked.analysis;
    let locations = &checked.locations;
    let causes = analysis.causes(v);
    let mut spots: Vec<Spot> = Vec::new();
    for cause in &causes {
        let located = cause.origins.iter().filter_map(|o| locations.path(o));
        for (i, at) in located.enumerate() {
            if spots.iter().any(|s| s.at.bytes == at.bytes) {
                continue;
            }
            let mut label = if i == 0 {
                format!("{} becomes {} here", cause.node, cause.label)
            } else {
                format!("and with this path ({})", cause.node)
            };
            if let Some(note) = &at.note {
                let _ = write!(label, ": {note}");
            }
            spots.push(Spot {
                at: at.clone(),
                label,
            });
        }
    }
    let producers = analysis.sink_feeds.get(&v.sink).into_iter().flatten();
    for producer in producers {
        if let Some(at) = locations.stream(&format!("{producer}->{}", v.sink))
            && !spots.iter().any(|s| s.at.bytes == at.bytes)
        {
            spots.push(Spot {
                at: at.clone(),
                label: format!("reaches sink `{}` as {}", v.sink, v.label),
            });
        }
    }
    let mut spots = spots.into_iter();
    let primary = spots.next();
    Finding {
        rule: Rule::of_label(&v.label),
        file: checked.file().to_string(),
        message: format!(
            "sink `{}` is {}, above the requirement `{}` (at most {})",
            v.sink,
            v.label,
            analysis.requires,
            allowed(analysis)
        ),
        primary,
        secondary: spots.collect(),
        causes: causes
            .iter()
            .map(|cause| CauseText {
                why: format!("at {} ({}): {}", cause.node, cause.label, cause.why),
                derivation: analysis
                    .residual_derivation(&cause.node)
                    .map(|d| explain::derivation(&d)),
                fixes: cause
                    .fixes
                    .iter()
                    .flat_map(|f| fix_lines(checked, f, cause))
                    .collect(),
            })
            .collect(),
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::outcome::{Outcome, check};
    use blazes_core::Origin;

    fn greybox(name: &str, text: &str) -> Result<crate::report::outcome::Read, LoadError> {
        Ok(crate::greybox::parse_located(name, text)?.into())
    }

    fn checked(text: &str) -> Box<Checked> {
        let dir = tempfile::tempdir().expect("scratch dir");
        let path = dir.path().join("f.yaml");
        std::fs::write(&path, text).expect("written");
        match check(path.to_str().expect("utf-8 path"), greybox) {
            Outcome::Checked(c) => c,
            Outcome::Rejected(e) => panic!("{}", e.render()),
        }
    }

    const WORDCOUNT: &str = "Splitter:\n  annotation: { from: tweets, to: words, label: CR }\nCount:\n  annotation: { from: words, to: counts, label: OW, gate: [word, batch] }\n";

    #[test]
    fn a_violation_starts_at_the_order_sensitive_path() {
        let c = checked(WORDCOUNT);
        let findings = of_checked(&c);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.rule, Rule::Run);
        assert_eq!(f.rule.id(), "blazes/run");
        let primary = f.primary.as_ref().expect("located");
        assert_eq!((primary.at.line, primary.at.column), (4, 15));
        assert_eq!(primary.label, "Count.counts becomes Run here");
        let sink = f.secondary.first().expect("the sink's stream");
        assert!(sink.label.contains("reaches sink `counts`"), "{sink:?}");
        assert!(f.fixes().any(|fix| fix.contains("`seal: [batch]`")));
        assert!(
            f.full_text()
                .contains("\nfix: seal stream `tweets->Splitter.tweets`")
        );
    }

    #[test]
    fn a_many_to_one_fd_in_the_way_of_a_seal_is_named_in_a_note() {
        let text = "components:\n  Tally:\n    annotation:\n      - { from: found, to: totals, label: OW, gate: [country] }\nstreams:\n  found: { seal: [city] }\nfds:\n  - { from: [city], to: country, injective: false }\n";
        let f = &of_checked(&checked(text))[0];
        assert_eq!(f.rule, Rule::Run);
        let note = f
            .notes
            .iter()
            .find(|n| n.contains("many-to-one"))
            .expect("the FD named");
        assert!(
            note.starts_with("the functional dependency [city] -> country"),
            "{note}"
        );
        assert!(note.contains("without `injective: false`"), "{note}");
        // One-to-one, the seal covers the gate: no violation, no note.
        let injective = text.replace(", injective: false", "");
        assert!(of_checked(&checked(&injective)).is_empty());
    }

    #[test]
    fn every_origin_of_a_cause_is_shown_with_the_front_end_note() {
        let text = "Report:\n  rep: true\n  annotation:\n    - { from: click, to: response, label: CW }\n    - { from: request, to: response, label: OR, gate: [id] }\n";
        let mut c = checked(text);
        let write = Origin::Path {
            component: "Report".into(),
            from: "click".into(),
            to: "response".into(),
        };
        let at = c.locations.path(&write).expect("located").clone();
        c.locations
            .insert_path(write, at.clone().with_note("UPDATE counts"));
        let f = &of_checked(&c)[0];
        assert_eq!(f.rule, Rule::Inst);
        let spots: Vec<&Spot> = f.primary.iter().chain(&f.secondary).collect();
        assert_eq!(spots.len(), 3, "{spots:?}");
        let noted = spots
            .iter()
            .find(|s| s.at.bytes == at.bytes)
            .expect("the write path");
        assert!(noted.label.ends_with(": UPDATE counts"), "{noted:?}");
        let first = f.primary.as_ref().expect("located");
        assert!(
            first.label.starts_with("Report.response becomes Inst here"),
            "{first:?}"
        );
        assert!(
            spots[1]
                .label
                .starts_with("and with this path (Report.response)"),
            "{spots:?}"
        );
        assert_eq!(spots[2].label, "reaches sink `response` as Inst");
    }

    #[test]
    fn a_violation_without_locations_still_has_its_message_and_fixes() {
        let mut c = checked(WORDCOUNT);
        c.locations = crate::locations::Locations::new("in code", "");
        let f = &of_checked(&c)[0];
        assert!(f.primary.is_none() && f.secondary.is_empty());
        assert!(
            f.message.starts_with("sink `counts` is Run"),
            "{}",
            f.message
        );
        assert!(f.fixes().count() >= 2);
    }

    #[test]
    fn warnings_follow_violations_at_warning_level() {
        let mut c = checked(WORDCOUNT);
        let at = Located::in_text(WORDCOUNT, 0..8);
        c.warnings
            .push(Warning::new("unused-attribute", "`batch` is sealed nowhere").at(at));
        let findings = of_checked(&c);
        let w = findings.last().expect("the warning");
        assert_eq!(w.level(), Level::Warning);
        assert_eq!(w.rule.id(), "blazes/unused-attribute");
        assert_eq!(w.rule.name(), "UnusedAttribute");
        assert_eq!(w.primary.as_ref().map(|s| s.at.line), Some(1));
    }

    #[test]
    fn each_reader_error_is_a_located_finding() {
        let err = LoadError::from(
            crate::greybox::parse(
                "bad.yaml",
                "Count:\n  annotation: { from: a, to: b, label: XW }\n",
            )
            .unwrap_err(),
        );
        let findings = of_rejected(&err);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(
            (f.rule.clone(), f.file.as_str()),
            (Rule::InvalidInput, "bad.yaml")
        );
        let at = &f.primary.as_ref().expect("located").at;
        assert_eq!((at.line, at.column), (2, 40));
        assert!(
            f.full_text().contains("CR, CW, OR, OW"),
            "{}",
            f.full_text()
        );
    }
}
