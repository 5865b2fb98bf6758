//! Prints what the analysis derived: labels, the coordination it chose, and why.

use blazes::runtime::RunReport;
use blazes::{Analysis, Strategy, explain};

/// The analysis as text: output and sink labels, the plan, the derivation of
/// every coordinated output, and any violation with its fixes.
pub fn describe(analysis: &Analysis) -> String {
    let mut text = String::from("Labels\n");
    for (output, label) in &analysis.outputs {
        text += &format!("  {output:<24} {label}\n");
    }
    for (sink, label) in &analysis.sinks {
        let residual = analysis.residual.get(sink).unwrap_or(label);
        text += &format!("  sink {sink:<19} {label} (after coordination: {residual})\n");
    }
    text += "Coordination\n";
    if analysis.coordination.is_empty() {
        text += "  none: every sink already meets the requirement\n";
    }
    for point in &analysis.coordination {
        let how = match &point.strategy {
            Strategy::Seal { key, vote } => format!(
                "seal buffer on [{}] ({vote} vote)",
                key.iter().cloned().collect::<Vec<_>>().join(",")
            ),
            Strategy::Order { kind } => format!("ordering, {kind}"),
        };
        let applied = if point.applied {
            ""
        } else {
            " (not permitted)"
        };
        text += &format!(
            "  {}: {how} of inputs {} protecting {}{applied}\n",
            point.component,
            point.inputs.join(", "),
            point.output
        );
    }
    text += "Why\n";
    for point in &analysis.coordination {
        let reason = match &point.strategy {
            Strategy::Seal { .. } => {
                "its input is sealed on a key compatible with the gate of \
                 the order-sensitive path: holding each partition until it is sealed makes the \
                 output deterministic, with no global ordering"
            }
            Strategy::Order { .. } => {
                "no seal compatible with the gate reaches it: only \
                 ordering its inputs makes the replicas agree"
            }
        };
        text += &format!("  {}: {reason}\n", point.component);
    }
    for point in &analysis.coordination {
        if let Some(tree) = explain::derivation_tree(analysis, &point.output) {
            for line in tree.lines() {
                text += &format!("  {line}\n");
            }
        }
    }
    for violation in &analysis.violations {
        text += &explain::violation(violation, analysis);
        text += "\n";
    }
    text
}

/// Fails when the run reported failures (partitions never sealed, with the
/// producers still missing, dead letters, instances that did not finish),
/// after listing each on stderr.
pub fn ensure_succeeded(report: &RunReport) -> Result<(), String> {
    let failures = report.failures();
    if failures.is_empty() {
        return Ok(());
    }
    for failure in &failures {
        eprintln!("  {failure}");
    }
    Err(format!(
        "FAILED: the run reported {} failure(s) (listed above)",
        failures.len()
    ))
}
