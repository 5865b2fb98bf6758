//! The readable report of `blazes check` (spec §7 in words): labels,
//! derivations, the coordination plan, then each violation and warning as a
//! rustc-style diagnostic located in the user's file, and the verdict.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use blazes_core::Label;
use blazes_core::explain;

use super::diagnostics;
use super::findings;
use super::outcome::Checked;

fn table(out: &mut String, title: &str, rows: &BTreeMap<String, Label>) {
    if rows.is_empty() {
        return;
    }
    let width = rows.keys().map(String::len).max().unwrap_or(0);
    let _ = writeln!(out, "{title}");
    for (name, label) in rows {
        let _ = writeln!(out, "  {name:<width$}  {label}");
    }
    out.push('\n');
}

/// The whole report: labels, derivations, coordination plan, located
/// violations and warnings, verdict. `colour` adds ANSI colours to the
/// diagnostics.
pub fn render(checked: &Checked, colour: bool) -> String {
    let analysis = &checked.analysis;
    let file = checked.file();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: requires {}, coordinate {}\n",
        analysis.name.as_deref().unwrap_or(file),
        analysis.requires,
        analysis.coordinate
    );
    table(&mut out, "Streams", &analysis.streams);
    table(&mut out, "Outputs", &analysis.outputs);
    table(&mut out, "Sinks", &analysis.sinks);

    let _ = writeln!(out, "Derivations");
    for d in analysis.derivations() {
        for line in explain::derivation(&d).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push('\n');

    let _ = writeln!(out, "Coordination");
    if analysis.coordination.is_empty() {
        let _ = writeln!(out, "  none needed");
    }
    for c in &analysis.coordination {
        let _ = writeln!(out, "  {}", explain::coordination(analysis, c));
    }
    out.push('\n');

    if analysis.residual != analysis.sinks {
        table(&mut out, "Sinks after coordination", &analysis.residual);
    }
    out.push_str(&diagnostics::render(
        &findings::of_checked(checked),
        file,
        checked.locations.text(),
        colour,
    ));
    if analysis.ok() {
        let _ = writeln!(
            out,
            "ok: every sink meets `requires: {}`",
            analysis.requires
        );
    } else {
        let _ = writeln!(
            out,
            "FAILED: {} sink(s) above `requires: {}`",
            analysis.violations.len(),
            analysis.requires
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locations::Locations;
    use blazes_core::{Annotation, Component, Dataflow, Stream, analyze, attrs};

    /// A dataflow built in code has no locations: its violation still prints,
    /// with its fixes, but without a snippet.
    #[test]
    fn a_dataflow_built_in_code_reports_its_violation_without_a_snippet() {
        let dataflow = Dataflow::new()
            .component(Component::new("Count").path(
                "words",
                "counts",
                Annotation::ow(attrs(["word", "batch"])),
            ))
            .stream(Stream::between("words", "Count.words"))
            .stream(Stream::between("Count.counts", "db"));
        let analysis = analyze(&dataflow).expect("valid");
        let checked = Checked {
            locations: Locations::new("in code", ""),
            dataflow,
            analysis,
            warnings: Vec::new(),
        };
        let text = render(&checked, false);
        assert!(
            text.contains("error[blazes/run]: sink `db` is Run, above the requirement"),
            "{text}"
        );
        assert!(
            text.contains("= fix: seal stream `words->Count.words`"),
            "{text}"
        );
        assert!(!text.contains("-->"), "{text}");
        assert!(
            text.ends_with("FAILED: 1 sink(s) above `requires: deterministic`\n"),
            "{text}"
        );
    }
}
